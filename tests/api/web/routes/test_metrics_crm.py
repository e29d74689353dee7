"""GET /metrics/crm: telemarketing, conversion by contact pressure, per-customer rates,
uncredited follow-ups, money in cents and shared control groups (METRICS.md, "CRM view").

Every expectation is computed by hand in the test's docstring or comments.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import builders as b

RANGE = {"from": "2026-03-01", "to": "2026-03-31", "at": "2026-06-01T00:00:00Z"}
HOUR = 60


def get(client, role_headers, path="/metrics/crm", **params):
    response = client.get(path, params=RANGE | params, headers=role_headers["analyst"])
    assert response.status_code == 200, response.text
    return response.json()


def record(services, catch_up, *commands):
    for cmd in commands:
        services.ledger.record(cmd, "test")
    catch_up()


def phone(source_id, ref, minutes, campaign="tm"):
    """A telemarketing call dialled at T0 + ``minutes`` (channel phone, 1.00 a dial)."""
    return b.sent(
        source_id, campaign, ref, channel="phone", unit_cost="1.00", occurred_at=b.at(minutes)
    )


def follow(builder, mailshot, source_id, ref, minutes, **over):
    return builder(mailshot, source_id, customer_ref=ref, occurred_at=b.at(minutes), **over)


@pytest.fixture
def telemarketing(services, catch_up):
    """Campaign "tm" by phone, fixed cost 100.00 (25.00 a dial: 4 dials). C1 is dialled at
    T0 (not reached), T0 + 1 h (reached: agrees on the call, the same instant, and buys for
    40.00) and T0 + 2 h (reached, says no): their pressure at the send, counting it, is 1,
    2 and 3. C2 is dialled once at T0 (pressure 1), reached, and responds. Replies at
    T0 + 3 h: C1 (3 dials in 30 days: band 3) scores 10, C2 (band 1) scores 0."""
    record(
        services, catch_up,
        b.campaign("tm", channel="phone", fixed_cost="100.00"),
        phone("d-1", "C1", 0), phone("d-2", "C1", HOUR), phone("d-3", "C1", 2 * HOUR),
        phone("d-4", "C2", 0),
        follow(b.bounced, "d-1", "nr-1", "C1", 1, reason="no answer"),
        follow(b.delivered, "d-2", "ok-2", "C1", HOUR + 1),
        follow(b.responded, "d-2", "r-2", "C1", HOUR, how="agreed on the call"),
        follow(b.converted, "d-2", "c-2", "C1", HOUR, value="40.00"),
        follow(b.delivered, "d-3", "ok-3", "C1", 2 * HOUR + 1),
        follow(b.delivered, "d-4", "ok-4", "C2", 1),
        follow(b.responded, "d-4", "r-4", "C2", 5),
        b.survey("s-1", "C1", about=None, nps=10, occurred_at=b.at(3 * HOUR)),
        b.survey("s-2", "C2", about=None, nps=0, occurred_at=b.at(3 * HOUR)),
    )  # fmt: skip


def test_telemarketing_calls_are_mailshots_on_the_phone_channel(
    client, role_headers, telemarketing
):
    """DESIGN.md: phone: sent = dialled, delivered = reached, bounced = not reached. A
    response at the send's own instant is credited (METRICS.md: window [send, send + W])."""
    (row,) = get(client, role_headers, group_by="channel", channel="phone")["rows"]
    assert row["channel"] == "phone"
    assert (row["sent"], row["bounced"], row["delivered"]) == (4, 1, 3)
    assert (row["responses"], row["conversions"]) == (2, 1)  # d-2 (same instant) and d-4
    assert row["response_rate"] == pytest.approx(2 / 3)
    assert row["revenue"] == "40.00"


def test_per_customer_rates_count_distinct_reached_customers(client, role_headers, telemarketing):
    """METRICS.md "per-customer rates": reached = distinct customers with a delivered send
    (C1, C2); responding C1 and C2; converting C1: 2/2 and 1/2, beside 2/3 and 1/3 per send."""
    (row,) = get(client, role_headers)["rows"]
    assert (row["reached_customers"], row["responding_customers"]) == (2, 2)
    assert row["converting_customers"] == 1
    assert row["customer_response_rate"] == pytest.approx(1.0)
    assert row["customer_conversion_rate"] == pytest.approx(0.5)
    assert row["conversion_rate"] == pytest.approx(1 / 3)


