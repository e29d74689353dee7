"""The chain is written by the append itself: one entry per event, in position order, always.

DESIGN.md, The log: every recorded event is hash-chained (SHA-256 over the
previous hash and the stored record, the ciphertext as stored), in the same
transaction as the append.
"""

from __future__ import annotations

import threading
from hashlib import sha256

import psycopg
import pytest

from alembic import command
from api.storage.migrations import alembic_config, migrate
from domain.chain.hashes import GENESIS, encode_record
from tests import builders as b
from tests.integration.api.audit.support import (
    chain,
    event,
    positions,
    record_history,
    verify,
)
from tests.integration.sql import allow_inserts_again, query, refuse_inserts_of


def recomputed(url: str) -> list[tuple[int, int, bytes]]:
    """The chain as this test computes it from the stored events, in Python."""
    entries, previous = [], GENESIS
    for seq, position in enumerate(positions(url)):
        previous = sha256(previous + encode_record(position, *event(url, position))).digest()
        entries.append((position, seq, previous))
    return entries


def test_every_append_leaves_one_entry_per_event_that_python_recomputes(services, database_url):
    record_history(services)
    services.ledger.record_batch([b.customer(f"R{i}", name=f"Zoë {i}") for i in range(20)], "t")

    entries = chain(database_url)

    assert [seq for _, seq, _ in entries] == list(range(len(positions(database_url))))
    assert entries == recomputed(database_url)


def test_a_failed_append_leaves_neither_events_nor_entries_and_the_chain_goes_on(
    services, database_url
):
    services.ledger.record(b.customer("C1"), "t")
    refuse_inserts_of(database_url, "touchpoint:CallRecorded")
    with pytest.raises(Exception, match="test sabotage"):
        services.ledger.record_batch([b.campaign(), b.call()], "t")
    allow_inserts_again(database_url)
    services.ledger.record(b.call("call-9"), "t")

    assert len(chain(database_url)) == len(positions(database_url)) == 2
    assert verify(services).ok


def test_the_librarys_own_inserts_are_chained_too(services, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'x:y', '\\x7b7d'), (gen_random_uuid(), 1, 'x:y', '')"
        )

    assert chain(database_url) == recomputed(database_url)


def test_an_append_whose_position_is_not_after_the_head_is_refused_not_forked(
    services, database_url
):
    record_history(services, calls=1)
    behind = positions(database_url)[-1] - 1

    with pytest.raises(psycopg.errors.RaiseException, match="not after the chain's head"):
        query(
            database_url,
            "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state, "
            f"notification_id) VALUES (gen_random_uuid(), 1, 'x:y', '\\x00', {behind})",
        )
    assert verify(services).ok


def test_chain_entries_can_be_neither_changed_nor_deleted(services, database_url):
    record_history(services, calls=1)

    for statement in (
        "UPDATE touchpoint_chain SET hash = sha256(hash)",
        "DELETE FROM touchpoint_chain",
        "TRUNCATE touchpoint_chain",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            query(database_url, statement)


def test_concurrent_writers_leave_one_unbroken_chain(services, database_url):
    start = threading.Barrier(6)

    def write(n: int) -> None:
        start.wait()
        for i in range(10):
            services.ledger.record_batch([b.call(f"t{n}-{i}-{j}") for j in range(5)], f"w{n}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(chain(database_url)) == 300
    assert verify(services).ok


def test_the_migration_chains_the_events_recorded_before_it(services, database_url):
    command.downgrade(alembic_config(database_url), "0007")
    # Raw rows: today's ledger writes tables of later migrations (wrapped keys, 0011).
    query(
        database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "SELECT gen_random_uuid(), 1, 'touchpoint:Old', convert_to('{\"n\": ' || n || '}', "
        "'UTF8') FROM generate_series(1, 5) AS n",
    )

    migrate(database_url)
    services.ledger.record(b.call("call-after"), "after the chain")

    assert chain(database_url) == recomputed(database_url)
    assert verify(services).ok
