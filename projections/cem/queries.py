"""Queries of the cem view: NPS with its margin, CSAT, effort, closed loop, insights.

Every function takes ``(conn, query, config)`` and returns one dict per group.
Components are summed over the query's day range and breakdowns, then divided
here, as METRICS.md ("CEM view") defines each metric.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Identifier

from projections.cem.bands import PRESSURE_BANDS
from projections.config import ViewConfig
from projections.query import MetricQuery, filter_clause, group_columns

__all__ = [
    "BREAKDOWNS",
    "INSIGHT_DIMENSIONS",
    "TOO_FEW",
    "Z95",
    "cem_metrics",
    "detractor_followups",
    "insights",
    "nps_by_pressure_band",
    "nps_summary",
    "ratios",
]

BREAKDOWNS = {
    "day": "day",
    "survey_kind": "survey_kind",
    "queue": "queue",
    "agent": "agent_id",
    "reason": "reason",
    "handle_time_band": "handle_time_band",
    "repeat_contact": "repeat_contact",
    "pressure_band": "pressure_band",
    "segment": "segment",
}
INSIGHT_DIMENSIONS = ("handle_time_band", "repeat_contact", "pressure_band")
TOO_FEW = 30  # METRICS.md: n < 30 is flagged as too few
Z95 = 1.96


def nps_summary(promoters: int, passives: int, detractors: int) -> dict[str, Any]:
    """NPS, its 95 % margin of error and n (METRICS.md, CEM view); None when n = 0."""
    n = promoters + passives + detractors
    if n == 0:
        return {"n": 0, "nps": None, "nps_margin": None, "too_few": True}
    p, d = promoters / n, detractors / n
    margin = Z95 * 100 * math.sqrt(((p + d) - (p - d) ** 2) / n)
    return {"n": n, "nps": 100 * (p - d), "nps_margin": margin, "too_few": n < TOO_FEW}


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100 * part / whole


def ratios(row: dict[str, Any]) -> dict[str, Any]:
    """The METRICS.md ratios of one group's summed components."""
    closed, expired = row["closed"], row["expired"]
    return {
        **nps_summary(row["promoters"], row["passives"], row["detractors"]),
        "csat_pct": _percent(row["csat_top2"], row["csat_replies"]),
        "effort_mean": None
        if row["effort_replies"] == 0
        else row["effort_sum"] / row["effort_replies"],
        "effort_5_7_pct": _percent(row["effort_5_7"], row["effort_replies"]),
        "closed_loop_pct": _percent(closed, closed + expired),
    }


_COMPONENTS = (
    "replies", "nps_replies", "promoters", "passives", "detractors", "csat_replies",
    "csat_top2", "effort_replies", "effort_sum", "effort_5_7",
)  # fmt: skip


def _select(aliased: list[Composable]) -> Composable:
    """``col AS name, ...`` for the group columns (trailing comma included)."""
    return SQL("").join(SQL("{}, ").format(column) for column in aliased)


def _group_by(groups: list[Composable]) -> Composable:
    return SQL(", ").join(groups) if groups else SQL("()")


def _join_on(query: MetricQuery) -> Composable:
    names = [Identifier(name) for name in query.group_by]
    parts = [SQL("m.{0} IS NOT DISTINCT FROM l.{0}").format(n) for n in names]
    return SQL(" AND ").join(parts) if parts else SQL("true")


# METRICS.md: a window is closed from its end instant on (at >= reply + 48 h): from then
# on a detractor not followed up is expired, never open. The follow-up itself must be
# strictly after the reply and at most 48 h after it (the view stores it so).
_CLOSED_WINDOW = "occurred_at + %(loop)s * interval '1 second' <= %(at)s"
_METRICS_SQL = """
WITH m AS (
    SELECT {select}{sums} FROM cem_daily
    WHERE day BETWEEN %(date_from)s AND %(date_to)s{filters} GROUP BY {group_by}),
l AS (
    SELECT {select}
        count(*) FILTER (WHERE followup_at <= %(at)s) AS closed,
        count(*) FILTER (WHERE (followup_at IS NULL OR followup_at > %(at)s)
            AND {closed_window}) AS expired,
        count(*) FILTER (WHERE (followup_at IS NULL OR followup_at > %(at)s)
            AND NOT {closed_window}) AS open
    FROM cem_replies
    WHERE nps <= 6 AND day BETWEEN %(date_from)s AND %(date_to)s{filters} GROUP BY {group_by})
SELECT m.*, coalesce(l.open, 0) AS open, coalesce(l.closed, 0) AS closed,
    coalesce(l.expired, 0) AS expired
FROM m LEFT JOIN l ON {join_on}
ORDER BY {order}
"""


def _aliased(query: MetricQuery) -> list[Composable]:
    columns = group_columns(query, BREAKDOWNS)
    return [
        SQL("{} AS {}").format(col, Identifier(name))
        for col, name in zip(columns, query.group_by, strict=True)
    ]