def test_rates_by_contact_pressure_at_the_send_sit_beside_nps_by_band(
    client, role_headers, telemarketing
):
    """METRICS.md "conversion by contact pressure": band 1 = d-1 (not reached) and d-4
    (responds): 2 dialled, 1 reached, rate 1/1, cost 2 x 1.00 + 2 x 25.00 = 52.00, cost per
    response 52.00; band 2 = d-2 (responds, converts 40.00); band 3 = d-3 (no response: no
    cost per response). NPS of the cem view by band at reply time: band 1 -100, band 3 100,
    band 2 none."""
    rows = {
        r["pressure_band"]: r for r in get(client, role_headers, group_by="pressure_band")["rows"]
    }
    assert set(rows) == {"1", "2", "3"}
    one, two, three = rows["1"], rows["2"], rows["3"]
    assert (one["sent"], one["delivered"], one["responses"]) == (2, 1, 1)
    assert one["response_rate"] == pytest.approx(1.0)
    assert (one["cost"], one["cost_per_response"]) == ("52.00", "52.00")
    assert (two["conversion_rate"], two["revenue"]) == (pytest.approx(1.0), "40.00")
    assert (three["responses"], three["cost_per_response"]) == (0, None)
    assert (one["nps"], one["nps_replies"]) == (pytest.approx(-100.0), 1)
    assert (three["nps"], three["nps_replies"]) == (pytest.approx(100.0), 1)
    assert (two["nps"], two["nps_replies"], two["nps_too_few"]) == (None, 0, True)


def test_a_pressure_band_filter_keeps_the_sends_made_at_that_pressure(
    client, role_headers, telemarketing
):
    (row,) = get(client, role_headers, pressure_band="3")["rows"]
    assert (row["sent"], row["delivered"], row["responses"]) == (1, 1, 0)
    response = client.get(
        "/metrics/crm", params=RANGE | {"pressure_band": "3-4"}, headers=role_headers["analyst"]
    )
    assert response.status_code == 422  # 3 and 4 are apart (METRICS.md)


def test_a_phone_campaign_and_its_calls_are_accepted_over_http(client, role_headers):
    """The channel phone is accepted by the API; an unknown channel is refused whole."""
    headers = role_headers["agent"]
    plan = b.campaign("tm", channel="phone").model_dump(mode="json", exclude={"kind"})
    assert client.post("/campaigns", json=plan, headers=headers).status_code == 201
    dial = phone("d-9", "C9", 0).model_dump(mode="json", exclude={"kind"})
    assert client.post("/interactions/mailshots", json=dial, headers=headers).status_code == 201
    fax = dial | {"source_id": "d-10", "channel": "fax"}
    response = client.post("/interactions/mailshots", json=fax, headers=headers)
    assert response.status_code == 422
    assert "channel" in response.text


def test_money_is_a_string_rounded_to_cents(client, services, role_headers, catch_up):
    """METRICS.md: cost per response = cost / responding sends: (100.00 + 3 x 1.00) / 3 =
    34.333... is "34.33" (not a float, not 28 digits); revenue per mailed = 75.00 / 3 =
    25.00; control revenue per head 10.00 / 2 = 5.00; incremental revenue per mailed
    25.00 - 5.00 = 20.00, incremental revenue 20.00 x 3 = 60.00."""
    record(
        services, catch_up,
        b.campaign("spring", fixed_cost="100.00"),
        *(b.sent(f"m-{n}", ref=f"C{n}", unit_cost="1.00") for n in (1, 2, 3)),
        *(follow(b.responded, f"m-{n}", f"r-{n}", f"C{n}", 10) for n in (1, 2, 3)),
        follow(b.converted, "m-1", "c-1", "C1", 20, value="50.00"),
        follow(b.converted, "m-2", "c-2", "C2", 20, value="25.00"),
        b.held_back("h-1", ref="C4"), b.held_back("h-2", ref="C5"),
        follow(b.converted, "h-1", "c-4", "C4", 20, value="10.00"),
    )  # fmt: skip
    (row,) = get(client, role_headers)["rows"]
    assert row["cost_per_response"] == "34.33"
    assert row["cost_per_acquisition"] == "51.50"  # 103.00 / 2
    assert (row["cost"], row["fixed_cost"], row["unit_cost"]) == ("103.00", "100.00", "3.00")
    assert row["revenue_per_mailed"] == "25.00"
    assert row["control_revenue_per_held_back"] == "5.00"
    assert row["incremental_revenue_per_mailed"] == "20.00"
    assert row["incremental_revenue"] == "60.00"


