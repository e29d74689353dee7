"""Projection benchmark, phases 2 and 3: every view rebuilt by the production runner, and
the same views fed one event per transaction by the eventsourcing library's own runner."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.projection import ProjectionRunner as LibraryRunner
from eventsourcing.utils import EnvType
from psycopg import sql
from psycopg.rows import tuple_row

from domain.ledger import Ledger
from domain.ports import Keyring
from domain.reading import LoggedFact
from projections.runner import ProjectionRunner, View, conninfo

RawConnection = psycopg.Connection[tuple[Any, ...]]


# --- 2. rebuilding with the runner ----------------------------------------------------


def rebuild_all(runner: ProjectionRunner, until: int | None = None) -> tuple[int, float]:
    """Reset every view and catch them all up together; (facts applied, seconds)."""
    started = time.perf_counter()
    for name in runner.views:
        runner.reset(name)
    positions = runner.catch_up_all(until)
    elapsed = time.perf_counter() - started
    if len(set(positions.values())) != 1:
        msg = f"the views stopped at different positions: {positions}"
        raise RuntimeError(msg)
    return next(iter(positions.values())), elapsed


# --- 3. one event per transaction: the library's ProjectionRunner ---------------------


class _NoVault:
    """The key vault of a ledger that only reads the log (never asked for keys)."""

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> Keyring:
        raise NotImplementedError

    def destroy(self, customer_ref: str) -> None:
        raise NotImplementedError


class ReadingLedger(Ledger):
    """The ledger as the library's ``ProjectionRunner`` builds it: from its env alone."""

    name = Ledger.name  # the library names the events table after the application

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(dict(env or {}), _NoVault())


class ViewTracking(PostgresTrackingRecorder):
    """A library tracking recorder that applies one fact to a view in its own transaction,
    with the tracking record, as the library's materialised views do."""

    def apply_one(self, view: View, item: LoggedFact, tracking: Tracking) -> None:
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor(row_factory=tuple_row) as cur:
                view.apply(cur, [item])
            with conn.cursor() as curs:
                self._insert_tracking(curs, tracking)


class OneByOne(Projection[ViewTracking]):
    """A library projection feeding one of our views, one event per call (and transaction)."""

    target: ClassVar[View]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        item = LoggedFact(tracking.notification_id, domain_event)
        self.view.apply_one(self.target, item, tracking)


def one_by_one(runner: ProjectionRunner, env: dict[str, str], until: int) -> float:
    """Seconds until the library's runners (one per view, running together) have applied
    every fact up to ``until``, each in a transaction of its own."""
    for name in runner.views:
        runner.reset(name)
    projections = [_projection(view) for view in runner.views.values()]
    tables = [sql.Identifier(f"{p.name}_tracking") for p in projections]
    env = env | {f"{p.name.upper()}_CREATE_TABLE": "y" for p in projections}
    with psycopg.connect(conninfo(runner.pool), autocommit=True) as conn:
        _drop(conn, tables)
        try:
            started = time.perf_counter()
            with ExitStack() as stack:
                runners = [
                    stack.enter_context(
                        LibraryRunner(
                            application_class=ReadingLedger,
                            projection_class=projection,
                            view_class=ViewTracking,
                            env=env,
                        )
                    )
                    for projection in projections
                ]
                _wait_for_tracking(conn, tables, until, runners)
                elapsed = time.perf_counter() - started
        finally:
            _drop(conn, tables)
    return elapsed


def _projection(view: View) -> type[OneByOne]:
    name = f"bench_{view.name}"
    return type(f"OneByOne_{view.name}", (OneByOne,), {"name": name, "target": view})


def _wait_for_tracking(
    conn: RawConnection,
    tables: list[sql.Identifier],
    until: int,
    runners: Sequence[LibraryRunner[Any, Any]],
) -> None:
    """Poll every 10 ms until each tracking table has reached ``until``."""
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(table)
        for table in tables
    )
    while True:
        for runner in runners:
            if runner.is_interrupted.is_set():
                runner.run_forever(timeout=0)  # raises the error that stopped it
                raise RuntimeError("a library projection runner stopped early")
        try:
            reached = [int(row[0]) for row in conn.execute(query).fetchall()]
        except psycopg.errors.UndefinedTable:  # the library makes them as it starts
            reached = [0]
        if min(reached) >= until:
            return
        time.sleep(0.01)


def _drop(conn: RawConnection, tables: list[sql.Identifier]) -> None:
    for table in tables:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
