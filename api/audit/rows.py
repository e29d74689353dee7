"""The stored log as rows for the chain: events with their chain entries, in position order.

Rows are ``domain.chain.hashes.Row`` tuples, read through server-side cursors in pages in
the caller's transaction. ``log_rows`` merges two streams (events, entries) and
so shows every event without an entry and every entry without an event;
``verification_rows`` shows the same, faster, for the common case where nothing
is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import Connection, Cursor
from psycopg.adapt import Buffer, Loader
from psycopg.pq import Format

from domain.chain.hashes import Row

PAGE = 2_000
"""Rows fetched per round trip when streaming the log (larger pages fall out of CPU caches)."""

Progress = Callable[[int], None]
"""Called with the position reached after each page."""
AnyConnection = Connection[Any]

EVENTS = (
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM touchpoint_events WHERE notification_id > %s AND notification_id <= %s "
    "ORDER BY notification_id"
)
_JOINED = (
    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
    "c.seq, c.hash FROM touchpoint_events e "
    "LEFT JOIN touchpoint_chain c ON c.position = e.notification_id "
    "WHERE e.notification_id > %s ORDER BY e.notification_id"
)
_ENTRIES = (
    "SELECT position, seq, hash FROM touchpoint_chain "
    "WHERE position > %s AND position <= %s ORDER BY position"
)


class _RawBytes(Loader):
    """Binary values as their bytes: a uuid's 16 bytes, a text's UTF-8, as hashed."""

    format = Format.BINARY

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


@contextmanager
def binary_cursor(conn: AnyConnection, name: str | None = None) -> Iterator[Cursor[Any]]:
    """A cursor reading binary values, uuids and texts as their bytes (as hashed)."""
    cur = conn.cursor(name=name, binary=True) if name else conn.cursor(binary=True)
    cur.adapters.register_loader("uuid", _RawBytes)
    cur.adapters.register_loader("text", _RawBytes)
    try:
        yield cur
    finally:
        cur.close()


def log_rows(
    conn: AnyConnection,
    after: int = 0,
    until: int = 2**63 - 1,
    progress: Progress | None = None,
    *,
    page: int = PAGE,
) -> Generator[Row, None, None]:
    """Events and chain entries in position order, merged; in the caller's transaction.

    Two server-side cursors (events, entries), so a missing row on either side
    shows as ``None`` parts, and nothing is held in memory but one page of each.
    """
    with (
        binary_cursor(conn, "tp_audit_events") as events,
        conn.cursor("tp_audit_chain", binary=True) as chain,
    ):
        events.execute(EVENTS, (after, until))
        chain.execute(_ENTRIES, (after, until))
        yield from _merge(_paged(events, progress, page), _paged(chain, None, page))


def verification_rows(
    conn: AnyConnection,
    after: int,
    first_seq: int,
    progress: Progress | None = None,
    *,
    page: int = PAGE,
) -> Generator[Row, None, None]:
    """What ``log_rows`` gives, faster when nothing is missing: for verification.

    One server-side cursor over events left-joined to their entries (a merge join
    of the two primary keys, no Python merge). An entry whose event is gone
    leaves a gap in the ``seq`` of the rows; only then are the entries between the
    rows around the gap looked up and put in place, as ``log_rows`` would show them.
    """
    expected, last = first_seq, after
    with binary_cursor(conn, "tp_audit_verify") as cur:
        cur.execute(_JOINED, (after,))
        while rows := cur.fetchmany(page):
            seqs = [row[5] for row in rows]
            if None not in seqs and seqs[0] == expected and seqs[-1] - expected == len(rows) - 1:
                yield from rows
                expected = seqs[-1] + 1
            else:
                expected = yield from _with_orphans(conn, rows, last, expected)
            last = rows[-1][0]
            if progress is not None:
                progress(last)
    yield from _orphans(conn, last, 2**63 - 1)


def _with_orphans(
    conn: AnyConnection, page: Sequence[Row], last: int, expected: int
) -> Generator[Row, None, int]:
    """The page's rows, entries without events put in before a row where ``seq`` jumps."""
    for row in page:
        seq = row[5]
        if seq is not None and seq > expected:
            yield from _orphans(conn, last, row[0])
        if seq is not None:
            expected = seq + 1
        last = row[0]
        yield row
    return expected


def _orphans(conn: AnyConnection, after: int, before: int) -> list[Row]:
    """Chain entries strictly between two positions (their events are not in the log)."""
    rows = conn.execute(
        "SELECT position, seq, hash FROM touchpoint_chain "
        "WHERE position > %s AND position < %s ORDER BY position",
        (after, before),
    ).fetchall()
    return [(int(p), None, None, None, None, int(s), bytes(h)) for p, s, h in rows]


def _paged(cur: Cursor[Any], progress: Progress | None, page: int) -> Iterator[tuple[Any, ...]]:
    while rows := cur.fetchmany(page):
        yield from rows
        if progress is not None:
            progress(rows[-1][0])


def _merge(events: Iterator[tuple[Any, ...]], entries: Iterator[tuple[Any, ...]]) -> Iterator[Row]:
    event, entry = next(events, None), next(entries, None)
    while event is not None or entry is not None:
        if entry is None or (event is not None and event[0] < entry[0]):
            yield (*event, None, None)  # type: ignore[misc]
            event = next(events, None)
        elif event is None or entry[0] < event[0]:
            yield (entry[0], None, None, None, None, entry[1], entry[2])
            entry = next(entries, None)
        else:
            yield (*event, entry[1], entry[2])
            event, entry = next(events, None), next(entries, None)
