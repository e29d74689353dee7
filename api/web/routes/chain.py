"""Tamper evidence over HTTP (auditors): digests, verification, inclusion and consistency proofs.

The answers carry hashes and stored records (states in base64, personal fields
as the ciphertext the log holds), never decrypted personal data. Proofs are the
documents ``touchpoint audit verify-export --proof`` checks offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from api.audit.rows import AnyConnection
from api.audit.store import (
    BrokenChain,
    UnknownEntry,
    consistency_proof,
    digest_at,
    inclusion_proof,
    last_entry,
)
from api.audit.verify import verify_log
from api.web.deps import Auditor, CheckedServicesDep
from api.web.problems import problem_error, problem_responses
from api.web.schemas.params import EntryPosition, LogPosition
from domain.chain.hashes import Digest

HEX = re.compile(r"^[0-9a-f]{64}$")
_H = "9f2c1a7e5b3d4c6f8a0e1b2d3c4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
_DIGEST: dict[str, Any] = {
    "position": 1042,
    "size": 1040,
    "hash": _H,
    "root": "3b8f" + _H[4:],
    "time": "2026-03-02T09:00:05+00:00",
}
HASH_PATTERN = HEX.pattern
Position = Annotated[EntryPosition, Query()]


class DigestOut(BaseModel):
    """The log at one entry: keep it outside the system and verify against it later."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DIGEST]})

    position: int = Field(description="Position of the entry (0: the empty log).")
    size: int = Field(description="Entries up to it: the Merkle tree's size.")
    hash: str = Field(description="Its chain hash (SHA-256, hex).")
    root: str = Field(description="RFC 6962 Merkle root over the first `size` entries (hex).")
    time: datetime | None = Field(description="When the digest was taken.")


class ChainProblem(BaseModel):
    """The first position where the stored log and its chain disagree."""

    position: int
    kind: str = Field(examples=["record-changed"])
    detail: str


class VerifyOut(BaseModel):
    """``verified up to position N``, or the first position that does not match."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "summary": "verified up to position 1042 (1040 entries)",
                    "verified": _DIGEST,
                    "checked": 1040,
                    "problem": None,
                    "trusted": None,
                    "matched": 0,
                    "caveat": "checked against no kept digest: ...",
                }
            ]
        }
    )

    ok: bool
    summary: str
    verified: DigestOut = Field(description="Digest of the last entry that checks out.")
    checked: int = Field(description="Entries recomputed by this run (from the log's start).")
    problem: ChainProblem | None
    trusted: DigestOut | None = Field(
        description="The kept digest checked against, if any: every entry up to it was "
        "recomputed from the records and compared with it."
    )
    matched: int = Field(default=0, description="Kept digests the log matched (0 or 1).")
    caveat: str | None = Field(
        default=None,
        description="What a run without a kept digest cannot show (a truncated tail, an "
        "appended forgery, history re-chained).",
    )


class RecordOut(BaseModel):
    """An event exactly as stored (state in base64: personal fields are ciphertext)."""

    position: int
    stream_id: str | None
    version: int | None
    topic: str | None
    state: str | None


_RECORD: dict[str, Any] = {
    "position": 7,
    "stream_id": "6f1c2b1e-2f4d-5c7a-9a51-0e8f6d3b2a10",
    "version": 1,
}
_RECORD |= {"topic": "touchpoint:CallRecorded", "state": "eyJvY2N1cnJlZF9hdCI6...=="}


class InclusionProofOut(BaseModel):
    """The entry at ``position`` is leaf ``leaf_index`` of the digest's Merkle tree."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "touchpoint-inclusion-proof",
                    "position": 7,
                    "leaf_index": 6,
                    "record": _RECORD,
                    "previous_hash": _H,
                    "hash": _H,
                    "path": [_H, _H],
                    "digest": _DIGEST,
                }
            ]
        }
    )

    type: Literal["touchpoint-inclusion-proof"]
    position: int
    leaf_index: int
    record: RecordOut
    previous_hash: str = Field(description="Chain hash of the entry before (hex).")
    hash: str = Field(description="The entry's chain hash: SHA-256(previous_hash || record).")
    path: list[str] = Field(description="RFC 6962 audit path, leaf side first (hex).")
    digest: DigestOut


