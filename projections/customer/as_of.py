"""One customer's view as it stood at a past point of the log, rebuilt from the log.

The point is a log position, or a recording time: the facts recorded at or before
it (``recorded_at``, never ``occurred_at``: a late arrival recorded after the point
was not known then, whenever it happened). The customer's facts up to the point are
applied by the customer view's own ``apply`` to temporary copies of its tables
(``pg_temp`` put first on ``search_path``, so the view's SQL and the query code run
unchanged on them), the profile is read with the same query code, and the
transaction is rolled back: nothing is written. Personal fields are opened with the
keys as they are now, so a customer erased since reads as erased. The plans of the
campaigns the customer was mailed in are applied too (names and purposes, which rank
"why they may be calling"), so the past profile is read by the same code as the live one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Identifier

from domain import facts as f
from domain.ids import campaign_stream_id
from domain.ledger import Ledger
from domain.ports import KeyVault, StoredRecord
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.customer.models import CustomerProfile
from projections.customer.queries import customer_profile
from projections.customer.view import CustomerView
from projections.replay import SOURCE_SCHEMA, TRACKING
from projections.tracking import advance, lock_tracking

__all__ = [
    "MAX_POSITION",
    "PAGE_SIZE",
    "AsOf",
    "Point",
    "campaign_facts",
    "customer_as_of",
    "customer_facts",
    "events_table",
    "log_point",
    "parse_as_of",
]

MAX_POSITION = 2**63 - 1
PAGE_SIZE = 1000  # facts per apply, as the runner's pages
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_EVENTS = "touchpoint_events"


@dataclass(frozen=True)
class AsOf:
    """A past point of the log: a position, or a recording time (exactly one is set)."""

    position: int | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class Point:
    """Where the log stood at an ``AsOf``: its last position and when that was recorded."""

    position: int
    recorded_at: datetime


def parse_as_of(text: str) -> AsOf:
    """``"1200"`` (a log position) or ``"2026-03-10T12:00:00Z"`` (an ISO 8601 time with
    its zone); ``ValueError`` for anything else."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        if int(text) > MAX_POSITION:
            raise ValueError("a log position is at most 2^63 - 1")
        return AsOf(position=int(text))
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        msg = "a log position, or an ISO 8601 time with its time zone, is needed"
        raise ValueError(msg) from None
    if time.tzinfo is None:
        raise ValueError("the time needs its time zone (e.g. Z or +01:00)")
    if not _EARLIEST <= time <= _LATEST:
        raise ValueError("a time between 1900 and 9000 is needed")
    return AsOf(time=time)


def customer_as_of(
    conn: Connection[Any],
    ledger: Ledger,
    vault: KeyVault | None,
    ref: str,
    config: ViewConfig,
    *,
    as_of: AsOf,
    at: datetime | None = None,
) -> CustomerProfile | None:
    """``ref``'s profile as the customer view showed it at ``as_of``; ``None`` if no fact
    recorded by then names the customer.

    ``at`` (the reference time of the windows) defaults to the as-of time, or for a
    position to when that position was recorded, so the same request always gives
    the same answer. ``vault`` reads keys on ``conn`` (in its snapshot), or is ``None``.
    Nothing is written: the work is rolled back (to a savepoint if ``conn`` was already
    in a transaction).
    """
    fresh = conn.info.transaction_status == TransactionStatus.IDLE
    # In a transaction of the caller's, a savepoint: rolled back alike, copies included.
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        if fresh:  # the log, the keys and the copies read in one snapshot
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        point = log_point(cur, ledger, as_of)
        facts = [] if point is None else customer_facts(cur, ledger, ref, point.position)
        if as_of.time is not None:
            facts = [item for item in facts if item.recorded_at <= as_of.time]
        if point is None or not facts:
            return None
        facts = _in_log_order([*campaign_facts(cur, ledger, facts, point.position), *facts])
        view = CustomerView(config)
        _scratch_copies(cur, (*view.tables, TRACKING))
        for start in range(0, len(facts), PAGE_SIZE):
            view.apply(cur, facts[start : start + PAGE_SIZE])
        lock_tracking(cur, view.name)
        advance(cur, view.name, point.position, point.recorded_at)
        return customer_profile(conn, vault, ref, config, at or as_of.time or point.recorded_at)


