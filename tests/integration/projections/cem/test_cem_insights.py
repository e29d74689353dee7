"""Insights: NPS with margin and n beside reply volume by handle-time band, repeat contact
and contact-pressure band (DESIGN.md: does efficiency or mailshot pressure cost advocacy?)."""

from __future__ import annotations

import math

import pytest

from tests.integration.projections.cem.support import (
    T0,
    CemHarness,
    D,
    H,
    call,
    campaign,
    mailshot,
    reply,
)


@pytest.fixture
def cem(services):
    return CemHarness(services, page_size=50)


def _margin(p, d, n):
    """METRICS.md: 1.96 x 100 x sqrt(((p + d) - (p - d)^2) / n)."""
    return 196 * math.sqrt(((p + d) - (p - d) ** 2) / n)


def test_insights_put_nps_beside_volume_for_each_dimension(cem):
    """Customer A: short first call, promoter. Customer B: long repeat call, detractor
    under 5 mailshots. Plus a CSAT-only reply of A (volume but no NPS)."""
    cem.record(
        campaign(),
        call("a1", "A", talk_seconds=60),
        reply("ra", "A", at=T0 + H, about="a1", nps=10),
        reply("ra2", "A", at=T0 + H, about="a1", csat=4),
        call("b0", "B", at=T0 - D, talk_seconds=60),
        call("b1", "B", talk_seconds=700),
        *(mailshot(f"m{i}", "B", at=T0 - i * D) for i in range(5)),
        reply("rb", "B", at=T0 + H, about="b1", nps=2),
    )
    rows = {(r["dimension"], r["value"]): r for r in cem.insights(at=T0 + 10 * D)}
    assert set(rows) == {
        ("handle_time_band", "<3"), ("handle_time_band", ">10"),
        ("repeat_contact", False), ("repeat_contact", True),
        ("pressure_band", "0"), ("pressure_band", "5+"),
    }  # fmt: skip
    short = rows[("handle_time_band", "<3")]
    assert (short["replies"], short["n"], short["nps"]) == (2, 1, 100.0)
    assert short["too_few"] is True
    assert short["nps_margin"] == pytest.approx(_margin(1, 0, 1))  # 0: one promoter
    long = rows[("pressure_band", "5+")]
    assert (long["replies"], long["n"], long["nps"]) == (1, 1, -100.0)
    assert rows[("repeat_contact", True)]["nps"] == -100.0


def test_insights_can_be_split_further_by_the_querys_breakdowns(cem):
    cem.record(
        call("a", "A", queue="billing"),
        call("b", "B", queue="sales", talk_seconds=400),
        *(reply(f"ra{i}", "A", at=T0 + H, about="a", nps=9) for i in range(2)),
        reply("rb", "B", at=T0 + H, about="b", nps=8),
        reply("rb2", "B", at=T0 + H, about="b", nps=0),
    )
    rows = cem.insights(group_by=("queue",), filters={"queue": "sales"})
    bands = [
        (r["queue"], r["value"], r["n"], r["nps"])
        for r in rows
        if r["dimension"] == "handle_time_band"
    ]
    assert bands == [("sales", "6-10", 2, -50.0)]
    p, d, n = 0.0, 0.5, 2
    [band] = [r for r in rows if r["dimension"] == "handle_time_band"]
    assert band["nps_margin"] == pytest.approx(_margin(p, d, n))
