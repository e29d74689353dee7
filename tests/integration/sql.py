"""Plain SQL on a test's own database, beside the ledger (for inspection and sabotage)."""

from __future__ import annotations

from typing import Any

import psycopg


def query(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one statement, run in its own committed transaction."""
    with psycopg.connect(url, autocommit=True) as conn:
        # No parameters means no placeholders: '%' in plpgsql bodies stays literal.
        cursor = conn.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def count(url: str, table: str) -> int:
    """Rows in ``table`` (a fixed table name of ours, never input)."""
    [(n,)] = query(url, f"SELECT count(*) FROM {table}")
    return int(n)


def refuse_inserts_of(url: str, topic: str) -> None:
    """Make every insert of ``topic`` into the log fail, as a broken disk or bug would."""
    query(
        url,
        """
        CREATE FUNCTION test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'test sabotage: % refused', NEW.topic; END $$;
        """,
    )
    query(
        url,
        "CREATE TRIGGER test_refuse_insert BEFORE INSERT ON touchpoint_events FOR EACH ROW "
        f"WHEN (NEW.topic = '{topic}') EXECUTE FUNCTION test_refuse_insert()",
    )


def allow_inserts_again(url: str) -> None:
    """Remove the sabotage installed by ``refuse_inserts_of``."""
    query(url, "DROP TRIGGER test_refuse_insert ON touchpoint_events")
    query(url, "DROP FUNCTION test_refuse_insert()")
