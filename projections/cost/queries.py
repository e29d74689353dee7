"""Query functions of the cost view: every METRICS.md cost metric over any range.

Numbers: counts and sums of seconds are ``int``; money (``cost``,
``cost_per_contact``) is ``Decimal``; every other ratio or average is a ``float``
(rates are fractions 0..1, not percent; ASA and AHT are seconds). A ratio whose
denominator is 0 is ``None``.

FCR and pending calls depend on the query's ``at`` (default: now): a repeat counts once
it has happened in the world (its ``occurred_at`` <= ``at``), and a call's window has
closed when ``at`` is after ``occurred_at + W``, so a past report is reproduced by
passing the same ``at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Composable

from projections.config import ViewConfig
from projections.cost.view import COMPONENTS
from projections.query import MetricQuery, filter_clause, group_columns

__all__ = ["BREAKDOWNS", "agent_handled_seconds", "cost_metrics"]

BREAKDOWNS = {"day": "day", "queue": "queue", "agent": "agent", "reason": "reason"}
"""Breakdown (and filter) names of the cost view and their columns."""

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
_CLOSED = "occurred_at + make_interval(secs => %(window)s) < %(at)s"


def cost_metrics(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """One dict per group: the breakdown values, the components and every cost metric."""
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
    per_agent = MetricQuery(
        query.date_from, query.date_to, ("day", "agent", *extra), query.filters, query.at
    )
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
    """Aggregates of ``table`` over the query's range and filters, keyed by its groups."""
    groups = group_columns(query, BREAKDOWNS)
    statement = SQL(
        "SELECT {select} FROM {table}"
        " WHERE day BETWEEN %(date_from)s AND %(date_to)s{filters}{group}"
    ).format(
        select=SQL(", ").join([*groups, aggregates]),
        table=SQL(table),  # one of this module's two table names, never input
        filters=filter_clause(query, BREAKDOWNS),
        group=SQL(" GROUP BY {}").format(SQL(", ").join(groups)) if groups else SQL(""),
    )
    params = params | {"date_from": query.date_from, "date_to": query.date_to}
    width = len(groups)
    rows = conn.execute(statement, params).fetchall()
    return {tuple(row[:width]): tuple(row[width:]) for row in rows}


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
