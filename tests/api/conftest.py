"""HTTP tests: the real app on the real services (a fresh PostgreSQL database per test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services, start_projectors
from api.storage.keys import ROLES
from api.web.app import create_app
from api.web.schemas.examples import EXAMPLES
from projections.projector import ProjectorHandle


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


# --- read endpoints (customers, live, metrics) --------------------------------------


def key_name(role: str) -> str:
    """The name of a test key: an agent's key is named after the agent who uses it (the
    agent of the OpenAPI examples, whose calls it records in its own name)."""
    return str(EXAMPLES["call_recorded"]["agent_id"]) if role == "agent" else f"test-{role}"


@pytest.fixture
def role_headers(services: Services) -> dict[str, dict[str, str]]:
    """An ``X-API-Key`` header per role, each for a fresh key of that role."""
    return {role: {"X-API-Key": services.keys.create(role, key_name(role))[1]} for role in ROLES}


@pytest.fixture
def projectors(services: Services) -> Iterator[ProjectorHandle]:
    """The four views followed in a background thread, as ``touchpoint serve`` does."""
    # A generous bound on a loaded CI machine: what is tested is that the read waits
    # for the view, not how fast the projector is (that is bench/projections.py).
    services.settings.read_wait_seconds = 15.0
    handle = start_projectors(services)
    yield handle
    handle.stop()


@pytest.fixture
def catch_up(services: Services) -> Callable[[], dict[str, int]]:
    """Bring every view up to the head of the log (tests without the projector thread)."""
    runner = services.runner()
    return runner.catch_up_all


# --- recording, batch, audit, admin ------------------------------------------------


@pytest.fixture
def key_for(services: Services) -> Callable[[str], dict[str, str]]:
    """``key_for(role)``: an ``X-API-Key`` header for a new key of ``role``."""

    def make(role: str) -> dict[str, str]:
        return {"X-API-Key": services.keys.create(role, key_name(role))[1]}  # type: ignore[arg-type]

    return make


@pytest.fixture
def log_rows(services: Services) -> Callable[[], tuple[int, int]]:
    """``log_rows()``: rows in the log and in fact_keys, to show nothing was written."""

    def count() -> tuple[int, int]:
        with services.key_pool.connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM touchpoint_events), (SELECT count(*) FROM fact_keys)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    return count
