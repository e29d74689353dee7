"""The chain as stored in PostgreSQL: entries, records, digests and the Merkle node cache.

Reads only, but for the cache: ``touchpoint_merkle_nodes`` keeps the root of
every complete subtree of ``2**8``, ``2**16``, ... leaves, filled lazily by
``StoredTree.ensure`` (values are deterministic, so concurrent fillers agree and
``ON CONFLICT DO NOTHING`` settles races). Any other subtree root comes from at
most 256 cached nodes or leaves, so a proof in a log of millions of entries reads
a few thousand rows at most. The cache is append-only (migration 0012) and only
speeds up proofs and served digests: verification never reads it, it checks it
(``api.audit.cache``); a digest to be signed is computed without it
(``recomputed_digest``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from api.audit.rows import EVENTS, PAGE, AnyConnection, binary_cursor
from domain.chain.hashes import GENESIS, Digest, Row
from domain.chain.merkle import (
    CompactRange,
    Subtrees,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    subtree_root,
)
from domain.chain.proofs import ConsistencyProof, InclusionProof

STRIDE = 8
"""Levels between cached subtree roots: nodes of 256, 65,536, ... leaves are cached."""


class UnknownEntry(LookupError):
    """No chain entry at (or before) the position asked for."""


class BrokenChain(RuntimeError):
    """The chain lacks entries a digest or proof needs: tampered with (see verification)."""


def entry_at(conn: AnyConnection, position: int) -> tuple[int, bytes] | None:
    """``(seq, hash)`` of the chain entry at exactly ``position``."""
    row = conn.execute(
        "SELECT seq, hash FROM touchpoint_chain WHERE position = %s", (position,)
    ).fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]))


def last_entry(conn: AnyConnection, at: int | None = None) -> tuple[int, int, bytes] | None:
    """``(position, seq, hash)`` of the last entry (at or before ``at``), if any."""
    row = conn.execute(
        "SELECT position, seq, hash FROM touchpoint_chain WHERE position <= %s "
        "ORDER BY position DESC LIMIT 1",
        (at if at is not None else 2**63 - 1,),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), bytes(row[2]))


def hash_of_seq(conn: AnyConnection, seq: int) -> bytes:
    """The chain hash at place ``seq`` (``GENESIS`` before the first)."""
    if seq < 0:
        return GENESIS
    row = conn.execute("SELECT hash FROM touchpoint_chain WHERE seq = %s", (seq,)).fetchone()
    if row is None:
        raise BrokenChain(f"the chain has no entry at place {seq}: verify the log")
    return bytes(row[0])


def record_at(conn: AnyConnection, position: int) -> Row:
    """The stored record at ``position`` with its chain entry (parts ``None`` if missing)."""
    with binary_cursor(conn) as cur:
        cur.execute(EVENTS, (position - 1, position))
        event = cur.fetchone()
    entry = entry_at(conn, position)
    record = tuple(event) if event is not None else (position, None, None, None, None)
    return (*record, *(entry if entry is not None else (None, None)))


def digest_at(conn: AnyConnection, at: int | None = None, *, stride: int = STRIDE) -> Digest:
    """The digest of the last entry at or before ``at`` (default: the head), from the cache."""
    entry = last_entry(conn, at)
    now = datetime.now(UTC)
    if entry is None:
        return Digest(0, 0, GENESIS, subtree_root(StoredTree(conn, stride), 0, 0), now)
    position, seq, chain = entry
    tree = StoredTree(conn, stride)
    tree.ensure(seq + 1)
    return Digest(position, seq + 1, chain, subtree_root(tree, 0, seq + 1), now)


def recomputed_digest(conn: AnyConnection, at: int | None = None) -> Digest:
    """The digest of the last entry at or before ``at``, its root from the entries alone.

    Never reads the node cache (a digest to be signed must not vouch for it):
    streams the chain's hashes into a ``CompactRange``, in one snapshot (an open
    transaction on ``conn`` is committed first).
    """
    conn.commit()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        entry = last_entry(conn, at)
        now = datetime.now(UTC)
        if entry is None:
            return Digest(0, 0, GENESIS, CompactRange().root(), now)
        position, seq, chain = entry
        tree = CompactRange()
        with conn.cursor("tp_audit_leaves", binary=True) as cur:
            cur.execute("SELECT hash FROM touchpoint_chain WHERE seq <= %s ORDER BY seq", (seq,))
            while rows := cur.fetchmany(PAGE):
                for (leaf,) in rows:
                    tree.append(leaf_hash(leaf))
    if tree.size != seq + 1:
        raise BrokenChain(f"the chain lacks entries before position {position}: verify the log")
    return Digest(position, seq + 1, chain, tree.root(), now)


def inclusion_proof(
    conn: AnyConnection, position: int, at: int | None = None, *, stride: int = STRIDE
) -> InclusionProof:
    """The proof that the entry at ``position`` is in the tree of the digest at ``at``."""
    digest = digest_at(conn, at, stride=stride)
    entry = entry_at(conn, position)
    if entry is None or position > digest.position:
        msg = f"no chain entry at position {position} (digest at position {digest.position})"
        raise UnknownEntry(msg)
    seq = entry[0]
    path = inclusion_path(StoredTree(conn, stride), seq, digest.size)
    return InclusionProof(record_at(conn, position), seq, hash_of_seq(conn, seq - 1), path, digest)


def consistency_proof(
    conn: AnyConnection, first_at: int, second_at: int | None = None, *, stride: int = STRIDE
) -> ConsistencyProof:
    """The proof that the digest at ``first_at`` is a prefix of the one at ``second_at``."""
    first = digest_at(conn, first_at, stride=stride)
    second = digest_at(conn, second_at, stride=stride)
    if first.size == 0 or first.size > second.size:
        msg = f"no consistency proof from position {first_at} to {second.position}"
        raise UnknownEntry(msg)
    path = consistency_path(StoredTree(conn, stride), first.size, second.size)
    return ConsistencyProof(first, second, path)


# --- the Merkle tree ----------------------------------------------------------------


class StoredTree(Subtrees):
    """Complete subtree roots over the chain's entries, from the cache or computed.

    ``stride``: levels between cached subtree roots (``STRIDE``; tests use small ones).
    """

    def __init__(self, conn: AnyConnection, stride: int = STRIDE) -> None:
        self.conn = conn
        self.stride = stride

    def complete(self, start: int, level: int) -> bytes:
        """Root over leaves ``[start, start + 2**level)``."""
        if level == 0:
            return self._leaves(start, 1)[0]
        stride = self.stride
        if level % stride == 0:
            cached = self._nodes(level, start >> level, 1)
            if cached:
                return cached[0]
            below = level - stride
        else:
            below = level - level % stride
        children = self._children(below, start >> below, 1 << (level - below))
        return fold(children)

    def ensure(self, size: int) -> None:
        """Cache every complete cached-level subtree within the first ``size`` leaves."""
        level = self.stride
        while size >> level:
            self._fill(level, size >> level)
            level += self.stride

    def _fill(self, level: int, count: int) -> None:
        row = self.conn.execute(
            "SELECT coalesce(max(index) + 1, 0) FROM touchpoint_merkle_nodes WHERE level = %s",
            (level,),
        ).fetchone()
        have = int(row[0]) if row else 0
        width = 1 << self.stride
        for first in range(have, count, width):  # 65,536 children per round trip
            last = min(count, first + width)
            below = self._children(level - self.stride, first * width, (last - first) * width)
            roots = [fold(below[i : i + width]) for i in range(0, len(below), width)]
            self._store(level, first, roots)

    def _store(self, level: int, first: int, roots: Sequence[bytes]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO touchpoint_merkle_nodes (level, index, hash) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [(level, first + i, root) for i, root in enumerate(roots)],
            )

    def _children(self, level: int, first: int, count: int) -> list[bytes]:
        if level == 0:
            return self._leaves(first, count)
        nodes = self._nodes(level, first, count)
        if len(nodes) == count:
            return nodes
        return [self.complete((first + i) << level, level) for i in range(count)]

    def _nodes(self, level: int, first: int, count: int) -> list[bytes]:
        rows = self.conn.execute(
            "SELECT hash FROM touchpoint_merkle_nodes WHERE level = %s "
            "AND index >= %s AND index < %s ORDER BY index",
            (level, first, first + count),
        ).fetchall()
        return [bytes(row[0]) for row in rows]

    def _leaves(self, first: int, count: int) -> list[bytes]:
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                "SELECT hash FROM touchpoint_chain WHERE seq >= %s AND seq < %s ORDER BY seq",
                (first, first + count),
            )
            leaves = [leaf_hash(row[0]) for row in cur]
        if len(leaves) != count:
            msg = (
                f"the chain lacks entries at places {first} to {first + count - 1}: verify the log"
            )
            raise BrokenChain(msg)
        return leaves


def fold(nodes: Sequence[bytes]) -> bytes:
    """The root of a complete subtree from its ``2**k`` children, left to right."""
    level = list(nodes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]
