"""The library's PostgreSQL recorder, plus fact keys written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.ports import FactKey, KnownFact, StoredRecord, WriteCollision


class TouchpointRecorder(PostgresApplicationRecorder):
    """Appends events and their idempotency keys atomically; reads streams in bulk."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        table = Identifier(datastore.schema, events_table_name)
        keys = Identifier(datastore.schema, "fact_keys")
        self.insert_keys_statement = SQL(
            "INSERT INTO {keys} (fact_id, stream_id, stream_version, content_hash) "
            "SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], %s::bytea[])"
        ).format(keys=keys)
        self.lookup_statement = SQL(
            "SELECT k.fact_id, k.stream_id, k.content_hash, e.notification_id "
            "FROM {keys} k JOIN {table} e "
            "ON e.originator_id = k.stream_id AND e.originator_version = k.stream_version "
            "WHERE k.fact_id = ANY(%s)"
        ).format(keys=keys, table=table)
        self.load_streams_statement = SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM {table} WHERE originator_id = ANY(%s) "
            "ORDER BY originator_id, originator_version"
        ).format(table=table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except IntegrityError as error:
            # A fact key or stream version was taken by a concurrent writer.
            raise WriteCollision(str(error)) from error
        return ids

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        # Sorted, so that two batches sharing keys lock them in the same order.
        keys: list[FactKey] = sorted(kwargs.get("fact_keys", ()), key=lambda k: k.fact_id)
        if keys:
            columns = (
                [k.fact_id for k in keys],
                [k.stream_id for k in keys],
                [k.stream_version for k in keys],
                [k.content_hash for k in keys],
            )
            curs.execute(self.insert_keys_statement, columns, prepare=True)

    def lookup_facts(self, fact_ids: Sequence[UUID]) -> dict[UUID, KnownFact]:
        """Facts among ``fact_ids`` that are already in the log."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.lookup_statement, (list(fact_ids),), prepare=True)
            return {
                row["fact_id"]: KnownFact(bytes(row["content_hash"]), row["notification_id"], row["stream_id"])
                for row in curs.fetchall()
            }

    def load_streams(self, stream_ids: Sequence[UUID]) -> list[StoredRecord]:
        """Every stored event of the given streams, in stream order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.load_streams_statement, (list(stream_ids),), prepare=True)
            return [
                StoredRecord(
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                    row["notification_id"],
                )
                for row in curs.fetchall()
            ]
