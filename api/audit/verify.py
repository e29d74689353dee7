"""Verifying the stored log: recompute the chain from the rows, from the start or a digest.

The rows are read in one ``REPEATABLE READ`` snapshot (events and chain entries
agree with each other), streamed in pages through server-side cursors, and
checked by ``domain.chain.hashes.check_rows``. The Merkle root recomputed on the way is
then compared with the one the server's node cache gives, since proofs are
served from that cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from api.audit.rows import AnyConnection, Progress, verification_rows
from api.audit.store import (
    BrokenChain,
    StoredTree,
    digest_at,
    entry_at,
    hash_of_seq,
    record_at,
)
from domain.chain.hashes import ChainState, Digest, Problem, check_rows, row_hash
from domain.chain.merkle import compact_range


@dataclass(frozen=True)
class VerifyReport:
    """What a verification found: how far the log checks out, and the first problem."""

    verified: Digest  # the last entry that checks out (recomputed)
    checked: int  # entries checked by this run (after the trusted digest, if any)
    problem: Problem | None
    trusted: Digest | None  # where the run started from, if not the genesis

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line: "verified up to position N" or where and what the problem is."""
        if self.problem is None:
            return (
                f"verified up to position {self.verified.position} ({self.verified.size} entries)"
            )
        return (
            f"verified up to position {self.verified.position}; position "
            f"{self.problem.position}: {self.problem.kind}: {self.problem.detail}"
        )


def head_position(conn: AnyConnection) -> int:
    """The highest position among events and chain entries (for progress bars)."""
    row = conn.execute(
        "SELECT greatest((SELECT max(notification_id) FROM touchpoint_events), "
        "(SELECT max(position) FROM touchpoint_chain))"
    ).fetchone()
    conn.commit()
    return int(row[0]) if row and row[0] is not None else 0


def verify_log(
    conn: AnyConnection, trusted: Digest | None = None, progress: Progress | None = None
) -> VerifyReport:
    """Recompute the chain from the genesis (or from ``trusted``) up to the head.

    Uses transactions of its own on ``conn``: one open there is committed first.
    """
    conn.commit()
    if trusted is not None:
        StoredTree(conn).ensure(trusted.size)  # cache first: the check below only reads
        conn.commit()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state, problem = _start(conn, trusted)
        if problem is None:
            rows = verification_rows(conn, state.position, state.size, progress)
            try:
                problem = check_rows(state, rows)
            finally:
                rows.close()  # its server-side cursors end with this transaction, not later
    checked = max(0, state.size - (trusted.size if trusted else 0))
    if problem is None:
        problem = _cache_agrees(conn, state)
    return VerifyReport(state.digest(datetime.now(UTC)), checked, problem, trusted)


def _start(conn: AnyConnection, trusted: Digest | None) -> tuple[ChainState, Problem | None]:
    """The state to verify on from: the genesis, or the trusted digest once checked."""
    if trusted is None or trusted.size == 0:
        return ChainState(), None
    state = ChainState()
    entry = entry_at(conn, trusted.position)
    if entry is None or entry != (trusted.size - 1, trusted.hash):
        detail = "the stored chain at this position is not the trusted digest's: history rewritten"
        return state, Problem(trusted.position, "digest-mismatch", detail)
    try:
        previous = hash_of_seq(conn, trusted.size - 2)
        tree = compact_range(StoredTree(conn), trusted.size)
    except BrokenChain as error:
        return state, Problem(trusted.position, "entries-missing", str(error))
    if row_hash(previous, record_at(conn, trusted.position)) != trusted.hash:
        detail = "the stored record at the trusted digest's position does not give its hash"
        return state, Problem(trusted.position, "record-changed", detail)
    if tree.root() != trusted.root:
        detail = "the entries up to the trusted digest do not give its Merkle root"
        return state, Problem(trusted.position, "digest-mismatch", detail)
    return ChainState(trusted.hash, trusted.size, trusted.position, tree), None


def _cache_agrees(conn: AnyConnection, state: ChainState) -> Problem | None:
    """A problem if the cached Merkle nodes give another root than the one recomputed."""
    if state.size == 0:
        return None
    served = digest_at(conn, state.position)
    conn.commit()
    if served.root == state.tree.root():
        return None
    detail = (
        "the Merkle node cache disagrees with the log (proofs served from it would not "
        "verify): empty touchpoint_merkle_nodes to have it rebuilt"
    )
    return Problem(state.position, "merkle-cache-mismatch", detail)
