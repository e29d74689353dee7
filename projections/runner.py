"""The projection runner: applies the log to views page by page, exactly once.

Each page is applied to one view in one transaction together with that view's
tracking row, so a crash can neither apply a fact twice nor skip one. The
tracking row is locked (``FOR UPDATE``) while a page is applied, so two
projectors of the same view never interleave. Views at the same position share
each page read from the log (decoded once); views at different positions
(e.g. one being rebuilt) advance independently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg
from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.ledger import Ledger
from domain.reading import LoggedFact
from projections.log import LogReader
from projections.tracking import advance, lock_tracking, rewind, view_position

__all__ = [
    "CHANNEL",
    "CONNECTION_ERRORS",
    "Backoff",
    "LeadFn",
    "ProgressFn",
    "ProjectionRunner",
    "View",
    "ViewStatus",
    "conninfo",
    "log",
]

log = logging.getLogger(__name__)
CHANNEL = "touchpoint_events"  # the library NOTIFYs on the events table's name
# Errors that say "the database is unreachable", not "this view is broken".
CONNECTION_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


class View(Protocol):
    """A view: a name, the tables it owns, and how a page of facts changes them."""

    name: str
    tables: tuple[str, ...]

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply ``page`` (in log order) inside the caller's transaction."""


ProgressFn = Callable[[int], None]
LeadFn = Callable[[], Sequence[str]]  # the views this process may apply now


@dataclass(frozen=True)
class ViewStatus:
    """How far a view is behind the log."""

    name: str
    position: int
    head: int
    lag_facts: int  # facts in the log after the view's position
    lag_seconds: float  # age of the oldest fact not yet applied (0 when caught up)


