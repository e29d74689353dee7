"""Digests and proofs served from the stored chain and its Merkle node cache.

The expected roots are computed here from the chain hashes alone, with the RFC
6962 definition (``MemoryTree``), never from the server's cache.
"""

from __future__ import annotations

import pytest

from api.audit.store import (
    UnknownEntry,
    consistency_proof,
    digest_at,
    inclusion_proof,
)
from domain.chain.merkle import MemoryTree, leaf_hash, subtree_root
from tests import builders as b
from tests.integration.api.audit.support import chain, record_history, tamper
from tests.integration.sql import query


def expected_root(url: str, size: int) -> bytes:
    leaves = [leaf_hash(entry_hash) for _, _, entry_hash in chain(url)[:size]]
    return subtree_root(MemoryTree(leaves), 0, size)


def record_calls(services, n: int, run: str = "p") -> None:
    for start in range(0, n, 250):
        batch = [b.call(f"{run}-{i}", ref=f"C{i % 7}") for i in range(start, min(n, start + 250))]
        services.ledger.record_batch(batch, "test:bulk")


def test_the_digest_names_the_head_entry_and_the_rfc_root_of_all_entries(services, database_url):
    recorded = record_history(services)

    with services.key_pool.connection() as conn:
        digest = digest_at(conn)

    entries = chain(database_url)
    assert (digest.position, digest.size, digest.hash) == (
        recorded[-1],
        len(recorded),
        entries[-1][2],
    )
    assert digest.root == expected_root(database_url, len(recorded))


def test_a_digest_as_of_a_gap_is_the_one_of_the_entry_before_it(services, database_url):
    recorded = record_history(services)
    gap = next(p for p in range(recorded[0], recorded[-1]) if p not in recorded)

    with services.key_pool.connection() as conn:
        digest = digest_at(conn, gap)

    before = max(p for p in recorded if p < gap)
    assert (digest.position, digest.size) == (before, recorded.index(before) + 1)


def test_every_entry_has_a_proof_under_the_head_and_under_an_older_digest(services):
    recorded = record_history(services)
    older = recorded[len(recorded) // 2]

    with services.key_pool.connection() as conn:
        proofs = [inclusion_proof(conn, p) for p in recorded]
        under_older = [inclusion_proof(conn, p, older) for p in recorded if p <= older]

    assert all(proof.failures() == [] for proof in proofs + under_older)
    assert [proof.leaf_index for proof in proofs] == list(range(len(recorded)))
    assert {proof.digest.position for proof in under_older} == {older}


@pytest.mark.parametrize("stride", [2, 3, 8])
def test_proofs_and_roots_from_the_node_cache_match_the_rfc_tree(services, database_url, stride):
    record_calls(services, 600)
    sizes = [1, 255, 256, 257, 300, 512, 599, 600]
    entries = chain(database_url)

    with services.key_pool.connection() as conn:
        digests = {size: digest_at(conn, entries[size - 1][0], stride=stride) for size in sizes}
        proofs = [
            inclusion_proof(conn, entries[i][0], stride=stride) for i in (0, 255, 256, 444, 599)
        ]
        consistent = consistency_proof(
            conn, digests[300].position, digests[600].position, stride=stride
        )

    assert all(digests[size].root == expected_root(database_url, size) for size in sizes)
    assert all(proof.failures() == [] for proof in proofs)
    assert consistent.failures(trusted=digests[300]) == []
    cached = query(database_url, "SELECT DISTINCT level FROM touchpoint_merkle_nodes")
    assert {level for (level,) in cached} == {
        k * stride for k in range(1, 9) if 600 >> (k * stride)
    }


def test_a_consistency_proof_from_a_kept_digest_fails_once_history_is_rewritten(
    services, database_url
):
    recorded = record_history(services)
    with services.key_pool.connection() as conn:
        kept = digest_at(conn)
    record_calls(services, 5, run="later")
    tamper(database_url, "UPDATE touchpoint_chain SET hash = sha256(hash) WHERE position = %s",
           params=(recorded[2],))  # fmt: skip
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes")

    with services.key_pool.connection() as conn:
        proof = consistency_proof(conn, kept.position)

    assert "neither digest of the proof is the trusted digest" in proof.failures(trusted=kept)


def test_no_proof_is_given_for_a_position_without_an_entry_or_after_the_digest(services):
    recorded = record_history(services)
    gap = next(p for p in range(recorded[0], recorded[-1]) if p not in recorded)

    with services.key_pool.connection() as conn:
        with pytest.raises(UnknownEntry):
            inclusion_proof(conn, gap)
        with pytest.raises(UnknownEntry):
            inclusion_proof(conn, recorded[-1], recorded[3])
        with pytest.raises(UnknownEntry):
            consistency_proof(conn, recorded[-1], recorded[3])
