"""Verifying the stored log: recompute the chain from the start, through every kept digest.

Nothing stored is taken on trust. The rows are read in one ``REPEATABLE READ``
snapshot (events and chain entries agree with each other), streamed in pages
through server-side cursors, and every chain hash and Merkle node is recomputed
from the records by ``domain.chain.hashes.check_rows``, from the genesis up to
the head. The run stops at each kept digest's position (oldest first) and fails
if what it recomputed there is not what the digest says; so a digest covers
everything before it. The node cache is not read but checked
(``api.audit.cache``).

What the chain alone shows: a record changed, deleted, moved or inserted in the
middle. What it cannot show: records changed with every chain entry after them
recomputed, a truncated tail, an event appended with a correct entry. A digest
kept outside the database (``api.audit.anchors``) shows those, up to its
position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from api.audit.cache import cache_problem
from api.audit.rows import PAGE, AnyConnection, Progress, verification_rows
from domain.chain.hashes import ChainState, Digest, Problem, check_rows
from domain.chain.merkle import CompactRange, leaf_hash

NO_DIGEST_CAVEAT = (
    "checked against no kept digest: the chain alone cannot show a truncated tail, an "
    "event appended with a correct chain entry, or history rewritten and re-chained; "
    "verify against signed digests kept off this machine (touchpoint audit anchor, "
    "touchpoint audit verify --digests DIR)"
)
_REWRITABLE = ("record-changed", "hash-mismatch", "forged-entry", "order-changed")


@dataclass(frozen=True)
class VerifyReport:
    """What a verification found: how far the log checks out, and the first problem."""

    verified: Digest  # the last entry that checks out (recomputed)
    checked: int  # entries recomputed by this run (from the start of the log)
    problem: Problem | None
    digests: tuple[Digest, ...] = ()  # the kept digests checked against, oldest first
    matched: int = 0  # how many of them the log matched

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def trusted(self) -> Digest | None:
        """The newest kept digest checked against, if any."""
        return self.digests[-1] if self.digests else None

    @property
    def caveat(self) -> str | None:
        """What the run could not show, if it had no kept digest."""
        return None if self.digests else NO_DIGEST_CAVEAT

    def summary(self) -> str:
        """One line: "verified up to position N (M entries)" or where and what the problem is."""
        kept = len(self.digests)
        matching = f", matching {self.matched} of {kept} kept digest{'s' if kept > 1 else ''}"
        if self.problem is None:
            done = f"verified up to position {self.verified.position} ({self.checked} entries)"
            return done + (matching if kept else "")
        problem = self.problem
        return (
            f"{self.checked} entries recomputed{matching if kept else ''}; verified up to "
            f"position {self.verified.position}; position {problem.position}: "
            f"{problem.kind}: {problem.detail}"
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
    conn: AnyConnection,
    trusted: Digest | Sequence[Digest] | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Recompute the chain from the genesis to the head, checking it at every kept digest.

    Reads only, in a transaction of its own on ``conn`` (one open there is
    committed first). ``trusted``: digests kept outside the database, in any order.
    """
    digests = _ordered(trusted)
    conn.commit()
    state = ChainState()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        problem, matched, by_digest = _run(conn, state, digests, progress)
        if problem is None:
            problem = cache_problem(conn, state.size, state.position)
    verified = state.digest(datetime.now(UTC))
    if by_digest:
        # The entries recomputed agree with each other but not with a kept digest:
        # only what the last matched digest vouches for is verified.
        verified = digests[matched - 1] if matched else ChainState().digest(verified.time)
    return VerifyReport(verified, state.size, problem, digests, matched)


def _run(
    conn: AnyConnection,
    state: ChainState,
    digests: tuple[Digest, ...],
    progress: Progress | None,
) -> tuple[Problem | None, int, bool]:
    """One pass over the rows: the first problem, digests matched, whether a digest showed it."""
    problem = _contradictions(digests)
    if problem is not None:
        return problem, 0, True
    rows = verification_rows(conn, 0, 0, progress)
    try:
        for matched, kept in enumerate(digests):
            problem = check_rows(state, rows, until=kept.position)
            if problem is not None:
                refined = _refined(conn, state, problem, digests, matched)
                return refined, matched, refined.kind == "chain-rewritten"
            problem = _against(state, kept)
            if problem is not None:
                return problem, matched, True
        return check_rows(state, rows), len(digests), False
    finally:
        rows.close()  # its server-side cursors end with this transaction, not later


def _ordered(trusted: Digest | Sequence[Digest] | None) -> tuple[Digest, ...]:
    if trusted is None:
        return ()
    if isinstance(trusted, Digest):
        return (trusted,)
    unique = {(d.position, d.size, d.hash, d.root): d for d in trusted}
    return tuple(sorted(unique.values(), key=lambda d: (d.size, d.position)))


