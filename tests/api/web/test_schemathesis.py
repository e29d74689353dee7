"""Schemathesis over every operation of the OpenAPI document, with every role and none.

Each generated request (valid and invalid inputs alike) is sent once per role
with that role's key, and once without a key. For every answer:

- never a 5xx (a 503 would mean the database failed, which it does not here);
- status code, content type, headers and body as the document says;
- invalid input is refused (4xx);
- an answer that is not a success wrote nothing: the log and the fact keys have
  the same number of rows before and after it.

The live streams (Server-Sent Events) never end by themselves and are left out;
tests/api/web/routes/test_live.py covers them. Examples are bounded (``MAX_EXAMPLES`` per
operation, derandomized in CI) to keep the run to a few minutes.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.bootstrap import build_services
from api.settings import Settings
from api.storage.keys import ROLES
from api.web.app import create_app

MAX_EXAMPLES = int(os.environ.get("TOUCHPOINT_SCHEMATHESIS_EXAMPLES", "12"))


@schemathesis.check
def no_server_error(ctx, response, case) -> None:
    """No 5xx, but the documented 503 of a view behind a requested ``min_position``."""
    if response.status_code < 500:
        return
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    assert (response.status_code, code) == (503, "view-behind"), response.text[:300]


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
LIVE = r".*/events$"


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:
    """NDJSON bodies of the batch endpoint: a string as generated, else one JSON per line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def _document() -> dict:
    """The app's OpenAPI document (building it needs settings, not a database)."""
    stub = SimpleNamespace(settings=Settings(), keys=None)
    return create_app(stub).openapi()  # type: ignore[arg-type]


schema = schemathesis.openapi.from_dict(_document()).exclude(path_regex=LIVE)


@pytest.fixture
def app(settings, database_url):
    """The real app on a fresh database, called over ASGI (no network).

    Reads wait only briefly for a ``min_position`` that no view will reach.
    """
    quick = settings.model_copy(update={"read_wait_seconds": 0.05})
    services = build_services(quick, database_url)
    yield create_app(services)
    services.close()


def _checks(case) -> list:
    # A batch refuses its invalid items one by one and answers 200 with a result per
    # item (by design): a schema-violating item is not a reason to refuse the batch.
    if case.operation.path == "/interactions/batch":
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


def _rows(services) -> tuple[int, int]:
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM touchpoint_events), (SELECT count(*) FROM fact_keys)"
        ).fetchone()
    return int(row[0]), int(row[1])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_with_every_role_answers_as_documented_and_never_writes_half(
    case, app, services, role_headers
):
    for role in (None, *ROLES):
        headers = role_headers[role] if role else {}
        before = _rows(services)
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=_checks(case), headers=headers)
        if response.status_code >= 300:
            assert _rows(services) == before, (role, response.status_code, response.text[:300])
