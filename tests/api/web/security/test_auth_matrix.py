"""The authorisation matrix: every endpoint x every role, no key and a revoked key.

``ALLOWED`` is the one table: an endpoint of the app without an entry (or an
entry without an endpoint) fails ``test_every_endpoint_has_an_entry``. For each
endpoint, one request per column: a role in its entry gets past authorisation
(neither 401 nor 403, and never a 5xx), every other role gets exactly 403, no
key and a revoked key get exactly 401.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.storage.keys import ROLES

PUBLIC = "public"
RECORDERS = {"agent", "integrator"}

ALLOWED: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/health"): PUBLIC,
    # recording
    ("POST", "/customers"): RECORDERS,
    ("POST", "/customers/{ref}/contact-details"): RECORDERS,
    ("POST", "/customers/{ref}/consent"): RECORDERS,
    ("POST", "/campaigns"): RECORDERS,
    ("POST", "/interactions/calls"): RECORDERS,
    ("POST", "/interactions/calls/corrections"): RECORDERS,
    ("POST", "/interactions/mailshots"): RECORDERS,
    ("POST", "/interactions/mailshots/held-back"): RECORDERS,
    ("POST", "/interactions/mailshots/delivered"): RECORDERS,
    ("POST", "/interactions/mailshots/bounced"): RECORDERS,
    ("POST", "/interactions/mailshots/responded"): RECORDERS,
    ("POST", "/interactions/mailshots/converted"): RECORDERS,
    ("POST", "/interactions/surveys"): RECORDERS,
    ("POST", "/interactions/batch"): {"integrator"},
    # the centre's call reasons
    ("GET", "/call-reasons"): {"agent", "analyst", "admin"},
    ("PUT", "/call-reasons"): {"admin"},
    # the contact policy
    ("GET", "/contact-policy"): {"agent", "analyst", "integrator", "admin"},
    ("PUT", "/contact-policy"): {"admin"},
    ("GET", "/customers/{ref}/contactability"): {"agent", "integrator"},
    ("POST", "/campaigns/{campaign_id}/suppression"): {"integrator"},
    # customer reads and live updates
    ("GET", "/customers"): {"agent"},
    ("GET", "/customers/lookup"): {"agent"},
    ("GET", "/customers/{ref}"): {"agent"},
    ("GET", "/customers/{ref}/timeline"): {"agent"},
    ("GET", "/customers/{ref}/events"): {"agent"},
    ("GET", "/log/events"): {"auditor"},
    # metrics
    ("GET", "/metrics/cost"): {"analyst"},
    ("GET", "/display"): {"agent", "analyst", "admin"},
    ("GET", "/wallboard/events"): {"analyst"},
    ("GET", "/metrics/cost/agents"): {"analyst"},
    ("GET", "/metrics/cost/distribution"): {"analyst"},
    ("GET", "/metrics/crm"): {"analyst"},
    ("GET", "/metrics/crm/contact-pressure"): {"analyst"},
    ("GET", "/metrics/cem"): {"analyst"},
    ("GET", "/metrics/cem/detractors"): {"analyst"},
    ("GET", "/metrics/insights"): {"analyst"},
    # audit
    ("GET", "/log"): {"auditor"},
    ("GET", "/streams/{stream_id}"): {"auditor"},
    ("GET", "/views/{name}/status"): {"auditor", "admin"},
    ("GET", "/metrics"): {"auditor", "admin"},  # Prometheus text (api/web/observability.py)
    ("GET", "/audit/digest"): {"auditor"},
    ("GET", "/audit/verify"): {"auditor"},
    ("GET", "/audit/proof"): {"auditor"},
    ("GET", "/audit/consistency"): {"auditor"},
    # admin
    ("DELETE", "/customers/{ref}/personal-data"): {"admin"},
    ("POST", "/views/{name}/rebuild"): {"admin"},
}

SAMPLE_PARAMS = {
    "ref": "C1",
    "stream_id": str(uuid.uuid4()),
    "name": "customer",
    "campaign_id": "spring",
}


def _endpoints(client) -> set[tuple[str, str]]:
    """Every operation of the OpenAPI document (every route of the app is in it)."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def _status(client, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.format(**SAMPLE_PARAMS)
    body: dict[str, Any] = {"json": {}} if method == "POST" else {}
    # Streamed: an event stream answers its status, then is left at once.
    with client.stream(method, url, headers=headers, **body) as response:
        return response.status_code


def test_every_endpoint_has_an_entry(client):
    endpoints = _endpoints(client)

    missing = sorted(endpoints - set(ALLOWED))
    stale = sorted(set(ALLOWED) - endpoints)
    assert not missing, f"add these to ALLOWED in {__file__}: {missing}"
    assert not stale, f"these ALLOWED entries have no endpoint: {stale}"


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED), ids=str)
def test_each_role_gets_exactly_what_the_table_says(client, services, role_headers, method, path):
    allowed = ALLOWED[(method, path)]
    revoked_principal, revoked_key = services.keys.create("admin", "revoked")
    services.keys.revoke(revoked_principal.key_id)

    wrong: list[tuple[str, int, str]] = []
    for role in ROLES:
        status = _status(client, method, path, role_headers[role])
        if allowed == PUBLIC or role in allowed:
            if status in (401, 403) or status >= 500:
                wrong.append((role, status, "allowed"))
        elif status != 403:
            wrong.append((role, status, "expected 403"))
    for who, headers in (("no key", {}), ("revoked key", {"X-API-Key": revoked_key})):
        status = _status(client, method, path, headers)
        expected = 200 if allowed == PUBLIC else 401
        if status != expected:
            wrong.append((who, status, f"expected {expected}"))
    assert wrong == []


def test_the_openapi_document_and_the_docs_need_no_key(client):
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