def events_table(ledger: Ledger) -> str:
    """The log's table (the library's recorder names it after the application)."""
    return str(getattr(ledger.recorder, "events_table_name", _EVENTS))


_COLUMNS = "originator_id, originator_version, topic, state, notification_id"
# The library's JSON state, as stored: the recording time is the envelope's timestamp.
_RECORDED_AT = "(convert_from(state, 'UTF8')::jsonb #>> '{timestamp,_data_}')::timestamptz"


def log_point(cur: Cursor[Any], ledger: Ledger, as_of: AsOf) -> Point | None:
    """The last fact of the log at ``as_of`` (``None``: the log held nothing then).

    For a time, the highest position recorded at or before it: the index is read
    backwards from the head, so the cost grows with the facts recorded since.
    """
    where = SQL("notification_id <= %s") if as_of.time is None else SQL(_RECORDED_AT + " <= %s")
    param: int | datetime | None = as_of.position if as_of.time is None else as_of.time
    cur.execute(
        SQL("SELECT {} FROM {} WHERE {} ORDER BY notification_id DESC LIMIT 1").format(
            SQL(_COLUMNS), Identifier(events_table(ledger)), where
        ),
        (param,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    item = _decode(ledger, row)
    return Point(item.position, item.recorded_at)


def customer_facts(cur: Cursor[Any], ledger: Ledger, ref: str, until: int) -> list[LoggedFact]:
    """Every fact naming ``ref`` up to position ``until``, in log order (one scan of the log).

    A byte search for the JSON-encoded reference (as the library's transcoder writes
    it: UTF-8, ``ensure_ascii=False``) skips most rows cheaply; the stored JSON's
    ``customer_ref`` then decides, and the decoded fact once more.
    """
    needle = json.dumps(ref, ensure_ascii=False).encode("utf-8")
    cur.execute(
        SQL(
            "SELECT {} FROM {} WHERE notification_id <= %s AND position(%s IN state) > 0 "
            "AND convert_from(state, 'UTF8')::jsonb ->> 'customer_ref' = %s "
            "ORDER BY notification_id"
        ).format(SQL(_COLUMNS), Identifier(events_table(ledger))),
        (until, needle, ref),
    )
    facts = [_decode(ledger, row) for row in cur.fetchall()]
    return [item for item in facts if item.customer_ref == ref]


def campaign_facts(
    cur: Cursor[Any], ledger: Ledger, facts: Sequence[LoggedFact], until: int
) -> list[LoggedFact]:
    """The plans (up to position ``until``) of the campaigns ``facts``' mailshots name, so
    the replayed view knows their names and purposes as it did then (by stream: indexed)."""
    ids = sorted({i.fact.campaign_id for i in facts if isinstance(i.fact, f.MailshotFact)})
    if not ids:
        return []
    cur.execute(
        SQL(
            "SELECT {} FROM {} WHERE originator_id = ANY(%s) AND originator_version = 1 "
            "AND notification_id <= %s"
        ).format(SQL(_COLUMNS), Identifier(events_table(ledger))),
        ([campaign_stream_id(i) for i in ids], until),
    )
    return [_decode(ledger, row) for row in cur.fetchall()]


def _in_log_order(facts: Sequence[LoggedFact]) -> list[LoggedFact]:
    return sorted(facts, key=_position)


def _position(item: LoggedFact) -> int:
    return item.position


def _decode(ledger: Ledger, row: Sequence[Any]) -> LoggedFact:
    stream_id, version, topic, state, position = row
    record = StoredRecord(stream_id, version, topic, bytes(state), position)
    return LoggedFact(position, ledger.decode(record))


def _scratch_copies(cur: Cursor[Any], tables: Sequence[str]) -> None:
    """Empty temporary copies of ``tables``, found first by unqualified names from now on
    in this transaction (and dropped with it)."""
    for table in tables:
        cur.execute(
            SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING ALL) ON COMMIT DROP").format(
                Identifier(table), Identifier(SOURCE_SCHEMA, table)
            )
        )
    cur.execute(SQL("SET LOCAL search_path = pg_temp, {}").format(Identifier(SOURCE_SCHEMA)))
