"""The cem view: survey components per day and breakdown, and closed-loop follow-up.

Attribution is kept current: a reply's breakdown key (queue, agent, reason and
handle-time band of the surveyed call, its repeat flag, the customer's contact
pressure at reply time, the customer's segment) and a detractor's follow-up are
always those the facts applied so far imply, whatever order they arrived in. A
correction of the surveyed call, an earlier call, a mailshot or a registration
that arrives later moves the reply's contribution from its old bucket to its new
one. So the view is a function of the facts applied, not of how they were paged:
a rebuild equals the live view. See /work/notes/cem_tables.md for every rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import Cursor

from domain import facts as f
from domain.reading import LoggedFact
from projections.config import ViewConfig

PRESSURE_WINDOW = timedelta(days=30)  # METRICS.md: mailshots in the trailing 30 days
HANDLE_TIME_BANDS = ("<3", "3-6", "6-10", ">10")
PRESSURE_BANDS = ("0", "1", "2", "3-4", "5+")


_CORRECTABLE = (
    "queue", "agent_id", "reason", "talk_seconds", "hold_seconds", "after_call_work_seconds",
)  # fmt: skip


@dataclass
class _Page:
    """One page's facts, split into the rows of each helper table."""

    customers: list[tuple[Any, ...]] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    corrections: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    mailshots: list[tuple[Any, ...]] = field(default_factory=list)
    replies: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, item: LoggedFact, zone: ZoneInfo) -> None:
        fact, position = item.fact, item.position
        if isinstance(fact, f.CallRecorded):
            self.calls.append(_call_row(fact, position))
        elif isinstance(fact, f.CallCorrected):
            amended = {n: v for n in _CORRECTABLE if (v := getattr(fact, n)) is not None}
            self.corrections.setdefault(fact.originator_id, {}).update(amended)
        elif isinstance(fact, f.MailshotSent):
            self.mailshots.append(
                (fact.originator_id, fact.customer_ref, fact.occurred_at, position)
            )
        elif isinstance(fact, f.SurveyReplied):
            self.replies.append(_reply_row(fact, position, zone))
        elif isinstance(fact, f.CustomerRegistered):
            self.customers.append((fact.customer_ref, fact.segment, position))


def _call_row(fact: f.CallRecorded, position: int) -> tuple[Any, ...]:
    answered = fact.outcome == "answered"
    return (fact.originator_id, fact.customer_ref, fact.occurred_at, answered, fact.queue,
            fact.agent_id, fact.reason, fact.talk_seconds, fact.hold_seconds,
            fact.after_call_work_seconds, position)  # fmt: skip


def _reply_row(fact: f.SurveyReplied, position: int, zone: ZoneInfo) -> tuple[Any, ...]:
    day = fact.occurred_at.astimezone(zone).date()
    return (fact.originator_id, position, fact.customer_ref, fact.occurred_at, day,
            fact.survey_kind, fact.nps, fact.csat, fact.effort, fact.about_kind,
            fact.about_id)  # fmt: skip


_COLUMNS = {
    "cem_customers": "customer_ref, segment, position",
    "cem_calls": "call_id, customer_ref, occurred_at, answered, queue, agent_id, reason, "
    "talk_seconds, hold_seconds, after_call_work_seconds, position",
    "cem_mailshots": "mailshot_id, customer_ref, sent_at, position",
    "cem_replies": "reply_id, position, customer_ref, occurred_at, day, survey_kind, nps, csat, "
    "effort, about_kind, about_id",
}


