"""Staffing intervals of the cost view (issue 14 point 3): per interval of 15, 30 or 60
minutes of wall-clock time in the centre's time zone, the METRICS.md "Cost view"
components and ratios (offered, answered, abandoned, ASA, AHT, service level: the inputs of
an Erlang C calculation), summed from the 15-minute slots of ``cost_intervals``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from projections.config import ViewConfig
from projections.cost.queries import CostQuery, cost_metrics
from tests.integration.projections.cost.support import (
    abandoned,
    call,
    correction,
    project,
    record,
    table,
)

LONDON = ViewConfig(timezone="Europe/London")
BST = timezone(timedelta(hours=1))
GMT = timezone(timedelta(0))


def intervals(services, config, minutes, *group_by, on: date, **filters) -> list[dict[str, Any]]:
    query = CostQuery(on, on, group_by, filters, datetime(2027, 1, 1, tzinfo=UTC), minutes)
    with services.key_pool.connection() as conn:
        return cost_metrics(conn, query, config)


def utc(day: int, hour: int, minute: int, second: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def morning(services):
    """2 June 2026 (BST, UTC+1), billing: answered 09:00:00 (wait 10, handled 100), answered
    09:14:59 (wait 30, handled 200), abandoned 09:15 after 40 s, answered 09:31 (wait 20,
    handled 300, a different customer), abandoned 09:40 after 3 s (short, S = 5)."""
    record(
        services,
        call(occurred_at=utc(2, 8, 0), wait_seconds=10, talk_seconds=100),
        call(occurred_at=utc(2, 8, 14, 59), wait_seconds=30, talk_seconds=150,
             hold_seconds=20, after_call_work_seconds=30, customer_ref="C2"),
        abandoned(40, occurred_at=utc(2, 8, 15), customer_ref="C3"),
        call(occurred_at=utc(2, 8, 31), wait_seconds=20, talk_seconds=300, customer_ref="C4"),
        abandoned(3, occurred_at=utc(2, 8, 40), customer_ref="C5"),
    )  # fmt: skip
    project(services, LONDON)


def test_quarter_hours_give_the_erlang_c_inputs_per_interval(services, morning):
    """09:00: 2 offered, 2 answered, ASA (10 + 30) / 2 = 20, AHT (100 + 200) / 2 = 150,
    service level 1 / 2 (30 s > T = 20). 09:15: 1 abandoned, service level 0 / 1.
    09:30: 1 answered (wait 20 <= T), 1 short abandon: service level 1 / (2 - 1) = 1,
    abandonment (1 - 1) / (2 - 1) = 0."""
    rows = intervals(services, LONDON, 15, "interval", on=date(2026, 6, 2))
    got = [
        (r["interval"], r["offered"], r["answered"], r["abandoned"], r["asa"], r["aht"],
         r["service_level"], r["abandonment_rate"])
        for r in rows
    ]  # fmt: skip
    assert got == [
        (datetime(2026, 6, 2, 9, 0, tzinfo=BST), 2, 2, 0, 20.0, 150.0, 0.5, 0.0),
        (datetime(2026, 6, 2, 9, 15, tzinfo=BST), 1, 0, 1, None, None, 0.0, 1.0),
        (datetime(2026, 6, 2, 9, 30, tzinfo=BST), 2, 1, 1, 20.0, 300.0, 1.0, 0.0),
    ]


def test_half_hours_and_hours_are_sums_of_quarter_hours(services, morning):
    """30 min: 09:00 holds the first three calls (3 offered, 2 answered), 09:30 the last
    two. 60 min: one interval of 5 offered, 3 answered, ASA 60 / 3 = 20, AHT 600 / 3."""
    halves = intervals(services, LONDON, 30, "interval", on=date(2026, 6, 2))
    assert [(r["interval"].time().isoformat(), r["offered"], r["answered"]) for r in halves] == [
        ("09:00:00", 3, 2),
        ("09:30:00", 2, 1),
    ]
    [hour] = intervals(services, LONDON, 60, "interval", on=date(2026, 6, 2))
    assert (hour["offered"], hour["answered"], hour["asa"], hour["aht"]) == (5, 3, 20.0, 200.0)


def test_the_intervals_of_a_day_add_up_to_its_daily_figures(services, morning):
    [day] = intervals(services, LONDON, 15, "day", on=date(2026, 6, 2))
    rows = intervals(services, LONDON, 15, "interval", on=date(2026, 6, 2))
    for name in ("offered", "answered", "abandoned", "handled_seconds", "service_level_hits"):
        assert sum(r[name] for r in rows) == day[name]


def test_an_interval_can_be_broken_down_and_filtered_by_queue(services, morning):
    record(services, call(occurred_at=utc(2, 8, 5), queue="sales", customer_ref="C9"))
    project(services, LONDON)
    rows = intervals(services, LONDON, 60, "interval", "queue", on=date(2026, 6, 2))
    assert [(r["queue"], r["offered"]) for r in rows] == [("billing", 5), ("sales", 1)]
    [sales] = intervals(services, LONDON, 60, "interval", on=date(2026, 6, 2), queue="sales")
    assert sales["offered"] == 1


def test_the_hour_repeated_when_clocks_go_back_is_two_intervals(services):
    """25 October 2026, London: calls at 01:10 BST (00:10 UTC) and 01:10 GMT (01:10 UTC)
    are in two one-hour intervals, 01:00+01:00 and 01:00+00:00; by time of day they are
    one (wall clock)."""
    record(
        services,
        call(occurred_at=utc(25, 0, 10, month=10)),
        call(occurred_at=utc(25, 1, 10, month=10), customer_ref="C2"),
    )
    project(services, LONDON)
    rows = intervals(services, LONDON, 60, "interval", on=date(2026, 10, 25))
    assert [(r["interval"], r["offered"]) for r in rows] == [
        (datetime(2026, 10, 25, 1, 0, tzinfo=BST), 1),
        (datetime(2026, 10, 25, 1, 0, tzinfo=GMT), 1),
    ]
    [by_time] = intervals(services, LONDON, 60, "time_of_day", on=date(2026, 10, 25))
    assert (by_time["time_of_day"], by_time["offered"]) == ("01:00", 2)


def test_the_hour_skipped_when_clocks_go_forward_has_no_interval(services):
    """29 March 2026, London: 00:50 UTC is 00:50 GMT, 01:05 UTC is 02:05 BST."""
    record(
        services,
        call(occurred_at=utc(29, 0, 50, month=3)),
        call(occurred_at=utc(29, 1, 5, month=3), customer_ref="C2"),
    )
    project(services, LONDON)
    rows = intervals(services, LONDON, 60, "interval", on=date(2026, 3, 29))
    assert [r["interval"] for r in rows] == [
        datetime(2026, 3, 29, 0, 0, tzinfo=GMT),
        datetime(2026, 3, 29, 2, 0, tzinfo=BST),
    ]


def test_arrivals_by_weekday_and_time_of_day(services):
    """Monday 1 and 8 June 2026 at 09:05 BST, Tuesday 2 June at 09:05 and 14:20 BST."""
    record(
        services,
        *(call(occurred_at=utc(d, 8, 5), customer_ref=f"C{d}") for d in (1, 8, 2)),
        call(occurred_at=utc(2, 13, 20), customer_ref="C20"),
    )
    project(services, LONDON)
    query = CostQuery(date(2026, 6, 1), date(2026, 6, 8), ("weekday", "time_of_day"), {}, None, 60)
    with services.key_pool.connection() as conn:
        rows = cost_metrics(conn, query, LONDON)
    assert [(r["weekday"], r["time_of_day"], r["offered"]) for r in rows] == [
        (1, "09:00", 2),
        (2, "09:00", 1),
        (2, "14:00", 1),
    ]


def test_a_queue_correction_moves_the_call_between_interval_rows(services, database_url):
    """The call leaves billing's 09:00 slot (emptied, so dropped) for sales' one."""
    first = call(occurred_at=utc(2, 8, 5))
    record(services, first)
    project(services, LONDON)
    record(services, correction(first, queue="sales"))
    project(services, LONDON)
    rows = table(database_url, "SELECT queue, slot, offered FROM cost_intervals")
    assert rows == [("sales", datetime(2026, 6, 2, 9, 0), 1)]


def test_unknown_interval_lengths_are_refused():
    with pytest.raises(ValueError, match="15, 30, 60"):
        CostQuery(date(2026, 6, 2), date(2026, 6, 2), interval_minutes=20)
