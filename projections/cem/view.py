"""The cem view: survey components per day and breakdown, and closed-loop follow-up.

Attribution is kept current: a reply's breakdown key (queue, agent, reason and
handle-time band of the surveyed call, its repeat flag, the customer's contact
pressure at reply time, the customer's segment) and a detractor's follow-up are
always what the facts applied so far imply, whatever order they arrived in. A
correction of the surveyed call, an earlier call, a mailshot or a registration that
arrives later moves the reply's contribution from its old bucket to its new one. So
the view is a function of the facts applied, not of how they were paged: a rebuild
equals the live view. Every rule is spelled out in the tables' documentation
(projections/README.md, "cem").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from operator import attrgetter
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import Cursor

from domain import facts as f
from domain.reading import LoggedFact
from projections.cem import sql
from projections.config import ViewConfig

__all__ = ["PRESSURE_WINDOW", "CemView", "Row"]

PRESSURE_WINDOW = timedelta(days=30)  # METRICS.md: mailshots in the trailing 30 days
_CORRECTABLE = (
    "queue", "agent_id", "reason", "talk_seconds", "hold_seconds", "after_call_work_seconds",
)  # fmt: skip
Row = tuple[Any, ...]


@dataclass
class _Page:
    """One page's facts as rows of the helper tables, and what they may re-attribute."""

    zone: ZoneInfo
    customers: list[Row] = field(default_factory=list)
    calls: list[Row] = field(default_factory=list)
    corrections: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    mailshots: list[Row] = field(default_factory=list)
    replies: list[Row] = field(default_factory=list)
    # (kind, customer_ref, at, call_id): see projections.cem.sql.FIND_AFFECTED
    triggers: list[Row] = field(default_factory=list)

    def add(self, item: LoggedFact) -> None:
        fact, position = item.fact, item.position
        if isinstance(fact, f.CallRecorded):
            self._call(fact, position)
        elif isinstance(fact, f.CallCorrected):
            amended = {n: v for n in _CORRECTABLE if (v := getattr(fact, n)) is not None}
            self.corrections.setdefault(fact.originator_id, {}).update(amended)
        elif isinstance(fact, f.MailshotSent):
            row = (fact.originator_id, fact.customer_ref, fact.occurred_at, position)
            self.mailshots.append(row)
            self.triggers.append(("send", fact.customer_ref, fact.occurred_at, None))
        elif isinstance(fact, f.SurveyReplied):
            self.replies.append(_reply_row(fact, position, self.zone))
        elif isinstance(fact, f.CustomerRegistered):
            self.customers.append((fact.customer_ref, fact.segment, position))
            self.triggers.append(("registered", fact.customer_ref, None, None))

    def _call(self, fact: f.CallRecorded, position: int) -> None:
        answered = fact.outcome == "answered"
        self.calls.append(
            (fact.originator_id, fact.customer_ref, fact.occurred_at, answered, fact.queue,
             fact.agent_id, fact.reason, fact.talk_seconds, fact.hold_seconds,
             fact.after_call_work_seconds, position)
        )  # fmt: skip
        if answered:  # only answered calls close loops or make later calls repeats
            self.triggers.append(("call", fact.customer_ref, fact.occurred_at, None))


def _reply_row(fact: f.SurveyReplied, position: int, zone: ZoneInfo) -> Row:
    day = fact.occurred_at.astimezone(zone).date()
    return (fact.originator_id, position, fact.customer_ref, fact.occurred_at, day,
            fact.survey_kind, fact.nps, fact.csat, fact.effort, fact.about_kind,
            fact.about_id)  # fmt: skip


class CemView:
    """The 'cem' view: NPS, CSAT and effort components and detractor follow-up."""

    name = "cem"
    tables: tuple[str, ...] = (
        "cem_daily",
        "cem_replies",
        "cem_calls",
        "cem_mailshots",
        "cem_customers",
    )

    def __init__(self, config: ViewConfig) -> None:
        self.config = config
        self.windows = {
            "repeat_window": timedelta(days=config.repeat_window_days).total_seconds(),
            "pressure_window": PRESSURE_WINDOW.total_seconds(),
            "loop_window": timedelta(hours=config.closed_loop_hours).total_seconds(),
        }

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply a page set-based: COPY the new rows, then re-attribute what they touch."""
        cur.execute(sql.SETTINGS)
        rows = _Page(self.config.zone)
        for item in page:
            rows.add(item)
        _copy(cur, "cem_calls", rows.calls)
        _copy(cur, "cem_mailshots", rows.mailshots)
        _copy(cur, "cem_replies", rows.replies)
        _copy(cur, "cem_customers", rows.customers)
        _correct_calls(cur, rows)
        affected = self._affected(cur, rows)
        if affected:
            # By the UUIDs' integers: the same order as UUID comparisons, in C.
            replies = sorted(affected, key=attrgetter("int"))
            cur.execute(sql.REATTRIBUTE, {"replies": replies} | self.windows)
            cur.execute(sql.DROP_EMPTY)

    def _affected(self, cur: Cursor[Any], rows: _Page) -> set[UUID]:
        """The page's new replies and the stored replies its facts may re-attribute."""
        affected = {row[0] for row in rows.replies}
        if rows.triggers:
            kind, customer, at, call = (list(c) for c in zip(*rows.triggers, strict=True))
            params = {"kind": kind, "customer": customer, "at": at, "call": call}
            cur.execute(sql.FIND_AFFECTED, params | self.windows)
            affected.update(row[0] for row in cur.fetchall())
        return affected


def _copy(cur: Cursor[Any], table: str, rows: list[Row]) -> None:
    """Append ``rows`` to a helper table (each fact is applied exactly once)."""
    if rows:
        statement = f"COPY {table} ({sql.COLUMNS[table]}) FROM STDIN (FORMAT BINARY)"
        with cur.copy(statement) as copy:
            copy.set_types(list(sql.TYPES[table]))
            for row in rows:
                copy.write_row(row)


def _correct_calls(cur: Cursor[Any], rows: _Page) -> None:
    """Apply the page's corrections (later fields win); each corrected call is a trigger."""
    if not rows.corrections:
        return
    ids = list(rows.corrections)
    amended = [[rows.corrections[i].get(name) for i in ids] for name in _CORRECTABLE]
    cur.execute(sql.CORRECT_CALLS, [ids, *amended])
    rows.triggers += cur.fetchall()
