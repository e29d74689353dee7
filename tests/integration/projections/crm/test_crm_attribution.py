"""Attribution windows, opt-outs and late facts in the crm view (METRICS.md, "CRM view").

METRICS.md: responses and conversions are credited only inside the campaign's
attribution window (default 30 days after the send; for the control group counted
from the hold-back time), and "every within includes its end": a response exactly
30 days after the send is credited. Opt-outs are consent withdrawals for the
campaign's channel within the window after a send.
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


def test_a_response_exactly_at_the_end_of_the_window_is_credited_one_second_later_is_not(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.respond("m1", jan(35))  # Jan 5 09:00 + 30 days = Feb 4 09:00: the end, included
    late = crm.respond("m2", jan(35, seconds=1))
    crm.project()
    row = crm.total()
    assert row["responses"] == 1
    assert row["response_rate"] == pytest.approx(1 / 2)
    logged = [item.position for item in crm.services.ledger.read_log(0, 100)]
    assert late in logged  # recorded in the log, just not credited


def test_a_conversion_outside_the_window_adds_neither_a_converter_nor_revenue(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.convert("m1", jan(35), "40")
    crm.convert("m2", jan(35, seconds=1), "70")
    crm.project()
    row = crm.total()
    assert (row["conversions"], row["revenue"]) == (1, Decimal("40"))


def test_the_control_window_counts_from_the_hold_back_time(crm):
    crm.hold("h1", "c1", "spring", jan(10))
    crm.hold("h2", "c2", "spring", jan(10))
    crm.respond("h1", jan(40))  # exactly 30 days after the hold-back
    crm.respond("h2", jan(40, seconds=1))
    crm.project()
    row = crm.total()
    assert row["control_held_back"] == 2
    assert row["control_response_rate"] == pytest.approx(1 / 2)


def test_a_shorter_campaign_window_is_the_one_applied(crm):
    crm.plan("flash", channel="sms", window=7)
    crm.send("m1", "c1", "flash", jan(5), channel="sms")
    crm.respond("m1", jan(13))  # 8 days later: outside a 7-day window
    crm.project()
    row = crm.total(filters={"campaign": "flash"})
    assert (row["sent"], row["responses"]) == (1, 0)


def test_an_opt_out_inside_the_window_counts_and_one_after_it_does_not(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.send("m3", "c3", "spring", jan(5))
    crm.consent("c1", "email", jan(35))  # exactly at the end: within
    crm.consent("c2", "email", jan(35, seconds=1))
    crm.consent("c3", "email", jan(4))  # before the send: not caused by it
    crm.project()
    row = crm.total()
    assert row["opt_outs"] == 1
    assert row["opt_out_rate"] == pytest.approx(1 / 3)


def test_a_withdrawal_logged_before_a_later_recorded_send_still_counts(crm):
    crm.consent("c1", "email", jan(6))  # logged first, happened after the send below
    crm.project()
    crm.send("m1", "c1", "spring", jan(5))
    crm.project()
    assert crm.total()["opt_outs"] == 1


def test_opt_outs_need_the_campaigns_channel_and_a_send_not_a_hold_back(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.hold("h1", "c2", "spring", jan(5))
    crm.consent("c1", "sms", jan(6))
    crm.consent("c1", "email", jan(6), granted=True)
    crm.consent("c2", "email", jan(6))
    crm.project()
    assert crm.total()["opt_outs"] == 0


def test_a_send_counts_one_opt_out_however_many_withdrawals_follow(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.consent("c1", "email", jan(6))
    crm.project(page_size=1)
    crm.consent("c1", "email", jan(8))
    crm.project(page_size=1)
    assert crm.total()["opt_outs"] == 1


def test_a_withdrawal_is_credited_once_to_the_last_delivered_send_before_it(crm):
    """METRICS.md "opt-out rate": each withdrawal is credited once, to the latest delivered
    send on that channel to that customer before it (last touch, across campaigns)."""
    crm.plan("summer", channel="email")
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c1", "summer", jan(7))
    crm.consent("c1", "email", jan(8))
    crm.project()
    rows = {row["campaign"]: row["opt_outs"] for row in crm.metrics(("campaign",))}
    assert rows == {"spring": 0, "summer": 1}


def test_the_segment_is_the_one_known_when_the_send_is_projected(crm):
    crm.register("c1", "gold")
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.register("c2", "silver")  # after its first send in the log
    crm.send("m3", "c2", "spring", jan(6))
    crm.register("c3", None)
    crm.send("m4", "c3", "spring", jan(6))
    crm.project(page_size=2)
    rows = {(r["segment"], r["day"]): r["sent"] for r in crm.metrics(("segment", "day"))}
    assert rows == {
        ("gold", jan_day(5)): 1,
        ("unknown", jan_day(5)): 1,
        ("silver", jan_day(6)): 1,
        ("unknown", jan_day(6)): 1,
    }


def test_responses_are_credited_to_the_send_day_not_the_response_day(crm):
    crm.send("m1", "c1", "spring", jan(5))
    crm.respond("m1", jan(9))
    crm.project()
    [row] = crm.metrics(("day",))
    assert (row["day"], row["responses"]) == (jan_day(5), 1)
    assert crm.total(first=jan_day(9), last=jan_day(9))["responses"] == 0


def test_a_bounced_mailshot_gets_no_credit_whichever_came_first(crm):
    """METRICS.md: rates are over delivered, so only delivered recipients are counted."""
    crm.send("m1", "c1", "spring", jan(5))
    crm.send("m2", "c2", "spring", jan(5))
    crm.send("m3", "c3", "spring", jan(5))
    crm.respond("m1", jan(6))
    crm.convert("m1", jan(6), "50")
    crm.consent("c1", "email", jan(7))
    crm.project()  # m1 credited so far
    crm.bounce("m1", jan(8))  # ... and taken back now
    crm.bounce("m2", jan(6))
    crm.respond("m2", jan(7))  # after its bounce: never credited
    crm.respond("m3", jan(7))
    crm.project()
    row = crm.total()
    assert (row["delivered"], row["responses"], row["conversions"]) == (1, 1, 0)
    assert (row["revenue"], row["opt_outs"]) == (Decimal(0), 0)
    assert row["response_rate"] == 1.0
