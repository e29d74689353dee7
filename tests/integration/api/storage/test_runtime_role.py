"""Two roles (issue 12, finding 3): the service runs as a role that cannot rewrite the log.

The attacker holds the runtime role's credentials (those of the API and the
projectors) and tries every way to change what is stored: UPDATE, DELETE,
TRUNCATE, disabling or dropping the append-only triggers, forging chain entries,
rewinding positions, replacing the trigger function, shadowing the log's tables.
Each fails for want of privilege. Then the same role runs the service: it records,
reads a customer, erases one, rebuilds a view and replays into a schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner, Result

from api.bootstrap import Services, running
from api.cli.main import build_app
from api.settings import Settings
from api.storage.migrations import migrate
from api.storage.roles import RuntimeRoleError, prepare_runtime_role, runtime_conninfo
from api.web.app import create_app
from projections.rebuild import rebuild_by_switch
from projections.replay import replay
from tests import builders as b
from tests.integration.sql import count, query

app = build_app()  # the touchpoint command, as its entry point builds it

# table: (its append-only trigger, a column to overwrite)
LOG = {
    "touchpoint_events": ("touchpoint_events_append_only", "state"),
    "fact_keys": ("fact_keys_append_only", "content_hash"),
    "touchpoint_chain": ("touchpoint_chain_append_only", "hash"),
}
ATTACKS = {
    "update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
    "disable its trigger": "ALTER TABLE {table} DISABLE TRIGGER {trigger}",
    "disable all triggers": "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "fire its trigger for replicas only": "ALTER TABLE {table} ENABLE REPLICA TRIGGER {trigger}",
    "drop its trigger": "DROP TRIGGER {trigger} ON {table}",
    "drop the table": "DROP TABLE {table}",
    "rename the table": "ALTER TABLE {table} RENAME TO {table}_old",
}


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Services]:
    """The services as ``serve`` builds them: migrated as the owner, connected as the runtime."""
    with running(settings) as services:
        yield services


@pytest.fixture
def recorded(runtime: Services) -> Services:
    """A registered customer with a call, recorded by the runtime role."""
    runtime.ledger.record(b.customer("C1", name="Ada Lovelace", email="ada@example.org"), "t")
    runtime.ledger.record(b.call("c-1", ref="C1"), "t")
    return runtime


def _user(url: str) -> str:
    return str(conninfo_to_dict(url)["user"])


def _as_runtime(services: Services, statement: str) -> None:
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        conn.execute(statement)


def _log_rows(url: str) -> list[int]:
    return [count(url, table) for table in LOG]


def test_the_services_connect_as_the_runtime_role_not_as_the_owner(runtime, database_url):
    assert _user(runtime.database_url) == runtime.settings.runtime_role == "touchpoint_runtime"
    assert _user(database_url) != "touchpoint_runtime"
    [(superuser, owner)] = query(
        runtime.database_url,
        "SELECT rolsuper, pg_get_userbyid(relowner) = current_user FROM pg_roles, pg_class "
        "WHERE rolname = current_user AND relname = 'touchpoint_events'",
    )
    assert (superuser, owner) == (False, False)


@pytest.mark.parametrize("table", LOG)
@pytest.mark.parametrize("attack", ATTACKS)
def test_the_runtime_role_cannot_rewrite_the_log(recorded, database_url, table, attack):
    before = _log_rows(database_url)
    trigger, column = LOG[table]
    statement = ATTACKS[attack].format(table=table, trigger=trigger, column=column)

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_runtime(recorded, statement)

    assert _log_rows(database_url) == before
    assert before[0] == 2


@pytest.mark.parametrize(
    "statement",
    [
        # Triggers off for the session: superusers only.
        "SET session_replication_role = replica",
        # A chain entry not computed by an event's own INSERT.
        "INSERT INTO touchpoint_chain (position, seq, hash) VALUES (999, 999, sha256('x'))",
        # Positions rewound, so that a later event reuses an earlier one's.
        "SELECT setval('touchpoint_events_notification_id_seq', 1)",
        # The append-only trigger's function replaced by one that lets everything through.
        "CREATE OR REPLACE FUNCTION touchpoint_refuse_rewrite() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
        # An overload of the log's functions beside them.
        "CREATE FUNCTION public.touchpoint_record_bytes(bigint) RETURNS bytea "
        "LANGUAGE sql AS $$ SELECT '\\x00'::bytea $$",
        # The schema version rewritten, so that the owner's next migrate skips a step.
        "UPDATE alembic_version SET version_num = '0001'",
        # The role given more power.
        "ALTER ROLE touchpoint_runtime SUPERUSER",
        "ALTER TABLE touchpoint_events OWNER TO touchpoint_runtime",
    ],
)
def test_the_runtime_role_cannot_get_around_the_triggers(recorded, database_url, statement):
    before = _log_rows(database_url)

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_runtime(recorded, statement)

    assert _log_rows(database_url) == before


def test_a_schema_of_its_own_on_the_path_does_not_divert_the_chain(recorded, database_url):
    shadow = f"shadow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(recorded.database_url) as conn:
        conn.execute(f"CREATE SCHEMA {shadow}")
        conn.execute(f"CREATE TABLE {shadow}.touchpoint_chain (LIKE public.touchpoint_chain)")
        conn.execute(f"SET search_path = {shadow}, public")
        conn.execute("SELECT touchpoint_lock_log()")
        conn.execute(
            "INSERT INTO public.touchpoint_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, 'x', 'y')"
        )

    assert count(database_url, f"{shadow}.touchpoint_chain") == 0
    assert count(database_url, "touchpoint_chain") == count(database_url, "touchpoint_events") == 3


def test_the_service_records_reads_and_erases_as_the_runtime_role(recorded):
    recorded.runner().catch_up_all()
    agent = {"X-API-Key": recorded.keys.create("agent", "t-agent")[1]}
    admin = {"X-API-Key": recorded.keys.create("admin", "t-admin")[1]}

    with TestClient(create_app(recorded)) as client:
        before = client.get("/customers/C1", headers=agent)
        erased = client.delete("/customers/C1/personal-data", headers=admin)
        recorded.runner().catch_up_all()
        after = client.get("/customers/C1", headers=agent)

    assert before.status_code == 200
    assert "Ada Lovelace" in before.text
    assert erased.status_code == 200, erased.text
    assert after.json()["personal_data"] == "erased"
    assert "Ada Lovelace" not in after.text


def test_the_runtime_role_rebuilds_a_view_by_switching_in_a_copy(recorded, database_url):
    runner = recorded.runner()
    runner.catch_up_all()

    position = rebuild_by_switch(runner, "cost", config=recorded.view_config, author="t")

    assert position == recorded.ledger.head_position()
    assert count(database_url, "cost_calls") == 1
    assert (
        query(database_url, "SELECT 1 FROM pg_namespace WHERE nspname LIKE 'touchpoint_rebuild_%'")
        == []
    )


def test_the_runtime_role_replays_into_a_schema_it_then_owns(recorded, database_url):
    views = list(recorded.runner().views.values())

    result = replay(
        recorded.ledger,
        recorded.key_pool,
        "past",
        views,
        1,
        config=recorded.view_config,
        author="t",
    )

    assert result.until == 1
    [(owner,)] = query(
        database_url, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'past'"
    )
    assert owner == "touchpoint_runtime"
    assert count(database_url, "past.customer_profile") == 1


def test_a_process_given_only_the_runtime_url_serves_without_migrating(runtime, settings):
    only_runtime = settings.model_copy(
        update={"database_url": None, "runtime_url": runtime.database_url}
    )

    with running(only_runtime) as services:
        services.ledger.record(b.customer("C2"), "t")

    assert services.database_url == runtime.database_url
    assert not only_runtime.embedded


def test_a_process_given_only_the_runtime_url_refuses_an_old_schema(
    runtime, settings, database_url
):
    query(database_url, "UPDATE alembic_version SET version_num = '0009'")
    only_runtime = settings.model_copy(
        update={"database_url": None, "runtime_url": runtime.database_url}
    )

    with (
        pytest.raises(RuntimeError, match=r"0009, not .*touchpoint migrate"),
        running(only_runtime),
    ):
        pass


@pytest.mark.parametrize("power", ["SUPERUSER", "CREATEROLE", "CREATEDB", "BYPASSRLS"])
def test_a_runtime_role_with_power_over_the_database_is_refused(database_url, power):
    role = f"tp_unsafe_{uuid.uuid4().hex[:8]}"
    query(database_url, f"CREATE ROLE {role} LOGIN {power}")
    try:
        with pytest.raises(RuntimeRoleError, match=power.lower()):
            prepare_runtime_role(database_url, role, None)
    finally:
        query(database_url, f"DROP ROLE {role}")


def test_the_owner_itself_is_refused_as_the_runtime_role(database_url):
    with pytest.raises(RuntimeRoleError, match="the role migrating"):
        prepare_runtime_role(database_url, _user(database_url), None)


def test_the_runtime_url_carries_the_runtime_role_and_never_the_owners_password():
    url = runtime_conninfo("postgresql://owner:secret@db:5432/touchpoint", "runner", None)

    assert conninfo_to_dict(url) == {
        "user": "runner",
        "host": "db",
        "port": "5432",
        "dbname": "touchpoint",
    }


def _touchpoint(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})


def test_migrate_creates_the_runtime_role_with_its_password_and_no_power(database_url):
    role = f"tp_runtime_{uuid.uuid4().hex[:8]}"
    env = {
        "TOUCHPOINT_DATABASE_URL": database_url,
        "TOUCHPOINT_RUNTIME_ROLE": role,
        "TOUCHPOINT_RUNTIME_PASSWORD": "a-runtime-password",
    }
    try:
        result = _touchpoint(env, "migrate")
        [(password, superuser, createrole)] = query(
            database_url,
            "SELECT rolpassword IS NOT NULL, rolsuper, rolcreaterole FROM pg_authid "
            "WHERE rolname = %s",
            (role,),
        )
        views = _touchpoint(env, "views", "status")
    finally:
        query(database_url, f"DROP OWNED BY {role}")
        query(database_url, f"DROP ROLE {role}")

    assert result.exit_code == 0, result.output
    assert f"runtime role {role} ready" in result.output
    assert (password, superuser, createrole) == (True, False, False)
    assert views.exit_code == 0, views.output  # a command that runs as that role


def test_migrate_with_only_the_runtime_url_is_refused_with_exit_code_2(runtime):
    result = _touchpoint({"TOUCHPOINT_RUNTIME_URL": runtime.database_url}, "migrate")

    assert result.exit_code == 2
    assert "migrating needs TOUCHPOINT_DATABASE_URL" in result.output


def test_a_command_given_only_the_runtime_url_refuses_an_old_schema_with_exit_code_2(
    runtime, database_url
):
    query(database_url, "UPDATE alembic_version SET version_num = '0009'")

    result = _touchpoint({"TOUCHPOINT_RUNTIME_URL": runtime.database_url}, "views", "status")

    assert result.exit_code == 2
    assert "run `touchpoint migrate` as its owner" in result.output


def test_the_runtime_role_may_vacuum_the_data_keys_table_after_an_erasure(recorded):
    recorded.ledger.erase_customer("C1", "admin")
    notices: list[str] = []
    with psycopg.connect(recorded.database_url, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: notices.append(str(notice.message_primary)))
        conn.execute("VACUUM customer_keys")

    # A role that does not own the table is only warned ("skipping …") and nothing is vacuumed.
    assert notices == []


def test_a_schema_named_after_the_owner_does_not_mislead_the_next_migration(runtime, database_url):
    owner = _user(database_url)
    with psycopg.connect(runtime.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{owner}"')  # first on the owner's default search_path
        conn.execute(f'CREATE TABLE "{owner}".alembic_version (version_num varchar(32))')
        conn.execute(f"INSERT INTO \"{owner}\".alembic_version VALUES ('0001')")

    migrate(database_url)  # would apply 0002 again (and fail) if it read that table
    prepare_runtime_role(database_url, runtime.settings.runtime_role, None)

    assert query(database_url, f'SELECT version_num FROM "{owner}".alembic_version') == [("0001",)]


def test_no_table_with_the_append_only_trigger_lets_the_runtime_role_change_rows(runtime):
    rows = query(
        runtime.database_url,
        "SELECT c.relname, has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, "
        "'INSERT'), has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES'), "
        "pg_get_userbyid(c.relowner) = current_user FROM pg_class c "
        "WHERE c.relnamespace = 'public'::regnamespace AND EXISTS (SELECT 1 FROM pg_trigger t "
        "WHERE t.tgrelid = c.oid AND t.tgfoid = 'touchpoint_refuse_rewrite'::regproc)",
    )
    found = {name: tuple(flags) for name, *flags in rows}

    assert {"touchpoint_events", "fact_keys", "touchpoint_chain"} <= set(found)
    expected = {"touchpoint_chain": (True, False, False, False)}
    for table, flags in found.items():
        assert flags == expected.get(table, (True, True, False, False)), table
