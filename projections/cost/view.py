"""The cost view (interaction management): daily call buckets and per-call repeat links.

Four tables (documented in the migrations 0004 and 0017 and in projections/README.md):

- ``cost_daily``: additive components per day x queue x agent x reason (counts, sums of
  seconds, service-level hits, cost). A ``CallCorrected`` subtracts the call's old
  contribution and adds its new one, in one statement.
- ``cost_intervals``: the same components per 15-minute slot (wall clock in the centre's
  time zone, with the UTC offset, so the hour a DST change repeats is two slots) x queue x
  agent x reason: staffing intervals of 15, 30 or 60 minutes are sums of slots.
- ``cost_histograms``: calls per day x queue x agent x reason x measure (wait, handle,
  abandon_wait) x bucket of seconds (``projections.cost.histogram``), for percentiles.
- ``cost_calls``: one row per call as currently corrected, with its repeat links:
  ``first_repeat_at`` (answered calls: when the earliest repeat happened in the world)
  and ``is_repeat``. FCR and "pending" depend on the query's ``at``, so they are
  counted from these rows at query time.

A page is applied set-based: one statement for the page's new calls (rows, and buckets
of the three other tables), one for its corrections (merged per call in log order), and
one that recomputes the repeat links around every (customer, reason, instant) the page
touched, so late arrivals and reason corrections re-link calls whichever order they come
in. The SQL is in ``projections.cost.sql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.sql import SQL, Composable, Composed, Literal

from domain.facts import CallCorrected, CallRecorded
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.cost import sql
from projections.cost.histogram import bucket_sql

__all__ = [
    "BUCKET_KEY",
    "COMPONENTS",
    "INTERVAL_KEY",
    "NO_AGENT",
    "SLOT_MINUTES",
    "CostView",
    "Touch",
    "merge_corrections",
    "relink_spans",
    "slot_of",
]

Touch = tuple[str, str, datetime]
"""(customer, reason, occurred_at) of a call a page added, or moved between reasons."""
NO_AGENT = ""
"""The ``agent`` of a call without an agent (agent ids are never empty)."""

_CORRECTABLE = {  # fact field -> column
    "queue": "queue",
    "agent_id": "agent",
    "reason": "reason",
    "talk_seconds": "talk_seconds",
    "hold_seconds": "hold_seconds",
    "after_call_work_seconds": "after_call_work_seconds",
    "resolved": "resolved",
    "transferred": "transferred",
}
_CORRECTION_TYPES = ("text", "text", "text", "integer", "integer", "integer", "boolean", "boolean")
_CALL_TYPES = {  # cost_calls columns written from a CallRecorded, and their types
    "call_id": "uuid", "position": "bigint", "customer_ref": "text",
    "occurred_at": "timestamptz", "day": "date", "queue": "text", "agent": "text",
    "reason": "text", "outcome": "text", "wait_seconds": "integer", "talk_seconds": "integer",
    "hold_seconds": "integer", "after_call_work_seconds": "integer", "resolved": "boolean",
    "transferred": "boolean", "slot": "timestamp", "utc_offset": "integer",
}  # fmt: skip
BUCKET_KEY = ("day", "queue", "agent", "reason")
INTERVAL_KEY = ("day", "slot", "utc_offset", "queue", "agent", "reason")
SLOT_MINUTES = 15  # the finest staffing interval; 30 and 60 are sums of slots
COMPONENTS = (  # the additive columns of cost_daily
    "offered", "answered", "abandoned", "short_abandoned", "answered_wait_seconds",
    "talk_seconds", "hold_seconds", "after_call_work_seconds", "handled_seconds",
    "service_level_hits", "transferred", "resolved", "cost",
)  # fmt: skip


class CostView:
    """The 'cost' view: apply pages of ``CallRecorded`` / ``CallCorrected`` set-based."""

    name = "cost"
    tables: tuple[str, ...] = ("cost_daily", "cost_intervals", "cost_histograms", "cost_calls")

    def __init__(self, config: ViewConfig) -> None:
        self.config = config
        self._insert_sql = SQL(sql.INSERT_CALLS).format(
            columns=SQL(", ").join(SQL(name) for name in _CALL_TYPES),
            arrays=_unnest(_CALL_TYPES.values()),
            add=_bucket_upsert(config, returning=False),  # new calls never empty a bucket
            more=_more_upserts(config),
        )
        self._correct_sql = SQL(sql.CORRECT_CALLS).format(
            arrays=_unnest(("uuid", *_CORRECTION_TYPES)),
            names=SQL(", ").join(SQL(name) for name in _CORRECTABLE.values()),
            assign=SQL(", ").join(
                SQL("{0} = coalesce(corr.{0}, c.{0})").format(SQL(name))
                for name in _CORRECTABLE.values()
            ),
            add=_bucket_upsert(config, returning=True),
            more=_more_upserts(config),
        )
        window = Literal(f"{config.repeat_window_days * 86400} seconds")
        self._relink_sql = SQL(sql.RELINK).format(window=SQL("{}::interval").format(window))

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply ``page`` (log order) inside the runner's transaction."""
        calls = [item for item in page if isinstance(item.fact, CallRecorded)]
        corrections = merge_corrections(page)
        touched: list[Touch] = []
        if calls:
            touched += self._insert(cur, calls)
        if corrections:
            touched += self._correct(cur, corrections)
        if touched:
            cur.execute(self._relink_sql, relink_spans(touched))

    def _insert(self, cur: Cursor[Any], calls: list[LoggedFact]) -> list[Touch]:
        rows = [self._call_row(item) for item in calls]
        cur.execute(self._insert_sql, [list(column) for column in zip(*rows, strict=True)])
        return [(row[2], row[7], row[3]) for row in rows]  # customer, reason, occurred_at

    def _call_row(self, item: LoggedFact) -> tuple[Any, ...]:
        fact = item.fact
        assert isinstance(fact, CallRecorded)
        local = fact.occurred_at.astimezone(self.config.zone)
        return (
            fact.originator_id,
            item.position,
            fact.customer_ref,
            fact.occurred_at,
            local.date(),
            fact.queue,
            NO_AGENT if fact.agent_id is None else fact.agent_id,
            fact.reason,
            fact.outcome,
            fact.wait_seconds,
            fact.talk_seconds,
            fact.hold_seconds,
            fact.after_call_work_seconds,
            fact.resolved,
            fact.transferred,
            *slot_of(local),
        )

    def _correct(self, cur: Cursor[Any], corrections: dict[UUID, dict[str, Any]]) -> list[Touch]:
        ids = list(corrections)
        # Only a reason change re-links calls: customer and occurred_at never change.
        relinked = [call_id for call_id in ids if "reason" in corrections[call_id]]
        touched = _keys_before(cur, relinked, corrections)
        arrays: list[list[Any]] = [ids]
        arrays += [[corrections[i].get(field) for i in ids] for field in _CORRECTABLE]
        cur.execute(self._correct_sql, arrays)
        _drop_empty_buckets(cur)
        cur.execute(sql.DROP_EMPTY_SLOTS)
        cur.execute(sql.DROP_EMPTY_HISTOGRAM_BUCKETS)
        return touched


