"""Read-only SQL roles for analysts' tools: SELECT on the views' tables, nothing else.

``create_reader`` (as the tables' owner) makes a LOGIN role that can read the tables
the projections build and no other: not the log, its hash chain or Merkle nodes, the
data keys, the API keys or the tracking tables. It is marked with a comment, so that
running it again refreshes the grants (views gain tables with new migrations) but never
turns an existing role of another purpose, the runtime role say, into a reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.sql import SQL, Identifier, Literal

__all__ = ["MARK", "ReaderRefused", "create_reader", "reader_tables"]

MARK = "touchpoint read-only SQL role: SELECT on the views' tables only"
_ROLE_NAME = r"^[a-z_][a-z0-9_]{0,62}$"


class ReaderRefused(ValueError):
    """The role cannot be made a reader (a bad name, or a role made for something else)."""


def create_reader(
    owner_url: str, name: str, tables: Sequence[str], password: str | None = None
) -> bool:
    """Make ``name`` a LOGIN role that may SELECT ``tables`` only; True if it was created,
    False if a reader of that name existed (its grants are refreshed)."""
    import re  # noqa: PLC0415

    if not re.match(_ROLE_NAME, name):
        msg = f"{name!r}: a role name is lower-case letters, digits and _ (not first)"
        raise ReaderRefused(msg)
    with psycopg.connect(owner_url, autocommit=True) as conn, conn.transaction():
        created = _create_or_check(conn, name, password)
        _grant(conn, name, tables)
    return created


def _create_or_check(conn: Connection[Any], name: str, password: str | None) -> bool:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s", (name,)
    ).fetchone()
    who = Identifier(name)
    if row is None:
        conn.execute(
            SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                "NOBYPASSRLS NOINHERIT"
            ).format(who)
        )
        conn.execute(SQL("COMMENT ON ROLE {} IS {}").format(who, Literal(MARK)))
    elif row[0] != MARK:
        msg = f"role {name!r} exists and is not a read-only role made by this command"
        raise ReaderRefused(msg)
    if password is not None:
        conn.execute(SQL("ALTER ROLE {} PASSWORD {}").format(who, Literal(password)))
    return row is None


def _grant(conn: Connection[Any], name: str, tables: Sequence[str]) -> None:
    who = Identifier(name)
    database = conn.execute("SELECT current_database()").fetchone()
    assert database is not None
    conn.execute(SQL("GRANT CONNECT ON DATABASE {} TO {}").format(Identifier(database[0]), who))
    conn.execute(SQL("GRANT USAGE ON SCHEMA public TO {}").format(who))
    for table in reader_tables(conn, tables):
        conn.execute(SQL("GRANT SELECT ON public.{} TO {}").format(Identifier(table), who))


def reader_tables(conn: Connection[Any], tables: Sequence[str]) -> list[str]:
    """Those of ``tables`` that exist in schema public (a view may name one a later
    migration adds)."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_name = ANY(%s) ORDER BY table_name",
        (list(tables),),
    ).fetchall()
    return [str(name) for (name,) in rows]
