"""The SQL of the crm view: one statement per rule, run over the page in ``crm_page``.

Each statement reads the page from the temporary table ``crm_page`` (one row per
relevant fact, see ``projections.crm.view``) and changes the view's tables set-based.
``STEPS`` lists them in the order they must run within a page.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BOUNCED",
    "CAMPAIGNS",
    "CONTACT_DAYS",
    "EMPTY_BUCKETS",
    "FOLLOW_UPS",
    "KNOWN",
    "OPENED",
    "OPENINGS",
    "PRESSURE",
    "REGISTERED",
    "REVENUE",
    "STEPS",
    "WITHDRAWN",
    "add_to_daily",
    "flag_once",
]

OPENINGS = frozenset({"MailshotSent", "MailshotHeldBack"})
_KEYS = "campaign_id, channel, day, segment"


def add_to_daily(columns: Sequence[str], select: str) -> str:
    """An additive upsert of ``crm_daily``: ``select`` yields the keys then ``columns``.

    ``select`` may start with a ``WITH`` (possibly data-modifying) clause; PostgreSQL
    wants that at the top level, so the INSERT goes right before its final SELECT.
    """
    names = ", ".join(columns)
    sets = ", ".join(f"{c} = crm_daily.{c} + excluded.{c}" for c in columns)
    head, _, tail = select.rpartition("\nSELECT ")
    return (
        f"{head}\nINSERT INTO crm_daily ({_KEYS}, {names})\nSELECT {tail} "
        f"ON CONFLICT ({_KEYS}) DO UPDATE SET {sets}"
    )


CAMPAIGNS = """
INSERT INTO crm_campaigns
    (campaign_id, name, channel, fixed_cost, attribution_window_days, planned_at, planned_day)
SELECT campaign_id, name, channel, amount, window_days, occurred_at, day
FROM crm_page WHERE kind = 'CampaignPlanned'
ON CONFLICT (campaign_id) DO NOTHING
"""

REGISTERED = """
INSERT INTO crm_customers (customer_ref, segment, registered_position, first_day)
SELECT DISTINCT ON (customer_ref) customer_ref, segment, position, day
FROM crm_page WHERE kind = 'CustomerRegistered' ORDER BY customer_ref, position
ON CONFLICT (customer_ref) DO UPDATE SET
    segment = excluded.segment,
    registered_position = excluded.registered_position,
    first_day = LEAST(crm_customers.first_day, excluded.first_day)
"""

# The segment is the one registered *earlier in the log* than the send: comparing
# positions keeps the result independent of where the page boundaries fall.
OPENED = add_to_daily(
    ("sent", "unit_cost", "held_back"),
    """
WITH new AS (
    SELECT p.mailshot_id, p.customer_ref, p.campaign_id, p.channel,
        p.kind = 'MailshotHeldBack' AS control, p.occurred_at AS sent_at,
        p.occurred_at + make_interval(hours => 24 * coalesce(c.attribution_window_days, 30))
            AS window_end,
        p.day,
        CASE WHEN k.registered_position < p.position
            THEN coalesce(k.segment, 'unknown') ELSE 'unknown' END AS segment,
        coalesce(c.channel, p.channel) AS opt_out_channel, coalesce(p.amount, 0) AS unit_cost,
        p.position
    FROM crm_page p
    LEFT JOIN crm_campaigns c ON c.campaign_id = p.campaign_id
    LEFT JOIN crm_customers k ON k.customer_ref = p.customer_ref
    WHERE p.kind IN ('MailshotSent', 'MailshotHeldBack')
), opened AS (
    INSERT INTO crm_mailshots (mailshot_id, customer_ref, campaign_id, channel, control,
        sent_at, window_end, day, segment, opt_out_channel, unit_cost, position)
    SELECT * FROM new
    ON CONFLICT (mailshot_id) DO NOTHING
    RETURNING campaign_id, channel, day, segment, control, unit_cost
)
SELECT campaign_id, channel, day, segment, count(*) FILTER (WHERE NOT control),
    coalesce(sum(unit_cost) FILTER (WHERE NOT control), 0), count(*) FILTER (WHERE control)
