"""The hash chain over the log: encoding, digests, and verification row by row.

Pure Python, no database: ``touchpoint audit verify`` feeds it rows read from
PostgreSQL, ``touchpoint audit verify-export`` rows read from an export file.

Every stored event has a chain entry ``hash = SHA-256(previous hash || record)``
where ``record`` is ``encode_record`` of the row exactly as stored (the
ciphertext of personal fields included) and the hash before the first entry is
32 zero bytes (``GENESIS``). The database computes the same bytes with
``touchpoint_record_bytes`` (migration 0008) when the append's statement runs.
Entries are also the leaves of a Merkle tree (``domain.chain.merkle``): leaf ``i``
is the chain hash of the entry at place ``i`` (its ``seq``).
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from itertools import chain, islice
from typing import Any
from uuid import UUID

from domain.chain.merkle import CompactRange

__all__ = [
    "DIAGNOSIS_WINDOW",
    "GENESIS",
    "ChainState",
    "Digest",
    "Problem",
    "Row",
    "chain_hash",
    "check_rows",
    "diagnose",
    "encode_record",
    "record_to_json",
    "row_from_json",
    "row_hash",
]

GENESIS = bytes(32)
"""The hash before the first entry."""
DIAGNOSIS_WINDOW = 100_000
"""Entries after a mismatch looked at to tell what happened (e.g. where a record moved to)."""
_FIXED = struct.Struct(">q16sqi")  # position, originator id, version, topic length
_LENGTH = struct.Struct(">i")
_ABSENT = -1  # length written for a missing topic or state (never stored by an append)

Row = tuple[int, bytes | None, int | None, bytes | None, bytes | None, int | None, bytes | None]
"""One place of the log as read: position, originator id (16 bytes), version,
topic (UTF-8), state, then the chain entry's seq and hash. The record's fields
are ``None`` if the event row is missing; seq and hash if the chain entry is."""


def encode_record(
    position: int, originator_id: bytes, version: int, topic: bytes | None, state: bytes | None
) -> bytes:
    """The canonical bytes of a stored event (big-endian, lengths before variable parts)."""
    head = _FIXED.pack(position, originator_id, version, _ABSENT if topic is None else len(topic))
    body = b"" if topic is None else topic
    if state is None:
        return head + body + _LENGTH.pack(_ABSENT)
    return head + body + _LENGTH.pack(len(state)) + state


def chain_hash(previous: bytes, record: bytes) -> bytes:
    """``SHA-256(previous || record)``."""
    return sha256(previous + record).digest()


def row_hash(previous: bytes, row: Row, position: int | None = None) -> bytes | None:
    """The chain hash ``row``'s record would have after ``previous`` (at ``position``)."""
    _, oid, version, topic, state, _, _ = row
    if oid is None or version is None:
        return None
    at = row[0] if position is None else position
    return chain_hash(previous, encode_record(at, oid, version, topic, state))


@dataclass(frozen=True)
class Digest:
    """The log's state at one entry: what an auditor keeps outside the system."""

    position: int  # position of the entry (0: the empty log)
    size: int  # entries up to and including it: the Merkle tree's size
    hash: bytes  # its chain hash
    root: bytes  # Merkle root over the first ``size`` entries
    time: datetime | None = None  # when the digest was taken

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: hashes in lowercase hex, time in ISO 8601."""
        return {
            "position": self.position,
            "size": self.size,
            "hash": self.hash.hex(),
            "root": self.root.hex(),
            "time": self.time.isoformat() if self.time else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        """A digest from ``to_json``'s form (``time`` optional)."""
        time = data.get("time")
        return cls(
            position=int(data["position"]),
            size=int(data["size"]),
            hash=_hash_from_hex(data["hash"]),
            root=_hash_from_hex(data["root"]),
            time=datetime.fromisoformat(time) if time else None,
        )

    def same_log_state(self, other: Digest) -> bool:
        """Whether both digests name the same entry, chain hash and tree (time aside)."""
        mine = (self.position, self.size, self.hash, self.root)
        return mine == (other.position, other.size, other.hash, other.root)


def _hash_from_hex(value: str) -> bytes:
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        msg = f"a SHA-256 hash has 32 bytes, not {len(raw)}"
        raise ValueError(msg)
    return raw


def record_to_json(row: Row) -> dict[str, Any]:
    """A stored record as JSON: state in base64, the originator id as a UUID."""
    position, oid, version, topic, state, _, _ = row
    return {
        "position": position,
        "stream_id": str(UUID(bytes=oid)) if oid is not None else None,
        "version": version,
        "topic": topic.decode() if topic is not None else None,
        "state": base64.b64encode(state).decode() if state is not None else None,
    }


def row_from_json(record: dict[str, Any], seq: int | None, hash_hex: str | None) -> Row:
    """The row of a ``record_to_json`` record and its chain entry (``None`` if absent)."""
    stream, topic, state = record.get("stream_id"), record.get("topic"), record.get("state")
    return (
        int(record["position"]),
        UUID(stream).bytes if stream is not None else None,
        record.get("version"),
        topic.encode() if topic is not None else None,
        base64.b64decode(state, validate=True) if state is not None else None,
        seq,
        bytes.fromhex(hash_hex) if hash_hex is not None else None,
    )


@dataclass(frozen=True)
class Problem:
    """The first place where the log and its chain disagree, and what is wrong there."""

    position: int
    kind: str  # event-missing, chain-missing, entries-missing, misplaced-entry,
    # order-changed, record-changed, forged-entry, hash-mismatch; against a kept digest:
    # digest-mismatch, chain-rewritten, truncated, entries-added; merkle-cache-mismatch
    detail: str


