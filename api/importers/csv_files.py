"""Importing CSV exports (telephony, survey tools, campaign lists) through a mapping.

``CsvImporter.run`` reads a file with the mapping's delimiter and encoding, turns
each row into commands (``api.importers.rows``), records them in batches through the
ledger, and reports every row it could not use — with its line number and why —
without stopping. Source ids come from the rows, so running the same file again
records nothing new (the ledger answers duplicates).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import ValidationError

from api.importers import fields as f
from api.importers.ndjson import UnusableInput
from api.importers.report import ImportReport
from api.importers.rows import AnyMapping, Builder, Resolver, builder
from domain import errors
from domain.commands import Command
from domain.ledger import Ledger
from domain.outcomes import Outcome

MAX_FIELD_BYTES = 1 << 16  # a cell longer than this is not an export's value


@dataclass
class _Batch:
    lines: list[int] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)


def rows(stream: BinaryIO, mapping: AnyMapping) -> Iterator[tuple[int, f.Row]]:
    """(line number where the record starts, row by header) for every record of the file."""
    text = io.TextIOWrapper(stream, encoding=mapping.encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=mapping.delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration as error:
        raise UnusableInput("the file is empty (no header line)") from error
    missing = sorted(mapping.columns() - set(header))
    if missing:
        raise UnusableInput(f"the header lacks column(s) the mapping reads: {', '.join(missing)}")
    start = reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                yield start, dict(zip(header, record, strict=False))
            start = reader.line_num + 1
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


class CsvImporter:
    """Records a CSV file's rows through ``ledger``, ``batch_size`` facts per transaction."""

    def __init__(
        self,
        ledger: Ledger,
        mapping: AnyMapping,
        author: str,
        batch_size: int,
        on_progress: Callable[[int], Any] = lambda position: None,
        *,
        resolve: Resolver | None = None,
    ) -> None:
        self.ledger, self.mapping, self.author = ledger, mapping, author
        self.batch_size = batch_size
        self.on_progress = on_progress  # called with the bytes read so far
        self.build: Builder = builder(mapping, resolve)  # resolve: calls by caller number

    def run(self, stream: BinaryIO) -> ImportReport:
        """Import every row; unreadable rows are reported, never fatal."""
        csv.field_size_limit(MAX_FIELD_BYTES)
        report, batch = ImportReport(), _Batch()
        try:
            for line, row in rows(stream, self.mapping):
                report.rows += 1
                self._take(line, row, batch, report)
                if len(batch.commands) >= self.batch_size:
                    batch = self._flush(batch, report, stream)
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnusableInput(
                f"unreadable from around line {report.rows + 2}: {error}"
            ) from error
        self._flush(batch, report, stream)
        # A row of several facts (a plan and a send) may be refused once per fact.
        report.refused = sorted(set(report.refused), key=lambda r: (r.line, r.reason))
        return report

    def _take(self, line: int, row: f.Row, batch: _Batch, report: ImportReport) -> None:
        try:
            commands = self.build(row)
        except f.BadRow as bad:
            report.refuse(line, bad.reason)
            return
        except ValidationError as invalid:
            report.refuse(line, _invalid(invalid))
            return
        if not commands:
            report.skipped += 1
        batch.lines.extend([line] * len(commands))
        batch.commands.extend(commands)

    def _flush(self, batch: _Batch, report: ImportReport, stream: BinaryIO) -> _Batch:
        if batch.commands:
            for line, outcome in zip(batch.lines, self._record(batch.commands), strict=True):
                report.count(line, outcome)
        self.on_progress(_position(stream))
        return _Batch()

    def _record(self, commands: Sequence[Command]) -> list[Any]:
        try:
            return self.ledger.record_batch(commands, self.author)
        except errors.WriteContention as error:
            return [Outcome(i, "refused", error=error) for i in range(len(commands))]


def _invalid(error: ValidationError) -> str:
    """The fields a row gave that the fact refuses (never the values themselves)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0
