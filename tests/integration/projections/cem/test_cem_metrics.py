"""The cem view's survey metrics, hand-computed from METRICS.md ("CEM view")."""

from __future__ import annotations

import math

import pytest

from projections.query import UnknownBreakdown
from tests.integration.projections.cem.support import DAY0, T0, CemHarness, D, H, call, day, reply


@pytest.fixture
def cem(services):
    return CemHarness(services, page_size=250)


def test_the_nps_reference_check_gives_30_with_a_margin_of_4_8(cem):
    """METRICS.md reference check: 500 promoters, 300 passives, 200 detractors ->
    NPS 30.0, margin ±4.8 (1.96 x 100 x sqrt(((p + d) - (p - d)^2) / n))."""
    scores = [10] * 250 + [9] * 250 + [8] * 150 + [7] * 150 + [6] * 100 + [0] * 100
    cem.record(*(reply(f"r{i}", f"C{i}", nps=s) for i, s in enumerate(scores)))
    total = cem.total()
    assert (total["promoters"], total["passives"], total["detractors"]) == (500, 300, 200)
    assert total["n"] == 1000
    assert total["nps"] == pytest.approx(30.0)
    assert round(total["nps_margin"], 1) == 4.8
    assert total["too_few"] is False


def test_fewer_than_30_nps_replies_are_flagged_too_few(cem):
    """METRICS.md: n < 30 is flagged as too few. 29 replies -> flagged; the 30th clears it.
    Replies without an NPS score are not part of n."""
    cem.record(*(reply(f"r{i}", nps=9) for i in range(29)), reply("csat-only", csat=5))
    assert (cem.total()["n"], cem.total()["too_few"]) == (29, True)
    assert cem.total()["replies"] == 30
    cem.record(reply("r29", nps=3))
    total = cem.total()
    assert (total["n"], total["too_few"]) == (30, False)
    # 29 promoters, 1 detractor: NPS = 100 x (29 - 1) / 30; p = 29/30, d = 1/30
    assert total["nps"] == pytest.approx(100 * 28 / 30)
    p, d = 29 / 30, 1 / 30
    assert total["nps_margin"] == pytest.approx(196 * math.sqrt(((p + d) - (p - d) ** 2) / 30))


def test_nps_buckets_split_at_6_7_and_8_9(cem):
    """METRICS.md: promoters 9-10, passives 7-8, detractors 0-6."""
    cem.record(*(reply(f"r{s}", nps=s) for s in range(11)))
    total = cem.total()
    assert (total["promoters"], total["passives"], total["detractors"]) == (2, 2, 7)
    assert total["nps"] == pytest.approx(100 * (2 - 7) / 11)


def test_csat_is_the_top_two_box_share_of_replies_with_a_csat_score(cem):
    """METRICS.md: CSAT = replies scoring 4 or 5 / replies with a CSAT score, in %.
    Scores 5, 4, 3, 1 and one reply without CSAT -> 2 / 4 = 50 %."""
    cem.record(
        reply("a", csat=5), reply("b", csat=4), reply("c", csat=3), reply("d", csat=1),
        reply("e", nps=8),
    )  # fmt: skip
    total = cem.total()
    assert (total["csat_replies"], total["csat_top2"]) == (4, 2)
    assert total["csat_pct"] == pytest.approx(50.0)


def test_effort_is_the_mean_score_and_the_share_scoring_5_to_7(cem):
    """METRICS.md: mean effort on 1-7 and share scoring 5-7.
    Scores 7, 5, 4, 1 -> mean 17 / 4 = 4.25, share 2 / 4 = 50 %."""
    cem.record(reply("a", effort=7), reply("b", effort=5), reply("c", effort=4))
    cem.record(reply("d", effort=1), reply("e", csat=2))
    total = cem.total()
    assert (total["effort_replies"], total["effort_sum"], total["effort_5_7"]) == (4, 17, 2)
    assert total["effort_mean"] == pytest.approx(4.25)
    assert total["effort_5_7_pct"] == pytest.approx(50.0)


def test_no_replies_give_no_ratios_rather_than_zero(cem):
    total = cem.total()
    assert total["replies"] == 0
    assert total["nps"] is None
    assert total["csat_pct"] is None
    assert total["too_few"] is True


def test_metrics_are_summed_over_the_date_range_and_split_by_breakdown(cem):
    """Days are reply days; a range sums its days; group_by splits, filters select."""
    cem.record(
        call("k1", queue="billing"), call("k2", "C2", queue="sales", agent_id="a2"),
        reply("r1", at=T0 + H, about="k1", nps=10, survey_kind="transactional"),
        reply("r2", "C2", at=T0 + D, about="k2", nps=0),
        reply("r3", at=T0 + 2 * D, nps=9, survey_kind="relationship"),
    )  # fmt: skip
    by_day = {r["day"]: r["n"] for r in cem.metrics(group_by=("day",))}
    assert by_day == {day(0): 1, day(1): 1, day(2): 1}
    assert cem.total(date_from=DAY0, date_to=day(1))["n"] == 2
    by_queue = {r["queue"]: r["nps"] for r in cem.metrics(group_by=("queue",))}
    assert by_queue == {"billing": 100.0, "sales": -100.0, None: 100.0}
    by_agent = cem.metrics(group_by=("agent", "survey_kind"), filters={"agent": "a2"})
    assert [(r["agent"], r["survey_kind"], r["n"]) for r in by_agent] == [
        ("a2", "transactional", 1)
    ]


def test_an_unknown_breakdown_or_filter_is_refused(cem):
    with pytest.raises(UnknownBreakdown):
        cem.metrics(group_by=("colour",))
    with pytest.raises(UnknownBreakdown):
        cem.metrics(filters={"agent_id; DROP TABLE cem_daily": "x"})


def test_boolean_and_day_breakdowns_can_be_filtered_with_their_text_form(cem):
    """Filters are equality on the breakdown's value as text (as an API query string)."""
    cem.record(
        call("first"),
        call("again", at=T0 + D),
        reply("r1", at=T0 + H, about="first", nps=10),
        reply("r2", at=T0 + D + H, about="again", nps=0),
    )
    assert cem.total(filters={"repeat_contact": "true"})["detractors"] == 1
    assert cem.total(filters={"repeat_contact": "false"})["promoters"] == 1
    assert cem.total(filters={"day": day(1).isoformat()})["n"] == 1
