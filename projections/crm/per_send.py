"""CRM figures computed at query time from the per-send rows (``crm_mailshots``).

METRICS.md ("CRM view") defines some figures that are not additive over days, or that
a later fact may move from one send to another, so the view cannot keep them as daily
sums: they are computed here, per group, from one row per send or hold-back.

- **Contact pressure at the send** (``pressure_band``): mailshots sent to the recipient
  with ``sent - 30 days <= sent_at <= sent`` (exact seconds), counting that send; bands
  of ``projections.cem.bands`` (the cem view's, so the NPS beside them is banded alike).
  Hold-backs are not sends: their band is null.
- **Per-customer rates**: reached customers (distinct, with a delivered send), responding
  and converting customers among them (a credited response or conversion on a delivered
  send); held-back customers and the campaigns holding them back.
- **Opt-outs by last touch**: each consent withdrawal is credited once, to the latest
  delivered send on its channel (the campaign's) to that customer strictly before it (the
  latest logged of sends at one instant), when it falls in that send's window (end
  included). A send counts one opt-out however many withdrawals are credited to it.
- **Uncredited responses and conversions**: of a bounced send (reason ``bounced``,
  whenever the bounce came) or after the window's end (``outside_window``), as counts and
  conversion value.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable

from projections.cem.bands import pressure_band_sql
from projections.cem.view import PRESSURE_WINDOW

__all__ = [
    "FIGURES",
    "SENDS",
    "UNCREDITED",
    "customers_and_opt_outs",
    "params",
    "sends_source",
    "uncredited",
]

FIGURES = (
    "reached_customers",
    "responding_customers",
    "converting_customers",
    "control_customers",
    "control_campaigns",
    "opt_outs",
)
UNCREDITED = (
    "uncredited_responses_outside_window",
    "uncredited_responses_bounced",
    "uncredited_conversions_outside_window",
    "uncredited_conversions_bounced",
    "uncredited_value_outside_window",
    "uncredited_value_bounced",
)

# One row per send or hold-back of the range; {band} is the pressure band or NULL.
SENDS = """
SELECT m.mailshot_id, m.customer_ref, m.campaign_id, m.channel, m.day, m.segment,
    m.control, m.bounced, m.responded, m.converted, m.revenue, m.unit_cost, m.sent_at,
    m.window_end, {band} AS pressure_band
FROM crm_mailshots m {pressure}
WHERE m.day BETWEEN %(date_from)s AND %(date_to)s
"""
_PRESSURE = """
LEFT JOIN LATERAL (SELECT count(*) AS sends FROM crm_mailshots x
    WHERE x.customer_ref = m.customer_ref AND NOT x.control
      AND x.sent_at BETWEEN m.sent_at - %(pressure)s * interval '1 second' AND m.sent_at
) p ON NOT m.control
"""


def sends_source(with_band: bool) -> Composable:
    """The per-send rows of the range, with the pressure band when ``with_band``."""
    if not with_band:
        return SQL(SENDS.format(band="NULL::text", pressure=""))
    band = f"CASE WHEN NOT m.control THEN {pressure_band_sql('p.sends')} END"
    return SQL(SENDS.format(band=band, pressure=_PRESSURE))


def params(query_params: dict[str, Any]) -> dict[str, Any]:
    """The query's parameters plus the pressure window in seconds."""
    return query_params | {"pressure": PRESSURE_WINDOW.total_seconds()}


_CUSTOMERS_SQL = """
WITH s AS ({sends}),
touched AS (
    SELECT DISTINCT t.mailshot_id
    FROM crm_opt_outs o
    CROSS JOIN LATERAL (SELECT x.mailshot_id, x.window_end FROM crm_mailshots x
        WHERE x.customer_ref = o.customer_ref AND x.opt_out_channel = o.channel
          AND NOT x.control AND NOT x.bounced AND x.sent_at < o.occurred_at
        ORDER BY x.sent_at DESC, x.position DESC LIMIT 1) t
    WHERE o.occurred_at <= t.window_end
      AND o.customer_ref IN (SELECT customer_ref FROM s WHERE NOT control)
      AND o.occurred_at > (SELECT min(sent_at) FROM s)
)
SELECT {groups}
    count(DISTINCT customer_ref) FILTER (WHERE NOT control AND NOT bounced)
        AS reached_customers,
    count(DISTINCT customer_ref) FILTER (WHERE NOT control AND NOT bounced AND responded)
        AS responding_customers,
    count(DISTINCT customer_ref) FILTER (WHERE NOT control AND NOT bounced AND converted)
        AS converting_customers,
    count(DISTINCT customer_ref) FILTER (WHERE control) AS control_customers,
    count(DISTINCT campaign_id) FILTER (WHERE control) AS control_campaigns,
    count(*) FILTER (WHERE mailshot_id IN (SELECT mailshot_id FROM touched)) AS opt_outs
FROM s WHERE true {filters} {group_by}
"""

_UNCREDITED_SQL = """
WITH s AS ({sends})
SELECT {groups}
    count(*) FILTER (WHERE f.kind = 'response' AND r.reason = 'outside_window')
        AS uncredited_responses_outside_window,
    count(*) FILTER (WHERE f.kind = 'response' AND r.reason = 'bounced')
        AS uncredited_responses_bounced,
    count(*) FILTER (WHERE f.kind = 'conversion' AND r.reason = 'outside_window')
        AS uncredited_conversions_outside_window,
    count(*) FILTER (WHERE f.kind = 'conversion' AND r.reason = 'bounced')
        AS uncredited_conversions_bounced,
    coalesce(sum(f.value) FILTER (WHERE r.reason = 'outside_window'), 0)
        AS uncredited_value_outside_window,
    coalesce(sum(f.value) FILTER (WHERE r.reason = 'bounced'), 0) AS uncredited_value_bounced
FROM s JOIN crm_follow_ups f ON f.mailshot_id = s.mailshot_id
CROSS JOIN LATERAL (SELECT CASE WHEN s.bounced THEN 'bounced'
    WHEN f.occurred_at > s.window_end THEN 'outside_window' END AS reason) r
WHERE r.reason IS NOT NULL {filters} {group_by}
"""


def _grouped(
    conn: Connection[Any],
    template: str,
    parts: dict[str, Composable],
    values: dict[str, Any],
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SQL(template).format(**parts), params(values)).fetchall()


def customers_and_opt_outs(
    conn: Connection[Any], parts: dict[str, Composable], values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per group: reached / responding / converting / held-back customers, the campaigns
    holding customers back, and the sends credited with an opt-out (last touch).

    ``parts`` holds the SQL of ``sends``, ``groups`` (``col, ...`` with a trailing
    comma), ``filters`` and ``group_by``; ``values`` the range parameters.
    """
    return _grouped(conn, _CUSTOMERS_SQL, parts, values)


def uncredited(
    conn: Connection[Any], parts: dict[str, Composable], values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per group: responses and conversions not credited, counts and value by reason."""
    return _grouped(conn, _UNCREDITED_SQL, parts, values)
