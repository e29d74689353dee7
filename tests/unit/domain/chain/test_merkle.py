"""RFC 6962 / RFC 9162 Merkle trees: roots, audit paths, consistency proofs, compact ranges.

Expected values are the Certificate Transparency reference vectors (RFC 6962's
eight test leaves), and a reference ``MTH``/``PATH``/``PROOF`` written here
straight from the RFC's recursive definitions.
"""

from __future__ import annotations

from hashlib import sha256

import pytest

from domain.chain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    compact_range,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)

CT_ENTRIES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
CT_ENTRIES.append("606162636465666768696a6b6c6d6e6f")
CT_LEAVES = [bytes.fromhex(h) for h in CT_ENTRIES]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (leaf index, tree size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def ct_tree() -> MemoryTree:
    return MemoryTree([leaf_hash(entry) for entry in CT_LEAVES])


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


# --- the RFC's recursive definitions, as a reference ---------------------------------


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = k_of(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = k_of(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = k_of(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


# --- tests ------------------------------------------------------------------------------


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_root():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert subtree_root(MemoryTree([]), 0, 0) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_rfc_6962_reference_vectors(size):
    assert subtree_root(ct_tree(), 0, size).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_audit_paths_match_the_reference_vectors_and_verify(index, size, expected):
    tree = ct_tree()

    proof = inclusion_path(tree, index, size)

    assert [node.hex() for node in proof] == expected
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(index, size, tree.leaves[index], proof, root)


@pytest.mark.parametrize(("old", "new", "expected"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors_and_verify(old, new, expected):
    proof = consistency_path(ct_tree(), old, new)

    assert [node.hex() for node in proof] == expected
    old_root, new_root = (bytes.fromhex(CT_ROOTS[n - 1]) for n in (old, new))
    assert verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 100])
def test_every_leafs_audit_path_is_the_rfcs_and_verifies_and_nothing_else_does(size):
    d = leaves(size)
    tree, root = MemoryTree(d), mth(d)
    for index in range(size):
        proof = inclusion_path(tree, index, size)

        assert proof == path(index, d)
        assert len(proof) <= (size - 1).bit_length()
        assert verify_inclusion(index, size, d[index], proof, root)
        assert not verify_inclusion(index, size, leaf_hash(b"forged"), proof, root)
        if proof:
            bent = [proof[0][::-1], *proof[1:]]
            assert not verify_inclusion(index, size, d[index], bent, root)
        if size > 1:
            assert not verify_inclusion((index + 1) % size, size, d[index], proof, root)


@pytest.mark.parametrize("new", [1, 2, 3, 7, 8, 9, 16, 17, 33])
def test_every_older_tree_is_proven_a_prefix_of_a_newer_one_and_an_altered_one_is_not(new):
    d = leaves(new)
    tree = MemoryTree(d)
    for old in range(1, new + 1):
        proof = consistency_path(tree, old, new)

        assert proof == subproof(old, d, True)
        assert verify_consistency(old, new, mth(d[:old]), mth(d), proof)
        altered = mth([leaf_hash(b"rewritten"), *d[1:old]])
        assert not verify_consistency(old, new, altered, mth(d), proof)


def test_a_compact_range_gives_the_root_of_every_prefix():
    d = leaves(70)
    growing = CompactRange()
    for n, leaf in enumerate(d, start=1):
        growing.append(leaf)

        assert growing.root() == mth(d[:n])
        assert compact_range(MemoryTree(d), n).root() == mth(d[:n])


def test_a_subtree_of_any_range_is_its_rfc_root():
    d = leaves(45)
    tree = MemoryTree(d)

    assert all(subtree_root(tree, 0, n) == mth(d[:n]) for n in range(46))
    assert subtree_root(tree, 32, 45) == mth(d[32:45])


def test_no_proof_is_made_for_a_leaf_outside_the_tree_or_from_an_empty_tree():
    tree = MemoryTree(leaves(4))

    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_path(tree, 4, 4)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_path(tree, 0, 4)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_path(tree, 4, 3)
