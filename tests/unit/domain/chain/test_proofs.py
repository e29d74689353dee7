"""Proof documents checked offline: what holds, and what a tampered proof or digest fails."""

from __future__ import annotations

import json

import pytest

from domain.chain.hashes import GENESIS, Digest, Row
from domain.chain.merkle import (
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    subtree_root,
)
from domain.chain.proofs import ConsistencyProof, InclusionProof, proof_from_json
from tests.unit.domain.chain.test_hashes import log

ROWS = log(11, gap_after=4)


def stored_hash(row: Row) -> bytes:
    """The chain hash stored with ``row`` (every row of an honest log has one)."""
    stored = row[6]
    assert stored is not None
    return stored


TREE = MemoryTree([leaf_hash(stored_hash(row)) for row in ROWS])


def digest_of(size: int) -> Digest:
    head = ROWS[size - 1]
    return Digest(head[0], size, stored_hash(head), subtree_root(TREE, 0, size))


def inclusion(index: int, size: int) -> InclusionProof:
    previous = stored_hash(ROWS[index - 1]) if index else GENESIS
    path = inclusion_path(TREE, index, size)
    return InclusionProof(ROWS[index], index, previous, path, digest_of(size))


def through_json(proof):
    return proof_from_json(json.loads(json.dumps(proof.to_json())))


@pytest.mark.parametrize(("index", "size"), [(0, 1), (0, 11), (4, 11), (10, 11), (6, 7)])
def test_an_inclusion_proof_holds_under_its_digest_after_a_trip_through_json(index, size):
    proof = through_json(inclusion(index, size))

    assert proof.failures() == []
    assert proof.failures(trusted=digest_of(size)) == []


def test_an_inclusion_proof_of_a_changed_record_fails():
    data = inclusion(4, 11).to_json()
    data["record"]["state"] = data["record"]["state"][:-4] + "AAA="

    assert "the record does not give the entry's chain hash" in proof_from_json(data).failures()


def test_an_inclusion_proof_under_a_forged_root_fails_and_another_digest_is_not_trusted():
    data = inclusion(4, 11).to_json()
    data["digest"]["root"] = "00" * 32
    forged = proof_from_json(data)

    failures = forged.failures(trusted=digest_of(11))

    assert "the audit path does not lead from the entry to the digest's root" in failures
    assert "the proof is under another digest than the trusted one" in failures


def test_a_consistency_proof_holds_and_fails_for_a_rewritten_older_digest():
    first, second = digest_of(5), digest_of(11)
    proof = through_json(ConsistencyProof(first, second, consistency_path(TREE, 5, 11)))

    assert proof.failures(trusted=first) == []
    rewritten = Digest(first.position, first.size, first.hash, b"\x07" * 32)
    bad = ConsistencyProof(rewritten, second, proof.path)
    assert bad.failures(trusted=rewritten) == [
        "the path does not show the first tree as a prefix of the second"
    ]
    assert proof.failures(trusted=digest_of(7)) == [
        "neither digest of the proof is the trusted digest"
    ]
