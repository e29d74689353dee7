"""Importing CSV exports (telephony, survey tools, campaign lists) through a mapping.

``CsvImporter.run`` reads a file with the mapping's delimiter and encoding, turns
each row into commands (``api.importers.rows``), records them in batches through the
ledger, and reports every row it could not use — with its line number and why —
without stopping. Source ids come from the rows, so running the same file again
records nothing new (the ledger answers duplicates).

A file refused as a whole (empty, a header without the mapped columns, bytes that
are not its encoding, a broken quote) is refused before anything is recorded:
``check`` reads it through once first. ``rejects`` receives the refused rows as
they came, with their reasons (``--rejects FILE``); the recorder may be a
``DryRun`` that decides every fact and writes none (``--dry-run``).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol, TextIO

from pydantic import ValidationError

from api.importers import fields as f
from api.importers.ndjson import UnusableInput
from api.importers.report import ImportReport
from api.importers.rows import AnyMapping, Builder, Resolver, builder
from domain import errors
from domain.commands import Command
from domain.outcomes import Outcome

__all__ = ["MAX_FIELD_BYTES", "CsvImporter", "Recorder", "Rejects", "records", "rows"]

MAX_FIELD_BYTES = 1 << 16  # a cell longer than this is not an export's value
LINE_COLUMN, REASON_COLUMN = "rejected_line", "rejected_reason"


class Recorder(Protocol):
    """What an import records through: the ledger, or a ``DryRun``."""

    def record_batch(self, cmds: Sequence[Command], author: str) -> list[Outcome]:
        """One outcome per command, in order."""


class Rejects:
    """``--rejects FILE``: refused rows as they came, then their line and reasons."""

    def __init__(self, stream: TextIO, delimiter: str) -> None:
        self.writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
        self.rows = 0

    def start(self, header: list[str]) -> None:
        self.writer.writerow([*header, LINE_COLUMN, REASON_COLUMN])

    def write(self, line: int, cells: list[str], reasons: list[str]) -> None:
        self.writer.writerow([*cells, str(line), "; ".join(dict.fromkeys(reasons))])
        self.rows += 1


@dataclass
class _Batch:
    lines: list[int] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    cells: dict[int, list[str]] = field(default_factory=dict)  # kept for --rejects
    refused: dict[int, list[str]] = field(default_factory=dict)  # line -> reasons


def records(stream: BinaryIO, mapping: AnyMapping) -> Iterator[tuple[int, list[str]]]:
    """``(0, header)``, then (line where the record starts, cells) for every record."""
    text = io.TextIOWrapper(stream, encoding=mapping.encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=mapping.delimiter)
    try:
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration as error:
            raise UnusableInput("the file is empty (no header line)") from error
        missing = sorted(mapping.columns() - set(header))
        if missing:
            raise UnusableInput(
                f"the header lacks column(s) the mapping reads: {', '.join(missing)}"
            )
        yield 0, header
        start = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                yield start, record
            start = reader.line_num + 1
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


def rows(stream: BinaryIO, mapping: AnyMapping) -> Iterator[tuple[int, f.Row]]:
    """(line number where the record starts, row by header) for every record of the file."""
    found = records(stream, mapping)
    _, header = next(found)
    for line, cells in found:
        yield line, dict(zip(header, cells, strict=False))


class CsvImporter:
    """Records a CSV file's rows through ``ledger``, ``batch_size`` facts per transaction."""

    def __init__(
        self,
        ledger: Recorder,
        mapping: AnyMapping,
        author: str,
        batch_size: int,
        on_progress: Callable[[int], Any] = lambda position: None,
        *,
        resolve: Resolver | None = None,
        rejects: Rejects | None = None,
    ) -> None:
        self.ledger, self.mapping, self.author = ledger, mapping, author
        self.batch_size = batch_size
        self.on_progress = on_progress  # called with the bytes read so far
        self.build: Builder = builder(mapping, resolve)  # resolve: calls by caller number
        self.rejects = rejects

    def check(self, stream: BinaryIO) -> None:
        """Read the whole file once: ``UnusableInput`` if it cannot be read, before any write."""
        csv.field_size_limit(MAX_FIELD_BYTES)
        count = 0
        try:
            for _ in records(stream, self.mapping):
                count += 1
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnusableInput(
                f"unreadable after record {count} (the header is 1): {error}"
            ) from error
        stream.seek(0)

    def run(self, stream: BinaryIO) -> ImportReport:
        """Import every row; unreadable rows are reported, never fatal."""
        started = time.perf_counter()
        csv.field_size_limit(MAX_FIELD_BYTES)
        report, batch = ImportReport(), _Batch()
        found = records(stream, self.mapping)
        _, header = next(found)
        if self.rejects is not None:
            self.rejects.start(header)
        try:
            for line, cells in found:
                report.rows += 1
                self._take(line, cells, header, batch, report)
                if len(batch.commands) >= self.batch_size:
                    batch = self._flush(batch, report, stream)
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnusableInput(
                f"unreadable from around line {report.rows + 2}: {error}"
            ) from error
        self._flush(batch, report, stream)
        # A row of several facts (a plan and a send) may be refused once per fact.
        report.refused = sorted(set(report.refused), key=lambda r: (r.line, r.reason))
        report.seconds = time.perf_counter() - started
        return report

    def _take(
        self, line: int, cells: list[str], header: list[str], batch: _Batch, report: ImportReport
    ) -> None:
        batch.cells[line] = cells
        if len(cells) > len(header):
            reason = f"{len(cells)} fields, the header has {len(header)} (a stray delimiter?)"
            self._refuse(line, f.BadRow(reason, "more fields than the header"), batch, report)
            return
        try:
            commands = self.build(dict(zip(header, cells, strict=False)))
        except f.BadRow as bad:
            self._refuse(line, bad, batch, report)
            return
        except ValidationError as invalid:
            self._refuse(line, _invalid(invalid), batch, report)
            return
        if not commands:
            report.skipped += 1
        batch.lines.extend([line] * len(commands))
        batch.commands.extend(commands)

    @staticmethod
    def _refuse(line: int, bad: f.BadRow, batch: _Batch, report: ImportReport) -> None:
        report.refuse(line, bad.reason, bad.group)
        batch.refused.setdefault(line, []).append(bad.reason)

    def _flush(self, batch: _Batch, report: ImportReport, stream: BinaryIO) -> _Batch:
        if batch.commands:
            for line, outcome in zip(batch.lines, self._record(batch.commands), strict=True):
                before = len(report.refused)
                report.count(line, outcome)
                if len(report.refused) > before:
                    batch.refused.setdefault(line, []).append(report.refused[-1].reason)
        if self.rejects is not None:
            for line in sorted(batch.refused):
                self.rejects.write(line, batch.cells[line], batch.refused[line])
        self.on_progress(_position(stream))
        return _Batch()

    def _record(self, commands: Sequence[Command]) -> list[Any]:
        try:
            return self.ledger.record_batch(commands, self.author)
        except errors.WriteContention as error:
            return [Outcome(i, "refused", error=error) for i in range(len(commands))]


def _invalid(error: ValidationError) -> f.BadRow:
    """The fields a row gave that the fact refuses (never the values themselves)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return f.BadRow("; ".join(parts))


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0
