"""Checking the Merkle node cache against the entries verification has just recomputed.

``touchpoint_merkle_nodes`` only speeds up proofs and served digests; anyone who
can write the database could have written it, so verification never uses it:
it recomputes every cached node from the chain's entries (read in the
verification's own snapshot, after they were checked against the records) and
names the first node that disagrees, or one cached ahead of the entries.
"""

from __future__ import annotations

from collections.abc import Iterator

from api.audit.rows import PAGE, AnyConnection
from api.audit.store import fold
from domain.chain.hashes import Problem
from domain.chain.merkle import leaf_hash, node_hash

REMEDY = (
    "proofs served from it would not verify; the cache is append-only: as the database "
    "owner, empty it (ALTER TABLE touchpoint_merkle_nodes DISABLE TRIGGER USER; DELETE FROM "
    "touchpoint_merkle_nodes; ALTER TABLE touchpoint_merkle_nodes ENABLE TRIGGER USER) and "
    "it is rebuilt from the entries"
)


def cache_problem(conn: AnyConnection, size: int, position: int) -> Problem | None:
    """The first cached node over the first ``size`` entries that they do not give.

    In the caller's transaction; the entries below ``size`` must be verified ones.
    ``position`` is the last verified entry's (where a problem is reported).
    """
    cached = _cached(conn)
    if not cached:
        return None
    ahead = [(level, index) for level, index in cached if (index + 1) << level > size]
    if ahead:
        level, index = min(ahead, key=lambda node: node[1] << node[0])
        detail = (
            f"the node cache holds a node (level {level}, index {index}) over entries "
            f"{index << level} to {((index + 1) << level) - 1}, beyond the {size} "
            f"entries the log has: {REMEDY}"
        )
        return Problem(position, "merkle-cache-mismatch", detail)
    levels = sorted({level for level, _ in cached})
    for level, index, node in _recomputed(conn, levels, size):
        stored = cached.get((level, index))
        if stored is not None and stored != node:
            first, last = index << level, ((index + 1) << level) - 1
            detail = (
                f"the cached Merkle node (level {level}, index {index}) over entries "
                f"{first} to {last} is not the one these entries give: {REMEDY}"
            )
            return Problem(position, "merkle-cache-mismatch", detail)
    return None


def _cached(conn: AnyConnection) -> dict[tuple[int, int], bytes]:
    rows = conn.execute("SELECT level, index, hash FROM touchpoint_merkle_nodes").fetchall()
    return {(int(level), int(index)): bytes(node) for level, index, node in rows}


def _recomputed(
    conn: AnyConnection, levels: list[int], size: int
) -> Iterator[tuple[int, int, bytes]]:
    """``(level, index, root)`` of every complete subtree at ``levels`` in the first ``size``.

    Leaves are folded a block of ``2**min(levels)`` at a time (comprehensions, not a
    loop per leaf), then blocks are combined as a compact range is.
    """
    wanted, base, top = set(levels), min(levels), max(levels)
    width = 1 << base
    stack: list[tuple[int, bytes]] = []  # (level, root) of the complete blocks so far
    block = 0
    with conn.cursor("tp_audit_cache", binary=True) as cur:
        cur.execute(
            "SELECT hash FROM touchpoint_chain WHERE seq < %s ORDER BY seq",
            ((size >> base) << base,),
        )
        while rows := cur.fetchmany(width * max(1, PAGE // width)):
            for first in range(0, len(rows), width):
                node = fold([leaf_hash(entry) for (entry,) in rows[first : first + width]])
                level, index = base, block
                yield level, index, node
                while stack and stack[-1][0] == level:
                    node, level, index = node_hash(stack.pop()[1], node), level + 1, index >> 1
                    if level in wanted:
                        yield level, index, node
                if level < top:
                    stack.append((level, node))
                block += 1
