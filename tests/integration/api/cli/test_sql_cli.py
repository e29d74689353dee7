"""``touchpoint sql`` and ``touchpoint sql-role create`` (issue 17): psql on the database,
and a read-only role that reads the views' tables and is refused everything else — the
log, its chain, the data keys and the API keys — checked on the real database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from api.storage.readers import MARK
from tests.integration.api.cli.test_first_hour_cli import run

REFUSED_TABLES = [
    "touchpoint_events", "touchpoint_chain", "touchpoint_merkle_nodes", "fact_keys",
    "customer_keys", "customer_key_kek", "api_keys", "view_tracking", "alembic_version",
]  # fmt: skip


@pytest.fixture
def reader(database_url) -> Iterator[str]:
    """A fresh role name; the role (cluster-wide) is dropped afterwards."""
    name = f"reader_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(f'DROP OWNED BY "{name}"')
            conn.execute(f'DROP ROLE "{name}"')


def _as(database_url: str, role: str) -> psycopg.Connection:
    return psycopg.connect(make_conninfo(database_url, user=role), autocommit=True)


def test_a_read_only_role_reads_a_view_table(tmp_path, database_url, reader):
    done = run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"read-only role {reader} created: SELECT on the views' tables only; connect with "
        f"`touchpoint sql --as {reader}` (or `--print` for other clients)"
    )
    with _as(database_url, reader) as conn:
        assert conn.execute("SELECT count(*) FROM cost_daily").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM customer_profile").fetchone() == (0,)


@pytest.mark.parametrize("table", REFUSED_TABLES)
def test_a_read_only_role_is_refused_the_log_the_keys_and_the_chain(
    tmp_path, database_url, reader, table
):
    run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    with _as(database_url, reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1")


def test_a_read_only_role_cannot_write_a_view_table(tmp_path, database_url, reader):
    run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    with _as(database_url, reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM cost_daily")


def test_creating_it_again_refreshes_its_grants(tmp_path, database_url, reader):
    run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    again = run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    assert again.returncode == 0, again.stderr
    assert f"read-only role {reader} exists; its grants refreshed" in again.stderr
    with psycopg.connect(database_url) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
            (reader,),
        ).fetchone()
    assert comment == (MARK,)


def test_the_runtime_role_is_never_turned_into_a_reader(tmp_path, database_url):
    done = run(
        tmp_path, "sql-role", "create", "touchpoint_runtime", TOUCHPOINT_DATABASE_URL=database_url
    )

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "error: role 'touchpoint_runtime' exists and is not a read-only role made by this command"
    )


def test_a_role_name_sql_would_need_quoted_is_refused(tmp_path, database_url):
    done = run(
        tmp_path, "sql-role", "create", 'x"; DROP TABLE api_keys; --',
        TOUCHPOINT_DATABASE_URL=database_url,
    )  # fmt: skip

    assert done.returncode == 1
    assert "a role name is lower-case letters, digits and _" in done.stderr


def test_sql_opens_psql_as_the_role_asked_for(tmp_path, database_url, reader):
    run(tmp_path, "sql-role", "create", reader, TOUCHPOINT_DATABASE_URL=database_url)

    allowed = run(
        tmp_path, "sql", "--as", reader, "--", "-At", "-c", "SELECT count(*) FROM cost_daily",
        TOUCHPOINT_DATABASE_URL=database_url,
    )  # fmt: skip
    refused = run(
        tmp_path, "sql", "--as", reader, "--", "-v", "ON_ERROR_STOP=1", "-c",
        "SELECT count(*) FROM touchpoint_events", TOUCHPOINT_DATABASE_URL=database_url,
    )  # fmt: skip

    assert (allowed.returncode, allowed.stdout) == (0, "0\n")
    assert refused.returncode == 1
    assert "permission denied for table touchpoint_events" in refused.stderr


def test_sql_print_gives_the_runtime_roles_connection_string(tmp_path, database_url):
    done = run(tmp_path, "sql", "--print", TOUCHPOINT_DATABASE_URL=database_url)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("user=touchpoint_runtime ") or done.stdout.startswith(
        "postgresql://touchpoint_runtime"
    ), done.stdout
