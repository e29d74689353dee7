"""Query functions of the cost view: every METRICS.md cost metric over any range.

Numbers: counts and sums of seconds are ``int``; money (``cost``,
``cost_per_contact``) is ``Decimal``; every other ratio or average is a ``float``
(rates are fractions 0..1, not percent; ASA and AHT are seconds). A ratio whose
denominator is 0 is ``None``.

FCR and pending calls depend on the query's ``at`` (default: now): a repeat counts once
it has happened in the world (its ``occurred_at`` <= ``at``), and a call's window is
closed from its end instant on (METRICS.md: ``at`` >= ``occurred_at + W``; a repeat at
exactly that instant is a repeat, since "within" includes its end), so a past report is
reproduced by passing the same ``at``.

Staffing intervals (breakdowns ``interval``, ``time_of_day``, ``weekday``): the same
components summed over 15-minute slots of ``cost_intervals`` into intervals of
``CostQuery.interval_minutes`` (15, 30 or 60) of wall-clock time in the centre's time
zone. ``interval`` is the interval's start as an aware local time whose UTC offset is
that of its calls: on the day clocks go back, the repeated hour gives two intervals
(01:00+01:00, then 01:00+00:00); on the day they go forward the skipped hour has none.
``time_of_day`` ("HH:MM", wall clock) and ``weekday`` (ISO, 1 = Monday) gather intervals
across days, for arrival patterns: there the repeated hour is one time of day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Composable, Identifier, Literal

from projections.config import ViewConfig
from projections.cost.view import COMPONENTS
from projections.query import MetricQuery, filter_clause

__all__ = [
    "BREAKDOWNS",
    "GROUPS",
    "INTERVAL_MINUTES",
    "SLOT_GROUPS",
    "CostQuery",
    "agent_handled_seconds",
    "cost_metrics",
    "group_expressions",
    "key_values",
]

BREAKDOWNS = {"day": "day", "queue": "queue", "agent": "agent", "reason": "reason"}
"""Filter names of the cost view and their columns (also breakdowns)."""
SLOT_GROUPS = ("interval", "time_of_day")
"""Breakdowns read from the 15-minute slots (``cost_intervals``)."""
GROUPS = (*BREAKDOWNS, *SLOT_GROUPS, "weekday")
"""Every breakdown of the cost view."""
INTERVAL_MINUTES = (15, 30, 60)
_ORIGIN = "timestamp '2000-01-03 00:00'"  # a Monday midnight: intervals start on the hour


@dataclass(frozen=True)
class CostQuery(MetricQuery):
    """A cost query: a metric query and the length of its staffing intervals."""

    interval_minutes: int = 15

    def __post_init__(self) -> None:
        if self.interval_minutes not in INTERVAL_MINUTES:
            raise ValueError(f"interval_minutes must be one of {INTERVAL_MINUTES}")


def _minutes(query: MetricQuery) -> int:
    return query.interval_minutes if isinstance(query, CostQuery) else INTERVAL_MINUTES[0]


def group_expressions(query: MetricQuery) -> list[Composable]:
    """The SQL expressions of the query's breakdowns, over a table with the columns of
    ``cost_calls`` (``interval`` is two: its wall-clock start and its UTC offset)."""
    query.check(GROUPS)
    start = SQL("date_bin(make_interval(mins => {}), slot, {})").format(
        Literal(_minutes(query)), SQL(_ORIGIN)
    )
    special: dict[str, list[Composable]] = {
        "interval": [start, Identifier("utc_offset")],
        "time_of_day": [SQL("({})::time").format(start)],
        "weekday": [SQL("extract(isodow FROM day)::int")],
    }
    return [
        expression
        for name in query.group_by
        for expression in special.get(name, [Identifier(BREAKDOWNS.get(name, name))])
    ]


def key_values(group_by: Sequence[str], raw: Sequence[Any]) -> tuple[Any, ...]:
    """The breakdown values of one row of ``group_expressions`` (``interval`` as an aware
    local time, ``time_of_day`` as "HH:MM")."""
    values: list[Any] = []
    rest = list(raw)
    for name in group_by:
        value = rest.pop(0)
        if name == "interval":
            offset = timedelta(minutes=rest.pop(0))
            value = value.replace(tzinfo=timezone(offset))
        elif name == "time_of_day":
            value = value.strftime("%H:%M")
        values.append(value)
    return tuple(values)


_OUTPUT = {"short_abandoned": "short_abandons"}  # column -> metric name in METRICS.md
_FCR_COUNTS = ("fcr_resolved", "fcr_repeated", "fcr_pending", "repeat_contacts")
_FCR_SQL = """
    count(*) FILTER (WHERE outcome = 'answered' AND NOT {repeated} AND {closed}),
    count(*) FILTER (WHERE outcome = 'answered' AND {repeated}),
    count(*) FILTER (WHERE outcome = 'answered' AND NOT {repeated} AND NOT {closed}),
    count(*) FILTER (WHERE is_repeat)
