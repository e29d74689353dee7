"""CRM metrics (METRICS.md, "CRM view") computed at query time from the crm view.

Components are summed per group from ``crm_daily`` (or, when the pressure band is a
breakdown or a filter, from the per-send rows, which carry it); the figures that are not
additive (per-customer rates, opt-outs by last touch, uncredited follow-ups) come from
the per-send rows (``projections.crm.per_send``); the formulas are in
``projections.crm.formulas``. With ``group_by=pressure_band`` each row also carries the
cem view's NPS of the replies (same day range) whose customer's pressure at reply time
was in that band (and segment, if grouped by it): the one definition of the bands.

The fixed cost of a campaign is shared pro rata by sends: a group gets ``fixed_cost x
(its sends of the campaign) / (all sends of the campaign)``, so a query over every send
day gets all of it and groups add up. A campaign with no sends at all carries its whole
fixed cost on the day it was planned (in a group with no segment and no band).

``query.at`` does not change the CRM metrics: responses are credited as they are
recorded, inside their window. It bounds the days ``contact_pressure`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Identifier

from projections.cem.bands import PRESSURE_BANDS
from projections.cem.queries import nps_by_pressure_band
from projections.config import ViewConfig
from projections.crm import per_send
from projections.crm.formulas import CENT, Z95, metrics_from_components
from projections.query import MetricQuery, filter_clause, group_columns

__all__ = [
    "CENT",
    "COLUMNS",
    "PRESSURE_BANDS",
    "Z95",
    "contact_pressure",
    "crm_metrics",
    "metrics_from_components",
    "pressure_from_counts",
]

COLUMNS = {
    "campaign": "campaign_id",
    "channel": "channel",
    "day": "day",
    "segment": "segment",
    "pressure_band": "pressure_band",
}
_SUMS = (
    "sent",
    "bounced",
    "unit_cost",
    "responders",
    "converters",
    "revenue",
    "held_back",
    "control_responders",
    "control_converters",
    "control_revenue",
)
_FROM_DAILY = """
SELECT d.campaign_id, d.channel, d.day, d.segment, NULL::text AS pressure_band,
    d.sent, d.bounced, d.unit_cost, d.responders, d.converters, d.revenue, d.held_back,
    d.control_responders, d.control_converters, d.control_revenue,
    coalesce(c.fixed_cost * d.sent / nullif(t.total, 0), 0) AS fixed_cost
FROM crm_daily d
LEFT JOIN totals t ON t.campaign_id = d.campaign_id
LEFT JOIN crm_campaigns c ON c.campaign_id = d.campaign_id
WHERE d.day BETWEEN %(date_from)s AND %(date_to)s
"""
_FROM_SENDS = """
SELECT s.campaign_id, s.channel, s.day, s.segment, s.pressure_band,
    (NOT s.control)::int AS sent, (NOT s.control AND s.bounced)::int AS bounced,
    CASE WHEN s.control THEN 0 ELSE s.unit_cost END AS unit_cost,
    (NOT s.control AND NOT s.bounced AND s.responded)::int AS responders,
    (NOT s.control AND NOT s.bounced AND s.converted)::int AS converters,
    CASE WHEN NOT s.control AND NOT s.bounced THEN s.revenue ELSE 0 END AS revenue,
    s.control::int AS held_back, (s.control AND s.responded)::int AS control_responders,
    (s.control AND s.converted)::int AS control_converters,
    CASE WHEN s.control THEN s.revenue ELSE 0 END AS control_revenue,
    CASE WHEN s.control THEN 0 ELSE coalesce(c.fixed_cost / nullif(t.total, 0), 0) END
        AS fixed_cost
