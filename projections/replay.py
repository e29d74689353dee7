"""Replaying the log into a schema of its own: the views as they stood at a past position.

A replay schema holds empty copies (``LIKE ... INCLUDING ALL``: columns, defaults,
generated columns, constraints, indexes, comments) of the views' tables, of their
SQL views and of ``view_tracking``. The same View classes then apply the log up
to the position, through a runner whose connections have that schema as their
only ``search_path``: every SQL of the views and of their queries names tables
unqualified, so it runs unchanged on the copy, and a table the copy lacks is an
error, never a write to the live view. Temporary tables (e.g. ``crm_page``) stay
in ``pg_temp``, which PostgreSQL always searches first for tables.

Each replay schema is recorded in ``replay_schemas`` (migration 0009): a metric
query reaches a schema through ``as_of_schema`` only if touchpoint made it and
the replay finished, and ``replace`` only ever drops a schema touchpoint made.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier, Literal
from psycopg_pool import ConnectionPool

from domain.ledger import Ledger
from projections.config import ViewConfig
from projections.runner import ProgressFn, ProjectionRunner, View, conninfo

__all__ = [
    "REGISTRY",
    "SCHEMA_PATTERN",
    "SOURCE_SCHEMA",
    "TRACKING",
    "ReplayRefused",
    "ReplayResult",
    "UnknownReplaySchema",
    "check_schema_name",
    "prepare_schema",
    "replay",
    "schema_pool",
    "use_replay_schema",
]

SOURCE_SCHEMA = "public"  # where the migrations create the live views' tables
TRACKING = "view_tracking"
REGISTRY = Identifier(SOURCE_SCHEMA, "replay_schemas")  # qualified: read on any search_path
SCHEMA_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"
_NAME = re.compile(SCHEMA_PATTERN)
_RESERVED = ("public", "information_schema")


class ReplayRefused(ValueError):
    """A replay into a schema it must not create or overwrite."""


class UnknownReplaySchema(LookupError):
    """``as_of_schema`` names no finished replay schema (of the view asked for)."""


@dataclass(frozen=True)
class ReplayResult:
    """What a replay built: the schema, the position replayed up to, each view's position."""

    schema: str
    until: int  # the position asked for, or the log's head if that came first
    positions: dict[str, int]


def check_schema_name(name: str) -> str:
    """``name`` if it may be a replay schema (plain lower-case identifier, not a system one)."""
    if not _NAME.match(name):
        msg = f"{name!r} is not a plain schema name (lower-case letters, digits, _; at most 63)"
        raise ReplayRefused(msg)
    if name in _RESERVED or name.startswith("pg_"):
        raise ReplayRefused(f"{name!r} is a schema of the database itself, never a replay")
    return name


def replay(
    ledger: Ledger,
    pool: ConnectionPool,
    schema: str,
    views: Sequence[View],
    until: int,
    *,
    config: ViewConfig,
    author: str,
    replace: bool = False,
    page_size: int = 1000,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
) -> ReplayResult:
    """Rebuild ``views`` as they stood at position ``until`` into ``schema``.

    Refuses (``ReplayRefused``) an existing non-empty schema unless ``replace``, and
    never drops a schema that touchpoint did not make. A position after the log's
    head replays up to the head (and the schema records that position). Once ``stop``
    is set, the replay ends after the page in hand and stays unfinished.
    """
    check_schema_name(schema)
    target = min(until, ledger.head_position())
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        prepare_schema(cur, schema, views, replace)
        _register(cur, schema, until=target, views=views, config=config, author=author)
    with schema_pool(pool, schema, len(views)) as replay_pool:
        runner = ProjectionRunner(ledger, replay_pool, views, page_size)
        positions = runner.catch_up_many([view.name for view in views], target, progress, stop)
    if stop is not None and stop.is_set():
        return ReplayResult(schema, target, positions)  # not marked completed
    with pool.connection() as conn:
        conn.execute(
            SQL("UPDATE {} SET completed_at = now() WHERE schema_name = %s").format(REGISTRY),
            (schema,),
        )
    return ReplayResult(schema, target, positions)


