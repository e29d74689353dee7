"""Admins: erasing a customer's personal data over HTTP, and rebuilding a view."""

from __future__ import annotations

import threading

import pytest

from api.web.problems import PROBLEM_BASE
from api.web.schemas.examples import story
from domain import ids


@pytest.fixture
def recorded(client, role_headers) -> list[dict]:
    """The examples' story, recorded by an integrator."""
    response = client.post("/interactions/batch", json=story(), headers=role_headers["integrator"])
    assert response.json()["recorded"] == len(story())
    return response.json()["items"]


def test_erasure_records_the_fact_with_the_admin_as_author_and_shreds_personal_data(
    client, services, role_headers, recorded
):
    admin = services.keys.authenticate(role_headers["admin"]["X-API-Key"])

    response = client.delete(
        "/customers/C-1001/personal-data",
        params={"reason": "GDPR art. 17"},
        headers=role_headers["admin"],
    )

    assert response.status_code == 200
    erased = response.json()
    assert erased["status"] == "recorded"
    assert erased["customer_ref"] == "C-1001"
    assert erased["stream_id"] == str(ids.customer_stream_id("C-1001"))
    assert erased["position"] > max(item["position"] for item in recorded)
    stream = client.get(f"/streams/{erased['stream_id']}", headers=role_headers["auditor"])
    last = stream.json()["facts"][-1]
    assert (last["kind"], last["position"], last["author"]) == (
        "CustomerErased",
        erased["position"],
        admin.author,
    )
    assert last["data"]["reason"] == "GDPR art. 17"
    registered = stream.json()["facts"][0]
    assert registered["data"]["name"] == {"withheld": True}  # auditors: withheld
    revealed = services.ledger.reveal(services.ledger.read_stream(ids.customer_stream_id("C-1001")))
    assert revealed[0]["data"]["name"] == {"erased": True}  # for anyone: gone
    assert revealed[0]["data"]["email"] == {"erased": True}
    survey = services.ledger.read_stream(ids.survey_stream_id("survey-tool", "s-40021"))
    assert services.ledger.reveal(survey)[0]["data"]["comment"] == {"erased": True}


def test_erasing_again_answers_with_the_original_position(client, role_headers, recorded):
    first = client.delete("/customers/C-1001/personal-data", headers=role_headers["admin"])

    again = client.delete(
        "/customers/C-1001/personal-data",
        params={"reason": "asked twice"},
        headers=role_headers["admin"],
    )

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["position"] == first.json()["position"]


def test_no_personal_data_can_be_recorded_for_an_erased_customer(client, role_headers, recorded):
    client.delete("/customers/C-1001/personal-data", headers=role_headers["admin"])

    response = client.post(
        "/customers/C-1001/contact-details",
        json={
            "occurred_at": "2026-04-01T09:00:00Z",
            "source": "crm",
            "source_id": "chg-late",
            "phone": "+44 20 7946 0999",
        },
        headers=role_headers["agent"],
    )

    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM_BASE + "customer-erased"


def test_a_rebuild_starts_in_the_background_and_its_status_shows_it_done(
    client, services, role_headers, recorded
):
    services.runner(["cost"]).catch_up("cost")

    response = client.post("/views/cost/rebuild", headers=role_headers["admin"])

    assert response.status_code == 202
    assert response.json() == {
        "view": "cost",
        "status": "started",
        "status_url": "/views/cost/status",
    }
    assert response.headers["location"] == "/views/cost/status"
    client.app.state.rebuilds.wait(timeout=60, stop=False)
    status = client.get("/views/cost/status", headers=role_headers["admin"]).json()
    assert status["rebuild"] == "succeeded"
    assert status["position"] == services.ledger.head_position()
    assert status["lag_facts"] == 0


def test_a_second_rebuild_of_the_same_view_while_one_runs_is_a_409(client, role_headers):
    release = threading.Event()
    client.app.state.rebuilds.start("crm", lambda stop: release.wait(30) and 0)
    try:
        response = client.post("/views/crm/rebuild", headers=role_headers["admin"])
        status = client.get("/views/crm/status", headers=role_headers["auditor"]).json()
    finally:
        release.set()

    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM_BASE + "rebuild-in-progress"
    assert status["rebuild"] == "running"


def test_rebuilding_an_unknown_view_is_a_404(client, role_headers):
    response = client.post("/views/sales/rebuild", headers=role_headers["admin"])

    assert response.status_code == 404
    assert response.json()["type"] == PROBLEM_BASE + "unknown-view"
