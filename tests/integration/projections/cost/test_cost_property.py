"""Property: for random call histories, (a) the cost view after incremental projection
with random page sizes and random stop/restart points equals (b) the view after one
rebuild from scratch, and both equal (c) the in-memory reference written from METRICS.md
(tests/unit/projections/cost/test_cost_reference.py).

Histories are drawn so the rules' edges come up often: calls 12 h apart (so exactly
7 days apart) give or take a second, chains of calls longer than twice W, ties at the
same instant, waits around S and T, corrections of queue, agent, reason and durations,
and a log order that is not the order of occurred_at.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from domain import commands as c
from domain.ids import call_stream_id
from projections.config import ViewConfig
from projections.cost.queries import cost_metrics
from projections.query import MetricQuery
from tests.integration.projections.cost.support import DAY, T0, call, correction, record, runner
from tests.unit.projections.cost import test_cost_reference as ref

DAILY = "SELECT * FROM cost_daily ORDER BY day, queue, agent, reason"
CALLS = "SELECT * FROM cost_calls ORDER BY call_id"
SLOTS = "SELECT * FROM cost_intervals ORDER BY day, slot, utc_offset, queue, agent, reason"
HISTOGRAMS = "SELECT * FROM cost_histograms ORDER BY day, queue, agent, reason, measure, 6"
JITTER = st.sampled_from([0, 0, 1, -1])
# Mostly within 10 days (many repeats), sometimes over 40 (chains longer than 2W).
HALF_DAYS = st.one_of(st.integers(0, 20), st.integers(0, 80))
GROUPINGS = [(), ("day",), ("queue", "reason"), ("agent",), ("day", "queue", "agent", "reason")]


@st.composite
def call_commands(draw: Any, index: int, customers: list[str]) -> c.RecordCall:
    answered = draw(st.booleans())
    seconds = st.integers(0, 300) if answered else st.just(0)
    return call(
        source_id=f"call-{index}",
        customer_ref=draw(st.sampled_from(customers)),
        reason=draw(st.sampled_from(["bill", "move"])),
        queue=draw(st.sampled_from(["billing", "sales"])),
        agent_id=draw(st.sampled_from([None, "A1", "A2"])),
        occurred_at=T0 + timedelta(hours=12 * draw(HALF_DAYS), seconds=draw(JITTER)),
        outcome="answered" if answered else "abandoned",
        wait_seconds=draw(st.sampled_from([0, 4, 5, 6, 19, 20, 21, 90])),
        talk_seconds=draw(seconds),
        hold_seconds=draw(seconds),
        after_call_work_seconds=draw(seconds),
        resolved=draw(st.booleans()),
        transferred=draw(st.booleans()),
    )  # fmt: skip


@st.composite
def corrections_of(draw: Any, recorded: c.RecordCall) -> c.CorrectCall:
    seconds = st.integers(0, 400) if recorded.outcome == "answered" else st.just(0)
    fields = {
        "queue": st.sampled_from(["billing", "sales", "service"]),
        "agent_id": st.sampled_from(["A1", "A2", "A3"]),
        "reason": st.sampled_from(["bill", "move"]),
        "talk_seconds": seconds,
        "hold_seconds": seconds,
        "after_call_work_seconds": seconds,
        "resolved": st.booleans(),
        "transferred": st.booleans(),
    }
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    return correction(recorded, **{name: draw(fields[name]) for name in names})


@st.composite
def histories(draw: Any) -> list[c.Command]:
    """Calls in a random log order, each correction somewhere after its call."""
    n = draw(st.integers(1, 16))
    customers = ["C1", "C2", "C3"][: draw(st.integers(1, 3))]  # one: long chains
    calls = [draw(call_commands(i, customers)) for i in range(n)]
    log: list[c.Command] = list(draw(st.permutations(calls)))
    for _ in range(draw(st.integers(0, 8))):
        target = draw(st.sampled_from(calls))
        after = log.index(target) + 1
        log.insert(draw(st.integers(after, len(log))), draw(corrections_of(target)))
    return log


def _chunks(draw: Any, items: list[Any]) -> list[list[Any]]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(items) - 1)), max_size=4)))
    bounds = [0, *[cut for cut in cuts if cut < len(items)], len(items)]
    return [items[a:b] for a, b in pairwise(bounds) if b > a]


def _project_incrementally(draw: Any, services: Any, config: ViewConfig, log: list[Any]) -> None:
    """Record the history batch by batch; after each, a freshly started runner with a
    random page size catches up, sometimes only up to a random position."""
    for batch in _chunks(draw, log):
        record(services, *batch)
        head = services.ledger.head_position()
        page_size = draw(st.integers(1, 7))
        until = draw(st.one_of(st.none(), st.integers(0, head)))
        runner(services, config, page_size).catch_up("cost", until=until)
    runner(services, config, draw(st.integers(1, 50))).catch_up("cost")


def _tables(services: Any) -> tuple[list[Any], ...]:
    with services.key_pool.connection() as conn:
        return tuple(conn.execute(q).fetchall() for q in (DAILY, CALLS, SLOTS, HISTOGRAMS))


def _reference_tables(calls: list[ref.RefCall], config: ViewConfig) -> tuple[dict, dict]:
    daily = ref.buckets(calls, config)
    links = {
        call_stream_id("acd", x.source_id): (
            ref.first_repeat_at(x, calls, config),
            ref.is_repeat(x, calls, config),
        )
        for x in calls
    }
    return daily, links


def _assert_matches_reference(tables, calls, config) -> None:
    daily_rows, call_rows, slot_rows, histogram_rows = tables
    daily, links = _reference_tables(calls, config)
    assert {row[:4]: row[4:] for row in daily_rows} == {
        key: tuple(values[name] for name in _COMPONENTS) for key, values in daily.items()
    }
    assert {row[0]: (row[15], row[16]) for row in call_rows} == links
    slots = ref.buckets(calls, config, ref.slot_key)  # staffing intervals: the same sums
    assert {row[:6]: row[6:] for row in slot_rows} == {
        key: tuple(values[name] for name in _COMPONENTS) for key, values in slots.items()
    }
    assert {row[:6]: row[6] for row in histogram_rows} == ref.histograms(calls, config)


_COMPONENTS = (
    "offered", "answered", "abandoned", "short_abandoned", "answered_wait_seconds",
    "talk_seconds", "hold_seconds", "after_call_work_seconds", "handled_seconds",
    "service_level_hits", "transferred", "resolved", "cost",
)  # fmt: skip


def _assert_metrics_match(services, calls, config, at) -> None:
    for group_by in GROUPINGS:
        query = MetricQuery(DAY - timedelta(days=2), DAY + timedelta(days=45), group_by, {}, at)
        with services.key_pool.connection() as conn:
            got = cost_metrics(conn, query, config)
        expected = ref.metrics(calls, config, at, group_by)
        assert [
            {k: row[k] for k in want} for row, want in zip(got, expected, strict=True)
        ] == expected


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_projection_equals_rebuild_equals_the_reference(fresh_database, data):
    log = data.draw(histories())
    config = ViewConfig(
        timezone=data.draw(st.sampled_from(["UTC", "America/New_York"])),
        cost_per_handled_second=data.draw(st.sampled_from([{}, {"billing": Decimal("0.0275")}])),
    )
    at = T0 + timedelta(hours=data.draw(st.integers(0, 24 * 50)))
    with fresh_database() as url:
        services = build_services(Settings(database_url=url), url)
        try:
            _project_incrementally(data.draw, services, config, log)
            incremental = _tables(services)
            runner(services, config, data.draw(st.integers(1, 50))).rebuild("cost")
            assert _tables(services) == incremental
            calls = ref.replay(log)
            _assert_matches_reference(incremental, calls, config)
            _assert_metrics_match(services, calls, config, at)
        finally:
            services.close()