def prepare_schema(cur: Cursor[Any], schema: str, views: Sequence[View], replace: bool) -> None:
    """Create ``schema`` (or reuse it empty) with empty copies of the views' tables."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('touchpoint replay ' || %s))", (schema,))
    if _relations_in(cur, schema):
        _drop_if_allowed(cur, schema, replace)
    cur.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
    definitions = _sql_views(cur, views)  # read before search_path names the copy
    for table in (TRACKING, *(table for view in views for table in view.tables)):
        cur.execute(
            SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                Identifier(schema, table), Identifier(SOURCE_SCHEMA, table)
            )
        )
    names = [view.name for view in views]
    cur.execute(
        SQL("INSERT INTO {} (view_name) SELECT unnest(%s::text[])").format(
            Identifier(schema, TRACKING)
        ),
        (names,),
    )
    _copy_sql_views(cur, schema, definitions)


def _relations_in(cur: Cursor[Any], schema: str) -> int:
    cur.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s",
        (schema,),
    )
    row = cur.fetchone()
    return 0 if row is None else int(row[0])


def _drop_if_allowed(cur: Cursor[Any], schema: str, replace: bool) -> None:
    if not replace:
        msg = f"schema {schema!r} exists and is not empty; pass --replace to overwrite it"
        raise ReplayRefused(msg)
    cur.execute(SQL("SELECT 1 FROM {} WHERE schema_name = %s").format(REGISTRY), (schema,))
    if cur.fetchone() is None:
        msg = f"schema {schema!r} was not made by touchpoint replay; refusing to drop it"
        raise ReplayRefused(msg)
    cur.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def _sql_views(cur: Cursor[Any], views: Sequence[View]) -> list[tuple[str, str, str | None]]:
    """(name, definition, comment) of the SQL views over the views' tables (e.g.
    ``crm_pressure``): a SQL view is bound to the tables it was created on, so the
    copy needs its own, created on the copied tables."""
    prefixes = [f"{view.name}\\_%" for view in views]
    cur.execute(
        "SELECT c.relname, pg_get_viewdef(c.oid), obj_description(c.oid, 'pg_class') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'v' AND n.nspname = %s AND c.relname LIKE ANY(%s) ORDER BY 1",
        (SOURCE_SCHEMA, prefixes),
    )
    return [(str(name), str(body), comment) for name, body, comment in cur.fetchall()]


def _copy_sql_views(
    cur: Cursor[Any], schema: str, definitions: list[tuple[str, str, str | None]]
) -> None:
    if not definitions:
        return
    # The definitions name tables unqualified: with the copy alone on the path, they
    # resolve to the copied tables.
    cur.execute(SQL("SET LOCAL search_path = {}").format(Identifier(schema)))
    for name, body, comment in definitions:
        cur.execute(SQL("CREATE VIEW {} AS ").format(Identifier(name)) + SQL(body))
        if comment is not None:
            cur.execute(SQL("COMMENT ON VIEW {} IS {}").format(Identifier(name), Literal(comment)))
    cur.execute("SET LOCAL search_path TO DEFAULT")


def _register(
    cur: Cursor[Any],
    schema: str,
    *,
    until: int,
    views: Sequence[View],
    config: ViewConfig,
    author: str,
) -> None:
    cur.execute(
        SQL(
            "INSERT INTO {} (schema_name, until_position, views, config, created_by) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (schema_name) DO UPDATE SET "
            "until_position = excluded.until_position, views = excluded.views, "
            "config = excluded.config, created_by = excluded.created_by, created_at = now(), "
            "completed_at = NULL"
        ).format(REGISTRY),
        (schema, until, [view.name for view in views], _config_json(config), author),
    )


def _config_json(config: ViewConfig) -> str:
    return json.dumps(asdict(config), default=str, sort_keys=True)


@contextmanager
def schema_pool(pool: ConnectionPool, schema: str, views: int) -> Iterator[ConnectionPool]:
    """A pool on the same database whose connections see only ``schema`` (and pg_temp)."""
    replay_pool = ConnectionPool(
        conninfo(pool),
        min_size=1,
        max_size=views + 1,  # the runner applies a shared page to the views concurrently
        kwargs={"options": f"-c search_path={check_schema_name(schema)}"},
        open=True,
    )
    try:
        yield replay_pool
    finally:
        replay_pool.close()


def use_replay_schema(conn: Connection[Any], schema: str, view: str) -> int:
    """Point the current transaction's table names at a finished replay schema of ``view``.

    Returns the position it was replayed up to; raises ``UnknownReplaySchema`` for a
    schema touchpoint did not make, one whose replay has not finished, one dropped
    since, or one without that view.
    """
    row = conn.execute(
        SQL(
            "SELECT r.until_position, r.views FROM {} r "
            "JOIN pg_namespace n ON n.nspname = r.schema_name "
            "WHERE r.schema_name = %s AND r.completed_at IS NOT NULL"
        ).format(REGISTRY),
        (schema,),
    ).fetchone()
    if row is None:
        msg = f"{schema!r} is not a finished replay schema (made by `touchpoint replay`)"
        raise UnknownReplaySchema(msg)
    if view not in row[1]:
        msg = f"replay schema {schema!r} has no {view} view; it has {', '.join(row[1])}"
        raise UnknownReplaySchema(msg)
    conn.execute(SQL("SET LOCAL search_path = {}").format(Identifier(schema)))
    return int(row[0])
