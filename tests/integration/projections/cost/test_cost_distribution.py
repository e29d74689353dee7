"""Distribution of wait and handle times (issue 14 point 3: "the distribution of handle and
wait times (median and percentiles), since means alone mislead on skewed times"): nearest-
rank percentiles from the per-day histograms of ``cost_histograms``, summed over any range
and breakdown (rules in projections/cost/histogram.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from projections.config import ViewConfig
from projections.cost.distribution import cost_distribution
from projections.query import MetricQuery, UnknownBreakdown
from tests.integration.projections.cost.support import (
    DAY,
    LATER,
    T0,
    abandoned,
    call,
    correction,
    project,
    record,
    table,
)


def distribution(services, *group_by: str, days: int = 0, **filters: str) -> list[dict[str, Any]]:
    query = MetricQuery(DAY, DAY + timedelta(days=days), group_by, filters, LATER)
    with services.key_pool.connection() as conn:
        return cost_distribution(conn, query, ViewConfig())


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["calls"], row["p50"], row["p80"], row["p90"], row["p95"], row["max"], row["exact"]


@pytest.fixture
def ten_calls(services):
    """Ten answered calls on one day, a different customer each. Waits (s): 5, 12 x 6, 30,
    30, 700. Handled (talk) s: 100 x 5, 200 x 3, 400, 3650. One abandoned after 45 s."""
    waits = [5, 12, 12, 12, 12, 12, 12, 30, 30, 700]
    talks = [100] * 5 + [200] * 3 + [400, 3650]
    record(
        services,
        *(
            call(customer_ref=f"C{i}", occurred_at=T0 + timedelta(minutes=i), wait_seconds=w,
                 talk_seconds=t)
            for i, (w, t) in enumerate(zip(waits, talks, strict=True))
        ),
        abandoned(45, customer_ref="A1"),
    )  # fmt: skip
    project(services)


def test_percentiles_of_wait_and_handle_times_by_hand(services, ten_calls):
    """n = 10, ranks: p50 5, p80 8, p90 9, p95 10.
    Waits sorted 5, 12 x 6, 30, 30, 700: p50 12, p80 30, p90 30, p95 700 -> the top of its
    5-second bucket 700..704 = 704, max 704, not exact.
    Handled sorted 100 x 5, 200 x 3, 400, 3650: p50 100, p80 200, p90 400, p95 3650, in the
    30-second bucket 3630..3659 -> 3659.
    Abandoned waits: one call of 45 s: every percentile 45, exact."""
    wait, handle, abandon = distribution(services)
    assert (wait["measure"], handle["measure"], abandon["measure"]) == (
        "wait", "handle", "abandon_wait"
    )  # fmt: skip
    assert figures(wait) == (10, 12, 30, 30, 704, 704, False)
    assert figures(handle) == (10, 100, 200, 400, 3659, 3659, False)
    assert figures(abandon) == (1, 45, 45, 45, 45, 45, True)


def test_days_add_their_buckets_before_the_percentiles_are_read(services):
    """Day 1: waits 10, 10; day 2: waits 40, 50. Each day's median is its own (10; 40),
    the two days together: 10, 10, 40, 50 -> rank 2 = 10, p80 rank ceil(3.2) = 4 -> 50."""
    record(
        services,
        call(customer_ref="A", wait_seconds=10),
        call(customer_ref="B", wait_seconds=10),
        call(customer_ref="C", wait_seconds=40, occurred_at=T0 + timedelta(days=1)),
        call(customer_ref="D", wait_seconds=50, occurred_at=T0 + timedelta(days=1)),
    )
    project(services)
    per_day = [r for r in distribution(services, "day", days=1) if r["measure"] == "wait"]
    assert [(r["day"], r["p50"]) for r in per_day] == [(DAY, 10), (DAY + timedelta(days=1), 40)]
    [both] = [r for r in distribution(services, days=1) if r["measure"] == "wait"]
    assert (both["p50"], both["p80"]) == (10, 50)


def test_a_handle_time_correction_moves_the_call_to_its_new_bucket(services, database_url):
    """Talk 100 s corrected to 250 s: the 100 s bucket is emptied (dropped), 250 s holds it."""
    first = call(talk_seconds=100)
    record(services, first)
    project(services)
    record(services, correction(first, talk_seconds=250))
    project(services)
    rows = table(
        database_url,
        "SELECT low_seconds, calls FROM cost_histograms WHERE measure = 'handle'",
    )
    assert rows == [(250, 1)]
    [_, handle, _] = distribution(services)
    assert handle["p50"] == 250


def test_a_filter_and_a_breakdown_narrow_the_distribution(services, ten_calls):
    record(services, call(customer_ref="S", queue="sales", wait_seconds=90))
    project(services)
    [wait] = [r for r in distribution(services, queue="sales") if r["measure"] == "wait"]
    assert (wait["calls"], wait["p50"]) == (1, 90)
    queues = {(r["queue"], r["measure"]): r["calls"] for r in distribution(services, "queue")}
    assert queues[("billing", "wait")] == 10
    assert queues[("sales", "abandon_wait")] == 0


def test_no_staffing_interval_breakdown_on_per_day_histograms(services):
    with pytest.raises(UnknownBreakdown):
        distribution(services, "interval")
