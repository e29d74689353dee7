"""The SQL of the cost view's apply (the rules are in projections/cost/view.py).

Templates are composed with ``psycopg.sql`` by the view: ``{...}`` fields are filled with
SQL it builds from settings, never with input; ``%b`` are binary array parameters.
"""

from __future__ import annotations

__all__ = [
    "CONTRIBUTION",
    "CORRECT_CALLS",
    "DROP_EMPTY",
    "DROP_EMPTY_HISTOGRAM_BUCKETS",
    "DROP_EMPTY_SLOTS",
    "HISTOGRAMS",
    "INSERT_CALLS",
    "RELINK",
    "UPSERT",
]

# Signed contribution of each row of x(sign, <cost_calls columns>) to its bucket. Cost
# is rate x handled + fixed x answered per bucket (queue is part of the bucket key):
# exact in numeric, and cheaper than per-row numeric arithmetic.
CONTRIBUTION = """
    sum(sign),
    sum(sign * answered),
    sum(sign * (1 - answered)),
    sum(sign * (1 - answered) * (wait_seconds < {short})::int),
    sum(sign * answered * wait_seconds),
    sum(sign * answered * talk_seconds),
    sum(sign * answered * hold_seconds),
    sum(sign * answered * after_call_work_seconds),
    sum(sign * answered * handled),
    sum(sign * answered * (wait_seconds <= {target})::int),
    sum(sign * answered * transferred::int),
    sum(sign * answered * resolved::int),
    sum(sign * answered * handled) * {rate}::numeric + sum(sign * answered) * {fixed}::numeric
"""
UPSERT = """
INSERT INTO {table} AS d ({key}, {components})
SELECT {key}, {contribution}
FROM (
    SELECT x.*, (x.outcome = 'answered')::int AS answered,
        x.talk_seconds + x.hold_seconds + x.after_call_work_seconds AS handled
    FROM x
) AS signed
GROUP BY {key}
ON CONFLICT ({key}) DO UPDATE SET {added}{returning}
"""
INSERT_CALLS = """
WITH new AS (
    INSERT INTO cost_calls ({columns}) SELECT * FROM {arrays} RETURNING *
), x AS (SELECT 1 AS sign, new.* FROM new){more}
{add}
"""
CORRECT_CALLS = """
WITH corr (call_id, {names}) AS (SELECT * FROM {arrays}),
old AS (SELECT c.* FROM cost_calls AS c JOIN corr USING (call_id)),
new AS (
    UPDATE cost_calls AS c SET {assign} FROM corr WHERE c.call_id = corr.call_id RETURNING c.*
),
x AS (SELECT -1 AS sign, old.* FROM old UNION ALL SELECT 1 AS sign, new.* FROM new){more}
{add}
"""
# Wait and handle times of answered calls, wait of abandoned ones: one bucket each.
HISTOGRAMS = """
INSERT INTO cost_histograms AS h (day, queue, agent, reason, measure, low_seconds, calls)
SELECT x.day, x.queue, x.agent, x.reason, m.measure, {bucket}, sum(x.sign)
FROM x CROSS JOIN LATERAL (VALUES
    ('wait', x.wait_seconds, x.outcome = 'answered'),
    ('handle', x.talk_seconds + x.hold_seconds + x.after_call_work_seconds,
        x.outcome = 'answered'),
    ('abandon_wait', x.wait_seconds, x.outcome = 'abandoned')
) AS m (measure, seconds, counted)
WHERE m.counted
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (day, queue, agent, reason, measure, low_seconds)
DO UPDATE SET calls = h.calls + excluded.calls
"""
# A correction can empty a slot or a bucket: dropped (through a partial index of the
# empty rows), so the live view has the rows of a history that never had the call there.
DROP_EMPTY_SLOTS = "DELETE FROM cost_intervals WHERE offered = 0"
DROP_EMPTY_HISTOGRAM_BUCKETS = "DELETE FROM cost_histograms WHERE calls = 0"
DROP_EMPTY = """
DELETE FROM cost_daily AS d
USING unnest(%b::date[], %b::text[], %b::text[], %b::text[]) AS e (day, queue, agent, reason)
WHERE (d.day, d.queue, d.agent, d.reason) = (e.day, e.queue, e.agent, e.reason)
    AND d.offered = 0
"""
# Repeat links recomputed around what the page touched, per (customer, reason) between
# the earliest (low) and latest (high) instant touched. A touch at t can change the
# first repeat of the calls in [t - W, t) and the repeat flag of the calls in (t, t + W]
# (and both of a call at t), so first repeats are recomputed for the calls in
# [low - W, high] and repeat flags for those in [low, high + W]: both only need the
# calls in [low - W, high + W], one range scan of (customer_ref, reason, occurred_at).
# A repeat is a strictly later call within W (end included): the first repeat is the
# first call in (t, t + W], and a call is a repeat if an answered call lies in
# [t - W, t). Timestamps are microseconds, so "strictly" is one microsecond; these
# frames exclude no rows, so PostgreSQL slides them (first_value reads the frame's
# first row; count adds and removes rows) instead of re-scanning W for every call: the
# work is the calls in the range, whatever one customer's share of them.
RELINK = """
WITH spans AS (
    SELECT * FROM unnest(%b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[])
        AS k (customer_ref, reason, low, high)
), linked AS (
    SELECT c.call_id, c.occurred_at, k.low, k.high,
        c.first_repeat_at AS was_first, c.is_repeat AS was_repeat,
        CASE WHEN c.outcome = 'answered' THEN first_value(c.occurred_at) OVER later
            END AS first_repeat_at,
        count(*) FILTER (WHERE c.outcome = 'answered') OVER earlier > 0 AS is_repeat
    FROM spans AS k JOIN cost_calls AS c
        ON c.customer_ref = k.customer_ref AND c.reason = k.reason
        AND c.occurred_at BETWEEN k.low - {window} AND k.high + {window}
    WINDOW later AS (
        PARTITION BY c.customer_ref, c.reason ORDER BY c.occurred_at
        RANGE BETWEEN '1 microsecond' FOLLOWING AND {window} FOLLOWING
    ), earlier AS (
        PARTITION BY c.customer_ref, c.reason ORDER BY c.occurred_at
        RANGE BETWEEN {window} PRECEDING AND '1 microsecond' PRECEDING
    )
), fresh AS (
    SELECT call_id, was_first, was_repeat,
        CASE WHEN occurred_at <= high THEN first_repeat_at ELSE was_first END AS first_repeat_at,
        CASE WHEN occurred_at >= low THEN is_repeat ELSE was_repeat END AS is_repeat
    FROM linked
), changed AS (
    SELECT * FROM fresh
    WHERE was_first IS DISTINCT FROM first_repeat_at OR was_repeat <> is_repeat
)
UPDATE cost_calls AS c SET first_repeat_at = changed.first_repeat_at, is_repeat = changed.is_repeat
FROM changed
WHERE c.call_id = changed.call_id
"""
