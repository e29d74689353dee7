"""Rebuilding a view into a fresh copy, switched in once it has caught up (DESIGN.md).

While the copy is built, the live view keeps serving and keeps following the log, so
no reader ever sees a view half rebuilt. The copy is a schema of empty copies of
the view's tables, as a replay makes them (``projections.replay``), caught up to the
head of the log by the same View code. The switch is one transaction: it locks the
live view's tracking row (its projector waits), brings the copy up to the head once
more, replaces the live rows by the copy's and moves the tracking row to the copy's
position. Readers see the old rows until that transaction commits, then the new ones.

Rows are copied, not tables swapped: the live tables keep their grants (a read-only
SQL role of analysts), their comments and the SQL views built on them. A rebuild
stopped or killed before the switch leaves the live view as it was; its copy is
replaced by the next rebuild of that view.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier

from projections.config import ViewConfig
from projections.replay import REGISTRY, SOURCE_SCHEMA, replay, schema_pool
from projections.runner import ProgressFn, ProjectionRunner, View, conninfo
from projections.tracking import lock_tracking, take_position_from

__all__ = [
    "STAGING_PREFIX",
    "RebuildRunning",
    "RebuildStopped",
    "rebuild_by_switch",
    "staging_schema",
]

STAGING_PREFIX = "touchpoint_rebuild_"


class RebuildRunning(RuntimeError):
    """Another rebuild of the same view is under way (in this or another process)."""


class RebuildStopped(RuntimeError):
    """The rebuild was asked to stop before its switch; the live view is as it was."""


def staging_schema(name: str) -> str:
    """The schema a rebuild of the view ``name`` builds its copy in."""
    return STAGING_PREFIX + name


def rebuild_by_switch(
    runner: ProjectionRunner,
    name: str,
    *,
    config: ViewConfig,
    author: str,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Rebuild the view ``name`` into a copy, then switch it in; the position it reached."""
    view = runner.views[name]
    # A connection of its own, outside any transaction, holds the rebuild's lock: a
    # session lock ends with the connection, so a killed rebuild never keeps it.
    with psycopg.connect(conninfo(runner.pool), autocommit=True) as guard:
        _hold_rebuild_lock(guard, name)
        _build_copy(runner, view, config=config, author=author, progress=progress, stop=stop)
        position = _switch(runner, view)
        _drop_copy(guard, view)
    return position


def _hold_rebuild_lock(conn: Connection[Any], name: str) -> None:
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtext('touchpoint rebuild ' || %s))", (name,)
    ).fetchone()
    if not (row and row[0]):
        raise RebuildRunning(f"the {name} view is already being rebuilt")


def _build_copy(
    runner: ProjectionRunner,
    view: View,
    *,
    config: ViewConfig,
    author: str,
    progress: ProgressFn | None,
    stop: threading.Event | None,
) -> None:
    """The copy, caught up to the head of the log as it is now."""
    head = runner.ledger.head_position()
    replay(
        runner.ledger,
        runner.pool,
        staging_schema(view.name),
        [view],
        head,
        config=config,
        author=author,
        replace=True,
        page_size=runner.page_size,
        progress=progress,
        stop=stop,
    )
    if stop is not None and stop.is_set():
        raise RebuildStopped(f"the rebuild of {view.name} stopped before its switch")


def _switch(runner: ProjectionRunner, view: View) -> int:
    """In one transaction: the copy caught up to the head, then its rows made the live ones."""
    schema = staging_schema(view.name)
    with runner.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = 0")  # copying a large view is expected
        lock_tracking(cur, view.name)  # the live projector waits from here to the commit
        with schema_pool(runner.pool, schema, 1) as staging:
            copy = ProjectionRunner(runner.ledger, staging, [view], runner.page_size)
            position = copy.catch_up(view.name)
        for table in view.tables:
            _replace_rows(cur, schema, table)
        take_position_from(cur, schema, view.name)
    return position


def _replace_rows(cur: Cursor[Any], schema: str, table: str) -> None:
    columns = SQL(", ").join(Identifier(name) for name in _stored_columns(cur, table))
    live, copy = Identifier(SOURCE_SCHEMA, table), Identifier(schema, table)
    # DELETE, not TRUNCATE: readers keep seeing the old rows until the commit.
    cur.execute(SQL("DELETE FROM {}").format(live))
    cur.execute(SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(live, columns, columns, copy))


def _stored_columns(cur: Cursor[Any], table: str) -> list[str]:
    """The live table's columns that hold values (generated columns are computed)."""
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (SOURCE_SCHEMA, table),
    )
    return [str(row[0]) for row in cur.fetchall()]


def _drop_copy(conn: Connection[Any], view: View) -> None:
    schema = staging_schema(view.name)
    with conn.transaction():
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))
        conn.execute(SQL("DELETE FROM {} WHERE schema_name = %s").format(REGISTRY), (schema,))
