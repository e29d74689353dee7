"""An intruder with the database files rewrites history; a kept digest still shows it (issue 12).

The intruder works as the database owner with the append-only triggers switched
off (``tamper``): changes a record, recomputes the chain entries after it so
that the chain agrees with itself, and leaves the Merkle node cache as it was
(it still gives the roots of the original history). Verification from a kept
digest recomputes everything from the records, never reads the cache, and so
fails; without a digest the chain alone cannot show a full re-chain, but the
cache check can.
"""

from __future__ import annotations

from hashlib import sha256

import psycopg
import pytest

from api.audit.store import digest_at
from domain.chain.hashes import encode_record
from tests import builders as b
from tests.integration.api.audit.support import chain, event, tamper, verify
from tests.integration.sql import query


def record_calls(services, n: int) -> None:
    for start in range(0, n, 250):
        batch = [b.call(f"r-{i}", ref=f"C{i % 7}") for i in range(start, min(n, start + 250))]
        services.ledger.record_batch(batch, "test:bulk")


def flip_and_rechain(url: str, first: int, last: int | None) -> None:
    """Flip one bit of entry ``first``'s record, then recompute entries ``first`` to ``last``."""
    entries = chain(url)
    target = entries[first][0]
    tamper(
        url,
        "UPDATE touchpoint_events SET state = set_byte(state, 2, get_byte(state, 2) # 1) "
        "WHERE notification_id = %s",
        params=(target,),
    )
    previous = entries[first - 1][2]
    for position, _, _ in entries[first : None if last is None else last + 1]:
        previous = sha256(previous + encode_record(position, *event(url, position))).digest()
        tamper(
            url,
            "UPDATE touchpoint_chain SET hash = %s WHERE position = %s",
            params=(previous, position),
        )


@pytest.fixture
def history(services, database_url):
    """600 entries, the node cache filled, digests kept at entry 500 and at the head."""
    record_calls(services, 600)
    entries = chain(database_url)
    with services.key_pool.connection() as conn:
        kept = {"middle": digest_at(conn, entries[499][0]), "head": digest_at(conn)}
    assert query(database_url, "SELECT count(*) FROM touchpoint_merkle_nodes")[0][0] > 0
    return entries, kept


@pytest.mark.parametrize("where", ["middle", "head"])
def test_a_bit_flip_rechained_over_a_stretch_fails_from_a_kept_digest_naming_where_it_ends(
    services, database_url, history, where
):
    entries, kept = history
    flip_and_rechain(database_url, 100, 200)

    report = verify(services, trusted=kept[where])

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (entries[201][0], "chain-rewritten")
    assert f"position {kept[where].position}" in report.problem.detail
    assert report.verified.size == 0  # nothing is vouched for: no kept digest matched
    assert report.checked == 201  # entries 0-200 agree with each other, not with the digest


def test_the_same_stretch_alone_is_only_seen_as_a_broken_chain_not_named_a_rewrite(
    services, database_url, history
):
    entries, _ = history
    flip_and_rechain(database_url, 100, 200)

    report = verify(services)

    assert report.problem is not None
    assert report.problem.position == entries[201][0]
    assert report.problem.kind == "record-changed"
    assert "only a kept digest tells these apart" in report.problem.detail
    assert report.caveat is not None


def test_a_bit_flip_rechained_to_the_head_fails_at_the_kept_digests_position(
    services, database_url, history
):
    _, kept = history
    flip_and_rechain(database_url, 100, None)

    report = verify(services, trusted=[kept["middle"], kept["head"]])

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (
        kept["middle"].position,
        "digest-mismatch",
    )
    assert "history rewritten" in report.problem.detail
    assert (report.matched, report.checked) == (0, 500)


def test_a_full_rechain_without_a_digest_is_seen_by_the_cache_left_in_place(
    services, database_url, history
):
    flip_and_rechain(database_url, 100, None)

    report = verify(services)

    assert report.problem is not None
    assert report.problem.kind == "merkle-cache-mismatch"
    assert "(level 8, index 0)" in report.problem.detail


def test_a_cache_rewritten_with_the_log_fools_nothing_since_verification_never_reads_it(
    services, database_url, history
):
    _, kept = history
    flip_and_rechain(database_url, 100, None)
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes")
    with services.key_pool.connection() as conn:
        digest_at(conn)  # the cache rebuilt from the rewritten entries

    alone = verify(services)
    against_kept = verify(services, trusted=kept["head"])

    assert alone.ok  # consistent with itself: that is what a kept digest is for
    assert against_kept.problem is not None
    assert against_kept.problem.kind == "digest-mismatch"


def test_verification_neither_reads_nor_fills_the_node_cache(services, database_url, history):
    _, kept = history
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes")

    report = verify(services, trusted=[kept["middle"], kept["head"]])

    assert report.ok, report.summary()
    assert (report.matched, report.checked) == (2, 600)
    assert query(database_url, "SELECT count(*) FROM touchpoint_merkle_nodes")[0][0] == 0


def test_a_cached_node_planted_ahead_or_rewritten_is_reported(services, database_url, history):
    planted_row = "(level, index, hash) VALUES (8, 5, sha256('x'))"
    tamper(database_url, f"INSERT INTO touchpoint_merkle_nodes {planted_row}")
    planted = verify(services)
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes WHERE index = 5")
    tamper(
        database_url,
        "UPDATE touchpoint_merkle_nodes SET hash = sha256(hash) WHERE level = 8 AND index = 1",
    )
    rewritten = verify(services)

    assert planted.problem is not None
    assert planted.problem.kind == "merkle-cache-mismatch"
    assert "beyond the 600 entries" in planted.problem.detail
    assert rewritten.problem is not None
    assert rewritten.problem.kind == "merkle-cache-mismatch"
    assert "(level 8, index 1) over entries 256 to 511" in rewritten.problem.detail


def test_the_node_cache_is_append_only(services, database_url, history):
    for statement in (
        "UPDATE touchpoint_merkle_nodes SET hash = sha256(hash)",
        "DELETE FROM touchpoint_merkle_nodes",
        "TRUNCATE touchpoint_merkle_nodes",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            query(database_url, statement)


def test_every_level_of_a_finer_cache_is_checked(services, database_url, history):
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes")
    with services.key_pool.connection() as conn:
        digest_at(conn, stride=2)  # nodes of 4, 16, 64 and 256 leaves
    levels = query(database_url, "SELECT DISTINCT level FROM touchpoint_merkle_nodes")
    honest = verify(services)
    tamper(
        database_url,
        "UPDATE touchpoint_merkle_nodes SET hash = sha256(hash) WHERE level = 6 AND index = 7",
    )

    rewritten = verify(services)

    assert sorted(level for (level,) in levels) == [2, 4, 6, 8]
    assert honest.ok, honest.summary()
    assert rewritten.problem is not None
    assert "(level 6, index 7) over entries 448 to 511" in rewritten.problem.detail