def slot_of(local: datetime) -> tuple[datetime, int]:
    """(wall-clock start of the 15-minute slot, UTC offset in minutes east) of ``local``,
    an aware time in the centre's zone. The offset keeps apart the two slots of an hour
    that a DST change repeats (01:00 at +01:00, then 01:00 at +00:00)."""
    start = local.replace(minute=local.minute - local.minute % SLOT_MINUTES, second=0)
    offset = local.utcoffset()
    assert offset is not None  # aware by construction
    return start.replace(microsecond=0, tzinfo=None), offset // timedelta(minutes=1)


def merge_corrections(page: Iterable[LoggedFact]) -> dict[UUID, dict[str, Any]]:
    """Each corrected call's amended fields after the page's corrections, in log order."""
    merged: dict[UUID, dict[str, Any]] = {}
    for item in page:
        fact = item.fact
        if isinstance(fact, CallCorrected):
            amended = merged.setdefault(fact.originator_id, {})
            for field in _CORRECTABLE:
                value = getattr(fact, field)
                if value is not None:
                    amended[field] = value
    return merged


def relink_spans(touched: Iterable[Touch]) -> list[list[Any]]:
    """Per touched (customer, reason): the earliest and latest instant touched, as the
    four arrays of the relink statement."""
    spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for customer, reason, instant in touched:
        low, high = spans.get((customer, reason), (instant, instant))
        spans[(customer, reason)] = (min(low, instant), max(high, instant))
    keys = sorted(spans)
    return [[k[0] for k in keys], [k[1] for k in keys]] + [
        [spans[k][i] for k in keys] for i in (0, 1)
    ]


