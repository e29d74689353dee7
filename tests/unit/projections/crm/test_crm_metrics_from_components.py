"""CRM metric formulas (METRICS.md, "CRM view") on hand-made components, no database."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from projections.crm.queries import metrics_from_components, pressure_from_counts


def components(**over):
    row = {
        "sent": 1000, "bounced": 50, "unit_cost": Decimal("450.00"), "responders": 95,
        "converters": 38, "revenue": Decimal("3800.00"), "opt_outs": 19, "held_back": 500,
        "control_responders": 25, "control_converters": 10, "control_revenue": Decimal("700"),
        "fixed_cost": Decimal("500"), "reached_customers": 900, "responding_customers": 90,
        "converting_customers": 36, "control_customers": 500, "control_campaigns": 1,
        "uncredited_responses_outside_window": 4, "uncredited_responses_bounced": 2,
        "uncredited_conversions_outside_window": 1, "uncredited_conversions_bounced": 0,
        "uncredited_value_outside_window": Decimal("80"), "uncredited_value_bounced": Decimal(0),
    }  # fmt: skip
    return row | over


def test_rates_are_over_delivered_and_cost_includes_the_fixed_cost():
    """METRICS.md: delivered = sent - bounced; rates / delivered; cost = units + fixed."""
    m = metrics_from_components(components(), {})
    assert m["delivered"] == 950
    assert m["response_rate"] == pytest.approx(95 / 950)
    assert m["conversion_rate"] == pytest.approx(38 / 950)
    assert m["conversions_per_response"] == pytest.approx(38 / 95)
    assert m["cost"] == Decimal("950.00")
    assert m["cost_per_response"] == Decimal("10.0000")  # 950 / 95, money: a Decimal
    assert m["cost_per_acquisition"] == Decimal("25.0000")  # 950 / 38
    assert m["roi"] == pytest.approx((3800 - 950) / 950)
    assert m["opt_out_rate"] == pytest.approx(19 / 950)


def test_lift_and_its_interval_follow_the_two_proportion_formula():
    """METRICS.md: lift = p1 - p2 in pp, 95 % interval 1.96 sqrt(p1q1/n1 + p2q2/n2)."""
    m = metrics_from_components(components(), {})
    p1, p2 = 95 / 950, 25 / 500  # 10 % mailed, 5 % control
    margin = 100 * 1.96 * math.sqrt(p1 * (1 - p1) / 950 + p2 * (1 - p2) / 500)
    assert m["response_lift_pp"] == pytest.approx(5.0)
    assert m["response_lift_margin_pp"] == pytest.approx(margin)
    assert m["response_lift_margin_pp"] == pytest.approx(
        2.6998, abs=1e-4
    )  # 196 x sqrt(0.09/950 + 0.0475/500)
    low, high = m["response_lift_ci_pp"]
    assert (low, high) == pytest.approx((5.0 - margin, 5.0 + margin))


def test_incremental_revenue_and_roi():
    """METRICS.md: (revenue/delivered - control revenue/held back) x delivered; ROI on cost."""
    m = metrics_from_components(components(), {})
    assert m["incremental_revenue"] == Decimal("2470.00")  # (4.00 - 1.40) x 950
    assert m["incremental_roi"] == pytest.approx((2470 - 950) / 950)


def test_without_a_control_group_there_is_no_lift_nor_incremental_figure():
    empty = {"held_back": 0, "control_responders": 0, "control_converters": 0}
    m = metrics_from_components(components(**empty, control_revenue=0), {})
    assert m["control_response_rate"] is None
    assert m["response_lift_pp"] is m["conversion_lift_ci_pp"] is None
    assert m["incremental_revenue"] is m["incremental_roi"] is None


def test_group_columns_are_returned_under_their_breakdown_names():
    m = metrics_from_components(components(campaign_id="spring"), {"campaign_id": "campaign"})
    assert m["campaign"] == "spring"


def test_zero_customers_on_a_day_gives_no_over_cap_share():
    row = {"day": None, "customers": 0, "band_1": 0, "band_2": 0, "band_3": 0, "band_4": 0,
           "band_5": 0, "over_cap": 0}  # fmt: skip
    assert pressure_from_counts(row, 4)["over_cap_share"] is None


def test_the_zero_band_is_the_population_less_everyone_mailed():
    row = {"day": None, "customers": 10, "band_1": 3, "band_2": 2, "band_3": 0, "band_4": 1,
           "band_5": 1, "over_cap": 1}  # fmt: skip
    day = pressure_from_counts(row, 4)
    assert day["distribution"] == {"0": 3, "1": 3, "2": 2, "3": 0, "4": 1, "5+": 1}
    assert day["over_cap_share"] == pytest.approx(1 / 10)


def test_per_customer_rates_divide_distinct_customers_by_the_reached():
    """METRICS.md "per-customer rates": responding / converting customers over reached
    customers (distinct customers with a delivered send), beside the per-send rates."""
    m = metrics_from_components(components(), {})
    assert (m["reached_customers"], m["responding_customers"]) == (900, 90)
    assert m["customer_response_rate"] == pytest.approx(90 / 900)
    assert m["customer_conversion_rate"] == pytest.approx(36 / 900)
    assert m["response_rate"] == pytest.approx(95 / 950)  # per send, unchanged


def test_revenue_per_mailed_and_incremental_revenue_per_mailed_are_returned():
    """METRICS.md "incremental revenue": revenue of mailed / delivered - revenue of
    control / held back, here 3800 / 950 - 700 / 500 = 4.00 - 1.40 = 2.60 per mailed."""
    m = metrics_from_components(components(), {})
    assert m["revenue_per_mailed"] == Decimal("4.0000")
    assert m["control_revenue_per_held_back"] == Decimal("1.4000")
    assert m["incremental_revenue_per_mailed"] == Decimal("2.6000")


def test_uncredited_follow_ups_are_reported_by_reason_with_their_value():
    """METRICS.md "crediting": uncredited responses and conversions, count and value."""
    m = metrics_from_components(components(), {})
    assert m["uncredited_responses_outside_window"] == 4
    assert m["uncredited_responses_bounced"] == 2
    assert m["uncredited_conversions_outside_window"] == 1
    assert m["uncredited_value_outside_window"] == Decimal("80.0000")


def test_a_control_group_shared_by_campaigns_is_flagged():
    """Several campaigns holding back the same customers: the control counts are hold-backs
    per campaign (500), not people (300), and the row says so."""
    assert metrics_from_components(components(), {})["control_shared"] is False
    shared = components(control_customers=300, control_campaigns=2)
    assert metrics_from_components(shared, {})["control_shared"] is True
    apart = components(control_customers=500, control_campaigns=2)
    assert metrics_from_components(apart, {})["control_shared"] is False
