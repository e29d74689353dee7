"""The contact policy over HTTP: published by admins as facts (the latest in force, a default
before any), and asked per customer and channel by desktops and campaign tools.

Quiet periods are closed from their end instant on (METRICS.md, "A window is closed from its
end instant on"); the rules themselves are tested on hand-made histories in
tests/unit/domain/test_contact_policy.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import builders as b

PROBLEM = "application/problem+json"
POLICY = {
    "pressure_cap": 2,
    "unresolved_call_quiet_days": 7,
    "detractor_quiet_days": 10,
    "complaint_quiet_days": 21,
    "complaint_reasons": ["complaint", "card-declined"],
}


def ask(client, headers, ref="C1", channel="email", at=None, **params):
    query = {"channel": channel, **params}
    if at is not None:
        query["at"] = at.isoformat()
    return client.get(f"/customers/{ref}/contactability", params=query, headers=headers)


def granted(ref="C1", channel="email", days_before=10):
    return b.consent(
        ref,
        source_id=f"grant-{ref}-{channel}",
        channel=channel,
        granted=True,
        occurred_at=b.T0 - timedelta(days=days_before),
    )


# --- the policy ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "analyst", "integrator", "admin"])
def test_before_any_publication_the_default_policy_is_in_force(client, role_headers, role):
    response = client.get("/contact-policy", headers=role_headers[role])

    assert response.status_code == 200, response.text
    assert response.json() == {
        "pressure_cap": 4,  # TOUCHPOINT_PRESSURE_CAP's default
        "unresolved_call_quiet_days": 14,
        "detractor_quiet_days": 14,
        "complaint_quiet_days": 30,
        "complaint_reasons": ["complaint"],
        "position": None,
        "published_at": None,
    }


def test_a_published_policy_is_a_fact_and_the_earlier_one_stays_explainable(
    client, services, role_headers
):
    admin = role_headers["admin"]
    first = client.put("/contact-policy", json=POLICY, headers=admin)
    assert first.status_code == 201, first.text
    second = client.put("/contact-policy", json=POLICY | {"pressure_cap": 6}, headers=admin)
    first_position, second_position = first.json()["position"], second.json()["position"]

    now = client.get("/contact-policy", headers=role_headers["agent"]).json()
    then = client.get(
        "/contact-policy", params={"at_position": first_position}, headers=admin
    ).json()
    before = client.get("/contact-policy", params={"at_position": 0}, headers=admin).json()

    assert (now["pressure_cap"], now["position"]) == (6, second_position)
    assert then == POLICY | {"position": first_position, "published_at": then["published_at"]}
    assert before["position"] is None
    kinds = [logged.kind for logged in services.ledger.read_log(0, 10)]
    assert kinds == ["ContactPolicyPublished", "ContactPolicyPublished"]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"pressure_cap": -1}, "pressure_cap"),
        ({"complaint_quiet_days": 3651}, "complaint_quiet_days"),
        ({"detractor_quiet_days": "10"}, "detractor_quiet_days"),
        ({"complaint_reasons": ["complaint", "complaint"]}, "complaint_reasons.1"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_an_invalid_policy_is_refused_whole_and_nothing_is_written(
    client, services, role_headers, over, field
):
    response = client.put("/contact-policy", json=POLICY | over, headers=role_headers["admin"])

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert field in response.text
    assert services.ledger.head_position() == 0


def test_only_an_admin_publishes_a_policy(client, role_headers):
    for role in ("agent", "analyst", "integrator", "auditor"):
        response = client.put("/contact-policy", json=POLICY, headers=role_headers[role])
        assert response.status_code == 403


# --- contactability ---------------------------------------------------------------------


def test_a_consenting_customer_with_a_quiet_history_may_be_contacted(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(), "t")
    catch_up()

    for role in ("agent", "integrator"):
        response = ask(client, role_headers[role], at=b.T0)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["allowed"], answer["blocked_by"], answer["policy_position"]) == (
            True,
            [],
            None,
        )


def test_no_consent_on_the_channel_blocks_without_a_triggering_fact(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(channel="sms"), "t")
    catch_up()

    answer = ask(client, role_headers["agent"], channel="email", at=b.T0).json()

    assert answer["allowed"] is False
    assert answer["blocked_by"] == [
        {
            "rule": "consent",
            "sentence": "no consent to marketing by email recorded",
            "fact": None,
            "clears_at": None,
        }
    ]


def test_a_complaint_yesterday_blocks_with_its_call_and_clears_30_days_after_it(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(), "t")
    complaint = b.call("c-9", reason="complaint", occurred_at=b.T0)
    position = services.ledger.record(complaint, "t").position
    catch_up()
    agent = role_headers["agent"]

    answer = ask(client, agent, at=b.T0 + timedelta(days=1)).json()
    ends = ask(client, agent, at=b.T0 + timedelta(days=30)).json()

    assert answer["allowed"] is False
    (block,) = answer["blocked_by"]
    assert block["rule"] == "complaint"
    assert block["sentence"] == "complaint on 2026-03-02: no marketing until 2026-04-01"
    assert block["fact"] == {
        "kind": "call",
        "occurred_at": "2026-03-02T09:00:00Z",
        "position": position,
        "on_timeline": True,
        "log_link": f"/log?after={position - 1}&limit=1",
    }
    assert block["clears_at"] == "2026-04-01T09:00:00Z"
    assert ends["allowed"] is True  # closed from its end instant on


def test_a_withdrawal_after_at_does_not_block_at_and_blocks_after_it(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(), "t")
    withdrawal = b.consent(source_id="stop", granted=False, occurred_at=b.at(60))
    services.ledger.record(withdrawal, "t")
    catch_up()
    agent = role_headers["agent"]

    assert ask(client, agent, at=b.at(59)).json()["allowed"] is True
    later = ask(client, agent, at=b.at(60)).json()
    assert [r["rule"] for r in later["blocked_by"]] == ["consent"]
    assert later["blocked_by"][0]["fact"]["kind"] == "consent"


def test_a_published_policy_decides_from_its_publication_on(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(), "t")
    for i in range(2):
        services.ledger.record(b.campaign(f"k{i}"), "t")
        services.ledger.record(b.sent(f"m{i}", f"k{i}", occurred_at=b.at(i)), "t")
    catch_up()
    agent = role_headers["agent"]
    published = client.put("/contact-policy", json=POLICY, headers=role_headers["admin"])
    policy_position = published.json()["position"]
    later = services.ledger.clock() + timedelta(seconds=1)

    past = ask(client, agent, at=b.at(5)).json()  # the default: cap 4, two sends
    now = ask(client, agent, at=later).json()  # the sends are months old by now

    assert (past["allowed"], past["policy_position"]) == (True, None)
    assert (now["allowed"], now["policy_position"]) == (True, policy_position)
    services.ledger.record(b.sent("m9", "k0", occurred_at=services.ledger.clock()), "t")
    services.ledger.record(b.sent("m8", "k1", occurred_at=services.ledger.clock()), "t")
    catch_up()
    capped = ask(client, agent, at=services.ledger.clock()).json()
    assert [r["rule"] for r in capped["blocked_by"]] == ["pressure_cap"]
    assert capped["blocked_by"][0]["sentence"] == "2 mailshots in the last 30 days, the cap is 2"


def test_an_erased_customer_is_never_contactable(client, services, role_headers, catch_up):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.record(granted(), "t")
    services.ledger.erase_customer("C1", "admin")
    catch_up()

    for at in (b.T0, None):
        answer = ask(client, role_headers["integrator"], at=at).json()
        assert answer["allowed"] is False
        assert answer["blocked_by"][0]["rule"] == "erased"
        assert answer["blocked_by"][0]["fact"]["kind"] == "erasure"


def test_an_unknown_customer_is_404(client, role_headers, catch_up):
    catch_up()
    response = ask(client, role_headers["agent"], ref="NOBODY")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "customer-not-found"


@pytest.mark.parametrize("channel", ["fax", "", "EMAIL"])
def test_an_unknown_channel_is_422_naming_the_parameter(
    client, services, role_headers, catch_up, channel
):
    services.ledger.record(b.customer("C1"), "t")
    catch_up()
    response = ask(client, role_headers["agent"], channel=channel)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "channel" in response.text


def test_a_missing_channel_is_422(client, role_headers):
    response = client.get("/customers/C1/contactability", headers=role_headers["agent"])

    assert response.status_code == 422
    assert "channel" in response.text


@pytest.mark.parametrize("role", ["analyst", "auditor", "admin"])
def test_roles_other_than_agents_and_integrators_are_403(client, role_headers, role):
    response = ask(client, role_headers[role])

    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
