"""The SQL of the cem view's apply (see projections/cem/view.py for the rules it implements).

Every statement works on a whole page: COPY appends to the helper tables, one
statement finds the replies the page may re-attribute, one re-attributes them and
moves their contributions between the buckets of ``cem_daily``.
"""

from __future__ import annotations

from projections.cem.bands import handle_time_band_sql, pressure_band_sql

__all__ = [
    "COLUMNS",
    "CORRECT_CALLS",
    "DROP_EMPTY",
    "FIND_AFFECTED",
    "REATTRIBUTE",
    "SETTINGS",
    "TYPES",
]

# For the view's transaction only: plan every statement for its actual arrays (a generic
# plan of an auto-prepared statement may hash a whole helper table per page), and no JIT
# (estimates lag while a rebuild grows the tables; compiling costs more than it saves).
SETTINGS = """
SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)
"""

# The types of COLUMNS, in order: the rows are copied in binary (no text to escape).
TYPES = {
    "cem_customers": ("text", "text", "bigint"),
    "cem_calls": ("uuid", "text", "timestamptz", "boolean", "text", "text", "text", "integer",
                  "integer", "integer", "bigint"),
    "cem_mailshots": ("uuid", "text", "timestamptz", "bigint"),
    "cem_replies": ("uuid", "bigint", "text", "timestamptz", "date", "text", "smallint",
                    "smallint", "smallint", "text", "uuid"),
}  # fmt: skip
COLUMNS = {
    "cem_customers": "customer_ref, segment, position",
    "cem_calls": "call_id, customer_ref, occurred_at, answered, queue, agent_id, reason, "
    "talk_seconds, hold_seconds, after_call_work_seconds, position",
    "cem_mailshots": "mailshot_id, customer_ref, sent_at, position",
    "cem_replies": "reply_id, position, customer_ref, occurred_at, day, survey_kind, nps, csat, "
    "effort, about_kind, about_id",
}

# Array parameters are binary (%b): dumped several times faster than as text.
# Returns each corrected call as a trigger of FIND_AFFECTED.
CORRECT_CALLS = """
UPDATE cem_calls c SET queue = coalesce(u.queue, c.queue),
    agent_id = coalesce(u.agent_id, c.agent_id), reason = coalesce(u.reason, c.reason),
    talk_seconds = coalesce(u.talk, c.talk_seconds),
    hold_seconds = coalesce(u.hold, c.hold_seconds),
    after_call_work_seconds = coalesce(u.acw, c.after_call_work_seconds)
FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::text[], %b::int[], %b::int[], %b::int[])
    AS u(call_id, queue, agent_id, reason, talk, hold, acw)
WHERE c.call_id = u.call_id
RETURNING 'fixed', c.customer_ref, c.occurred_at, c.call_id
"""

