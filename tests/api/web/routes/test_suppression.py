"""POST /campaigns/{id}/suppression: per recipient, send or suppress with the rules why,
streamed as NDJSON, each suppression recorded as a ContactSuppressed fact (the rules are
tested on hand-made histories in tests/unit/domain/test_contact_policy.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests import builders as b

PROBLEM = "application/problem+json"
AT = b.T0 + timedelta(days=1)


def lines(response) -> list[dict]:
    return [json.loads(text) for text in response.text.splitlines()]


def post(client, headers, refs, campaign="spring", **over):
    body = {"customer_refs": refs, "at": AT.isoformat()} | over
    return client.post(f"/campaigns/{campaign}/suppression", json=body, headers=headers)


@pytest.fixture
def recipients(services, catch_up):
    """C1 consents to post; C2 consents too but complained at T0; C3 never consented;
    C4 was erased; the campaign ``spring`` is planned on post."""
    ledger = services.ledger
    ledger.record(b.campaign("spring"), "t")
    for ref in ("C1", "C2", "C3", "C4"):
        ledger.record(b.customer(ref), "t")
    for ref in ("C1", "C2", "C4"):
        consent = b.consent(ref, f"grant-{ref}", channel="post", granted=True)
        ledger.record(consent.model_copy(update={"occurred_at": b.T0 - timedelta(days=5)}), "t")
    ledger.record(b.call("c-2", "C2", reason="complaint", occurred_at=b.T0), "t")
    ledger.erase_customer("C4", "admin")
    catch_up()


def test_each_recipient_gets_a_line_in_order_then_the_counts(
    client, services, role_headers, recipients, catch_up
):
    response = post(client, role_headers["integrator"], ["C3", "C1", "C2", "C4", "NOBODY"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    *answers, closing = lines(response)
    verdicts = [
        (a["customer_ref"], a["send"], [r["rule"] for r in a["blocked_by"]]) for a in answers
    ]
    assert verdicts == [
        ("C3", False, ["consent"]),
        ("C1", True, []),
        ("C2", False, ["complaint"]),
        ("C4", False, ["erased"]),
        ("NOBODY", False, ["consent"]),
    ]
    assert [a["known"] for a in answers] == [True, True, True, True, False]
    assert (closing["done"], closing["send"], closing["suppress"]) == (True, 1, 4)
    assert closing["rules"] == {"consent": 2, "complaint": 1, "erased": 1}


def test_every_suppression_is_a_fact_naming_the_campaign_and_the_rules(
    client, services, role_headers, recipients
):
    head = services.ledger.head_position()
    post(client, role_headers["integrator"], ["C1", "C2", "C3"])

    recorded = services.ledger.read_log(head, 100)
    assert [logged.kind for logged in recorded] == ["ContactSuppressed", "ContactSuppressed"]
    facts = {logged.fact.customer_ref: logged.fact for logged in recorded}
    assert set(facts) == {"C2", "C3"}
    assert (facts["C2"].campaign_id, facts["C2"].channel, facts["C2"].rules) == (
        "spring",
        "post",
        ["complaint"],
    )
    assert facts["C2"].at == AT
    assert facts["C2"].policy_position is None
    assert facts["C3"].rules == ["consent"]


def test_the_views_take_suppression_facts_in_their_stride(
    client, services, role_headers, recipients, catch_up
):
    post(client, role_headers["integrator"], ["C3"])
    applied = catch_up()

    assert set(applied) >= {"customer", "cost", "crm", "cem"}
    profile = client.get("/customers/C3", headers=role_headers["agent"]).json()
    assert profile["counts"]["lifetime"] == 0  # not an interaction: no timeline item


def test_the_channel_defaults_to_the_campaign_s_and_may_be_given(client, role_headers, recipients):
    on_sms = post(client, role_headers["integrator"], ["C1"], channel="sms")

    assert lines(on_sms)[0]["blocked_by"][0]["rule"] == "consent"


def test_an_unplanned_campaign_is_404_and_nothing_is_written(
    client, services, role_headers, recipients
):
    head = services.ledger.head_position()
    response = post(client, role_headers["integrator"], ["C1"], campaign="autumn")

    assert response.status_code == 404
    assert response.json()["code"] == "campaign-not-found"
    assert services.ledger.head_position() == head


@pytest.mark.parametrize(
    "over",
    [{"channel": "fax"}, {"customer_refs": []}, {"at": "2026-03-03"}, {"extra": 1}],
)
def test_a_bad_request_is_422_and_nothing_is_written(
    client, services, role_headers, recipients, over
):
    head = services.ledger.head_position()
    response = post(client, role_headers["integrator"], ["C1"], **over)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert services.ledger.head_position() == head


@pytest.mark.parametrize("role", ["agent", "analyst", "auditor", "admin"])
def test_only_integrators_run_a_suppression(client, role_headers, role):
    assert post(client, role_headers[role], ["C1"]).status_code == 403
