"""Proof documents: one event's inclusion under a digest, and one digest's extension of another.

Pure Python: the server writes them (``GET /audit/proof``, ``touchpoint audit
prove``), anyone checks them offline (``touchpoint audit verify-export --proof``).
A check returns the list of what fails (empty: the proof holds). Checking against
a digest the auditor kept (``trusted``) is what makes a proof mean something: a
proof only shows what the digest it carries commits to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.chain.hashes import Digest, Row, record_to_json, row_from_json, row_hash
from domain.chain.merkle import leaf_hash, verify_consistency, verify_inclusion

__all__ = [
    "CONSISTENCY",
    "INCLUSION",
    "ConsistencyProof",
    "InclusionProof",
    "proof_from_json",
]

INCLUSION = "touchpoint-inclusion-proof"
CONSISTENCY = "touchpoint-consistency-proof"


@dataclass(frozen=True)
class InclusionProof:
    """The stored record at one position is entry ``leaf_index`` of the digest's tree."""

    record: Row
    leaf_index: int
    previous_hash: bytes  # the chain hash of the entry before (GENESIS for the first)
    path: list[bytes]  # RFC 6962 audit path, leaf side first
    digest: Digest

    @property
    def position(self) -> int:
        return self.record[0]

    def to_json(self) -> dict[str, Any]:
        """The proof as JSON: hashes in hex, the record's state in base64."""
        return {
            "type": INCLUSION,
            "position": self.position,
            "leaf_index": self.leaf_index,
            "record": record_to_json(self.record),
            "previous_hash": self.previous_hash.hex(),
            "hash": (self.record[6] or b"").hex(),
            "path": [node.hex() for node in self.path],
            "digest": self.digest.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InclusionProof:
        """The proof from ``to_json``'s form."""
        _expect_type(data, INCLUSION)
        return cls(
            record=row_from_json(data["record"], int(data["leaf_index"]), data["hash"]),
            leaf_index=int(data["leaf_index"]),
            previous_hash=bytes.fromhex(data["previous_hash"]),
            path=[bytes.fromhex(node) for node in data["path"]],
            digest=Digest.from_json(data["digest"]),
        )

    def failures(self, trusted: Digest | None = None) -> list[str]:
        """What does not hold (empty when the proof checks out)."""
        chained = self.record[6]
        found: list[str] = []
        if chained is None or row_hash(self.previous_hash, self.record) != chained:
            found.append("the record does not give the entry's chain hash")
        leaf = leaf_hash(chained or b"")
        size, root = self.digest.size, self.digest.root
        if not verify_inclusion(self.leaf_index, size, leaf, self.path, root):
            found.append("the audit path does not lead from the entry to the digest's root")
        if self.digest.position == self.position and self.digest.hash != chained:
            found.append("the digest names this entry with another chain hash")
        if self.position > self.digest.position:
            found.append("the entry is after the digest's position")
        found += _against(self.digest, trusted)
        return found


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of digest ``first`` is a prefix of the tree of digest ``second``."""

    first: Digest
    second: Digest
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        """The proof as JSON: hashes in hex."""
        return {
            "type": CONSISTENCY,
            "first": self.first.to_json(),
            "second": self.second.to_json(),
            "path": [node.hex() for node in self.path],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConsistencyProof:
        """The proof from ``to_json``'s form."""
        _expect_type(data, CONSISTENCY)
        return cls(
            first=Digest.from_json(data["first"]),
            second=Digest.from_json(data["second"]),
            path=[bytes.fromhex(node) for node in data["path"]],
        )

    def failures(self, trusted: Digest | None = None) -> list[str]:
        """What does not hold; ``trusted`` must be one of the two digests."""
        first, second = self.first, self.second
        found: list[str] = []
        if not verify_consistency(first.size, second.size, first.root, second.root, self.path):
            found.append("the path does not show the first tree as a prefix of the second")
        if first.size == second.size and first.hash != second.hash:
            found.append("the two digests name the same tree with different chain hashes")
        if trusted is not None and not (
            trusted.same_log_state(first) or trusted.same_log_state(second)
        ):
            found.append("neither digest of the proof is the trusted digest")
        return found


def proof_from_json(data: dict[str, Any]) -> InclusionProof | ConsistencyProof:
    """Either kind of proof, by its ``type``."""
    if data.get("type") == CONSISTENCY:
        return ConsistencyProof.from_json(data)
    return InclusionProof.from_json(data)


def _expect_type(data: dict[str, Any], kind: str) -> None:
    if data.get("type") != kind:
        msg = f"not a {kind} (type {data.get('type')!r})"
        raise ValueError(msg)


def _against(digest: Digest, trusted: Digest | None) -> list[str]:
    if trusted is None or trusted.same_log_state(digest):
        return []
    return ["the proof is under another digest than the trusted one"]
