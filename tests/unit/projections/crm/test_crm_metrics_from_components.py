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
        "fixed_cost": Decimal("500"),
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
    assert m["cost_per_response"] == pytest.approx(950 / 95)
    assert m["cost_per_acquisition"] == pytest.approx(950 / 38)
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
    row = {"day": None, "customers": 0, "band_1": 0, "band_2": 0, "band_3_4": 0, "band_5": 0,
           "over_cap": 0}  # fmt: skip
    assert pressure_from_counts(row, 4)["over_cap_share"] is None


def test_the_zero_band_is_the_population_less_everyone_mailed():
    row = {"day": None, "customers": 10, "band_1": 3, "band_2": 2, "band_3_4": 1, "band_5": 1,
           "over_cap": 1}  # fmt: skip
    day = pressure_from_counts(row, 4)
    assert day["distribution"] == {"0": 3, "1": 3, "2": 2, "3-4": 1, "5+": 1}
    assert day["over_cap_share"] == pytest.approx(1 / 10)
