"""Auditors: one stream in order, view status, personal fields withheld; 503 without a database."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from pydantic import TypeAdapter

from api.bootstrap import build_services
from api.settings import Settings
from api.web.deps import get_services
from api.web.problems import PROBLEM_BASE
from api.web.schemas.examples import story
from domain import ids
from domain.commands import AnyCommand

ADAPTER: TypeAdapter = TypeAdapter(AnyCommand)


@pytest.fixture
def auditor(client, role_headers):
    client.headers.update(role_headers["auditor"])
    return client


def record_story(client, role_headers) -> list[dict]:
    response = client.post("/interactions/batch", json=story(), headers=role_headers["integrator"])
    assert response.status_code == 200
    return response.json()["items"]


def test_a_stream_lists_its_facts_in_order_with_positions_authors_and_times(
    auditor, services, role_headers
):
    items = record_story(auditor, role_headers)
    call_stream = ids.call_stream_id("acd", "call-8812")
    survey_stream = ids.survey_stream_id("survey-tool", "s-40021")

    response = auditor.get(f"/streams/{call_stream}")

    assert response.status_code == 200
    stream = response.json()
    assert stream["stream_id"] == str(call_stream)
    facts = stream["facts"]
    assert [f["kind"] for f in facts] == ["CallRecorded", "CallCorrected"]
    assert [f["version"] for f in facts] == [1, 2]
    in_call = [i["position"] for i in items if i["stream_id"] == str(call_stream)]
    assert [f["position"] for f in facts] == in_call
    integrator = services.keys.authenticate(role_headers["integrator"]["X-API-Key"])
    assert {f["author"] for f in facts} == {integrator.author}
    assert all(f["recorded_at"] for f in facts)
    assert auditor.get(f"/streams/{survey_stream}").json()["facts"][0]["data"]["nps"] == 9


def test_personal_fields_are_withheld_from_auditors(auditor, role_headers):
    record_story(auditor, role_headers)
    customer = ids.customer_stream_id("C-1001")

    response = auditor.get(f"/streams/{customer}")

    registered, changed, _consent = response.json()["facts"]
    assert registered["data"]["name"] == {"withheld": True}
    assert registered["data"]["segment"] == "retail"
    assert changed["data"]["email"] == {"withheld": True}
    assert "Lovelace" not in response.text
    assert "ada@example.org" not in response.text


def test_an_unknown_stream_is_a_404_problem(auditor):
    response = auditor.get(f"/streams/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["type"] == PROBLEM_BASE + "unknown-stream"


def test_a_stream_id_that_is_not_a_uuid_is_a_422(auditor):
    response = auditor.get("/streams/not-a-uuid")

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["stream_id"]


def test_view_status_gives_position_and_lag_as_the_runner_counts_them(
    client, services, role_headers
):
    record_story(client, role_headers)
    runner = services.runner(["cost"])
    runner.ledger = services.ledger
    head = services.ledger.head_position()
    first_three = services.ledger.read_log(0, 3)[-1].position
    runner.catch_up("cost", until=first_three)

    for role in ("auditor", "admin"):
        response = client.get("/views/cost/status", headers=role_headers[role])
        assert response.status_code == 200
        status = response.json()
        assert (status["name"], status["position"], status["head"]) == ("cost", first_three, head)
        assert status["lag_facts"] == len(story()) - 3
        assert status["lag_seconds"] >= 0
        assert status["rebuild"] is None


def test_a_caught_up_view_has_no_lag(client, services, role_headers):
    record_story(client, role_headers)
    services.runner(["customer"]).catch_up("customer")

    status = client.get("/views/customer/status", headers=role_headers["auditor"]).json()

    assert (status["lag_facts"], status["lag_seconds"]) == (0, 0)


def test_an_unknown_view_is_a_404_problem_listing_the_views(auditor):
    response = auditor.get("/views/sales/status")

    assert response.status_code == 404
    assert response.json()["type"] == PROBLEM_BASE + "unknown-view"
    assert "customer" in response.json()["detail"]


@pytest.fixture
def gone_services(server_url):
    """Services on a database that is dropped under them: the pool cannot reconnect."""
    name = f"tp_gone_{uuid.uuid4().hex[:8]}"
    url = make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=url, connect_timeout=1, database_wait_seconds=0.5)
    gone = build_services(settings, url)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    yield gone
    gone.close()


@pytest.mark.parametrize(
    "request_by",
    [
        ("GET", "/log", "auditor"),
        ("GET", f"/streams/{uuid.uuid4()}", "auditor"),
        ("POST", "/interactions/calls", "agent"),
        ("POST", "/interactions/batch", "integrator"),
        ("GET", "/views/customer/status", "admin"),
        ("DELETE", "/customers/C1/personal-data", "admin"),
    ],
)
def test_a_database_that_cannot_be_reached_is_a_prompt_503_with_retry_after(
    client, role_headers, gone_services, request_by
):
    method, path, role = request_by
    # The keys still answer (the app's own services); the ledger's do not. Without the
    # pre-check the library would retry ten times, each waiting for the pool.
    client.app.dependency_overrides[get_services] = lambda: gone_services
    body = {"json": story()[4:5] if path.endswith("batch") else story()[4]}

    response = client.request(method, path, headers=role_headers[role], **body)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == PROBLEM_BASE + "database-unavailable"
    assert "tp_gone" not in response.text
