"""CRM metrics (METRICS.md, "CRM view") computed at query time from the crm view.

Rates are fractions (0.25 = 25 %); lifts and their intervals are in percentage
points. A ratio whose denominator is 0 is ``None``; lifts and incremental figures are
``None`` without a control group (nothing held back) or without deliveries.

The fixed cost of a campaign is added once per campaign, allocated pro rata by sent:
a group gets ``fixed_cost x (its sent of the campaign) / (all sent of the campaign)``.
Over a campaign's whole date range and no breakdown (or a campaign breakdown) that is
the full fixed cost; any other breakdown or range gets its share, so groups add up.
A campaign with nothing sent has no fixed cost in any group (there is no send day).

``query.at`` does not change the CRM metrics: METRICS.md makes only contact pressure
"now" depend on it here, and responses are credited as they are recorded, inside
their window. It bounds the days ``contact_pressure`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from projections.config import ViewConfig
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

COLUMNS = {"campaign": "campaign_id", "channel": "channel", "day": "day", "segment": "segment"}
CENT = Decimal("0.0001")
Z95 = 1.96
_SUMS = (
    "sent",
    "bounced",
    "unit_cost",
    "responders",
    "converters",
    "revenue",
    "opt_outs",
    "held_back",
    "control_responders",
    "control_converters",
    "control_revenue",
)

_METRICS_SQL = """
WITH per_campaign AS (
    SELECT {groups_inner} campaign_id AS campaign_key, {sums_inner}
    FROM crm_daily WHERE day BETWEEN %(date_from)s AND %(date_to)s {filters}
    GROUP BY {groups_inner} campaign_id
), campaign_sent AS (
    SELECT campaign_id, sum(sent) AS total FROM crm_daily
    WHERE campaign_id IN (SELECT campaign_key FROM per_campaign) GROUP BY campaign_id
)
SELECT {groups_outer} {sums_outer},
    coalesce(sum(CASE WHEN t.total > 0 THEN c.fixed_cost * p.sent / t.total ELSE 0 END), 0)
        AS fixed_cost
FROM per_campaign p
LEFT JOIN campaign_sent t ON t.campaign_id = p.campaign_key
LEFT JOIN crm_campaigns c ON c.campaign_id = p.campaign_key
{group_by_outer}
"""


def crm_metrics(
    conn: Connection[Any], query: MetricQuery, config: ViewConfig
) -> list[dict[str, Any]]:
    """Every METRICS.md CRM metric per group of ``query.group_by`` over send days."""
    groups = group_columns(query, COLUMNS)
    statement = _metrics_statement(groups, filter_clause(query, COLUMNS))
    params = {"date_from": query.date_from, "date_to": query.date_to}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(statement, params).fetchall()
    names = {COLUMNS[name]: name for name in query.group_by}
    return [metrics_from_components(row, names) for row in rows]


def _metrics_statement(groups: list[Composable], filters: Composable) -> Composed:
    inner = SQL("").join(SQL("{}, ").format(g) for g in groups)
    outer_cols = [SQL("p.{}").format(g) for g in groups]
    outer = SQL("").join(
        SQL("{} AS {}, ").format(o, g) for o, g in zip(outer_cols, groups, strict=True)
    )
    order = SQL("GROUP BY {} ORDER BY {}").format(
        SQL(", ").join(outer_cols), SQL(", ").join(outer_cols)
    )
    return SQL(_METRICS_SQL).format(
        groups_inner=inner,
        sums_inner=SQL(", ").join(SQL("sum({0}) AS {0}").format(Identifier(s)) for s in _SUMS),
        filters=filters,
        groups_outer=outer,
        sums_outer=SQL(", ").join(
            SQL("coalesce(sum(p.{0}), 0) AS {0}").format(Identifier(s)) for s in _SUMS
        ),
        group_by_outer=order if groups else SQL(""),
    )


def _ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def metrics_from_components(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The METRICS.md metrics of one group from its summed components (``crm_daily``
    columns plus the allocated ``fixed_cost``); ``names`` maps group columns to keys."""
    out: dict[str, Any] = {names[column]: row[column] for column in names}
    out |= _volume(row)
    out |= _money(row, out)
    out |= _control(row, out)
    return out