FROM ({sends}) s
LEFT JOIN totals t ON t.campaign_id = s.campaign_id
LEFT JOIN crm_campaigns c ON c.campaign_id = s.campaign_id
"""
# A campaign never sent carries its whole fixed cost on its planned day.
_METRICS_SQL = """
WITH totals AS (
    SELECT campaign_id, sum(sent) AS total FROM crm_daily GROUP BY campaign_id
), source AS (
    {source}
    UNION ALL
    SELECT c.campaign_id, c.channel, c.planned_day, NULL::text, NULL::text,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, c.fixed_cost
    FROM crm_campaigns c LEFT JOIN totals t ON t.campaign_id = c.campaign_id
    WHERE coalesce(t.total, 0) = 0 AND c.fixed_cost <> 0
      AND c.planned_day BETWEEN %(date_from)s AND %(date_to)s
)
SELECT {groups} {sums}, coalesce(sum(fixed_cost), 0) AS fixed_cost
FROM source WHERE true {filters} {group_by}
"""


def crm_metrics(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """Every METRICS.md CRM metric per group of ``query.group_by`` over send days."""
    groups = group_columns(query, COLUMNS)
    with_band = "pressure_band" in (*query.group_by, *query.filters)
    parts = _parts(groups, filter_clause(query, COLUMNS), with_band)
    values = {"date_from": query.date_from, "date_to": query.date_to}
    found = _components(conn, parts, values, with_band)
    keys = [COLUMNS[name] for name in query.group_by]
    _merge(found, per_send.customers_and_opt_outs(conn, parts, values), keys, per_send.FIGURES)
    _merge(found, per_send.uncredited(conn, parts, values), keys, per_send.UNCREDITED)
    names = {COLUMNS[name]: name for name in query.group_by}
    rows = [metrics_from_components(row, names) for row in found]
    if "pressure_band" in query.group_by:
        _add_nps(rows, _nps_by_band(conn, query, config, rows))
    return rows


def _parts(groups: list[Composable], filters: Composable, with_band: bool) -> dict[str, Any]:
    """The SQL pieces shared by the statements of one query."""
    listed = SQL(", ").join(groups)
    return {
        "sends": per_send.sends_source(with_band),
        "groups": SQL("").join(SQL("{}, ").format(g) for g in groups),
        "filters": filters,
        "group_by": SQL("GROUP BY {0} ORDER BY {0}").format(listed) if groups else SQL(""),
    }


def _components(
    conn: Connection[Any], parts: dict[str, Any], values: dict[str, Any], with_band: bool
) -> list[dict[str, Any]]:
    source = SQL(_FROM_SENDS).format(sends=parts["sends"]) if with_band else SQL(_FROM_DAILY)
    sums = SQL(", ").join(SQL("coalesce(sum({0}), 0) AS {0}").format(Identifier(s)) for s in _SUMS)
    statement = SQL(_METRICS_SQL).format(
        source=source, sums=sums, groups=parts["groups"], filters=parts["filters"],
        group_by=parts["group_by"],
    )  # fmt: skip
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(statement, per_send.params(values)).fetchall()


def _key(row: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


def _merge(
    rows: list[dict[str, Any]],
    extra: list[dict[str, Any]],
    names: list[str],
    figures: Sequence[str],
) -> None:
    """Add each group's per-send ``figures`` to its components (0 where it has none)."""
    found = {_key(row, names): row for row in extra}
    for row in rows:
        other = found.get(_key(row, names), {})
        row.update({figure: other.get(figure, 0) for figure in figures})


