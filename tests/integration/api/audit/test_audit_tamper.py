"""Tampering with the stored log (as the superuser), and verification naming the right position."""

from __future__ import annotations

from hashlib import sha256
from uuid import UUID

from api.audit.store import digest_at
from domain.chain.hashes import GENESIS, encode_record
from tests import builders as b
from tests.integration.api.audit.support import (
    chain,
    event,
    forged_hash,
    positions,
    record_history,
    tamper,
    verify,
)


def test_an_untouched_log_verifies_up_to_its_head(services):
    recorded = record_history(services)

    report = verify(services)

    assert report.ok
    assert report.summary() == f"verified up to position {recorded[-1]} ({len(recorded)} entries)"
    assert report.checked == len(recorded)


def test_one_byte_changed_in_one_state_is_named_at_its_position(services, database_url):
    target = record_history(services)[7]
    tamper(
        database_url,
        "UPDATE touchpoint_events SET state = set_byte(state, 10, get_byte(state, 10) # 1) "
        "WHERE notification_id = %s",
        params=(target,),
    )

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (target, "record-changed")
    assert report.verified.position < target


def test_a_deleted_event_row_is_named_at_its_position(services, database_url):
    target = record_history(services)[3]
    tamper(
        database_url, "DELETE FROM touchpoint_events WHERE notification_id = %s", params=(target,)
    )

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (target, "event-missing")


def test_a_forged_event_without_a_chain_entry_is_named_at_its_position(services, database_url):
    recorded = record_history(services)
    gap = next(p for p in range(recorded[0], recorded[-1]) if p not in recorded)
    source = event(database_url, recorded[4])
    tamper(
        database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state, "
        "notification_id) SELECT gen_random_uuid(), 1, %s, %s, %s",
        params=(source[2].decode(), source[3], gap),
    )

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (gap, "chain-missing")


def test_a_forged_event_with_an_entry_on_a_wrong_previous_hash_is_named_at_the_head(
    services, database_url
):
    recorded = record_history(services)
    forged_at, [*_, (_, last_seq, _)] = recorded[-1] + 3, chain(database_url)
    record = (b"\x42" * 16, 1, b"touchpoint:CallRecorded", b'{"forged": true}')
    _insert_forged(
        database_url, forged_at, record, last_seq + 1, forged_hash(GENESIS, forged_at, record)
    )

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (forged_at, "hash-mismatch")
    assert report.verified.position == recorded[-1]


def test_a_forged_event_and_entry_slipped_into_a_gap_is_named_at_the_gap(services, database_url):
    recorded = record_history(services)
    gap = next(p for p in range(recorded[0], recorded[-1]) if p not in recorded)
    entries = chain(database_url)
    before = max(e for e in entries if e[0] < gap)
    record = (b"\x43" * 16, 1, b"touchpoint:CallRecorded", b'{"forged": true}')
    seq = entries[-1][1] + 1  # seq is unique: the forger cannot take the next entry's place
    _insert_forged(database_url, gap, record, seq, forged_hash(before[2], gap, record))

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (gap, "misplaced-entry")


def test_two_positions_swapped_are_named_at_the_first_as_a_change_of_order(services, database_url):
    recorded = record_history(services)
    first, second = recorded[2], recorded[9]
    tamper(
        database_url,
        f"UPDATE touchpoint_events SET notification_id = -1 WHERE notification_id = {first}",
        f"UPDATE touchpoint_events SET notification_id = {first} WHERE notification_id = {second}",
        f"UPDATE touchpoint_events SET notification_id = {second} WHERE notification_id = -1",
    )

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (first, "order-changed")
    assert f"position {second}" in report.problem.detail


def test_a_rewritten_and_rechained_history_passes_alone_but_not_against_a_kept_digest(
    services, database_url
):
    recorded = record_history(services)
    with services.key_pool.connection() as conn:
        kept = digest_at(conn)
    target = recorded[5]
    tamper(
        database_url,
        "UPDATE touchpoint_events SET state = set_byte(state, 3, get_byte(state, 3) # 4) "
        "WHERE notification_id = %s",
        params=(target,),
    )
    _rechain(database_url)

    assert verify(services).ok  # consistent with itself: only a digest kept outside shows it
    report = verify(services, trusted=kept)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (kept.position, "digest-mismatch")


def test_verification_from_a_kept_digest_recomputes_from_the_start_through_it_and_on(
    services, database_url
):
    # Issue 12: a kept digest no longer lets verification skip what comes before it
    # (that part was trusted, not checked); every entry is recomputed, so `checked`
    # counts from the start of the log.
    recorded = record_history(services, calls=4)
    with services.key_pool.connection() as conn:
        kept = digest_at(conn)
    later = [services.ledger.record(b.call(f"late-{i}"), "test:late").position for i in range(3)]
    tamper(
        database_url,
        "DELETE FROM touchpoint_events WHERE notification_id = %s",
        params=(later[1],),
    )

    report = verify(services, trusted=kept)

    assert report.trusted == kept
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (later[1], "event-missing")
    assert report.checked == len(recorded) + 1
    assert report.matched == 1
    assert positions(database_url)[: len(recorded)] == recorded


def _insert_forged(url: str, position: int, record, seq: int, hash_: bytes) -> None:
    oid, version, topic, state = record
    tamper(
        url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state, "
        "notification_id) VALUES (%s, %s, %s, %s, %s)",
        params=(UUID(bytes=oid), version, topic.decode(), state, position),
    )
    tamper(
        url,
        "INSERT INTO touchpoint_chain (position, seq, hash) VALUES (%s, %s, %s)",
        params=(position, seq, hash_),
    )


def _rechain(url: str) -> None:
    """Recompute every chain hash from the stored records, as a thorough intruder would."""
    previous = GENESIS
    for position, _, _ in chain(url):
        previous = sha256(previous + encode_record(position, *event(url, position))).digest()
        tamper(
            url,
            "UPDATE touchpoint_chain SET hash = %s WHERE position = %s",
            params=(previous, position),
        )
    tamper(url, "DELETE FROM touchpoint_merkle_nodes")