def _keys_before(
    cur: Cursor[Any], ids: list[UUID], corrections: dict[UUID, dict[str, Any]]
) -> list[Touch]:
    """The calls of ``ids`` under their reason before and after correction."""
    if not ids:
        return []
    cur.execute(
        "SELECT call_id, customer_ref, reason, occurred_at FROM cost_calls WHERE call_id = ANY(%b)",
        (ids,),
    )
    touched: list[Touch] = []
    for call_id, customer, reason, occurred_at in cur.fetchall():
        touched += [
            (customer, reason, occurred_at),
            (customer, corrections[call_id]["reason"], occurred_at),
        ]
    return touched


def _drop_empty_buckets(cur: Cursor[Any]) -> None:
    # A correction can move the last call out of a bucket: drop it, so the live view
    # has the same rows as a history that never had the call there.
    empty = [row[:4] for row in cur.fetchall() if row[4] == 0]
    if empty:
        days, queues, agents, reasons = (list(column) for column in zip(*empty, strict=True))
        cur.execute(sql.DROP_EMPTY, (days, queues, agents, reasons))


def _unnest(types: Iterable[str]) -> Composed:
    # Binary parameters (%b): arrays are dumped several times faster than as text.
    return SQL("unnest({})").format(
        SQL(", ").join(SQL("%b::{}[]").format(SQL(kind)) for kind in types)
    )


def _bucket_upsert(
    config: ViewConfig,
    *,
    returning: bool,
    table: str = "cost_daily",
    bucket_key: tuple[str, ...] = BUCKET_KEY,
) -> Composed:
    """INSERT of signed contributions of rows ``x(sign, cost_calls.*)`` into ``table``
    (cost_daily or cost_intervals: the same components under another key)."""
    rate = _rate_expression(config)
    contribution = SQL(sql.CONTRIBUTION).format(
        short=Literal(config.short_abandon_seconds),
        target=Literal(config.service_level_seconds),
        rate=rate,
        fixed=Literal(config.fixed_cost_per_answered_call),
    )
    key = SQL(", ").join(SQL(name) for name in bucket_key)
    return SQL(sql.UPSERT).format(
        table=SQL(table),
        key=key,
        components=SQL(", ").join(SQL(name) for name in COMPONENTS),
        contribution=contribution,
        added=SQL(", ").join(SQL("{0} = d.{0} + excluded.{0}").format(SQL(n)) for n in COMPONENTS),
        returning=SQL(" RETURNING {}, offered").format(key) if returning else SQL(""),
    )


def _more_upserts(config: ViewConfig) -> Composed:
    """The staffing-slot and histogram upserts of ``x``, as two more WITH items."""
    slots = _bucket_upsert(config, returning=False, table="cost_intervals", bucket_key=INTERVAL_KEY)
    histograms = SQL(sql.HISTOGRAMS).format(bucket=SQL(bucket_sql("m.seconds")))
    return SQL(", slots AS ({}), histograms AS ({})").format(slots, histograms)


def _rate_expression(config: ViewConfig) -> Composable:
    default = Literal(config.default_cost_per_handled_second)
    if not config.cost_per_handled_second:
        return default
    whens = SQL(" ").join(
        SQL("WHEN {} THEN {}").format(Literal(queue), Literal(rate))
        for queue, rate in sorted(config.cost_per_handled_second.items())
    )
    return SQL("(CASE queue {} ELSE {} END)").format(whens, default)
