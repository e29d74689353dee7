"""The CRM rules METRICS.md was made precise on (issue 14), each with hand-computed figures.

- Window closing instants: "Every within includes its end" and "a response or conversion
  at the send's own instant is credited (window [send, send + window])"; what falls
  outside is reported as uncredited ("crediting").
- "cost": a campaign with no sends at all carries its whole fixed cost on the day it was
  planned; over part of a campaign the fixed cost is shared pro rata by sends per day (a
  query over every send day gets all of it).
- "opt-out rate": each withdrawal is credited once, to the latest delivered send on that
  channel to that customer before it (last touch, across campaigns).
- "conversion by contact pressure": bands 1, 2, 3, 4, 5+ of the recipient's pressure at
  the send, counting it; "contact pressure": t - 30 days <= sent <= t, both ends included.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.projections.crm.support import Crm, jan, jan_day


@pytest.fixture
def crm(services) -> Crm:
    crm = Crm(services)
    crm.plan("spring", channel="email", window=30)
    return crm


# --- window closing instants ------------------------------------------------------------


def test_a_response_at_the_sends_own_instant_is_credited(crm):
    """METRICS.md: window [send, send + window]: a response stamped like its send counts."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.respond("m1", jan(5))
    crm.convert("m1", jan(5), "12.50")
    crm.project()
    row = crm.total()
    assert (row["responses"], row["conversions"], row["revenue"]) == (1, 1, Decimal("12.50"))
    assert row["uncredited_responses_outside_window"] == 0


def test_the_window_is_closed_from_its_end_instant_on(crm):
    """METRICS.md: within includes its end: at send + 30 days exactly it is credited; a
    microsecond later it is outside the window, reported as uncredited with its value."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.convert("m1", jan(35), "40")  # Jan 5 09:00 + 30 days: the end instant
    crm.convert("m2", jan(35, microseconds=1), "70")
    crm.respond("m2", jan(35, microseconds=1))
    crm.project()
    row = crm.total()
    assert (row["conversions"], row["revenue"]) == (1, Decimal("40"))
    assert row["uncredited_conversions_outside_window"] == 1
    assert row["uncredited_responses_outside_window"] == 1
    assert row["uncredited_value_outside_window"] == Decimal("70")


def test_a_follow_up_of_a_bounced_send_is_uncredited_whenever_the_bounce_comes(crm):
    """METRICS.md "crediting": only delivered sends are credited; the conversion (25) of a
    send that bounces later is taken back and reported as uncredited, reason bounced."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.convert("m1", jan(6), "25")
    crm.project()
    assert crm.total()["revenue"] == Decimal("25")
    crm.bounce("m1", jan(7))
    crm.project()
    row = crm.total()
    assert (row["conversions"], row["revenue"]) == (0, Decimal(0))
    assert row["uncredited_conversions_bounced"] == 1
    assert row["uncredited_value_bounced"] == Decimal("25")
    assert row["uncredited_conversions_outside_window"] == 0


# --- fixed cost -------------------------------------------------------------------------


def test_a_campaign_with_no_sends_carries_its_fixed_cost_on_its_planned_day(services):
    """METRICS.md "cost": planned on Jan 3 with a fixed cost of 250 and never sent (only
    held back): the whole 250 is on Jan 3, in no segment, and nowhere else."""
    crm = Crm(services)
    crm.plan("dud", channel="post", fixed="250", when=jan(3))
    crm.hold("h1", "c1", "dud", jan(10), channel="post")
    crm.project()
    days = {row["day"]: row for row in crm.metrics(("day",))}
    assert days[jan_day(3)]["fixed_cost"] == Decimal("250")
    assert days[jan_day(10)]["fixed_cost"] == Decimal(0)  # the hold-back's day: no share
    assert crm.total(first=jan_day(4), last=jan_day(31))["cost"] == Decimal(0)
    by_segment = {row["segment"]: row["cost"] for row in crm.metrics(("segment",))}
    assert by_segment == {None: Decimal("250"), "unknown": Decimal(0)}


def test_over_part_of_a_campaign_the_fixed_cost_is_shared_by_sends_per_day(services):
    """METRICS.md "cost": fixed 120 over 1 send on Jan 5 and 3 on Jan 6 (4 sends): Jan 5
    carries 120 x 1/4 = 30, Jan 6 120 x 3/4 = 90, the two days together all 120."""
    crm = Crm(services)
    crm.plan("split", fixed="120")
    crm.send("m1", "c1", "split", jan(5), cost="0")
    for n in (2, 3, 4):
        crm.send(f"m{n}", f"c{n}", "split", jan(6), cost="0")
    crm.project()
    assert crm.total(first=jan_day(5), last=jan_day(5))["fixed_cost"] == Decimal("30")
    assert crm.total(first=jan_day(6), last=jan_day(6))["fixed_cost"] == Decimal("90")
    assert crm.total(first=jan_day(5), last=jan_day(6))["fixed_cost"] == Decimal("120")


# --- opt-outs by last touch -------------------------------------------------------------


