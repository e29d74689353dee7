"""The log as NDJSON for auditors, and checking such an export with no database at all.

An export is one JSON object per line: a header, then one line per position in
order (the stored record with its state in base64, its chain entry, and the
fact's kind, author and recording time decoded where possible), then the
server's digest of the last entry. ``verify_export`` recomputes the chain and
the Merkle root from the records alone and compares them with the file's own
hashes, the file's digest and, above all, a digest the auditor kept.

Personal fields are in the states as the log stores them: ciphertext under the
customer's key, which erasure destroys. Nothing decrypted is written.

A record changed beyond decoding (tampered with) is exported as stored, its
kind, author and time ``null``, and listed by the ``Describer``: the export goes
on, since showing such a record is what an export is for (``verify-export`` then
names its position). A file is written whole or not at all (``written_whole``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from api.audit.rows import AnyConnection, Progress, log_rows
from api.audit.store import digest_at
from domain.chain.hashes import (
    GENESIS,
    ChainState,
    Digest,
    Problem,
    Row,
    check_rows,
    record_to_json,
    row_from_json,
)
from domain.ledger import Ledger
from domain.ports import StoredRecord

FORMAT = "touchpoint-audit-export/1"
Describe = Callable[[Row], dict[str, Any]]
"""What an export line says about a record besides its bytes: kind, author, time."""


_UNKNOWN: dict[str, Any] = {"kind": None, "author": None, "recorded_at": None}


@dataclass
class Describer:
    """Kind, author and recording time of each record, decoded by ``ledger``.

    A record that does not decode to a fact with a text author and a time is
    described as unknown (``None``s) and listed in ``undecodable`` with the reason.
    """

    ledger: Ledger
    undecodable: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, row: Row) -> dict[str, Any]:
        position, oid, version, topic, state, _, _ = row
        if oid is None or version is None or topic is None or state is None:
            return dict(_UNKNOWN)  # no event here: verification names what is missing
        try:
            record = StoredRecord(UUID(bytes=oid), version, topic.decode(), state, position)
            return _described(self.ledger.decode(record))
        except Exception as error:  # anything a changed record can raise while decoding
            self.undecodable.append((position, f"{type(error).__name__}: {error}"))
            return dict(_UNKNOWN)


def _described(fact: Any) -> dict[str, Any]:
    # The mapper does not validate what it decodes: check the fields used here.
    if not isinstance(fact.timestamp, datetime):
        msg = f"its recording time is a {type(fact.timestamp).__name__}, not a time"
        raise TypeError(msg)
    if not isinstance(fact.recorded_by, str):
        msg = f"its author is a {type(fact.recorded_by).__name__}, not text"
        raise TypeError(msg)
    return {
        "kind": fact.kind,
        "author": fact.recorded_by,
        "recorded_at": fact.timestamp.isoformat(),
    }


def describe_with(ledger: Ledger) -> Describer:
    """Kind, author and recording time of a record, decoded by ``ledger`` (``None`` if not)."""
    return Describer(ledger)


@contextmanager
def written_whole(path: Path) -> Iterator[TextIO]:
    """A text file at ``path`` that appears only once complete (never cut short).

    Written beside ``path`` under a hidden name and renamed over it on success;
    removed if anything fails (the database lost, a full disk, an interrupt).
    """
    fd, draft = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise


def write_export(
    conn: AnyConnection, describe: Describe, out: TextIO, progress: Progress | None = None
) -> Digest:
    """Write the whole log up to the head's digest to ``out``; the digest.

    Uses transactions of its own on ``conn``: one open there is committed first.
    """
    conn.commit()
    digest = digest_at(conn)
    conn.commit()
    _write(out, _header(digest))
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for row in log_rows(conn, 0, digest.position, progress):
            _write(out, entry_line(row, describe))
    _write(out, {"digest": digest.to_json()})
    return digest


def _header(digest: Digest) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "entries": digest.size,
        "genesis": GENESIS.hex(),
        "chain": "hash = SHA-256(previous hash || record), record = touchpoint_record_bytes",
        "merkle": "RFC 6962: leaf = SHA-256(0x00 || chain hash), node = SHA-256(0x01 || l || r)",
    }


def entry_line(row: Row, describe: Describe) -> dict[str, Any]:
    """One export line: the stored record, its chain entry, who recorded it and when."""
    seq, chained = row[5], row[6]
    return {
        "seq": seq,
        "hash": chained.hex() if chained is not None else None,
        "record": record_to_json(row),
        **describe(row),
    }


def _write(out: TextIO, line: dict[str, Any]) -> None:
    out.write(json.dumps(line, separators=(",", ":")) + "\n")


# --- offline verification -------------------------------------------------------------


@dataclass
class ExportReport:
    """What checking an export found."""

    recomputed: Digest  # the digest of the last entry that checks out
    problem: Problem | None = None
    failures: list[str] = field(default_factory=list)  # digests that do not match

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.failures


@dataclass
class _Reader:
    """Rows of an export's entry lines; the header and final digest kept aside."""

    lines: Iterator[str]
    header: dict[str, Any] = field(default_factory=dict)
    digest: Digest | None = None

    def rows(self) -> Iterator[Row]:
        for number, line in enumerate(self.lines, start=1):
            if not line.strip():
                continue
            data = json.loads(line)
            if number == 1:
                self._check_header(data)
            elif "digest" in data:
                self.digest = Digest.from_json(data["digest"])
            else:
                yield _row_of(data)

    def _check_header(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            msg = f"not a touchpoint export (format {data.get('format')!r}, expected {FORMAT})"
            raise ValueError(msg)
        self.header = data


def _row_of(data: dict[str, Any]) -> Row:
    return row_from_json(data["record"], data.get("seq"), data.get("hash"))


def verify_export(lines: Iterable[str], trusted: Digest | None = None) -> ExportReport:
    """Recompute the chain and Merkle root of an export; compare with its and ``trusted``'s."""
    reader = _Reader(iter(lines))
    rows, state = reader.rows(), ChainState()
    report = ExportReport(state.digest())
    if trusted is not None and trusted.size > 0:
        report.problem = check_rows(state, _first(rows, trusted.size))
        if report.problem is None:
            report.failures += _compare(state.digest(), trusted, "trusted digest")
    if report.problem is None:
        report.problem = check_rows(state, rows)
    for _ in rows:  # read on to the file's digest line
        pass
    report.recomputed = state.digest()
    if report.problem is None:
        report.failures += _file_digest(reader.digest, report.recomputed)
    return report


def _first(rows: Iterator[Row], count: int) -> Iterator[Row]:
    for _, row in zip(range(count), rows, strict=False):
        yield row


def _compare(recomputed: Digest, expected: Digest, name: str) -> list[str]:
    if recomputed.size < expected.size:
        return [
            f"the export ends (entry {recomputed.size}) before the {name} (entry {expected.size})"
        ]
    if recomputed.same_log_state(expected):
        return []
    return [
        f"the export at entry {expected.size} (position {recomputed.position}) does not give "
        f"the {name} (position {expected.position}): its chain hash or Merkle root differs"
    ]


def _file_digest(claimed: Digest | None, recomputed: Digest) -> list[str]:
    if claimed is None:
        return ["the export has no digest line: it was cut short"]
    return _compare(recomputed, claimed, "export's own digest")
