"""The cost view's query functions: ranges, breakdowns, filters and safety.

Breakdowns of the cost view (METRICS.md "Cost view"): day, queue, agent, reason.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest

from projections.config import ViewConfig
from projections.cost.queries import agent_handled_seconds
from projections.query import MetricQuery, UnknownBreakdown
from tests.integration.projections.cost.support import (
    DAY,
    T0,
    abandoned,
    call,
    metrics,
    project,
    record,
    table,
    total,
)

BREAKDOWNS = ("day", "queue", "agent", "reason")
ADDITIVE = ("offered", "answered", "abandoned", "short_abandons", "handled_seconds", "cost")


@pytest.fixture
def history(services):
    """Two days, two queues, two agents and an agentless abandon, two reasons."""
    record(
        services,
        call(customer_ref="C1", queue="billing", agent_id="A1", reason="bill", talk_seconds=100),
        call(customer_ref="C2", queue="billing", agent_id="A2", reason="move", talk_seconds=200),
        call(customer_ref="C3", queue="sales", agent_id="A1", reason="bill", talk_seconds=300,
             occurred_at=T0 + timedelta(days=1)),
        abandoned(30, customer_ref="C4", queue="sales", agent_id=None, reason="bill",
                  occurred_at=T0 + timedelta(days=1)),
    )  # fmt: skip
    project(services)
    return services


@pytest.mark.parametrize(
    "group_by", [g for n in range(1, 5) for g in combinations(BREAKDOWNS, n)], ids=str
)
def test_every_subset_of_breakdowns_partitions_the_totals(history, group_by):
    """Components are additive: the groups of any breakdown sum to the ungrouped total."""
    rows = metrics(history, group_by=group_by)
    whole = total(history)
    for name in ADDITIVE:
        assert sum(row[name] for row in rows) == whole[name]
    keys = [tuple(row[g] for g in group_by) for row in rows]
    assert len(keys) == len(set(keys))


def test_grouping_by_queue_gives_each_queue_its_own_metrics(history):
    """AHT per queue: billing (100 + 200) / 2, sales 300 / 1; sales also has the abandon."""
    rows = {row["queue"]: row for row in metrics(history, group_by=("queue",))}
    assert set(rows) == {"billing", "sales"}
    assert (rows["billing"]["aht"], rows["sales"]["aht"]) == (150.0, 300.0)
    assert (rows["billing"]["abandoned"], rows["sales"]["abandoned"]) == (0, 1)
    assert set(rows["billing"]) >= {"queue", "offered", "fcr", "cost_per_contact"}
    assert "day" not in rows["billing"]


def test_a_call_without_an_agent_is_under_the_empty_agent(history):
    rows = {row["agent"]: row["offered"] for row in metrics(history, group_by=("agent",))}
    assert rows == {"A1": 2, "A2": 1, "": 1}
    assert total(history, filters={"agent": ""})["abandoned"] == 1


def test_the_date_range_includes_both_ends_and_nothing_else(history):
    assert total(history, date_from=DAY, date_to=DAY)["offered"] == 2
    second = DAY + timedelta(days=1)
    assert total(history, date_from=second, date_to=second)["offered"] == 2
    assert total(history, date_from=DAY, date_to=second)["offered"] == 4


def test_filters_combine_with_breakdowns(history):
    rows = metrics(history, group_by=("day",), filters={"reason": "bill", "agent": "A1"})
    assert [(row["day"], row["offered"]) for row in rows] == [
        (DAY, 1),
        (DAY + timedelta(days=1), 1),
    ]


def test_an_unknown_breakdown_is_refused(history):
    with pytest.raises(UnknownBreakdown) as refused:
        metrics(history, group_by=("queue", "campaign"))
    assert refused.value.name == "campaign"


def test_an_unknown_filter_name_is_refused(history):
    with pytest.raises(UnknownBreakdown):
        metrics(history, filters={"queue; DROP TABLE cost_daily": "x"})


def test_sql_metacharacters_in_a_filter_value_are_only_a_value(services, database_url):
    """A queue literally named with quotes and a statement is matched exactly, and an
    injection attempt matches nothing."""
    odd = "O'Brien'; DROP TABLE cost_daily; --"
    record(services, call(customer_ref="C1", queue=odd), call(customer_ref="C2"))
    project(services)
    assert total(services, filters={"queue": odd})["offered"] == 1
    assert total(services, filters={"queue": "x' OR '1'='1"})["offered"] == 0
    assert table(database_url, "SELECT count(*) FROM cost_daily") == [(2,)]


def test_agent_handled_seconds_sums_per_agent_per_day(history):
    """occupancy-ready input: sum of handled seconds per agent per day."""
    query = MetricQuery(DAY, DAY + timedelta(days=1))
    with history.key_pool.connection() as conn:
        rows = agent_handled_seconds(conn, query, ViewConfig())
    second = DAY + timedelta(days=1)
    assert rows == [
        {"day": DAY, "agent": "A1", "handled_seconds": 100, "answered": 1},
        {"day": DAY, "agent": "A2", "handled_seconds": 200, "answered": 1},
        {"day": second, "agent": "", "handled_seconds": 0, "answered": 0},
        {"day": second, "agent": "A1", "handled_seconds": 300, "answered": 1},
    ]


def test_agent_handled_seconds_takes_filters_and_extra_breakdowns(history):
    query = MetricQuery(DAY, DAY + timedelta(days=1), ("queue",), {"agent": "A1"})
    with history.key_pool.connection() as conn:
        rows = agent_handled_seconds(conn, query, ViewConfig())
    assert [(r["queue"], r["handled_seconds"]) for r in rows] == [("billing", 100), ("sales", 300)]
