"""No key, token or personal data in logs, and keys never echoed after they are made.

Requests that carry keys (header and bearer), personal data (registration,
contact changes, a survey comment) and failures around them (validation errors,
conflicts, unknown and revoked keys, an erasure) are sent twice: in-process with
every logger at DEBUG, and to a real `touchpoint serve` whose whole output (uvicorn's
access log included) is kept. Neither holds a key, a secret or a personal value.
"""

from __future__ import annotations

import logging

import httpx

from tests.faults.support import services_on, serving

NAME, EMAIL, PHONE = "Philippa Quirrell-Dunmore", "phil.qd@example.net", "+44 7700 900333"
COMMENT = "my neighbour Ermintrude told me"
PERSONAL = [NAME, EMAIL, PHONE, COMMENT, "qd@@example.net"]
EXPECTED = [201, 409, 201, 422, 422, 200, 200, 401, 401, 403]


def _requests(http, agent: str, auditor: str, revoked: str) -> list[int]:
    """The requests of the test, in order; their statuses."""
    registration = {
        "occurred_at": "2026-03-02T09:00:00Z",
        "source": "crm",
        "source_id": "reg-LOG-1",
        "customer_ref": "LOG-1",
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
    }
    survey = {
        "occurred_at": "2026-03-02T10:00:00Z",
        "source": "survey-tool",
        "source_id": "s-LOG-1",
        "customer_ref": "LOG-1",
        "survey_kind": "relationship",
        "nps": 3,
        "comment": COMMENT,
    }
    key = {"X-API-Key": agent}
    bearer = {"Authorization": f"Bearer {agent}"}
    sent = [
        http.post("/customers", json=registration, headers=key),
        http.post("/customers", json=registration | {"phone": "0"}, headers=bearer),  # 409
        http.post("/interactions/surveys", json=survey, headers=key),
        http.post("/interactions/surveys", json=survey | {"nps": 99}, headers=key),  # 422
        http.post(
            "/customers/LOG-1/contact-details",
            json={**registration, "source_id": "c-1", "email": "qd@@example.net" * 30},
            headers=key,
        ),  # 422 with the bad value in the body
        http.get("/customers/LOG-1", headers=key),
        http.get("/log", headers={"X-API-Key": auditor}),
        http.get("/log", headers={"X-API-Key": revoked}),  # 401
        http.get("/log", headers={"X-API-Key": agent + "x"}),  # 401
        http.get("/log", headers=bearer),  # 403
    ]
    return [response.status_code for response in sent]


def _leaks(text: str, keys: list[str]) -> list[str]:
    secrets = [part for key in keys for part in (key, key.split("_")[-1])]
    return [value for value in PERSONAL + secrets if value in text]


def test_in_process_logs_at_debug_hold_no_key_and_no_personal_data(
    client, services, role_headers, caplog
):
    agent = role_headers["agent"]["X-API-Key"]
    auditor = role_headers["auditor"]["X-API-Key"]
    principal, revoked = services.keys.create("agent", "gone")
    services.keys.revoke(principal.key_id)

    with caplog.at_level(logging.DEBUG):
        statuses = _requests(client, agent, auditor, revoked)

    assert statuses == [*EXPECTED[:5], 404, *EXPECTED[6:]]  # no projector: no view yet
    assert caplog.records  # something was logged at all
    assert _leaks(caplog.text, [agent, auditor, revoked]) == []


def test_the_output_of_touchpoint_serve_holds_no_key_and_no_personal_data(database_url, tmp_path):
    with services_on(database_url) as services:
        agent = services.keys.create("agent", "desk")[1]
        auditor = services.keys.create("auditor", "audit")[1]
        admin = services.keys.create("admin", "ops")[1]
        principal, revoked = services.keys.create("agent", "gone")
        services.keys.revoke(principal.key_id)
    log = tmp_path / "serve.log"
    with serving(database_url, log) as served, httpx.Client(base_url=served.base) as http:
        statuses = _requests(http, agent, auditor, revoked)
        erased = http.delete("/customers/LOG-1/personal-data", headers={"X-API-Key": admin})
    output = log.read_text()

    assert statuses == EXPECTED
    assert erased.status_code in (200, 201, 202)
    assert "/customers/LOG-1" in output  # the access log was kept, and searched
    assert _leaks(output, [agent, auditor, admin, revoked]) == []


def test_a_key_is_never_shown_again_after_it_is_made(client, services, role_headers):
    principal, key = services.keys.create("integrator", "feed")
    secret = key.split("_")[-1]

    answers = [
        client.get("/openapi.json").text,
        client.get("/views/customer/status", headers=role_headers["admin"]).text,
        client.get("/log", headers=role_headers["auditor"]).text,
    ]
    listed = services.keys.list_keys()

    assert all(secret not in answer for answer in answers)
    assert principal.key_id in {info.key_id for info in listed}
    assert all(secret not in repr(info) for info in listed)