def _contradictions(digests: Sequence[Digest]) -> Problem | None:
    """Two kept digests that cannot both be of one log (an append-only one)."""
    for older, newer in pairwise(digests):
        if newer.size == older.size or newer.position <= older.position:  # (equal ones merged)
            detail = (
                f"the kept digests at position {older.position} ({older.size} entries) and "
                f"{newer.position} ({newer.size} entries) contradict each other: one is not "
                "of this log's history"
            )
            return Problem(newer.position, "digest-mismatch", detail)
    return None


def _against(state: ChainState, kept: Digest) -> Problem | None:
    """Whether the log recomputed up to ``kept``'s position is the state ``kept`` names."""
    at = kept.position
    problem = _count_against(state, kept)
    if problem is not None:
        return problem
    if state.position != at:
        detail = (
            f"a kept digest names entry {kept.size} at position {at}; the log has it at "
            f"position {state.position}: history rewritten"
        )
        return Problem(at, "digest-mismatch", detail)
    if state.hash != kept.hash:
        detail = (
            "the records up to here, hashed from the start of the log, do not give the "
            "kept digest's chain hash: records at or before this position were changed "
            "and the chain recomputed over them (history rewritten)"
        )
        return Problem(at, "digest-mismatch", detail)
    if state.tree.root() != kept.root:
        detail = (
            "the entries up to here give the kept digest's chain hash but not its Merkle "
            "root: the digest was not taken from these entries (a root served from a "
            "corrupt node cache, or not this log's digest)"
        )
        return Problem(at, "digest-mismatch", detail)
    return None


def _count_against(state: ChainState, kept: Digest) -> Problem | None:
    """Entries removed or added up to ``kept``'s position, by their count."""
    at = kept.position
    if state.size < kept.size and state.pending is None:
        gone = kept.size - state.size
        detail = (
            f"the log ends at position {state.position} with {state.size} entries, but a "
            f"kept digest names position {at} with {kept.size}: the last {gone} "
            f"entr{'y was' if gone == 1 else 'ies were'} removed (tail truncated)"
        )
        return Problem(at, "truncated", detail)
    if state.size < kept.size:
        gone = kept.size - state.size
        detail = (
            f"a kept digest counts {kept.size} entries up to position {at}, the log "
            f"{state.size}: {gone} entr{'y' if gone == 1 else 'ies'} up to here "
            "removed and the chain recomputed over the rest"
        )
        return Problem(at, "entries-missing", detail)
    if state.size > kept.size:
        added = state.size - kept.size
        detail = (
            f"the log has {state.size} entries up to position {at} where a kept digest "
            f"counts {kept.size}: {added} inserted (forged) and the chain recomputed"
        )
        return Problem(at, "entries-added", detail)
    return None


def _refined(
    conn: AnyConnection,
    state: ChainState,
    problem: Problem,
    digests: Sequence[Digest],
    matched: int,
) -> Problem:
    """Tell a changed record from a re-chained history, with the next kept digest.

    The chain alone breaks at the same place in both: where a changed record no
    longer gives its entry, or where the recomputed entries of a rewritten
    history end and the original ones go on. The stored entries up to the kept
    digest still give its root in the first case only.
    """
    if problem.kind not in _REWRITABLE:
        return problem
    kept = digests[matched]
    if _stored_entries_match(conn, state, kept):
        return Problem(
            problem.position,
            problem.kind,
            f"{problem.detail}; the stored chain entries still give the kept digest at "
            f"position {kept.position}, so the record itself was changed",
        )
    since = (
        f" after position {digests[matched - 1].position}, where an earlier kept digest matches,"
        if matched
        else ""
    )
    detail = (
        f"the stored chain entries no longer give the kept digest at position {kept.position}:"
        f" a record{since} at or before this position was changed and the chain entries "
        "after it recomputed; the recomputed chain breaks here, where the rewritten "
        "entries end and the original ones go on"
    )
    return Problem(problem.position, "chain-rewritten", detail)


def _stored_entries_match(conn: AnyConnection, state: ChainState, kept: Digest) -> bool:
    """Do the stored entries (verified ones, then as stored) give ``kept``'s root and hash?"""
    tree, last = CompactRange(state.tree.size, state.tree.roots), state.hash
    with conn.cursor("tp_audit_stored", binary=True) as cur:
        cur.execute(
            "SELECT seq, hash FROM touchpoint_chain WHERE seq >= %s AND seq < %s ORDER BY seq",
            (state.size, kept.size),
        )
        while rows := cur.fetchmany(PAGE):
            for seq, entry in rows:
                if seq != tree.size:
                    return False
                tree.append(leaf_hash(entry))
                last = bytes(entry)
    return tree.size == kept.size and tree.root() == kept.root and last == kept.hash