def test_an_opt_out_goes_to_the_latest_delivered_send_before_it(crm):
    """METRICS.md "opt-out rate": c1 gets m1 (Jan 5) and m2 (Jan 8, bounced); the withdrawal
    on Jan 9 is credited once, to m1, the latest *delivered* send before it."""
    crm.plan("summer", channel="email")
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c1", "summer", jan(8))
    crm.bounce("m2", jan(8, hours=1))
    crm.consent("c1", "email", jan(9))
    crm.project()
    rows = {row["campaign"]: row["opt_outs"] for row in crm.metrics(("campaign",))}
    assert rows == {"spring": 1, "summer": 0}


def test_a_bounce_recorded_later_moves_the_opt_out_to_the_earlier_send(crm):
    crm.plan("summer", channel="email")
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c1", "summer", jan(8))
    crm.consent("c1", "email", jan(9))
    crm.project()
    assert {r["campaign"]: r["opt_outs"] for r in crm.metrics(("campaign",))} == {
        "spring": 0,
        "summer": 1,
    }
    crm.bounce("m2", jan(10))
    crm.project()
    assert {r["campaign"]: r["opt_outs"] for r in crm.metrics(("campaign",))} == {
        "spring": 1,
        "summer": 0,
    }


def test_a_withdrawal_at_a_sends_instant_is_not_after_it(crm):
    """METRICS.md: "after" is strictly later; the exception for the send's own instant is
    for responses and conversions only. A withdrawal at m2's instant goes to m1."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c1", "spring", jan(8))
    crm.consent("c1", "email", jan(8))
    crm.project()
    days = {row["day"]: row["opt_outs"] for row in crm.metrics(("day",))}
    assert days == {jan_day(5): 1, jan_day(8): 0}


def test_the_last_touch_outside_its_window_credits_no_one(crm):
    """The latest delivered send before the withdrawal is m1 (Jan 5), whose window ended on
    Feb 4: the withdrawal on Feb 10 is credited to no send (not to an older one either)."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.consent("c1", "email", jan(41))
    crm.project()
    assert crm.total()["opt_outs"] == 0


# --- conversion by contact pressure -----------------------------------------------------


@pytest.fixture
def pressured(crm) -> Crm:
    """c1: m1 on Jan 1 09:00, m2 exactly 30 days later (Jan 31 09:00: m1 is still in its
    window, both ends included: band 2), m3 one second later (m1 out: m2, m3 -> band 2),
    m4 and m5 at one instant on Feb 1 (m2..m5: band 4 each). c2: m6 on Jan 31 (band 1).
    m2 responds and converts (30.00), m6 responds; m4 bounces."""
    for name, when in (
        ("m1", jan(1)), ("m2", jan(31)), ("m3", jan(31, seconds=1)),
        ("m4", jan(32)), ("m5", jan(32)),
    ):  # fmt: skip
        crm.send(name, "c1", "spring", when)
    crm.send("m6", "c2", "spring", jan(31))
    crm.respond("m2", jan(31, hours=1))
    crm.convert("m2", jan(31, hours=2), "30.00")
    crm.respond("m6", jan(31, hours=1))
    crm.bounce("m4", jan(32, hours=1))
    crm.project(page_size=3)
    return crm


def test_each_send_is_banded_by_the_recipients_pressure_at_the_send(pressured):
    """METRICS.md "contact pressure": t - 30 days <= sent <= t, both ends included."""
    bands = {row["pressure_band"]: row for row in pressured.metrics(("pressure_band",))}
    assert {band: row["sent"] for band, row in bands.items()} == {"1": 2, "2": 2, "4": 2}
    assert (bands["1"]["responses"], bands["1"]["response_rate"]) == (1, pytest.approx(1 / 2))
    assert (bands["2"]["conversions"], bands["2"]["revenue"]) == (1, Decimal("30.00"))
    assert (bands["4"]["delivered"], bands["4"]["response_rate"]) == (1, 0.0)


def test_bands_3_and_4_are_apart_and_a_filter_keeps_one(pressured):
    assert pressured.total(filters={"pressure_band": "4"})["sent"] == 2
    assert pressured.total(filters={"pressure_band": "3"})["sent"] == 0


def test_the_bands_add_up_to_the_campaign(pressured):
    """Sends, responses, revenue and cost by band sum to the ungrouped figures."""
    total = pressured.total()
    rows = pressured.metrics(("pressure_band",))
    for name in ("sent", "delivered", "responses", "conversions", "revenue", "cost"):
        assert sum(row[name] for row in rows) == total[name], name


def test_per_customer_rates_beside_per_send_rates_by_band(pressured):
    """METRICS.md "per-customer rates": band 1 reaches c1 (m1) and c2 (m6); only c2
    responds: 1 of 2 customers, as 1 of 2 sends."""
    bands = {row["pressure_band"]: row for row in pressured.metrics(("pressure_band",))}
    one = bands["1"]
    assert (one["reached_customers"], one["responding_customers"]) == (2, 1)
    assert one["customer_response_rate"] == pytest.approx(1 / 2)