def _volume(row: Mapping[str, Any]) -> dict[str, Any]:
    delivered = int(row["sent"]) - int(row["bounced"])
    responses, conversions = int(row["responders"]), int(row["converters"])
    return {
        "sent": int(row["sent"]),
        "delivered": delivered,
        "bounced": int(row["bounced"]),
        "responses": responses,
        "response_rate": _ratio(responses, delivered),
        "conversions": conversions,
        "conversion_rate": _ratio(conversions, delivered),
        "conversions_per_response": _ratio(conversions, responses),
        "opt_outs": int(row["opt_outs"]),
        "opt_out_rate": _ratio(int(row["opt_outs"]), delivered),
    }


def _money(row: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    unit_cost = Decimal(row["unit_cost"]).quantize(CENT)
    fixed_cost = Decimal(row["fixed_cost"]).quantize(CENT)
    cost = unit_cost + fixed_cost
    revenue = Decimal(row["revenue"]).quantize(CENT)
    return {
        "unit_cost": unit_cost,
        "fixed_cost": fixed_cost,
        "cost": cost,
        "cost_per_response": _ratio(cost, out["responses"]),
        "cost_per_acquisition": _ratio(cost, out["conversions"]),
        "revenue": revenue,
        "roi": _ratio(revenue - cost, cost),
    }


def _control(row: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    held_back, delivered = int(row["held_back"]), int(out["delivered"])
    control_revenue = Decimal(row["control_revenue"]).quantize(CENT)
    result: dict[str, Any] = {
        "control_held_back": held_back,
        "control_responses": int(row["control_responders"]),
        "control_response_rate": _ratio(int(row["control_responders"]), held_back),
        "control_conversions": int(row["control_converters"]),
        "control_conversion_rate": _ratio(int(row["control_converters"]), held_back),
        "control_revenue": control_revenue,
    }
    result |= _lift(
        "response", out["response_rate"], result["control_response_rate"], delivered, held_back
    )
    result |= _lift(
        "conversion",
        out["conversion_rate"],
        result["control_conversion_rate"],
        delivered,
        held_back,
    )
    result |= _incremental(out, control_revenue, held_back)
    return result


def _lift(name: str, p1: float | None, p2: float | None, n1: int, n2: int) -> dict[str, Any]:
    """Lift in percentage points with its 95 % interval (METRICS.md "lift")."""
    if p1 is None or p2 is None:
        return {f"{name}_lift_pp": None, f"{name}_lift_margin_pp": None, f"{name}_lift_ci_pp": None}
    lift = 100 * (p1 - p2)
    margin = 100 * Z95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return {
        f"{name}_lift_pp": lift,
        f"{name}_lift_margin_pp": margin,
        f"{name}_lift_ci_pp": (lift - margin, lift + margin),
    }


def _incremental(
    out: Mapping[str, Any], control_revenue: Decimal, held_back: int
) -> dict[str, Any]:
    """(revenue / delivered - control revenue / held back) x delivered; its ROI on cost."""
    delivered = int(out["delivered"])
    if not delivered or not held_back:
        return {"incremental_revenue": None, "incremental_roi": None}
    per_mailed = out["revenue"] / delivered
    per_control = control_revenue / held_back
    incremental = ((per_mailed - per_control) * delivered).quantize(CENT)
    return {
        "incremental_revenue": incremental,
        "incremental_roi": _ratio(incremental - out["cost"], out["cost"]),
    }


PRESSURE_BANDS = ("0", "1", "2", "3-4", "5+")

# Running sums over the difference array (and over first days, for the population),
# from the earliest day with data up to date_to; days before date_from are dropped.
_PRESSURE_SQL = """
WITH deltas AS (
    SELECT day,
        sum(delta) FILTER (WHERE mailshots = 1) AS band_1,
        sum(delta) FILTER (WHERE mailshots = 2) AS band_2,
        sum(delta) FILTER (WHERE mailshots BETWEEN 3 AND 4) AS band_3_4,
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
        sum(coalesce(x.band_3_4, 0)) OVER w AS band_3_4,
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
    mailed = [int(row[k]) for k in ("band_1", "band_2", "band_3_4", "band_5")]
    counts = [customers - sum(mailed), *mailed]
    return {
        "day": row["day"],
        "customers": customers,
        "distribution": dict(zip(PRESSURE_BANDS, counts, strict=True)),
        "cap": cap,
        "over_cap": int(row["over_cap"]),
        "over_cap_share": _ratio(int(row["over_cap"]), customers),
    }
