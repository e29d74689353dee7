"""A campaign's purpose over HTTP: recorded with the plan, shown with its sends by name."""

from __future__ import annotations

from tests import builders as b


def _plan(purpose: str) -> dict:
    body = b.campaign("alerts", name="Fraud alerts", channel="sms").model_dump(mode="json")
    del body["kind"]
    return body | {"purpose": purpose}


def test_a_campaign_planned_as_an_alert_ranks_its_send_first_by_name(
    client, services, role_headers, catch_up
):
    agent = role_headers["agent"]
    response = client.post("/campaigns", json=_plan("alert"), headers=agent)
    assert response.status_code == 201, response.text
    services.ledger.record(b.sent("fa-1", "alerts", "C1", channel="sms"), "test")
    catch_up()
    profile = client.get("/customers/C1", params={"at": b.at(60).isoformat()}, headers=agent)
    assert profile.status_code == 200, profile.text
    [reason] = profile.json()["why_calling"]
    assert reason["because"] == "recent_outbound"
    assert reason["sentence"].startswith("Alert SMS “Fraud alerts” sent today at 09:00 UTC")
    mailshot = reason["interaction"]["mailshot"]
    assert (mailshot["campaign_name"], mailshot["campaign_purpose"]) == ("Fraud alerts", "alert")


def test_an_unknown_purpose_is_refused_whole_and_names_the_field(client, role_headers, log_rows):
    before = log_rows()
    response = client.post("/campaigns", json=_plan("spam"), headers=role_headers["agent"])
    assert response.status_code == 422
    assert "purpose" in response.text
    assert log_rows() == before
