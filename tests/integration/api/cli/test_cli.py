"""`touchpoint migrate`: builds the schema on an empty database; a dead server exits 3."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from api.cli.main import build_app
from api.storage.migrations import alembic_config

app = build_app()  # the touchpoint command, as its entry point builds it


@pytest.fixture
def empty_database_url(server_url):
    name = f"tp_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


def _revision(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _migrate(url: str):
    return CliRunner().invoke(app, ["migrate"], env={"TOUCHPOINT_DATABASE_URL": url})


def test_migrate_creates_the_ledger_tables_on_an_empty_database(empty_database_url):
    assert _tables(empty_database_url) == set()

    result = _migrate(empty_database_url)

    assert result.exit_code == 0, result.output
    assert {"touchpoint_events", "fact_keys", "customer_keys"} <= _tables(empty_database_url)
    head = ScriptDirectory.from_config(alembic_config(empty_database_url)).get_current_head()
    assert _revision(empty_database_url) == head


def test_migrating_twice_changes_nothing(empty_database_url):
    _migrate(empty_database_url)
    tables = _tables(empty_database_url)

    again = _migrate(empty_database_url)

    assert again.exit_code == 0, again.output
    assert _tables(empty_database_url) == tables


def test_a_server_that_does_not_answer_ends_migrate_with_exit_code_3():
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    result = _migrate("postgresql://postgres@127.0.0.1:1/touchpoint")

    assert result.exit_code == 3
    assert "database unavailable" in result.stderr
    assert "Traceback" not in result.output