"""
_REPEATED = "coalesce(first_repeat_at <= %(at)s, false)"
# W as an exact number of seconds (as the view links repeats), never calendar days.
_CLOSED = "occurred_at + make_interval(secs => %(window)s) <= %(at)s"


def cost_metrics(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """One dict per group: the breakdown values, the components and every cost metric
    (per staffing interval with the breakdowns ``interval`` or ``time_of_day``; FCR then
    counts the answered calls that arrived in the interval)."""
    sums = _grouped(conn, query, "cost_daily", _component_sums(), {})
    params = {"at": query.at or datetime.now(UTC), "window": _window(config)}
    fcr_sql = SQL(_FCR_SQL).format(repeated=SQL(_REPEATED), closed=SQL(_CLOSED))
    links = _grouped(conn, query, "cost_calls", fcr_sql, params)
    keys = sorted(set(sums) | set(links)) if query.group_by else [()]
    return [_row(query, key, sums.get(key), links.get(key)) for key in keys]


def agent_handled_seconds(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """Occupancy-ready input: handled seconds and answered calls per agent per day.

    Always broken down by day and agent (calls without an agent under ``''``), plus any
    other breakdown the query names; occupancy itself needs staffed time, which the
    ledger does not record.
    """
    extra = tuple(name for name in query.group_by if name not in ("day", "agent"))
    per_agent = replace(query, group_by=("day", "agent", *extra))
    sums = SQL("coalesce(sum(handled_seconds), 0), coalesce(sum(answered), 0)")
    rows = _grouped(conn, per_agent, "cost_daily", sums, {})
    names = per_agent.group_by
    return [
        {**dict(zip(names, key, strict=True)), "handled_seconds": int(h), "answered": int(a)}
        for key, (h, a) in sorted(rows.items())
    ]


def _component_sums() -> Composable:
    return SQL(", ").join(SQL("coalesce(sum({}), 0)").format(SQL(name)) for name in COMPONENTS)


def _window(config: ViewConfig) -> int:
    return config.repeat_window_days * 86400


def _grouped(
    conn: Connection[Any],
    query: MetricQuery,
    table: str,
    aggregates: Composable,
    params: dict[str, Any],
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Aggregates of ``table`` over the query's range and filters, keyed by its groups
    (``cost_daily`` is read as ``cost_intervals`` when a group needs the slots)."""
    if table == "cost_daily" and set(SLOT_GROUPS) & set(query.group_by):
        table = "cost_intervals"
    groups = group_expressions(query)
    statement = SQL(
        "SELECT {select} FROM {table}"
        " WHERE day BETWEEN %(date_from)s AND %(date_to)s{filters}{group}"
    ).format(
        select=SQL(", ").join([*groups, aggregates]),
        table=SQL(table),  # one of this module's table names, never input
        filters=filter_clause(replace(query, group_by=()), BREAKDOWNS),
        group=SQL(" GROUP BY {}").format(SQL(", ").join(groups)) if groups else SQL(""),
    )
    params = params | {"date_from": query.date_from, "date_to": query.date_to}
    width = len(groups)
    rows = conn.execute(statement, params).fetchall()
    return {key_values(query.group_by, row[:width]): tuple(row[width:]) for row in rows}


def _row(
    query: MetricQuery,
    key: tuple[Any, ...],
    sums: Sequence[Any] | None,
    links: Sequence[Any] | None,
) -> dict[str, Any]:
    values = dict(zip(COMPONENTS, sums or [0] * len(COMPONENTS), strict=True))
    components = {_OUTPUT.get(name, name): int(v) for name, v in values.items() if name != "cost"}
    counts = dict(zip(_FCR_COUNTS, [int(v) for v in links or [0] * 4], strict=True))
    cost = Decimal(values["cost"])
    return {
        **dict(zip(query.group_by, key, strict=True)),
        **components,
        "cost": cost,
        **_ratios(components, cost),
        **_fcr(counts),
    }


def _ratios(n: dict[str, int], cost: Decimal) -> dict[str, Any]:
    """METRICS.md "Cost view" ratios from summed components."""
    answered = n["answered"]
    short = n["short_abandons"]
    counted = n["offered"] - short  # short abandons are excluded by default
    return {
        "asa": _ratio(n["answered_wait_seconds"], answered),
        "aht": _ratio(n["handled_seconds"], answered),
        "service_level": _ratio(n["service_level_hits"], counted),
        "abandonment_rate": _ratio(n["abandoned"] - short, counted),
        "transfer_rate": _ratio(n["transferred"], answered),
        "cost_per_contact": cost / answered if answered else None,
    }


def _fcr(counts: dict[str, int]) -> dict[str, Any]:
    eligible = counts["fcr_resolved"] + counts["fcr_repeated"]
    return {**counts, "fcr_eligible": eligible, "fcr": _ratio(counts["fcr_resolved"], eligible)}


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator
