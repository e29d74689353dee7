"""Every CRM metric of METRICS.md ("CRM view") on one hand-computed campaign.

The campaign "spring" (email, fixed cost 100, attribution window 30 days):

- 5 mailshots sent on Jan 5 to c1..c5 at 2.00 each; m5 bounces, m4 has a delivery
  receipt (which must not change the count);
- m1 responds twice and converts twice (60 + 15), m2 responds and converts (25),
  m3 responds only;
- 4 recipients held back (control group) on Jan 5; h1 responds and converts (20);
- c1 withdraws email consent on Jan 10 (inside the window), c2 withdraws sms (not the
  campaign's channel), c3 withdraws email on Feb 20 (after the window closed on Feb 4).
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from tests.integration.projections.crm.support import Crm, jan, jan_day


@pytest.fixture
def spring(services) -> Crm:
    crm = Crm(services)
    crm.plan("spring", channel="email", fixed="100", window=30)
    for n in range(1, 6):
        crm.send(f"m{n}", f"c{n}", "spring", jan(5), cost="2.00")
    for n in range(1, 5):
        crm.hold(f"h{n}", f"c{n + 5}", "spring", jan(5))
    crm.bounce("m5", jan(6))
    crm.deliver("m4", jan(6))
    crm.respond("m1", jan(7))
    crm.respond("m1", jan(8))
    crm.respond("m2", jan(10))
    crm.respond("m3", jan(20))
    crm.convert("m1", jan(8), "60")
    crm.convert("m1", jan(15), "15")
    crm.convert("m2", jan(12), "25")
    crm.respond("h1", jan(9))
    crm.convert("h1", jan(9), "20")
    crm.consent("c1", "email", jan(10))
    crm.consent("c2", "sms", jan(10))
    crm.consent("c3", "email", jan(51))
    crm.project(page_size=4)
    return crm


def test_sent_delivered_and_bounced_count_mailshots_and_ignore_delivery_receipts(spring):
    """METRICS.md: sent, delivered, bounced: delivered = sent - bounced."""
    row = spring.total()
    assert (row["sent"], row["bounced"], row["delivered"]) == (5, 1, 5 - 1)


def test_response_rate_counts_each_responding_recipient_once_over_delivered(spring):
    """METRICS.md: response rate = distinct responding recipients / delivered."""
    row = spring.total()
    assert row["responses"] == 3  # m1 (twice), m2, m3
    assert row["response_rate"] == pytest.approx(3 / 4)


def test_conversion_rate_is_over_delivered_and_also_per_response(spring):
    """METRICS.md: conversion rate = distinct converters / delivered; per response too."""
    row = spring.total()
    assert row["conversions"] == 2  # m1 (twice), m2
    assert row["conversion_rate"] == pytest.approx(2 / 4)
    assert row["conversions_per_response"] == pytest.approx(2 / 3)


def test_cost_is_unit_costs_plus_the_fixed_cost_once(spring):
    """METRICS.md: cost = sum of unit costs + the campaign's fixed cost."""
    row = spring.total()
    assert row["unit_cost"] == Decimal("10.00")  # 5 x 2.00, the bounced one included
    assert row["fixed_cost"] == Decimal("100")
    assert row["cost"] == Decimal("110")


def test_cost_per_response_and_per_acquisition_divide_cost(spring):
    """METRICS.md: cost per response = cost / responses; CPA = cost / conversions."""
    row = spring.total()
    assert row["cost_per_response"] == Decimal("36.6667")  # 110 / 3, money to 4 places
    assert row["cost_per_acquisition"] == Decimal("55")  # 110 / 2


def test_revenue_sums_every_credited_conversion_and_roi_nets_the_cost(spring):
    """METRICS.md: revenue = sum of conversion values; ROI = (revenue - cost) / cost."""
    row = spring.total()
    assert row["revenue"] == Decimal("100")  # 60 + 15 + 25
    assert row["roi"] == pytest.approx((100 - 110) / 110)


def test_the_control_group_rates_are_over_those_held_back(spring):
    """METRICS.md: control response/conversion rate = responders/converters / held back."""
    row = spring.total()
    assert row["control_held_back"] == 4
    assert row["control_response_rate"] == pytest.approx(1 / 4)
    assert row["control_conversion_rate"] == pytest.approx(1 / 4)
    assert row["control_revenue"] == Decimal("20")


def test_lift_is_in_percentage_points_with_its_95_percent_interval(spring):
    """METRICS.md: lift = rate - control rate (pp), +- 1.96 sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)."""
    row = spring.total()
    p1, p2, n1, n2 = 3 / 4, 1 / 4, 4, 4
    margin = 100 * 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    assert row["response_lift_pp"] == pytest.approx(50.0)
    assert row["response_lift_margin_pp"] == pytest.approx(margin)
    assert row["response_lift_margin_pp"] == pytest.approx(60.0125, abs=1e-4)
    assert row["response_lift_ci_pp"] == pytest.approx((50.0 - margin, 50.0 + margin))
    c1, c2 = 2 / 4, 1 / 4
    conversion_margin = 100 * 1.96 * math.sqrt(c1 * (1 - c1) / n1 + c2 * (1 - c2) / n2)
    assert row["conversion_lift_pp"] == pytest.approx(25.0)
    assert row["conversion_lift_margin_pp"] == pytest.approx(conversion_margin)
    assert row["conversion_lift_margin_pp"] == pytest.approx(64.8209, abs=1e-4)


def test_incremental_revenue_scales_the_revenue_difference_per_head_to_delivered(spring):
    """METRICS.md: incremental revenue = (rev/delivered - control rev/held back) x delivered."""
    row = spring.total()
    assert row["incremental_revenue"] == Decimal("80")  # (100/4 - 20/4) x 4
    assert row["incremental_roi"] == pytest.approx((80 - 110) / 110)


def test_opt_out_rate_counts_withdrawals_for_the_channel_inside_the_window(spring):
    """METRICS.md: opt-out rate = channel withdrawals within the window / delivered."""
    row = spring.total()
    assert row["opt_outs"] == 1  # c1 only: c2 withdrew sms, c3 after the window
    assert row["opt_out_rate"] == pytest.approx(1 / 4)


def test_grouping_by_campaign_and_day_gives_the_same_figures_keyed(spring):
    [row] = spring.metrics(("campaign", "day"))
    assert (row["campaign"], row["day"]) == ("spring", jan_day(5))
    assert row["cost"] == Decimal("110")
    assert row["response_lift_pp"] == pytest.approx(50.0)


def test_a_date_range_without_sends_has_zero_counts_and_no_ratios(spring):
    row = spring.total(first=jan_day(6), last=jan_day(30))
    assert (row["sent"], row["control_held_back"], row["cost"]) == (0, 0, Decimal(0))
    assert row["response_rate"] is None
    assert row["roi"] is None
    assert row["response_lift_pp"] is None
    assert row["incremental_revenue"] is None


def test_ratios_are_none_when_their_denominator_is_zero(services):
    """Everything bounced, nothing held back, nothing paid: every ratio is None."""
    crm = Crm(services)
    crm.plan("free", fixed="0")
    crm.send("m1", "c1", "free", jan(5), cost="0")
    crm.bounce("m1", jan(6))
    crm.project()
    row = crm.total()
    assert (row["sent"], row["delivered"]) == (1, 0)
    for name in ("response_rate", "conversion_rate", "conversions_per_response",
                 "cost_per_response", "cost_per_acquisition", "roi", "opt_out_rate",
                 "control_response_rate", "response_lift_pp", "conversion_lift_ci_pp",
                 "incremental_revenue", "incremental_roi"):  # fmt: skip
        assert row[name] is None, name
