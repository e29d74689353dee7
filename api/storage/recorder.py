"""The library's PostgreSQL recorder, plus fact keys written in the same transaction.

An append keeps every guarantee of the library's own ``insert_events``: one
transaction; the fact keys first; ``LOCK TABLE … IN EXCLUSIVE MODE`` so that
positions follow commit order; ``NOTIFY`` for subscribers; positions returned.
It is cheaper in three ways (figures from ``bench/ingest.py``):

- the whole transaction, ``BEGIN`` to ``COMMIT``, goes to the server at once:
  one round trip instead of two. A failing statement makes the server skip the
  rest, ``COMMIT`` included, and the transaction is then rolled back;
- a small append (one fact, a handful) is one simple-protocol string with its
  values quoted by psycopg: about half the client CPU of a pipeline of seven
  statements, which was most of what recording a single fact cost;
- a large append is a pipeline of prepared statements whose columns travel as
  binary arrays, not as an array of composites in text form (escaped byte by byte).

The hash chain (migration 0008) costs no statement here: a trigger of the events
``INSERT`` itself writes each event's chain entry, in position order, from the
rows it inserts, so an event can never be committed without one (whoever writes
it) and the append keeps its single round trip. ``bench/audit.py`` measures what
the chain costs the ingest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import ClientCursor, Connection
from psycopg.abc import Query
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier

from domain.ports import FactKey, KnownFact, StoredRecord, WriteCollision

SMALL_APPEND = 8
"""Appends of at most this many events are sent as one simple-protocol string."""

_UNPREPARED = frozenset({b"BEGIN", b"COMMIT"})


@dataclass(frozen=True)
class Insert:
    """A multi-row INSERT into one table, in the two forms an append sends."""

    into: bytes  # INSERT INTO table (columns)
    types: tuple[str, ...]
    returning: bytes = b""

    @cached_property
    def as_arrays(self) -> bytes:
        """One row per element of binary array parameters (prepared once)."""
        arrays = ", ".join(f"%b::{name}[]" for name in self.types).encode()
        return self.into + b" SELECT * FROM unnest(" + arrays + b")" + self.returning

    def as_values(self, count: int) -> bytes:
        """``count`` rows of ``%s`` placeholders, for quoting client-side."""
        row = b"(" + b", ".join([b"%s"] * len(self.types)) + b")"
        return self.into + b" VALUES " + b", ".join([row] * count) + self.returning


@dataclass(frozen=True)
class Rows:
    """Rows for an ``Insert``, column by column."""

    insert: Insert
    columns: tuple[list[Any], ...]

    def row_major(self) -> list[Any]:
        """The values row after row, for the placeholders of ``as_values``."""
        return [value for row in zip(*self.columns, strict=True) for value in row]


Step = bytes | Rows
"""One statement of an append: fixed SQL, or rows to insert."""


class FactCollision(IntegrityError, WriteCollision):
    """A fact key or stream version already taken (by a concurrent writer, or before).

    The library's ``IntegrityError``, as its recorders' contract says a conflicting
    insert raises; and the ledger's port ``WriteCollision``, which the domain catches
    without importing the library's persistence module. The database's own error is
    its ``__cause__``.
    """


class TouchpointRecorder(PostgresApplicationRecorder):
    """Appends events and their idempotency keys atomically; reads streams in bulk."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        table = Identifier(datastore.schema, events_table_name)
        keys = Identifier(datastore.schema, "fact_keys")
        self.insert_keys = Insert(
            _render(
                SQL("INSERT INTO {} (fact_id, stream_id, stream_version, content_hash)").format(
                    keys
                )
            ),
            ("uuid", "uuid", "int8", "bytea"),
        )
        self.insert_rows = Insert(
            _render(
                SQL("INSERT INTO {} (originator_id, originator_version, topic, state)").format(
                    table
                )
            ),
            ("uuid", "int8", "text", "bytea"),
            b" RETURNING notification_id",
        )
        # Rendered once: composing SQL objects on every append costs measurable CPU.
        # The library's LOCK TABLE needs UPDATE on the log, which the runtime role lacks:
        # touchpoint_lock_log() (migration 0010) takes the same lock as the log's owner.
        timeout, _ = self.lock_table_statements
        lock = SQL("SELECT {}.touchpoint_lock_log()").format(Identifier(datastore.schema))
        self.lock_sql = [_render(timeout), _render(lock)]
        self.notify_sql = _render(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        self.lookup_statement = _render(
            SQL(
                "SELECT k.fact_id, k.stream_id, k.content_hash, e.notification_id "
                "FROM {keys} k JOIN {table} e "
                "ON e.originator_id = k.stream_id AND e.originator_version = k.stream_version "
                "WHERE k.fact_id = ANY(%b::uuid[])"
            ).format(keys=keys, table=table)
        )
        self.load_streams_statement = _render(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id "
                "FROM {table} WHERE originator_id = ANY(%b::uuid[]) "
                "ORDER BY originator_id, originator_version"
            ).format(table=table)
        )

    # --- appending -------------------------------------------------------

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events and their ``fact_keys`` in one transaction; their positions."""
        if not stored_events:
            return None
        steps = self.append_steps(stored_events, kwargs.get("fact_keys", ()))
        send = _send_at_once if len(stored_events) <= SMALL_APPEND else _send_pipelined
        try:
            with self.datastore.get_connection() as conn:
                return send(conn, steps, self.insert_rows)
        except IntegrityError as error:
            # A fact key or stream version was taken by a concurrent writer.
            raise FactCollision(str(error)) from error

    def append_steps(
        self, stored_events: Sequence[StoredEvent], fact_keys: Sequence[FactKey]
    ) -> list[Step]:
        """The statements of one append, in order (one transaction)."""
        steps: list[Step] = [b"BEGIN"]
        if fact_keys:
            # Sorted, so that two batches sharing keys lock them in the same order.
            ordered = sorted(fact_keys, key=lambda k: k.fact_id.int)
            keys = (
                [k.fact_id for k in ordered],
                [k.stream_id for k in ordered],
                [k.stream_version for k in ordered],
                [k.content_hash for k in ordered],
            )
            steps.append(Rows(self.insert_keys, keys))
        steps += self.lock_sql  # SET LOCAL lock_timeout, the log's EXCLUSIVE lock
        steps.append(self.notify_sql)
        events = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        steps.append(Rows(self.insert_rows, events))
        steps.append(b"COMMIT")
        return steps

    # --- reading ---------------------------------------------------------

    def lookup_facts(self, fact_ids: Sequence[UUID]) -> dict[UUID, KnownFact]:
        """Facts among ``fact_ids`` that are already in the log."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.lookup_statement, (list(fact_ids),), prepare=True)
            return {
                row["fact_id"]: KnownFact(
                    bytes(row["content_hash"]), row["notification_id"], row["stream_id"]
                )
                for row in curs.fetchall()
            }

    def load_streams(self, stream_ids: Sequence[UUID]) -> list[StoredRecord]:
        """Every stored event of the given streams, in stream order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.load_streams_statement, (list(stream_ids),), prepare=True)
            return [
                StoredRecord(
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                    row["notification_id"],
                )
                for row in curs.fetchall()
            ]


def _send_at_once(conn: Connection[DictRow], steps: list[Step], returning: Insert) -> list[int]:
    """All steps as one simple-protocol string, values quoted client-side."""
    statements: list[bytes] = []
    params: list[Any] = []
    for step in steps:
        if isinstance(step, Rows):
            statements.append(step.insert.as_values(len(step.columns[0])))
            params += step.row_major()
        else:
            statements.append(step)
    with ClientCursor(conn) as curs:
        try:
            curs.execute(b"; ".join(statements), params)
        except psycopg.Error:
            _roll_back(conn)
            raise
        for step in steps:  # one result per statement: move to the RETURNING one
            if isinstance(step, Rows) and step.insert is returning:
                return [row["notification_id"] for row in curs.fetchall()]
            curs.nextset()
    msg = "an append without its events insert"
    raise AssertionError(msg)


def _send_pipelined(conn: Connection[DictRow], steps: list[Step], returning: Insert) -> list[int]:
    """All steps as prepared statements in one pipeline; its exit is the one sync."""
    with conn.cursor() as curs, conn.cursor() as positions:
        try:
            with conn.pipeline():
                for step in steps:
                    if isinstance(step, Rows):
                        cursor = positions if step.insert is returning else curs
                        cursor.execute(step.insert.as_arrays, step.columns, prepare=True)
                    else:
                        curs.execute(step, prepare=step not in _UNPREPARED)
        except psycopg.Error:
            _roll_back(conn)
            raise
        return [row["notification_id"] for row in positions.fetchall()]


def _roll_back(conn: Connection[DictRow]) -> None:
    # The server skipped what followed the failed statement, COMMIT included, but
    # the BEGIN block it opened outlives the request: end it (unless the
    # connection itself is gone, which the pool then discards).
    if conn.info.transaction_status in (TransactionStatus.INERROR, TransactionStatus.INTRANS):
        conn.rollback()


def _render(statement: Query) -> bytes:
    if isinstance(statement, Composable):
        return statement.as_bytes(None)
    if isinstance(statement, str):
        return statement.encode()
    if isinstance(statement, bytes):
        return statement
    msg = f"cannot render {statement!r} once for all appends"
    raise TypeError(msg)