def _nps_by_band(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig, rows: list[dict[str, Any]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The cem view's NPS per pressure band (``nps_by_pressure_band``, its one definition),
    same range and ``at``, once per segment of ``rows`` when grouped by segment."""
    filters = {k: v for k, v in query.filters.items() if k in ("pressure_band", "segment")}
    if "segment" not in query.group_by:
        found = nps_by_pressure_band(conn, replace(query, filters=filters), config)
        return {(row["pressure_band"],): row for row in found}
    nps: dict[tuple[Any, ...], dict[str, Any]] = {}
    for segment in sorted({row["segment"] for row in rows if row["segment"] is not None}):
        per = replace(query, filters=filters | {"segment": segment})
        for row in nps_by_pressure_band(conn, per, config):
            nps[row["pressure_band"], segment] = row
    return nps


def _add_nps(rows: list[dict[str, Any]], nps: Mapping[tuple[Any, ...], Mapping[str, Any]]) -> None:
    """NPS columns beside each band's rates (none for a row without a band)."""
    for row in rows:
        key = (
            (row["pressure_band"], row["segment"]) if "segment" in row else (row["pressure_band"],)
        )
        found = nps.get(key, {})
        row["nps"] = found.get("nps")
        row["nps_margin"] = found.get("nps_margin")
        row["nps_replies"] = found.get("n", 0)
        row["nps_too_few"] = found.get("too_few", True)


# Counts of exactly 1..4 mailshots, then 5 or more (METRICS.md: bands 3 and 4 apart).
_EXACT = (1, 2, 3, 4)

# Running sums over the difference array (and over first days, for the population),
# from the earliest day with data up to date_to; days before date_from are dropped.
_PRESSURE_SQL = """
WITH deltas AS (
    SELECT day,
        sum(delta) FILTER (WHERE mailshots = 1) AS band_1,
        sum(delta) FILTER (WHERE mailshots = 2) AS band_2,
        sum(delta) FILTER (WHERE mailshots = 3) AS band_3,
        sum(delta) FILTER (WHERE mailshots = 4) AS band_4,
        sum(delta) FILTER (WHERE mailshots >= 5) AS band_5,
        sum(delta) FILTER (WHERE mailshots > %(cap)s) AS over_cap
    FROM crm_pressure_changes WHERE day <= %(date_to)s GROUP BY day
), known AS (
    SELECT first_day AS day, count(*) AS n FROM crm_customers
    WHERE first_day <= %(date_to)s GROUP BY first_day
), days AS (
    SELECT g::date AS day FROM generate_series(
        least(%(date_from)s::date, (SELECT min(day) FROM deltas), (SELECT min(day) FROM known)),
        %(date_to)s::date, interval '1 day') AS g
), running AS (
    SELECT d.day,
        sum(coalesce(k.n, 0)) OVER w AS customers,
        sum(coalesce(x.band_1, 0)) OVER w AS band_1,
        sum(coalesce(x.band_2, 0)) OVER w AS band_2,
        sum(coalesce(x.band_3, 0)) OVER w AS band_3,
        sum(coalesce(x.band_4, 0)) OVER w AS band_4,
        sum(coalesce(x.band_5, 0)) OVER w AS band_5,
        sum(coalesce(x.over_cap, 0)) OVER w AS over_cap
    FROM days d LEFT JOIN deltas x ON x.day = d.day LEFT JOIN known k ON k.day = d.day
    WINDOW w AS (ORDER BY d.day)
)
SELECT * FROM running WHERE day >= %(date_from)s ORDER BY day
"""


def contact_pressure(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """Per day: customers by mailshots sent in the trailing 30 days, and the over-cap share.

    The population of a day is every customer the crm view knows by then (registered,
    mailed or held back on or before that day). Days after ``query.at`` (default now)
    are not reported: their pressure is not known yet. Only ``day`` is a breakdown.
    """
    query.check(("day",))
    date_to = min(query.date_to, _today(query.at, config))
    if date_to < query.date_from:
        return []
    params = {"date_from": query.date_from, "date_to": date_to, "cap": config.pressure_cap}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_PRESSURE_SQL, params).fetchall()
    return [pressure_from_counts(row, config.pressure_cap) for row in rows]


def _today(at: datetime | None, config: ViewConfig) -> date:
    return (at or datetime.now(config.zone)).astimezone(config.zone).date()


def pressure_from_counts(row: Mapping[str, Any], cap: int) -> dict[str, Any]:
    """One day of contact pressure from the population and the banded histogram."""
    customers = int(row["customers"])
    mailed = [int(row[f"band_{n}"]) for n in (*_EXACT, 5)]
    counts = [customers - sum(mailed), *mailed]
    return {
        "day": row["day"],
        "customers": customers,
        "distribution": dict(zip(PRESSURE_BANDS, counts, strict=True)),
        "cap": cap,
        "over_cap": int(row["over_cap"]),
        "over_cap_share": None if not customers else int(row["over_cap"]) / customers,
    }