def _params(query: MetricQuery, config: ViewConfig) -> dict[str, Any]:
    return {
        "date_from": query.date_from,
        "date_to": query.date_to,
        "at": query.at or datetime.now(UTC),
        "loop": timedelta(hours=config.closed_loop_hours).total_seconds(),
    }


def cem_metrics(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """NPS (with margin, n, too_few), CSAT, effort and closed loop per group.

    Rows carry the group's breakdown values, the summed components, the
    closed-loop counts at ``query.at`` (open, closed, expired) and the ratios:
    ``nps`` (-100..100), ``nps_margin`` (±, 95 %), ``n``, ``too_few`` (n < 30),
    ``csat_pct`` (top-two-box %), ``effort_mean``, ``effort_5_7_pct`` and
    ``closed_loop_pct`` (closed / (closed + expired), %). Ratios are None when
    their denominator is 0. With no ``group_by`` there is one row (the total).
    """
    aliased = _aliased(query)
    sums = SQL(", ").join(
        SQL("coalesce(sum({0}), 0)::bigint AS {0}").format(Identifier(c)) for c in _COMPONENTS
    )
    names = [Identifier(name) for name in query.group_by]
    sql = SQL(_METRICS_SQL).format(
        closed_window=SQL(_CLOSED_WINDOW),
        select=_select(aliased),
        sums=sums,
        filters=filter_clause(query, BREAKDOWNS),
        group_by=_group_by(group_columns(query, BREAKDOWNS)),
        join_on=_join_on(query),
        order=SQL(", ").join(SQL("m.{}").format(n) for n in names) if names else SQL("1"),
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql, _params(query, config)).fetchall()
    return [{**row, **ratios(row)} for row in rows]


_FOLLOWUPS_SQL = """
SELECT {select}customer_ref, position AS reply_position, occurred_at,
    occurred_at + %(loop)s * interval '1 second' AS due_at,
    CASE WHEN {closed_window} THEN 'expired' ELSE 'open' END AS state
FROM cem_replies
WHERE nps <= 6 AND day BETWEEN %(date_from)s AND %(date_to)s{filters}
    AND (followup_at IS NULL OR followup_at > %(at)s)
ORDER BY occurred_at, position
"""


def detractor_followups(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """Open and expired detractor replies at ``query.at``, oldest first, no personal data.

    Each row: the requested breakdown values, ``customer_ref``, ``reply_position``
    (log position of the reply), ``occurred_at``, ``due_at`` (end of the follow-up
    window) and ``state`` ('open' or 'expired').
    """
    sql = SQL(_FOLLOWUPS_SQL).format(
        select=_select(_aliased(query)),
        filters=filter_clause(query, BREAKDOWNS),
        closed_window=SQL(_CLOSED_WINDOW),
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, _params(query, config)).fetchall()


def insights(conn: Connection[Any], query: MetricQuery, config: ViewConfig) -> list[dict[str, Any]]:
    """NPS (margin, n, too_few) beside reply volume by handle-time band, repeat contact
    and contact-pressure band.

    One row per dimension and value: ``dimension``, ``value``, ``replies``, ``n``,
    ``nps``, ``nps_margin``, ``too_few``, plus the query's own ``group_by`` values.
    """
    rows: list[dict[str, Any]] = []
    for dimension in INSIGHT_DIMENSIONS:
        extra = () if dimension in query.group_by else (dimension,)
        per = replace(query, group_by=(*query.group_by, *extra))
        for row in cem_metrics(conn, per, config):
            rows.append(_insight(row, dimension, query.group_by))
    return rows


def nps_by_pressure_band(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """NPS by the customer's contact-pressure band at reply time, one row per band of
    ``projections.cem.bands.PRESSURE_BANDS`` in order (0, 1, 2, 3, 4, 5+; a band without
    replies has n = 0 and NPS None): ``pressure_band``, ``replies``, ``n``, ``nps``,
    ``nps_margin``, ``too_few``. The query's filters apply; its ``group_by`` is replaced.
    The one definition the crm view's conversion-by-pressure chart shows beside its rates."""
    per = replace(query, group_by=("pressure_band",))
    found = {row["pressure_band"]: row for row in cem_metrics(conn, per, config)}
    empty = {"replies": 0, "promoters": 0, "passives": 0, "detractors": 0}
    rows = []
    for band in PRESSURE_BANDS:
        row = found.get(band, empty)
        summary = nps_summary(row["promoters"], row["passives"], row["detractors"])
        rows.append({"pressure_band": band, "replies": row["replies"], **summary})
    return rows


def _insight(row: dict[str, Any], dimension: str, groups: tuple[str, ...]) -> dict[str, Any]:
    kept = ("replies", "n", "nps", "nps_margin", "too_few")
    return {
        **{name: row[name] for name in groups},
        "dimension": dimension,
        "value": row[dimension],
        **{name: row[name] for name in kept},
    }