def test_cost_per_contact_is_rounded_to_cents_too(client, services, role_headers, catch_up):
    """METRICS.md cost view: (handled s x 0.01 + 0.50) / answered = (100 + 100 + 101) x 0.01
    + 3 x 0.50 = 4.51 / 3 = 1.50333... is "1.50"; the cost itself "4.51"."""
    calls = [
        b.call(f"k-{n}", ref=f"C{n}", talk_seconds=talk, hold_seconds=0,
               after_call_work_seconds=0, occurred_at=b.at(n))
        for n, talk in ((1, 100), (2, 100), (3, 101))
    ]  # fmt: skip
    record(services, catch_up, *calls)
    (row,) = get(client, role_headers, "/metrics/cost")["rows"]
    assert (row["cost"], row["cost_per_contact"]) == ("4.51", "1.50")


def test_a_control_group_shared_by_campaigns_is_flagged_in_an_ungrouped_report(
    client, services, role_headers, catch_up
):
    """C9 is held back in both campaigns: ungrouped, 2 hold-backs are 1 person, and the
    answer says so; grouped by campaign each row is one campaign's own control group."""
    record(
        services, catch_up,
        b.campaign("a"), b.campaign("b"),
        b.sent("m-1", "a", "C1"), b.sent("m-2", "b", "C2"),
        b.held_back("h-1", "a", "C9"), b.held_back("h-2", "b", "C9"),
    )  # fmt: skip
    report = get(client, role_headers)
    (row,) = report["rows"]
    assert (row["control_held_back"], row["control_customers"]) == (2, 1)
    assert row["control_shared"] is True
    assert "per campaign, not people" in report["notes"][0]
    grouped = get(client, role_headers, group_by="campaign")
    assert "notes" not in grouped
    assert [r["control_shared"] for r in grouped["rows"]] == [False, False]


def test_uncredited_responses_and_conversions_are_reported_by_reason(
    client, services, role_headers, catch_up
):
    """METRICS.md "crediting": m-1's response 31 days after the send is outside its 30-day
    window; m-2 bounced, so its conversion of 70.00 is not credited either: both are
    reported as uncredited, with their value, never dropped."""
    late = b.T0 + timedelta(days=31)
    record(
        services, catch_up,
        b.campaign("spring"),
        b.sent("m-1", ref="C1"), b.sent("m-2", ref="C2"),
        b.responded("m-1", occurred_at=late),
        follow(b.bounced, "m-2", "bn-2", "C2", 60),
        follow(b.converted, "m-2", "c-2", "C2", 120, value="70.00"),
    )  # fmt: skip
    (row,) = get(client, role_headers)["rows"]
    assert (row["responses"], row["conversions"], row["revenue"]) == (0, 0, "0.00")
    assert row["uncredited_responses_outside_window"] == 1
    assert row["uncredited_conversions_bounced"] == 1
    assert row["uncredited_value_bounced"] == "70.00"
    assert row["uncredited_value_outside_window"] == "0.00"


def test_the_contact_pressure_distribution_keeps_bands_3_and_4_apart(
    client, services, role_headers, catch_up
):
    """METRICS.md: the distribution (0, 1, 2, 3, 4, 5+) per day: C1 mailed 3 times on
    2 March, C2 4 times."""
    record(
        services, catch_up,
        b.campaign("spring"),
        *(b.sent(f"m-1{n}", ref="C1", occurred_at=b.at(n)) for n in range(3)),
        *(b.sent(f"m-2{n}", ref="C2", occurred_at=b.at(n)) for n in range(4)),
    )  # fmt: skip
    (row,) = get(client, role_headers, "/metrics/crm/contact-pressure", **{"from": "2026-03-02",
                 "to": "2026-03-02"})["rows"]  # fmt: skip
    assert (row["customers_3"], row["customers_4"], row["customers_5_plus"]) == (1, 1, 0)
