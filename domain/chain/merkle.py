"""Merkle trees as RFC 6962 / RFC 9162 define them: roots, inclusion and consistency proofs.

Pure Python, no database: the server builds proofs from its cached subtree roots,
an auditor checks them offline with the same functions. Leaves are hashed as
``SHA-256(0x00 || entry)`` and interior nodes as ``SHA-256(0x01 || left || right)``;
the tree over ``n`` leaves splits at the largest power of two below ``n``.

Proofs are computed from roots of *complete* subtrees (``2**level`` leaves
starting at a multiple of ``2**level``), which a ``Subtrees`` source supplies:
every subtree an RFC 6962 proof needs is either complete or the right edge of
the tree, itself split into complete ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from hashlib import sha256
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "MemoryTree",
    "Subtrees",
    "compact_range",
    "consistency_path",
    "inclusion_path",
    "largest_power_below",
    "leaf_hash",
    "node_hash",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = sha256(b"").digest()
"""Root of the tree with no leaves (RFC 6962: the hash of the empty string)."""


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one leaf: ``SHA-256(0x00 || entry)``."""
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return sha256(b"\x01" + left + right).digest()


class Subtrees(Protocol):
    """Roots of complete subtrees of one tree."""

    def complete(self, start: int, level: int) -> bytes:
        """Root over leaves ``[start, start + 2**level)``; ``start`` is a multiple of it."""


def largest_power_below(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(tree: Subtrees, start: int, end: int) -> bytes:
    """RFC 6962 ``MTH`` over leaves ``[start, end)`` (``EMPTY_ROOT`` when empty)."""
    n = end - start
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        return tree.complete(start, n.bit_length() - 1)
    k = largest_power_below(n)
    return node_hash(subtree_root(tree, start, start + k), subtree_root(tree, start + k, end))


def inclusion_path(tree: Subtrees, index: int, size: int) -> list[bytes]:
    """RFC 6962 ``PATH(index, D[size])``: the audit path of leaf ``index``, leaf side first."""
    if not 0 <= index < size:
        msg = f"leaf {index} is not in a tree of {size} leaves"
        raise ValueError(msg)
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_below(end - start)
        if index < start + k:
            path.append(subtree_root(tree, start + k, end))
            end = start + k
        else:
            path.append(subtree_root(tree, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_path(tree: Subtrees, old: int, new: int) -> list[bytes]:
    """RFC 6962 ``PROOF(old, D[new])``: shows the first ``old`` leaves are a prefix."""
    if not 0 < old <= new:
        msg = f"no consistency proof from {old} to {new} leaves"
        raise ValueError(msg)
    path: list[bytes] = []
    start, end, whole = 0, new, True
    while old - start != end - start:
        k = largest_power_below(end - start)
        if old - start <= k:
            path.append(subtree_root(tree, start + k, end))
            end = start + k
        else:
            path.append(subtree_root(tree, start, start + k))
            start, whole = start + k, False
    if not whole:
        path.append(subtree_root(tree, start, end))
    path.reverse()
    return path


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``path`` lead from leaf hash ``leaf`` at ``index`` to ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of ``old`` leaves a prefix of the one of ``new``?"""
    if old == new:
        return not path and old_root == new_root
    if not 0 < old < new or not path:
        return False
    if old & (old - 1) == 0:  # an exact power of two: the old root is itself a node
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


class CompactRange:
    """The root of a growing tree in O(log n) memory: leaves appended one by one.

    Keeps the roots of the complete subtrees that make up the leaves so far
    (one per set bit of the size, largest first), as RFC 9162 2.1.2 describes.
    """

    def __init__(self, size: int = 0, roots: Sequence[bytes] = ()) -> None:
        if len(roots) != size.bit_count():
            msg = "a compact range has one root per set bit of its size"
            raise ValueError(msg)
        self.size = size
        self.roots = list(roots)

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash at the right edge."""
        node, n = leaf, self.size
        while n & 1:
            node = node_hash(self.roots.pop(), node)
            n >>= 1
        self.roots.append(node)
        self.size += 1

    def root(self) -> bytes:
        """The tree's root (``EMPTY_ROOT`` with no leaves)."""
        if not self.roots:
            return EMPTY_ROOT
        node = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            node = node_hash(left, node)
        return node


def compact_range(tree: Subtrees, size: int) -> CompactRange:
    """The compact range of the first ``size`` leaves, from complete subtree roots."""
    roots, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            roots.append(tree.complete(start, level))
            start += 1 << level
    return CompactRange(size, roots)


class MemoryTree:
    """Complete subtree roots over leaf hashes held in memory (tests, small exports)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)
        self._complete = lru_cache(maxsize=None)(self._compute)

    def complete(self, start: int, level: int) -> bytes:
        """Root over ``[start, start + 2**level)``, computed once."""
        return self._complete(start, level)

    def _compute(self, start: int, level: int) -> bytes:
        if level == 0:
            return self.leaves[start]
        half = 1 << (level - 1)
        return node_hash(self.complete(start, level - 1), self.complete(start + half, level - 1))