FROM opened GROUP BY campaign_id, channel, day, segment
""",
)

KNOWN = """
INSERT INTO crm_customers (customer_ref, first_day)
SELECT customer_ref, min(day) FROM crm_page
WHERE kind IN ('MailshotSent', 'MailshotHeldBack') GROUP BY customer_ref
ON CONFLICT (customer_ref) DO UPDATE SET first_day = excluded.first_day
    WHERE excluded.first_day < crm_customers.first_day
"""

WITHDRAWN = """
INSERT INTO crm_opt_outs (position, customer_ref, channel, occurred_at)
SELECT position, customer_ref, channel, occurred_at
FROM crm_page WHERE kind = 'MarketingConsentChanged' AND NOT granted
ON CONFLICT (position) DO NOTHING
"""

# Every response and conversion is kept, credited or not: those outside the window or of
# a bounced send are reported as uncredited (METRICS.md, "crediting"), found at query time
# because a bounce may come after them.
FOLLOW_UPS = """
INSERT INTO crm_follow_ups (position, mailshot_id, kind, occurred_at, value)
SELECT position, mailshot_id,
    CASE kind WHEN 'MailshotResponded' THEN 'response' ELSE 'conversion' END,
    occurred_at, coalesce(amount, 0)
FROM crm_page WHERE kind IN ('MailshotResponded', 'MailshotConverted')
ON CONFLICT (position) DO NOTHING
"""


def flag_once(kind: str, flag: str, mailed: str, control: str) -> str:
    """Set ``flag`` on mailshots with a credited ``kind`` fact; count each mailshot once."""
    return add_to_daily(
        (mailed, control),
        f"""
WITH hit AS (
    UPDATE crm_mailshots m SET {flag} = true
    FROM crm_page p
    WHERE p.kind = '{kind}' AND p.mailshot_id = m.mailshot_id AND NOT m.{flag}
      AND p.occurred_at BETWEEN m.sent_at AND m.window_end
    RETURNING m.campaign_id, m.channel, m.day, m.segment, m.control, m.bounced
)
SELECT campaign_id, channel, day, segment,
    count(*) FILTER (WHERE NOT control AND NOT bounced), count(*) FILTER (WHERE control)
FROM hit GROUP BY campaign_id, channel, day, segment
""",
    )


# A bounce is not windowed: it is counted once per sent mailshot, whenever it came.
# A bounced mailshot never reached its recipient, so what was credited to it so far
# (response, conversion, revenue) is taken back: rates are over delivered. (Opt-outs are
# credited at query time to the latest *delivered* send, so a bounce moves them too.)
BOUNCED = add_to_daily(
    ("bounced", "responders", "converters", "revenue"),
    """
WITH hit AS (
    UPDATE crm_mailshots m SET bounced = true
    FROM crm_page p
    WHERE p.kind = 'MailshotBounced' AND p.mailshot_id = m.mailshot_id
      AND NOT m.bounced AND NOT m.control
    RETURNING m.campaign_id, m.channel, m.day, m.segment, m.responded, m.converted,
        m.revenue
)
SELECT campaign_id, channel, day, segment, count(*),
    -count(*) FILTER (WHERE responded), -count(*) FILTER (WHERE converted), -sum(revenue)
FROM hit GROUP BY campaign_id, channel, day, segment
""",
)

# Each mailshot keeps its credited revenue, so that a later bounce can take it back.
REVENUE = add_to_daily(
    ("revenue", "control_revenue"),
    """
WITH credited AS (
    SELECT p.mailshot_id, sum(p.amount) AS amount
    FROM crm_page p JOIN crm_mailshots m ON m.mailshot_id = p.mailshot_id
    WHERE p.kind = 'MailshotConverted' AND p.occurred_at BETWEEN m.sent_at AND m.window_end
    GROUP BY p.mailshot_id
), added AS (
    UPDATE crm_mailshots m SET revenue = m.revenue + c.amount
    FROM credited c WHERE m.mailshot_id = c.mailshot_id
    RETURNING m.campaign_id, m.channel, m.day, m.segment, m.control, m.bounced, c.amount
)
SELECT campaign_id, channel, day, segment,
    coalesce(sum(amount) FILTER (WHERE NOT control AND NOT bounced), 0),
    coalesce(sum(amount) FILTER (WHERE control), 0)