# Replies an earlier page's attribution may no longer fit. Each trigger concerns one
# customer and keeps the replies it can change: a send their pressure (sent in the 30
# days up to the reply) or a detractor's follow-up (within 48 h after it); a new answered
# call a detractor's follow-up or the repeat flag of a later surveyed call within W; a
# corrected call its own replies and (its reason) later calls' repeat flags; a
# registration the segment. A reply's customer is its call's customer (the domain refuses
# anything else), so the repeat flags are found among the same replies. Each rule is its
# own index range scan per trigger (customer and time, customer and call time, or the
# call), so the work is bounded by the windows, never by how many replies the customer
# has had: one customer holding half the history costs what many customers do.
_AFFECTED = """
WITH t AS (SELECT * FROM unnest(%(kind)b::text[], %(customer)b::text[],
        %(at)b::timestamptz[], %(call)b::uuid[]) AS t(kind, customer_ref, at, call_id))
SELECT DISTINCT a.reply_id
FROM t CROSS JOIN LATERAL (
    SELECT r.reply_id FROM cem_replies r
    WHERE t.kind = 'send' AND r.customer_ref = t.customer_ref
        AND r.occurred_at BETWEEN t.at AND t.at + {pressure}
    UNION ALL
    SELECT r.reply_id FROM cem_replies r
    WHERE t.kind IN ('send', 'call') AND r.customer_ref = t.customer_ref
        AND r.occurred_at BETWEEN t.at - {loop} AND t.at AND r.nps <= 6
    UNION ALL
    SELECT r.reply_id FROM cem_replies r
    WHERE t.kind IN ('call', 'fixed') AND r.customer_ref = t.customer_ref
        AND r.call_at > t.at AND r.call_at <= t.at + {repeat}
    UNION ALL
    SELECT r.reply_id FROM cem_replies r
    WHERE t.kind = 'fixed' AND r.about_id = t.call_id AND r.customer_ref = t.customer_ref
    UNION ALL
    SELECT r.reply_id FROM cem_replies r
    WHERE t.kind NOT IN ('send', 'call', 'fixed') AND r.customer_ref = t.customer_ref
) AS a
"""
_FRESH = """
WITH fresh AS (SELECT r.reply_id, r.day, r.survey_kind, r.nps, r.csat, r.effort, r.attributed,
        r.queue AS o_queue, r.agent_id AS o_agent_id, r.reason AS o_reason,
        r.handle_time_band AS o_band, r.repeat_contact AS o_repeat,
        r.pressure_band AS o_pressure, r.segment AS o_segment, r.followup_at AS o_followup,
        k.occurred_at AS call_at, k.queue, k.agent_id, k.reason,
        CASE WHEN k.call_id IS NOT NULL THEN {handle_band} END AS handle_time_band,
        CASE WHEN k.call_id IS NOT NULL THEN EXISTS (SELECT FROM cem_calls e
            WHERE e.customer_ref = k.customer_ref AND e.reason = k.reason AND e.answered
            AND e.occurred_at < k.occurred_at AND e.occurred_at >= k.occurred_at - {repeat})
            END AS repeat_contact,
        (SELECT {pressure_band} FROM cem_mailshots m WHERE m.customer_ref = r.customer_ref
            AND m.sent_at BETWEEN r.occurred_at - {pressure} AND r.occurred_at) AS pressure_band,
        (SELECT c.segment FROM cem_customers c WHERE c.customer_ref = r.customer_ref) AS segment,
        CASE WHEN r.nps <= 6 THEN least(
            (SELECT min(m.sent_at) FROM cem_mailshots m WHERE m.customer_ref = r.customer_ref
                AND m.sent_at > r.occurred_at AND m.sent_at <= r.occurred_at + {loop}),
            (SELECT min(b.occurred_at) FROM cem_calls b WHERE b.customer_ref = r.customer_ref
                AND b.answered AND b.call_id IS DISTINCT FROM r.about_id
                AND b.occurred_at > r.occurred_at AND b.occurred_at <= r.occurred_at + {loop}))
            END AS followup_at
    FROM cem_replies r
    LEFT JOIN LATERAL (SELECT * FROM cem_calls k
        WHERE r.about_kind = 'call' AND k.call_id = r.about_id OFFSET 0) k ON true
    WHERE r.reply_id = ANY(%(replies)b::uuid[])),
"""
_MOVE = """
    changed AS (SELECT *, NOT attributed OR (o_queue, o_agent_id, o_reason, o_band, o_repeat,
            o_pressure, o_segment) IS DISTINCT FROM (queue, agent_id, reason, handle_time_band,
            repeat_contact, pressure_band, segment) AS moves
        FROM fresh),
    stored AS (UPDATE cem_replies r SET (call_at, queue, agent_id, reason, handle_time_band,
            repeat_contact, pressure_band, segment, followup_at, attributed) = (c.call_at,
            c.queue, c.agent_id, c.reason, c.handle_time_band, c.repeat_contact,
            c.pressure_band, c.segment, c.followup_at, true)
        FROM changed c WHERE r.reply_id = c.reply_id
            AND (c.moves OR c.o_followup IS DISTINCT FROM c.followup_at)),
    delta AS (
        SELECT day, survey_kind, o_queue AS queue, o_agent_id AS agent_id, o_reason AS reason,
            o_band AS handle_time_band, o_repeat AS repeat_contact, o_pressure AS pressure_band,
            o_segment AS segment, -1 AS sign, nps, csat, effort
        FROM changed WHERE moves AND attributed
        UNION ALL
        SELECT day, survey_kind, queue, agent_id, reason, handle_time_band, repeat_contact,
            pressure_band, segment, 1, nps, csat, effort
        FROM changed WHERE moves)
INSERT INTO cem_daily AS d
SELECT day, survey_kind, queue, agent_id, reason, handle_time_band, repeat_contact,
    pressure_band, segment, sum(sign),
    coalesce(sum(sign) FILTER (WHERE nps IS NOT NULL), 0),
    coalesce(sum(sign) FILTER (WHERE nps >= 9), 0),
    coalesce(sum(sign) FILTER (WHERE nps BETWEEN 7 AND 8), 0),
    coalesce(sum(sign) FILTER (WHERE nps <= 6), 0),
    coalesce(sum(sign) FILTER (WHERE csat IS NOT NULL), 0),
    coalesce(sum(sign) FILTER (WHERE csat >= 4), 0),
    coalesce(sum(sign) FILTER (WHERE effort IS NOT NULL), 0),
    coalesce(sum(sign * effort), 0),
    coalesce(sum(sign) FILTER (WHERE effort >= 5), 0)
FROM delta
GROUP BY day, survey_kind, queue, agent_id, reason, handle_time_band, repeat_contact,
    pressure_band, segment
ON CONFLICT (day, survey_kind, queue, agent_id, reason, handle_time_band, repeat_contact,
    pressure_band, segment) DO UPDATE SET replies = d.replies + EXCLUDED.replies,
    nps_replies = d.nps_replies + EXCLUDED.nps_replies,
    promoters = d.promoters + EXCLUDED.promoters, passives = d.passives + EXCLUDED.passives,
    detractors = d.detractors + EXCLUDED.detractors,
    csat_replies = d.csat_replies + EXCLUDED.csat_replies,
    csat_top2 = d.csat_top2 + EXCLUDED.csat_top2,
    effort_replies = d.effort_replies + EXCLUDED.effort_replies,
    effort_sum = d.effort_sum + EXCLUDED.effort_sum, effort_5_7 = d.effort_5_7 + EXCLUDED.effort_5_7
"""
# Windows are exact seconds, so no time zone or DST can stretch a "day". A follow-up
# closes a loop only strictly after the reply (METRICS.md: "followed by" is strictly
# later) and at most 48 h after it (end included); bands are defined in bands.py.
_WINDOWS = {
    "handle_band": handle_time_band_sql("k.handled_seconds"),
    "pressure_band": pressure_band_sql("count(*)"),
    "repeat": "%(repeat_window)s * interval '1 second'",
    "pressure": "%(pressure_window)s * interval '1 second'",
    "loop": "%(loop_window)s * interval '1 second'",
}
FIND_AFFECTED = _AFFECTED.format(**_WINDOWS)
REATTRIBUTE = (_FRESH + _MOVE).format(**_WINDOWS)
DROP_EMPTY = "DELETE FROM cem_daily WHERE replies = 0"