def _copy(cur: Cursor[Any], table: str, rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` to a helper table with COPY (each fact is applied exactly once)."""
    with cur.copy(f"COPY {table} ({_COLUMNS[table]}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# For this transaction only: plan every statement for its actual arrays (a generic
# plan of an auto-prepared statement may hash a whole helper table per page), and no
# JIT (estimates lag while a rebuild grows the tables; compiling costs more than it saves).
_SETTINGS = """
SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)
"""
_CORRECT_CALLS = """
UPDATE cem_calls c SET queue = coalesce(u.queue, c.queue),
    agent_id = coalesce(u.agent_id, c.agent_id), reason = coalesce(u.reason, c.reason),
    talk_seconds = coalesce(u.talk, c.talk_seconds),
    hold_seconds = coalesce(u.hold, c.hold_seconds),
    after_call_work_seconds = coalesce(u.acw, c.after_call_work_seconds)
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::int[], %s::int[], %s::int[])
    AS u(call_id, queue, agent_id, reason, talk, hold, acw)
WHERE c.call_id = u.call_id
RETURNING c.call_id
"""
_OLD_REASONS = """
SELECT customer_ref, reason, occurred_at FROM cem_calls
WHERE call_id = ANY(%s::uuid[]) AND answered
"""


@dataclass
class _Triggers:
    """What changed in a page, as the keys of the replies it may re-attribute."""

    new_replies: list[UUID] = field(default_factory=list)
    corrected_calls: list[UUID] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    repeats: list[tuple[str, str, Any]] = field(default_factory=list)  # customer, reason, at
    sends: list[tuple[str, Any]] = field(default_factory=list)  # customer, sent_at
    contacts: list[tuple[str, Any]] = field(default_factory=list)  # customer, at

    def reaches_back(self) -> bool:
        """Whether replies already stored may need re-attribution."""
        return bool(self.corrected_calls or self.registered or self.repeats or self.contacts)

    def arrays(self) -> dict[str, list[Any]]:
        """The triggers as one array per column (parameters of ``_FIND_AFFECTED``)."""
        return {
            "corrected": self.corrected_calls,
            "registered": self.registered,
            "r_customer": [t[0] for t in self.repeats],
            "r_reason": [t[1] for t in self.repeats],
            "r_at": [t[2] for t in self.repeats],
            "s_customer": [t[0] for t in self.sends],
            "s_at": [t[1] for t in self.sends],
            "k_customer": [t[0] for t in self.contacts],
            "k_at": [t[1] for t in self.contacts],
        }


class CemView:
    """The 'cem' view: NPS, CSAT and effort components and detractor follow-up."""

    name = "cem"
    tables = ("cem_daily", "cem_replies", "cem_calls", "cem_mailshots", "cem_customers")

    def __init__(self, config: ViewConfig) -> None:
        self.config = config

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply a page set-based: one statement per helper table, then re-attribute."""
        cur.execute(_SETTINGS)
        rows = _Page()
        for item in page:
            rows.add(item, self.config.zone)
        triggers = _Triggers()
        _store_customers(cur, rows, triggers)
        _store_calls(cur, rows, triggers)
        _correct_calls(cur, rows, triggers)
        _store_mailshots(cur, rows, triggers)
        _store_replies(cur, rows, triggers)
        _reattribute(cur, triggers, self.config)


def _store_customers(cur: Cursor[Any], rows: _Page, triggers: _Triggers) -> None:
    if rows.customers:
        _copy(cur, "cem_customers", rows.customers)
        triggers.registered = [row[0] for row in rows.customers]


def _store_calls(cur: Cursor[Any], rows: _Page, triggers: _Triggers) -> None:
    if not rows.calls:
        return
    _copy(cur, "cem_calls", rows.calls)
    answered = [(row[1], row[6], row[2]) for row in rows.calls if row[3]]
    triggers.repeats += answered  # later calls of the same reason may now be repeats
    triggers.contacts += [(customer, at) for customer, _, at in answered]


def _correct_calls(cur: Cursor[Any], rows: _Page, triggers: _Triggers) -> None:
    if not rows.corrections:
        return
    ids = list(rows.corrections)
    # A reason change can make later calls of the old or the new reason (non-)repeats.
    triggers.repeats += cur.execute(_OLD_REASONS, (ids,)).fetchall()
    updates = [[rows.corrections[i].get(name) for i in ids] for name in _CORRECTABLE]
    cur.execute(_CORRECT_CALLS, [ids, *updates])
    triggers.repeats += cur.execute(_OLD_REASONS, (ids,)).fetchall()
    triggers.corrected_calls = ids


def _store_mailshots(cur: Cursor[Any], rows: _Page, triggers: _Triggers) -> None:
    if rows.mailshots:
        _copy(cur, "cem_mailshots", rows.mailshots)
        triggers.sends = [(row[1], row[2]) for row in rows.mailshots]
        triggers.contacts += triggers.sends


def _store_replies(cur: Cursor[Any], rows: _Page, triggers: _Triggers) -> None:
    if rows.replies:
        _copy(cur, "cem_replies", rows.replies)
        triggers.new_replies = [row[0] for row in rows.replies]


# Each trigger finds the replies it may re-attribute through index probes. The
# lateral subqueries end in OFFSET 0 so the planner cannot flatten them into joins
# that hash a whole helper table per page (its estimates lag while a rebuild grows them).
_AFFECTED = """
SELECT r.reply_id FROM unnest(%(r_customer)s::text[], %(r_reason)s::text[],
        %(r_at)s::timestamptz[]) AS t(customer_ref, reason, at)
    CROSS JOIN LATERAL (SELECT r.reply_id FROM cem_calls x
        JOIN cem_replies r ON r.about_id = x.call_id
        WHERE x.customer_ref = t.customer_ref AND x.reason = t.reason
        AND x.occurred_at > t.at AND x.occurred_at <= t.at + {repeat} OFFSET 0) r
UNION SELECT r.reply_id FROM unnest(%(s_customer)s::text[], %(s_at)s::timestamptz[])
        AS t(customer_ref, at)
    CROSS JOIN LATERAL (SELECT r.reply_id FROM cem_replies r
        WHERE r.customer_ref = t.customer_ref
        AND r.occurred_at BETWEEN t.at AND t.at + {pressure} OFFSET 0) r
UNION SELECT r.reply_id FROM unnest(%(k_customer)s::text[], %(k_at)s::timestamptz[])
        AS t(customer_ref, at)
    CROSS JOIN LATERAL (SELECT r.reply_id FROM cem_replies r
        WHERE r.customer_ref = t.customer_ref AND r.nps <= 6
        AND r.occurred_at BETWEEN t.at - {loop} AND t.at OFFSET 0) r
UNION SELECT reply_id FROM cem_replies WHERE about_id = ANY(%(corrected)s::uuid[])
UNION SELECT reply_id FROM cem_replies WHERE customer_ref = ANY(%(registered)s::text[])
"""
_FRESH = """
WITH fresh AS (SELECT r.reply_id, r.day, r.survey_kind, r.nps, r.csat, r.effort, r.attributed,
        r.queue AS o_queue, r.agent_id AS o_agent_id, r.reason AS o_reason,
        r.handle_time_band AS o_band, r.repeat_contact AS o_repeat,
        r.pressure_band AS o_pressure, r.segment AS o_segment, r.followup_at AS o_followup,
        k.queue, k.agent_id, k.reason,
        CASE WHEN k.call_id IS NULL THEN NULL WHEN k.handled_seconds < 180 THEN '<3'
            WHEN k.handled_seconds < 360 THEN '3-6' WHEN k.handled_seconds <= 600 THEN '6-10'
            ELSE '>10' END AS handle_time_band,
        CASE WHEN k.call_id IS NOT NULL THEN EXISTS (SELECT FROM cem_calls e
            WHERE e.customer_ref = k.customer_ref AND e.reason = k.reason AND e.answered
            AND e.occurred_at < k.occurred_at AND e.occurred_at >= k.occurred_at - {repeat})
            END AS repeat_contact,
        (SELECT CASE WHEN count(*) <= 2 THEN count(*)::text WHEN count(*) <= 4 THEN '3-4'
            ELSE '5+' END FROM cem_mailshots m WHERE m.customer_ref = r.customer_ref
            AND m.sent_at BETWEEN r.occurred_at - {pressure} AND r.occurred_at) AS pressure_band,
        (SELECT c.segment FROM cem_customers c WHERE c.customer_ref = r.customer_ref) AS segment,
        CASE WHEN r.nps <= 6 THEN least(
            (SELECT min(m.sent_at) FROM cem_mailshots m WHERE m.customer_ref = r.customer_ref
                AND m.sent_at BETWEEN r.occurred_at AND r.occurred_at + {loop}),
            (SELECT min(b.occurred_at) FROM cem_calls b WHERE b.customer_ref = r.customer_ref
                AND b.answered AND b.call_id IS DISTINCT FROM r.about_id
                AND b.occurred_at BETWEEN r.occurred_at AND r.occurred_at + {loop}))
            END AS followup_at
    FROM cem_replies r
    LEFT JOIN LATERAL (SELECT * FROM cem_calls k
        WHERE r.about_kind = 'call' AND k.call_id = r.about_id OFFSET 0) k ON true
    WHERE r.reply_id = ANY(%(replies)s::uuid[])),
"""
_MOVE = """
    changed AS (SELECT *, NOT attributed OR (o_queue, o_agent_id, o_reason, o_band, o_repeat,
            o_pressure, o_segment) IS DISTINCT FROM (queue, agent_id, reason, handle_time_band,
            repeat_contact, pressure_band, segment) AS moves
        FROM fresh),
    stored AS (UPDATE cem_replies r SET (queue, agent_id, reason, handle_time_band,
            repeat_contact, pressure_band, segment, followup_at, attributed) = (c.queue,
            c.agent_id, c.reason, c.handle_time_band, c.repeat_contact, c.pressure_band,
            c.segment, c.followup_at, true)
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
# Windows are exact seconds, so no time zone or DST can stretch a "day".
_WINDOWS = {
    "repeat": "%(repeat_window)s * interval '1 second'",
    "pressure": "%(pressure_window)s * interval '1 second'",
    "loop": "%(loop_window)s * interval '1 second'",
}
_FIND_AFFECTED = _AFFECTED.format(**_WINDOWS)
_REATTRIBUTE = (_FRESH + _MOVE).format(**_WINDOWS)


def _reattribute(cur: Cursor[Any], triggers: _Triggers, config: ViewConfig) -> None:
    windows = {
        "repeat_window": timedelta(days=config.repeat_window_days).total_seconds(),
        "pressure_window": PRESSURE_WINDOW.total_seconds(),
        "loop_window": timedelta(hours=config.closed_loop_hours).total_seconds(),
    }
    affected = set(triggers.new_replies)
    if triggers.reaches_back():
        cur.execute(_FIND_AFFECTED, triggers.arrays() | windows)
        affected.update(row[0] for row in cur.fetchall())
    if affected:
        cur.execute(_REATTRIBUTE, {"replies": sorted(affected)} | windows)
        cur.execute("DELETE FROM cem_daily WHERE replies = 0")
