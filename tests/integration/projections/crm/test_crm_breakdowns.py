"""Breakdowns, filters and the allocation of a campaign's fixed cost.

METRICS.md: cost = sum of unit costs + the campaign's fixed cost. The fixed cost is
added once per campaign, pro rata by sent (projections/crm/queries.py), so groups of
any breakdown add up to the campaign's cost.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from projections.query import UnknownBreakdown
from tests.integration.projections.crm.support import Crm, jan, jan_day


@pytest.fixture
def two_campaigns(services) -> Crm:
    crm = Crm(services)
    crm.plan("spring", channel="email", fixed="90")
    crm.plan("autumn", channel="sms", fixed="10")
    crm.plan("never-sent", channel="post", fixed="500")
    crm.register("c1", "gold")
    crm.send("m1", "c1", "spring", jan(5), cost="1.00")
    crm.send("m2", "c2", "spring", jan(6), cost="1.00")
    crm.send("m3", "c3", "spring", jan(6), cost="1.00")
    crm.send("m4", "c4", "autumn", jan(6), cost="0.10", channel="sms")
    crm.project(page_size=3)
    return crm


def test_the_fixed_cost_is_spread_over_days_in_proportion_to_sent(two_campaigns):
    rows = {row["day"]: row for row in two_campaigns.metrics(("day",))}
    assert rows[jan_day(5)]["fixed_cost"] == Decimal("30")  # 90 x 1/3
    assert rows[jan_day(6)]["fixed_cost"] == Decimal("70")  # 90 x 2/3 + 10 x 1/1
    assert rows[jan_day(6)]["cost"] == Decimal("72.10")  # 70 + 1.00 + 1.00 + 0.10


def test_grouped_by_campaign_each_carries_its_whole_fixed_cost(two_campaigns):
    rows = {row["campaign"]: row["cost"] for row in two_campaigns.metrics(("campaign",))}
    assert rows == {
        "spring": Decimal("93.00"),
        "autumn": Decimal("10.10"),
        "never-sent": Decimal("500"),  # no sends: its whole fixed cost
    }


def test_a_campaign_never_sent_carries_its_whole_fixed_cost_on_its_planned_day(two_campaigns):
    """METRICS.md "cost": a campaign with no sends at all carries its whole fixed cost on
    the day it was planned (Jan 1 here), in no segment."""
    assert two_campaigns.total()["cost"] == Decimal("603.10")  # 90 + 10 + 500 + 3.10
    planned = {row["day"]: row for row in two_campaigns.metrics(("day", "campaign"))}
    assert planned[jan_day(1)]["campaign"] == "never-sent"
    assert (planned[jan_day(1)]["sent"], planned[jan_day(1)]["cost"]) == (0, Decimal("500"))
    after = two_campaigns.total(first=jan_day(2), last=jan_day(31))
    assert after["cost"] == Decimal("103.10")  # the planned day is outside this range


def test_a_partial_date_range_carries_the_share_of_its_sends(two_campaigns):
    row = two_campaigns.total(first=jan_day(6), last=jan_day(6))
    assert row["fixed_cost"] == Decimal("70")


def test_segments_split_the_fixed_cost_by_their_sends(two_campaigns):
    rows = {row["segment"]: row["fixed_cost"] for row in two_campaigns.metrics(("segment",))}
    assert rows == {"gold": Decimal("30"), "unknown": Decimal("70"), None: Decimal("500")}


def test_a_filter_keeps_only_its_channel(two_campaigns):
    row = two_campaigns.total(filters={"channel": "sms"})
    assert (row["sent"], row["cost"]) == (1, Decimal("10.10"))


def test_filters_and_breakdowns_combine(two_campaigns):
    rows = two_campaigns.metrics(("channel", "segment"), filters={"campaign": "spring"})
    keyed = {(r["channel"], r["segment"]): r["sent"] for r in rows}
    assert keyed == {("email", "gold"): 1, ("email", "unknown"): 2}


def test_an_unknown_breakdown_is_refused(two_campaigns):
    with pytest.raises(UnknownBreakdown) as refused:
        two_campaigns.metrics(("agent",))
    assert "campaign" in refused.value.allowed


def test_an_unknown_filter_is_refused(two_campaigns):
    with pytest.raises(UnknownBreakdown):
        two_campaigns.metrics(filters={"queue": "billing"})


def test_contact_pressure_has_only_the_day_breakdown(two_campaigns):
    with pytest.raises(UnknownBreakdown):
        two_campaigns.pressure(jan_day(1), jan_day(9), group_by=("campaign",))
