"""``view_tracking``, the one owner of each view's position in the log.

Every view has one row: the last log position it applied, when, and the
recording time of that fact. The row is written in the same transaction as the
view's rows, so whoever sees the position sees everything it changed. Readers
use ``begin_snapshot`` so the rows and the position they report belong to one
moment.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

__all__ = [
    "ViewBehind",
    "advance",
    "all_positions",
    "begin_snapshot",
    "lock_tracking",
    "rewind",
    "snapshot",
    "take_position_from",
    "view_position",
    "wait_for_position",
]

_FIRST_POLL, _LONGEST_POLL = 0.002, 0.01  # seconds between looks at view_tracking
_POSITION = "SELECT position FROM view_tracking WHERE view_name = %s"


class ViewBehind(Exception):
    """A view has not applied a position within the wait allowed."""

    def __init__(self, view: str, position: int, min_position: int) -> None:
        super().__init__(
            f"the {view} view has applied the log up to position {position}, "
            f"not yet {min_position}; try again shortly"
        )
        self.view = view
        self.position = position
        self.min_position = min_position


def begin_snapshot(conn: Connection[Any]) -> None:
    """Make the transaction read-only, everything it reads as of one moment."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def view_position(conn: Connection[Any], view: str) -> int:
    """Last log position the view ``view`` has applied (0 before its first page)."""
    row = conn.execute(_POSITION, (view,), prepare=True).fetchone()
    return 0 if row is None else int(row[0])


def all_positions(conn: Connection[Any]) -> dict[str, int]:
    """Every tracked view's position, by name."""
    rows = conn.execute("SELECT view_name, position FROM view_tracking").fetchall()
    return {str(name): int(position) for name, position in rows}


def wait_for_position(
    pool: ConnectionPool, view: str, min_position: int, wait_seconds: float
) -> int:
    """Return the view's position once it is at least ``min_position``; else ``ViewBehind``.

    The runner does not announce its progress, so this polls, with growing pauses.
    """
    deadline = time.monotonic() + wait_seconds
    pause = _FIRST_POLL
    while (position := _pooled_position(pool, view)) < min_position:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ViewBehind(view, position, min_position)
        time.sleep(min(pause, left))
        pause = min(pause * 2, _LONGEST_POLL)
    return position


def _pooled_position(pool: ConnectionPool, view: str) -> int:
    with pool.connection() as conn:
        return view_position(conn, view)


def lock_tracking(cur: Cursor[Any], name: str) -> int:
    """Lock the view's tracking row for this transaction (made if missing); its position."""
    # The row exists but for a view's first page: one round trip per page, not two.
    row = cur.execute(_POSITION + " FOR UPDATE", (name,), prepare=True).fetchone()
    if row is None:
        cur.execute(
            "INSERT INTO view_tracking (view_name) VALUES (%s) ON CONFLICT DO NOTHING", (name,)
        )
        row = cur.execute(_POSITION + " FOR UPDATE", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def advance(cur: Cursor[Any], name: str, position: int, recorded_at: datetime | None) -> None:
    """Record, in the page's transaction, that the view has applied up to ``position``."""
    cur.execute(
        "UPDATE view_tracking SET position = %s, updated_at = now(), "
        "last_recorded_at = %s WHERE view_name = %s",
        (position, recorded_at, name),
        prepare=True,
    )


def rewind(cur: Cursor[Any], name: str) -> None:
    """Put the view back at position 0 (its rows emptied in the same transaction)."""
    cur.execute(
        "UPDATE view_tracking SET position = 0, updated_at = now(), "
        "last_recorded_at = NULL WHERE view_name = %s",
        (name,),
    )


def take_position_from(cur: Cursor[Any], schema: str, name: str) -> None:
    """Give the live row the position of ``schema``'s copy (a rebuild's switch)."""
    cur.execute(
        SQL(
            "UPDATE view_tracking SET position = s.position, updated_at = now(), "
            "last_recorded_at = s.last_recorded_at FROM {} s "
            "WHERE s.view_name = %s AND view_tracking.view_name = s.view_name"
        ).format(Identifier(schema, "view_tracking")),
        (name,),
    )


@contextmanager
def snapshot(pool: ConnectionPool) -> Iterator[Connection[Any]]:
    """A pooled connection in a read-only transaction that sees the views at one moment."""
    with pool.connection() as conn:
        begin_snapshot(conn)
        yield conn
