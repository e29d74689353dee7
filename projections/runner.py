"""The projection runner: applies the log to views page by page, exactly once.

Each page is applied to one view in one transaction together with that view's
tracking row, so a crash can neither apply a fact twice nor skip one. The
tracking row is locked (``FOR UPDATE``) while a page is applied, so two
projectors of the same view never interleave.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

from domain.ledger import Ledger
from domain.reading import LoggedFact

log = logging.getLogger(__name__)
CHANNEL = "touchpoint_events"  # the library NOTIFYs on the events table's name


class View(Protocol):
    """A view: a name, the tables it owns, and how a page of facts changes them."""

    name: str
    tables: tuple[str, ...]

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply ``page`` (in log order) inside the caller's transaction."""


ProgressFn = Callable[[int], None]


class ProjectionRunner:
    """Feeds views from the ledger's log in pages."""

    def __init__(
        self, ledger: Ledger, pool: ConnectionPool, views: Sequence[View], page_size: int = 1000
    ) -> None:
        self.ledger = ledger
        self.pool = pool
        self.views = {view.name: view for view in views}
        self.page_size = page_size

    def position(self, name: str) -> int:
        """Last log position applied to the view ``name``."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT position FROM view_tracking WHERE view_name = %s", (name,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def catch_up(
        self, name: str, until: int | None = None, progress: ProgressFn | None = None
    ) -> int:
        """Apply every fact after the view's position (up to ``until``); return the position."""
        view = self.views[name]
        position = self.position(name)
        while until is None or position < until:
            page = self.ledger.read_log(position, self.page_size)
            if until is not None:
                page = [item for item in page if item.position <= until]
            if not page:
                break
            position = self._apply_page(view, position, page)
            if progress is not None:
                progress(position)
        return position

    def catch_up_all(self) -> dict[str, int]:
        """Catch every view up; return their positions."""
        return {name: self.catch_up(name) for name in self.views}

    def _apply_page(self, view: View, expected: int, page: Sequence[LoggedFact]) -> int:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            current = _lock_tracking(cur, view.name)
            if current != expected:
                return current  # another projector applied this page first
            view.apply(cur, page)
            cur.execute(
                "UPDATE view_tracking SET position = %s, updated_at = now(), "
                "last_recorded_at = %s WHERE view_name = %s",
                (page[-1].position, page[-1].recorded_at, view.name),
            )
        return page[-1].position

    def reset(self, name: str) -> None:
        """Empty a view and its tracking row in one transaction (start of a rebuild)."""
        view = self.views[name]
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            _lock_tracking(cur, name)
            for table in view.tables:
                cur.execute(SQL("TRUNCATE {}").format(Identifier(table)))
            cur.execute("UPDATE view_tracking SET position = 0 WHERE view_name = %s", (name,))

    def rebuild(self, name: str, progress: ProgressFn | None = None) -> int:
        """Rebuild one view from position 0; the other views keep serving."""
        self.reset(name)
        return self.catch_up(name, progress=progress)

    def run(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Keep every view caught up until ``stop`` is set (LISTEN/NOTIFY, polling fallback)."""
        with self.pool.connection() as listener:
            listener.autocommit = True
            listener.execute(SQL("LISTEN {}").format(Identifier(CHANNEL)))
            while not stop.is_set():
                self.catch_up_all()
                _wait_for_notify(listener, poll_seconds)


def _lock_tracking(cur: Cursor[Any], name: str) -> int:
    cur.execute("INSERT INTO view_tracking (view_name) VALUES (%s) ON CONFLICT DO NOTHING", (name,))
    cur.execute("SELECT position FROM view_tracking WHERE view_name = %s FOR UPDATE", (name,))
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def _wait_for_notify(conn: Connection[Any], timeout: float) -> None:
    # Any notification means "new facts": drain them all and go catch up.
    for _ in conn.notifies(timeout=timeout, stop_after=1):
        break