class ConsistencyProofOut(BaseModel):
    """The tree of digest ``first`` is a prefix of the tree of digest ``second``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "touchpoint-consistency-proof",
                    "first": _DIGEST,
                    "second": _DIGEST | {"position": 2080, "size": 2077},
                    "path": [_H, _H],
                }
            ]
        }
    )

    type: Literal["touchpoint-consistency-proof"]
    first: DigestOut
    second: DigestOut
    path: list[str] = Field(description="RFC 6962 consistency proof (hex).")


def get_digest(
    principal: Auditor,
    services: CheckedServicesDep,
    position: Annotated[
        LogPosition | None, Query(description="Digest as of this position.")
    ] = None,
) -> DigestOut:
    """The digest of the head, or of the last entry at or before ``position``."""
    with services.key_pool.connection() as conn, _chain_problems():
        return DigestOut(**digest_at(conn, position).to_json())


def verify(
    principal: Auditor,
    services: CheckedServicesDep,
    *,
    from_position: Annotated[LogPosition | None, Query()] = None,
    from_size: Annotated[LogPosition | None, Query()] = None,
    from_hash: Annotated[
        str | None,
        Query(pattern=HASH_PATTERN, description="The trusted digest's hash (64 hex digits)."),
    ] = None,
    from_root: Annotated[
        str | None,
        Query(pattern=HASH_PATTERN, description="The trusted digest's root (64 hex digits)."),
    ] = None,
) -> VerifyOut:
    """Recompute the chain from the start to the head; with a kept digest (all four
    `from_`), also check that the entries recomputed up to its position give it."""
    trusted = _trusted(from_position, from_size, from_hash, from_root)
    with services.key_pool.connection() as conn, _chain_problems():
        report = verify_log(conn, trusted)
    problem = report.problem
    return VerifyOut(
        ok=report.ok,
        summary=report.summary(),
        verified=DigestOut(**report.verified.to_json()),
        checked=report.checked,
        problem=ChainProblem(**vars(problem)) if problem else None,
        trusted=DigestOut(**trusted.to_json()) if trusted else None,
        matched=report.matched,
        caveat=report.caveat,
    )


def _trusted(
    position: int | None, size: int | None, hash_hex: str | None, root_hex: str | None
) -> Digest | None:
    given = (position, size, hash_hex, root_hex)
    if all(value is None for value in given):
        return None
    if position is None or size is None or hash_hex is None or root_hex is None:
        _invalid("from_position", "give all of from_position, from_size, from_hash, from_root")
    if not HEX.match(hash_hex) or not HEX.match(root_hex):
        _invalid("from_hash", "from_hash and from_root are 64 lowercase hex digits")
    return Digest(position, size, bytes.fromhex(hash_hex), bytes.fromhex(root_hex))


def _invalid(name: str, reason: str) -> NoReturn:
    error = {"loc": ("query", name), "msg": reason, "type": "invalid_digest"}
    raise RequestValidationError([error])


def prove(
    principal: Auditor,
    services: CheckedServicesDep,
    position: Position,
    digest_position: Annotated[
        EntryPosition | None, Query(description="Default: the head.")
    ] = None,
) -> InclusionProofOut:
    """The inclusion proof of the entry at ``position`` under the digest at ``digest_position``."""
    with services.key_pool.connection() as conn, _chain_problems():
        _not_past_head(conn, digest_position)
        proof = inclusion_proof(conn, position, digest_position)
    return InclusionProofOut(**proof.to_json())


def consistency(
    principal: Auditor,
    services: CheckedServicesDep,
    first: Annotated[EntryPosition, Query(alias="from")],
    second: Annotated[
        EntryPosition | None, Query(alias="to", description="Default: the head.")
    ] = None,
) -> ConsistencyProofOut:
    """Proof that the digest at position ``from`` is a prefix of the one at ``to``."""
    with services.key_pool.connection() as conn, _chain_problems():
        _not_past_head(conn, first, second)
        proof = consistency_proof(conn, first, second)
    return ConsistencyProofOut(**proof.to_json())


def _not_past_head(conn: AnyConnection, *positions: int | None) -> None:
    """``UnknownEntry`` (404) for a position after the log's last entry.

    A digest "at" such a position would be the head's, and a proof from or to it
    would claim a digest that was never taken there.
    """
    head = last_entry(conn)
    last = head[0] if head else 0
    for position in positions:
        if position is not None and position > last:
            msg = f"position {position} is past the head of the log (position {last})"
            raise UnknownEntry(msg)


@contextmanager
def _chain_problems() -> Iterator[None]:
    """An unknown position is a 404; a chain missing entries a 409 (verify it)."""
    try:
        yield
    except UnknownEntry as error:
        raise problem_error(404, "unknown-entry", str(error)) from error
    except BrokenChain as error:
        raise problem_error(409, "broken-chain", str(error)) from error


def router() -> APIRouter:
    """The auditors' tamper-evidence endpoints."""
    routes = APIRouter(tags=["auditors"], responses=problem_responses(401, 403, 409, 422, 503))
    for path, endpoint, summary in (
        ("/audit/digest", get_digest, "The log's digest: position, chain hash, Merkle root"),
        ("/audit/verify", verify, "Recompute the hash chain; the first position that fails"),
        ("/audit/proof", prove, "Inclusion proof of one entry under a digest"),
        ("/audit/consistency", consistency, "Consistency proof between two digests"),
    ):
        routes.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            summary=summary,
            description=f"{endpoint.__doc__}\n\nRole: auditor.",
            responses=problem_responses(404) if path in _MAY_404 else None,
        )
    return routes


_MAY_404 = ("/audit/proof", "/audit/consistency")
