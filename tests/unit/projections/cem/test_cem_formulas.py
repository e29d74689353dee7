"""The cem view's arithmetic without a database (METRICS.md "CEM view")."""

from __future__ import annotations

import math

import pytest

from projections.cem.queries import nps_summary, ratios


def test_the_nps_reference_check_is_30_plus_or_minus_4_8():
    """METRICS.md reference check: 500 / 300 / 200 -> NPS 30.0, margin 4.8.
    By hand: p = 0.5, d = 0.2, (0.7 - 0.09) / 1000 = 0.00061, sqrt = 0.024698,
    x 196 = 4.841."""
    summary = nps_summary(500, 300, 200)
    assert summary["nps"] == pytest.approx(30.0)
    assert summary["nps_margin"] == pytest.approx(4.8408, abs=1e-4)
    assert (summary["n"], summary["too_few"]) == (1000, False)


def test_nps_runs_from_minus_100_to_100():
    assert nps_summary(0, 0, 7)["nps"] == -100.0
    assert nps_summary(7, 0, 0)["nps"] == 100.0
    # all one bucket: no spread, so no margin
    assert nps_summary(7, 0, 0)["nps_margin"] == 0.0


def test_29_replies_are_too_few_and_30_are_not():
    """METRICS.md: n < 30 is flagged as too few."""
    assert nps_summary(10, 10, 9)["too_few"] is True
    assert nps_summary(10, 10, 10)["too_few"] is False


def test_no_nps_replies_give_no_nps_and_are_too_few():
    assert nps_summary(0, 0, 0) == {"n": 0, "nps": None, "nps_margin": None, "too_few": True}


def test_the_margin_follows_the_formula_for_an_uneven_split():
    """3 promoters, 1 passive, 1 detractor: p = 0.6, d = 0.2, n = 5,
    1.96 x 100 x sqrt((0.8 - 0.16) / 5) = 196 x sqrt(0.128)."""
    assert nps_summary(3, 1, 1)["nps_margin"] == pytest.approx(196 * math.sqrt(0.128))


def _components(**given):
    row = dict.fromkeys(
        ("promoters", "passives", "detractors", "csat_replies", "csat_top2", "effort_replies",
         "effort_sum", "effort_5_7", "closed", "expired"), 0,
    )  # fmt: skip
    return row | given


def test_csat_effort_and_closed_loop_are_ratios_of_their_components():
    """CSAT = top two / with CSAT (%); effort = sum / with effort, share 5-7 (%);
    closed loop = closed / (closed + expired) (%)."""
    metrics = ratios(
        _components(csat_replies=8, csat_top2=6, effort_replies=4, effort_sum=18, effort_5_7=3,
                    closed=3, expired=1)
    )  # fmt: skip
    assert metrics["csat_pct"] == pytest.approx(75.0)
    assert metrics["effort_mean"] == pytest.approx(4.5)
    assert metrics["effort_5_7_pct"] == pytest.approx(75.0)
    assert metrics["closed_loop_pct"] == pytest.approx(75.0)


def test_ratios_without_a_denominator_are_none():
    metrics = ratios(_components())
    assert [metrics[k] for k in ("csat_pct", "effort_mean", "effort_5_7_pct")] == [None] * 3
    assert metrics["closed_loop_pct"] is None