FROM added GROUP BY campaign_id, channel, day, segment
""",
)

# Each customer-day whose 30-day count changes moves one customer from the bucket of
# its old count to the bucket of its new count (old counts read before the page).
# Contact pressure is kept as a difference array: crm_pressure_changes(day, mailshots,
# delta) = change, from that day on, in the number of customers with exactly that many
# mailshots in their trailing 30 days. A send on day d adds n to a customer's count on
# days d .. d+29; between consecutive change points (days of sends and 30 days after
# them) the count is constant, so each such segment moves the customer from bucket
# "old" to bucket "old + plus" at its start and back at its stop: a handful of rows per
# send instead of one per day. Old counts are read before the page is added to them.
PRESSURE = """
WITH added AS (
    SELECT customer_ref, day, count(*) AS n FROM crm_page
    WHERE kind = 'MailshotSent' GROUP BY customer_ref, day
), span AS (
    SELECT customer_ref, min(day) AS lo, max(day) AS hi FROM added GROUP BY customer_ref
), sends AS (
    SELECT c.customer_ref, c.day, c.sends AS old, 0 AS plus
    FROM crm_contact_days c JOIN span s ON s.customer_ref = c.customer_ref
    WHERE c.day BETWEEN s.lo - 29 AND s.hi + 29
    UNION ALL
    SELECT customer_ref, day, 0, n FROM added
), points AS (
    SELECT customer_ref, day FROM sends
    UNION
    SELECT customer_ref, day + 30 FROM sends
), segments AS (
    SELECT customer_ref, day AS start,
        lead(day) OVER (PARTITION BY customer_ref ORDER BY day) AS stop
    FROM points
), counts AS (
    SELECT g.start, g.stop, sum(s.old) AS old, sum(s.plus) AS plus
    FROM segments g JOIN sends s
        ON s.customer_ref = g.customer_ref AND s.day BETWEEN g.start - 29 AND g.start
    GROUP BY g.customer_ref, g.start, g.stop
    HAVING sum(s.plus) > 0
), moves AS (
    SELECT start AS day, old AS mailshots, -1 AS delta FROM counts WHERE old > 0
    UNION ALL
    SELECT start, old + plus, 1 FROM counts
    UNION ALL
    SELECT stop, old, 1 FROM counts WHERE old > 0
    UNION ALL
    SELECT stop, old + plus, -1 FROM counts
)
INSERT INTO crm_pressure_changes (day, mailshots, delta)
SELECT day, mailshots, sum(delta) FROM moves GROUP BY day, mailshots
ON CONFLICT (day, mailshots) DO UPDATE SET delta = crm_pressure_changes.delta + excluded.delta
"""

CONTACT_DAYS = """
INSERT INTO crm_contact_days (customer_ref, day, sends)
SELECT customer_ref, day, count(*) FROM crm_page
WHERE kind = 'MailshotSent' GROUP BY customer_ref, day
ON CONFLICT (customer_ref, day) DO UPDATE SET sends = crm_contact_days.sends + excluded.sends
"""

EMPTY_BUCKETS = """
DELETE FROM crm_pressure_changes WHERE delta = 0 AND day BETWEEN
    (SELECT min(day) FROM crm_page WHERE kind = 'MailshotSent')
    AND (SELECT max(day) + 30 FROM crm_page WHERE kind = 'MailshotSent')
"""

_SENT = frozenset({"MailshotSent"})
# In this order: campaigns and registrations before the sends that look them up, sends
# before the follow-ups of the same page, old pressure read before it is added to.
STEPS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"CampaignPlanned"}), CAMPAIGNS),
    (frozenset({"CustomerRegistered"}), REGISTERED),
    (frozenset({"MarketingConsentChanged"}), WITHDRAWN),
    (OPENINGS, OPENED),
    (OPENINGS, KNOWN),
    (frozenset({"MailshotResponded", "MailshotConverted"}), FOLLOW_UPS),
    (frozenset({"MailshotBounced"}), BOUNCED),
    (
        frozenset({"MailshotResponded"}),
        flag_once("MailshotResponded", "responded", "responders", "control_responders"),
    ),
    (frozenset({"MailshotConverted"}), REVENUE),
    (
        frozenset({"MailshotConverted"}),
        flag_once("MailshotConverted", "converted", "converters", "control_converters"),
    ),
    (_SENT, PRESSURE),
    (_SENT, CONTACT_DAYS),
    (_SENT, EMPTY_BUCKETS),
)
