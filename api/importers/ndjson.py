"""Bulk import of facts from NDJSON: one JSON object per line, with its ``kind``.

Pure of the command line: ``Importer.run`` reads a binary stream, parses each
line into a command, records good lines in batches through the ledger and
reports every refused line with its number and reason. Running it twice on the
same file records nothing new: the ledger reports the second run as duplicates.
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import TypeAdapter, ValidationError

from api.importers.callers import CallerRefused, Resolver, with_caller
from api.importers.json_text import BadJson, parse_json
from api.importers.report import ImportReport
from domain import errors
from domain.commands import AnyCommand, Command
from domain.ledger import Ledger
from domain.outcomes import Outcome

MAX_LINE_BYTES = 1 << 20
"""Longer lines are refused unread: no fact comes close to this size."""


class BadLine(Exception):
    """A line that is not a fact; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnusableInput(Exception):
    """The input file cannot be read at all."""


def default_author() -> str:
    """``import:<os user>``, the author recorded on imported facts."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (e.g. in containers)
        user = str(os.getuid())
    return f"import:{user}"


def open_input(path: Path) -> BinaryIO:
    """The file opened for reading, or ``UnusableInput`` saying why not."""
    try:
        return path.open("rb")
    except FileNotFoundError as error:
        raise UnusableInput(f"{path}: no such file") from error
    except OSError as error:
        raise UnusableInput(f"{path}: {error.strerror or error}") from error


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, content or ``None`` if too long, bytes consumed) per line."""
    number = 0
    while chunk := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            yield number, None, len(chunk) + _skip_rest_of_line(stream)
        else:
            yield number, chunk, len(chunk)


def _skip_rest_of_line(stream: BinaryIO) -> int:
    skipped = 0
    while chunk := stream.readline(MAX_LINE_BYTES):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


class LineParser:
    """Turns one raw line into a command, or raises ``BadLine``.

    ``resolve``: calls given by ``caller_number`` (``api.importers.callers``).
    """

    def __init__(self, resolve: Resolver | None = None) -> None:
        self.adapter: TypeAdapter[Command] = TypeAdapter(AnyCommand)
        self.resolve = resolve

    def parse(self, raw: bytes) -> Command:
        try:
            value = parse_json(raw.rstrip(b"\r\n"))
        except BadJson as error:
            raise BadLine(error.reason) from error
        if not isinstance(value, dict):
            raise BadLine(f"a line must be a JSON object, not {type(value).__name__}")
        try:
            value = with_caller(value, self.resolve)
        except CallerRefused as refused:
            raise BadLine(refused.reason) from refused
        try:
            return self.adapter.validate_python(value)
        except ValidationError as error:
            raise BadLine(_validation_reason(error)) from error


def _validation_reason(error: ValidationError) -> str:
    """Each bad field as ``kind: field: message``, joined; never the input itself."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"])
        parts.append(f"{path}: {item['msg']}" if path else str(item["msg"]))
    return "; ".join(parts)


@dataclass
class _Batch:
    lines: list[int] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    size_bytes: int = 0


class Importer:
    """Records an NDJSON stream's facts through ``ledger`` in batches."""

    def __init__(
        self,
        ledger: Ledger,
        author: str,
        batch_size: int,
        on_progress: Callable[[int], Any] = lambda consumed: None,
        *,
        resolve: Resolver | None = None,
    ) -> None:
        self.ledger = ledger
        self.author = author
        self.batch_size = batch_size
        self.on_progress = on_progress  # called with bytes done after each batch
        self.parser = LineParser(resolve)  # resolve: calls by caller number

    def run(self, stream: BinaryIO) -> ImportReport:
        """Import every line of ``stream``; refused lines are reported, not fatal."""
        started = time.perf_counter()
        report = ImportReport()
        batch = _Batch()
        for number, raw, consumed in read_lines(stream):
            batch.size_bytes += consumed
            self._take(number, raw, batch, report)
            if len(batch.commands) >= self.batch_size:
                batch = self._flush(batch, report)
        self._flush(batch, report)
        report.refused.sort(key=lambda refusal: refusal.line)
        report.seconds = time.perf_counter() - started
        return report

    def _take(self, number: int, raw: bytes | None, batch: _Batch, report: ImportReport) -> None:
        if raw is None:
            report.refuse(number, f"line longer than {MAX_LINE_BYTES} bytes")
            return
        if not raw.strip():
            return  # blank lines (e.g. a trailing one) carry no fact
        try:
            command = self.parser.parse(raw)
        except BadLine as bad:
            report.refuse(number, bad.reason)
            return
        batch.lines.append(number)
        batch.commands.append(command)

    def _flush(self, batch: _Batch, report: ImportReport) -> _Batch:
        if batch.commands:
            for line, outcome in zip(batch.lines, self._record(batch.commands), strict=True):
                report.count(line, outcome)
        self.on_progress(batch.size_bytes)
        return _Batch()

    def _record(self, commands: Sequence[Command]) -> list[Outcome]:
        try:
            return self.ledger.record_batch(commands, self.author)
        except errors.WriteContention as error:
            # Nothing of the batch was written; running the import again is safe.
            return [Outcome(i, "refused", error=error) for i in range(len(commands))]
