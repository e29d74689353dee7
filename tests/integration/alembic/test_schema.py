"""Alembic's schema is the one the library expects, and the log refuses rewrites."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.bootstrap import eventsourcing_env
from tests import builders as b
from tests.integration.sql import query


class Probe(Aggregate):
    """An aggregate of the library's own, nothing to do with touchpoint's facts."""

    @event("Created")
    def __init__(self, label: str) -> None:
        self.label = label


class LibraryApp(Application[uuid.UUID]):
    """The library's plain application, on the table alembic made for ``touchpoint``."""

    name = "touchpoint"


def _library_env(settings, url: str, *, create_table: bool) -> dict[str, str]:
    env = eventsourcing_env(settings, url)
    del env["APPLICATION_RECORDER_TOPIC"]  # the library's own recorder, not ours
    return env | {"CREATE_TABLE": "y" if create_table else "n"}


def test_the_librarys_own_recorder_works_on_the_migrated_database(settings, database_url):
    app = LibraryApp(env=_library_env(settings, database_url, create_table=False))
    try:
        assert type(app.recorder) is PostgresApplicationRecorder
        probes = [Probe(label=f"probe {i}") for i in range(3)]
        app.save(*probes)
        notifications = app.recorder.select_notifications(start=None, limit=10)
        assert [n.originator_id for n in notifications] == [p.id for p in probes]
        assert app.repository.get(probes[1].id).label == "probe 1"
        assert app.recorder.max_notification_id() == notifications[-1].id
    finally:
        app.close()


@pytest.fixture
def library_made_url(server_url, database_url):
    """An empty database in which the library creates its own tables."""
    name = f"{conninfo_to_dict(database_url)['dbname']}_lib"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SHAPE = {
    "columns": "SELECT column_name, data_type, is_nullable, column_default "
    "FROM information_schema.columns WHERE table_name = 'touchpoint_events' "
    "ORDER BY ordinal_position",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes "
    "WHERE tablename = 'touchpoint_events' ORDER BY indexname",
    "options": "SELECT reloptions FROM pg_class WHERE relname = 'touchpoint_events'",
    "type": "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
    "WHERE attrelid = 'stored_event_uuid'::regclass ORDER BY attnum",
}


def test_alembic_made_the_same_events_table_and_type_as_the_library_would(
    settings, database_url, library_made_url
):
    app = LibraryApp(env=_library_env(settings, library_made_url, create_table=True))
    app.close()
    ours = {name: query(database_url, sql) for name, sql in SHAPE.items()}
    theirs = {name: query(library_made_url, sql) for name, sql in SHAPE.items()}
    assert len(ours["columns"]) == 5
    assert ours == theirs


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE touchpoint_events SET topic = 'touchpoint:CallCorrected'",
        "DELETE FROM touchpoint_events",
        "UPDATE fact_keys SET content_hash = '\\x00'",
        "DELETE FROM fact_keys",
    ],
)
def test_rewriting_the_log_is_refused(services, statement):
    services.ledger.record(b.call(), "integration-test")
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        query(services.database_url, statement)
    [(topic,)] = query(services.database_url, "SELECT topic FROM touchpoint_events")
    assert topic == "touchpoint:CallRecorded"
    assert len(query(services.database_url, "SELECT * FROM fact_keys")) == 1
