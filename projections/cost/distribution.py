"""Distribution of wait and handle times: percentiles from the cost view's histograms.

Means alone mislead on skewed times (a few hour-long calls move AHT; an ASA of 20 s can
hide a tail of callers waiting minutes). Per group and measure, the median and the
80th, 90th and 95th percentiles, read from the summed buckets of ``cost_histograms``
(rules and error bounds in ``projections.cost.histogram``). Measures: ``wait`` (wait of
answered calls, the distribution behind ASA), ``handle`` (talk + hold + after-call work
of answered calls, behind AHT) and ``abandon_wait`` (how long abandoning callers waited).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL

from projections.config import ViewConfig
from projections.cost.histogram import PERCENTILES, WIDTHS, bucket_high, percentile
from projections.cost.queries import BREAKDOWNS, group_expressions, key_values
from projections.query import MetricQuery, filter_clause

__all__ = ["DISTRIBUTION_GROUPS", "MEASURES", "cost_distribution"]

MEASURES = ("wait", "handle", "abandon_wait")
DISTRIBUTION_GROUPS = (*BREAKDOWNS, "weekday")
"""Histograms are per day: no staffing-interval breakdowns."""
_EXACT_BELOW = WIDTHS[0][0]  # 1-second buckets below this: percentiles exact
_SQL = """
SELECT {groups}measure, low_seconds, sum(calls)
FROM cost_histograms
WHERE day BETWEEN %(date_from)s AND %(date_to)s{filters}
GROUP BY {groups}measure, low_seconds
"""

Buckets = dict[int, int]


def cost_distribution(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """One row per group and measure: ``measure``, ``calls``, ``p50`` (the median),
    ``p80``, ``p90``, ``p95`` and ``max`` in whole seconds (None without calls), and
    ``exact`` (every figure of the row read from 1-second buckets)."""
    query.check(DISTRIBUTION_GROUPS)
    found = _buckets(conn, query)
    keys = sorted({key for key, _ in found}) if query.group_by else [()]
    return [
        _row(query.group_by, key, measure, found.get((key, measure), {}))
        for key in keys
        for measure in MEASURES
    ]


def _buckets(conn: Connection[Any], query: MetricQuery) -> dict[tuple[Any, str], Buckets]:
    groups = group_expressions(query)
    statement = SQL(_SQL).format(
        groups=SQL("").join(SQL("{}, ").format(g) for g in groups),
        filters=filter_clause(replace(query, group_by=()), BREAKDOWNS),
    )
    params = {"date_from": query.date_from, "date_to": query.date_to}
    found: dict[tuple[Any, str], Buckets] = {}
    width = len(groups)
    for row in conn.execute(statement, params).fetchall():
        key = key_values(query.group_by, row[:width])
        measure, low, calls = row[width:]
        found.setdefault((key, measure), {})[low] = int(calls)
    return found


def _row(
    group_by: tuple[str, ...], key: tuple[Any, ...], measure: str, buckets: Buckets
) -> dict[str, Any]:
    figures = {f"p{p}": percentile(buckets, p) for p in PERCENTILES}
    figures["max"] = bucket_high(max(buckets)) if buckets else None
    exact = all(value is None or value < _EXACT_BELOW for value in figures.values())
    return {
        **dict(zip(group_by, key, strict=True)),
        "measure": measure,
        "calls": sum(buckets.values()),
        **figures,
        "exact": exact,
    }