@dataclass
class ChainState:
    """How far a verification got: the last verified entry and the tree so far."""

    hash: bytes = GENESIS
    size: int = 0
    position: int = 0
    tree: CompactRange = field(default_factory=CompactRange)
    pending: Row | None = None  # the row read past ``until`` (checked by the next call)

    def digest(self, time: datetime | None = None) -> Digest:
        """The digest of the last verified entry."""
        return Digest(self.position, self.size, self.hash, self.tree.root(), time)


def check_rows(state: ChainState, rows: Iterator[Row], until: int | None = None) -> Problem | None:
    """Recompute the chain over ``rows`` (in position order) from ``state``, advancing it.

    Returns the first problem (diagnosed with the entries that follow it), or
    ``None`` when every row checks out. With ``until``, stops before the first
    row after that position and keeps it in ``state.pending`` for the next call
    (so a verification can stop at each kept digest's position on one stream of
    rows). This loop is what verification speed is made of, so the Merkle leaf
    and ``CompactRange.append`` are inlined in it.
    """
    if state.pending is not None:
        rows, state.pending = chain((state.pending,), rows), None
    previous, size, last, tree = state.hash, state.size, state.position, state.tree
    pack, length, sha, roots = _FIXED.pack, _LENGTH.pack, sha256, tree.roots
    stop = 2**63 - 1 if until is None else until
    bad: Row | None = None
    for row in rows:
        position, oid, version, topic, body, seq, stored = row
        if position > stop:
            state.pending = row
            break
        if oid is None or version is None or topic is None or body is None or stored is None:
            bad = row
            break
        record = pack(position, oid, version, len(topic)) + topic + length(len(body)) + body
        current = sha(previous + record).digest()
        if current != stored or seq != size:
            bad = row
            break
        node, carry = sha(b"\x00" + current).digest(), size  # leaf_hash(current)
        while carry & 1:
            node, carry = sha(b"\x01" + roots.pop() + node).digest(), carry >> 1
        roots.append(node)
        previous, size, last = current, size + 1, position
    state.hash, state.size, state.position, tree.size = previous, size, last, size
    return None if bad is None else diagnose(state, bad, rows)


def diagnose(state: ChainState, bad: Row, rows: Iterator[Row]) -> Problem:
    """Name what is wrong at ``bad``, the first row that does not check out."""
    position, oid, _, _, _, seq, stored = bad
    if oid is None:
        return Problem(position, "event-missing", _DETAIL["event-missing"])
    if stored is None or seq is None:
        return Problem(position, "chain-missing", _DETAIL["chain-missing"])
    following = list(islice(rows, DIAGNOSIS_WINDOW))
    if seq != state.size:
        return _misplaced(state, bad, following)
    return _mismatch(state, bad, following)


_DETAIL = {
    "event-missing": "the chain has an entry here but the event row is gone (deleted)",
    "chain-missing": (
        "the event has no chain entry: a row written behind the log's back (forged), "
        "or its chain entry was deleted"
    ),
    "record-changed": (
        "the stored record no longer matches its chain entry, which still links to the "
        "next entry: the record was changed after it was recorded (or records before it "
        "were changed and the chain entries up to here recomputed: only a kept digest "
        "tells these apart)"
    ),
    "forged-entry": (
        "the entry does not follow from the one before, and the next entry follows from "
        "the one before it: this entry was inserted (forged)"
    ),
    "hash-mismatch": (
        "the chain hash does not follow from the previous entry and the stored record: "
        "the record was changed or the entry forged"
    ),
}


def _misplaced(state: ChainState, bad: Row, following: Sequence[Row]) -> Problem:
    position, seq = bad[0], bad[5]
    assert seq is not None
    if seq > state.size and not any(row[5] == state.size for row in following[:1]):
        missing = seq - state.size
        detail = (
            f"{missing} entr{'y' if missing == 1 else 'ies'} after position {state.position} "
            f"missing with their events (deleted): the chain goes on at place {seq}, "
            f"expected {state.size}"
        )
        return Problem(position, "entries-missing", detail)
    detail = (
        f"the chain entry here is at place {seq} but place {state.size} was expected: "
        "an entry forged or moved here"
    )
    return Problem(position, "misplaced-entry", detail)


def _mismatch(state: ChainState, bad: Row, following: Sequence[Row]) -> Problem:
    position, stored = bad[0], bad[6]
    assert stored is not None
    moved_to = _home_of(bad, stored, following)
    if moved_to is not None:
        detail = (
            f"the event stored at position {position} is the one chained at position "
            f"{moved_to}: the order of the log was changed"
        )
        return Problem(position, "order-changed", detail)
    after = following[0] if following else None
    if after is not None and row_hash(stored, after) == after[6]:
        return Problem(position, "record-changed", _DETAIL["record-changed"])
    if after is not None and row_hash(state.hash, after) == after[6]:
        return Problem(position, "forged-entry", _DETAIL["forged-entry"])
    return Problem(position, "hash-mismatch", _DETAIL["hash-mismatch"])


def _home_of(bad: Row, stored: bytes, following: Sequence[Row]) -> int | None:
    """The later position whose chain entry ``bad``'s record matches, if any."""
    previous = stored
    for row in following:
        if row[6] is None:
            continue
        if row_hash(previous, bad, position=row[0]) == row[6]:
            return row[0]
        previous = row[6]
    return None