class Backoff:
    """Exponential delays between retries, so failures never become a busy loop."""

    def __init__(self, first: float = 0.5, longest: float = 30.0) -> None:
        self.first, self.longest = first, longest
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return float(min(self.longest, self.first * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


class ProjectionRunner:
    """Feeds views from the ledger's log in pages."""

    def __init__(
        self, ledger: Ledger, pool: ConnectionPool, views: Sequence[View], page_size: int = 1000
    ) -> None:
        self.ledger = ledger
        self.pool = pool
        self.views = {view.name: view for view in views}
        self.page_size = page_size
        self.log = LogReader(ledger, pool)  # pages decoded once, lean (projections.log)
        self._sick: dict[str, tuple[Backoff, float]] = {}  # failing view -> retry time

    def position(self, name: str) -> int:
        """Last log position applied to the view ``name``."""
        with self.pool.connection() as conn:
            return view_position(conn, name)

    def catch_up(
        self,
        name: str,
        until: int | None = None,
        progress: ProgressFn | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Apply every fact after the view's position (up to ``until``); return the position."""
        return self.catch_up_many([name], until, progress, stop)[name]

    def catch_up_all(self, until: int | None = None) -> dict[str, int]:
        """Catch every view up; return their positions."""
        return self.catch_up_many(list(self.views), until)

    def catch_up_many(
        self,
        names: Iterable[str],
        until: int | None = None,
        progress: ProgressFn | None = None,
        stop: threading.Event | None = None,
        isolate: bool = False,
    ) -> dict[str, int]:
        """Catch up several views, reading each page once for the views that share a position.

        With ``isolate``, a view whose page fails (other than by losing the database) is
        logged and left behind while the others go on; otherwise the error propagates.
        """
        positions = {name: self.position(name) for name in names}
        active = set(positions)
        with _Pages(self, until) as pages:
            while active and not (stop is not None and stop.is_set()):
                for start, group in _groups(positions, active).items():
                    page = pages.get(start)
                    if not page:
                        active -= set(group)
                        continue
                    for name, outcome in pages.apply(group, start, page).items():
                        positions[name] = self._settle(name, start, outcome, isolate, active)
                    if progress is not None:
                        progress(page[-1].position)
        return positions

    def _read(self, start: int, until: int | None) -> list[LoggedFact]:
        page = self.log.read(start, self.page_size)
        return page if until is None else [item for item in page if item.position <= until]

    def _try_apply(self, name: str, start: int, page: Sequence[LoggedFact]) -> int | Exception:
        try:
            return self._apply_page(self.views[name], start, page)
        except Exception as error:  # handed to _settle, in the caller's thread
            return error

    def _settle(
        self, name: str, start: int, outcome: int | Exception, isolate: bool, active: set[str]
    ) -> int:
        """The view's new position; a failure is raised, or with ``isolate`` logged."""
        if not isinstance(outcome, Exception):
            self._sick.pop(name, None)
            return outcome
        if isinstance(outcome, CONNECTION_ERRORS) or not isolate:
            raise outcome
        log.error("view %s failed to apply facts after position %d", name, start, exc_info=outcome)
        self._mark_sick(name)
        active.discard(name)
        return start

    def _apply_page(self, view: View, expected: int, page: Sequence[LoggedFact]) -> int:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            current = lock_tracking(cur, view.name)
            if current != expected:
                return current  # another projector applied this page first (or a reset)
            view.apply(cur, page)
            advance(cur, view.name, page[-1].position, page[-1].recorded_at)
        return page[-1].position

    def _mark_sick(self, name: str) -> None:
        backoff = self._sick[name][0] if name in self._sick else Backoff()
        self._sick[name] = (backoff, time.monotonic() + backoff.next())

    def _healthy(self) -> list[str]:
        now = time.monotonic()
        return [n for n in self.views if n not in self._sick or self._sick[n][1] <= now]

    def reset(self, name: str) -> None:
        """Empty a view and its tracking row in one transaction (start of a rebuild)."""
        view = self.views[name]
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            lock_tracking(cur, name)
            for table in view.tables:
                cur.execute(SQL("TRUNCATE {}").format(Identifier(table)))
            rewind(cur, name)

    def rebuild(self, name: str, progress: ProgressFn | None = None) -> int:
        """Rebuild one view in place from position 0 (readers see it part-built meanwhile).

        Operators' rebuilds go through ``projections.rebuild`` instead, which builds a
        copy and switches it in; this is the primitive, for tests and benchmarks.
        """
        self.reset(name)
        return self.catch_up(name, progress=progress)

    def status(self, now: datetime | None = None) -> list[ViewStatus]:
        """Position and lag (in facts and in seconds) of every view."""
        now = now or datetime.now(UTC)
        head = self.ledger.head_position()
        return [self._status(name, head, now) for name in self.views]

    def _status(self, name: str, head: int, now: datetime) -> ViewStatus:
        position = self.position(name)
        table = getattr(self.ledger.recorder, "events_table_name", CHANNEL)
        with self.pool.connection() as conn:
            row = conn.execute(
                SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(Identifier(table)),
                (position,),
            ).fetchone()
        lag_facts = 0 if row is None else int(row[0])
        oldest = self.ledger.read_log(position, 1) if lag_facts else []
        lag_seconds = max(0.0, (now - oldest[0].recorded_at).total_seconds()) if oldest else 0.0
        return ViewStatus(name, position, head, lag_facts, lag_seconds)

    def run(
        self, stop: threading.Event, poll_seconds: float = 1.0, lead: LeadFn | None = None
    ) -> None:
        """Keep every view caught up until ``stop`` is set.

        New facts are noticed through LISTEN/NOTIFY, with a poll every ``poll_seconds``
        as the fallback. Losing the database is logged and retried with a growing
        delay; a view whose pages fail is retried later while the others carry on.
        With ``lead``, only the views it returns (asked before each catch-up) are
        applied: those this process leads (``projections.leadership``).
        """
        backoff = Backoff()
        while not stop.is_set():
            try:
                self._follow(stop, poll_seconds, backoff, lead)
            except Exception:  # keep projecting whatever went wrong; never spin
                delay = backoff.next()
                log.exception("projector lost its way; retrying in %.1f s", delay)
                stop.wait(delay)

    def _follow(
        self, stop: threading.Event, poll_seconds: float, backoff: Backoff, lead: LeadFn | None
    ) -> None:
        # A connection of its own: a LISTEN must not leak into pooled connections.
        with psycopg.connect(conninfo(self.pool), autocommit=True) as listener:
            listener.execute(SQL("LISTEN {}").format(Identifier(CHANNEL)))
            while not stop.is_set():
                led = set(self.views if lead is None else lead())
                names = [name for name in self._healthy() if name in led]
                self.catch_up_many(names, stop=stop, isolate=True)
                backoff.reset()
                _wait_for_notify(listener, poll_seconds)


def conninfo(pool: ConnectionPool) -> str:
    """The connection string of ``pool`` (which may hold a function giving it)."""
    conninfo = pool.conninfo
    return conninfo if isinstance(conninfo, str) else conninfo()


class _Pages:
    """Pages of the log; while one is applied, the next full one is read and decoded
    in the background (the database works on the page meanwhile, so both cores help)."""

    def __init__(self, runner: ProjectionRunner, until: int | None) -> None:
        self.runner, self.until = runner, until
        self.reader: ThreadPoolExecutor | None = None  # started at the first full page
        self.appliers: ThreadPoolExecutor | None = None  # started when views share a page
        self.ahead: dict[int, Future[list[LoggedFact]]] = {}

    def get(self, start: int) -> list[LoggedFact]:
        """The page after ``start``; a page read ahead holds the facts logged by then."""
        future = self.ahead.pop(start, None)
        page = self.runner._read(start, self.until) if future is None else future.result()
        if len(page) >= self.runner.page_size:  # a full page: more is probably waiting
            following = page[-1].position
            if following not in self.ahead:
                self.reader = self.reader or ThreadPoolExecutor(1, "touchpoint-log-reader")
                self.ahead[following] = self.reader.submit(self.runner._read, following, self.until)
        return page

    def apply(
        self, names: list[str], start: int, page: list[LoggedFact]
    ) -> dict[str, int | Exception]:
        """Apply ``page`` to each view, each in its own transaction, concurrently when several
        (while one view's SQL runs in the database, another's rows are built here)."""
        if len(names) == 1:
            return {names[0]: self.runner._try_apply(names[0], start, page)}
        if self.appliers is None:
            self.appliers = ThreadPoolExecutor(len(self.runner.views), "touchpoint-projector")
        futures = {n: self.appliers.submit(self.runner._try_apply, n, start, page) for n in names}
        return {name: future.result() for name, future in futures.items()}

    def __enter__(self) -> _Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        for executor in (self.reader, self.appliers):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)


def _groups(positions: dict[str, int], active: set[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for name in sorted(active):
        groups.setdefault(positions[name], []).append(name)
    return groups


def _wait_for_notify(conn: Connection[Any], timeout: float) -> None:
    """Block until a notification arrives (or ``timeout``), then drain the rest."""
    for _ in conn.notifies(timeout=timeout, stop_after=1):
        break
    for _ in conn.notifies(timeout=0.0):
        pass  # the catch-up that follows covers them all
