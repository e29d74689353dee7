"""``touchpoint import FILE`` (NDJSON facts) and ``import-calls|import-surveys|import-mailshots
FILE --mapping MAPPING`` (CSV exports).

CSV exports of real systems, read through a mapping file (``api.importers.mapping``):
a progress bar while importing, then a summary and every refused row with its line
number and reason. Exit codes as ``touchpoint import``: 0 all rows used, 1 some
refused (the others recorded), 2 unusable file or mapping, 3 database unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import Services, running
from api.cli.common import byte_progress, check_keyring, database_errors, fail
from api.importers.csv_files import CsvImporter
from api.importers.mapping import UnusableMapping, load_mapping
from api.importers.ndjson import Importer, UnusableInput, default_author, open_input
from api.importers.report import ImportReport
from api.importers.rows import Resolver
from api.settings import Settings
from api.storage.callers import resolve_caller

KINDS = {
    "import-calls": ("calls",),
    "import-surveys": ("surveys",),
    "import-mailshots": ("mailshots", "mailshot_responses"),
}
FileArgument = Annotated[Path, typer.Argument(help="The CSV export.")]
MappingOption = Annotated[
    str,
    typer.Option(
        "--mapping",
        help="A mapping file (TOML), or the name of a built-in one "
        "(calls-timestamps, calls-durations, surveys, mailshots, mailshot-responses).",
    ),
]
BatchOption = Annotated[int | None, typer.Option(help="Facts per transaction.", min=1, max=10_000)]


def run_import(command: str, file: Path, mapping_name: str, batch_size: int | None) -> None:
    """Import ``file`` through the mapping; the summary, then the exit code."""
    try:
        mapping = load_mapping(mapping_name)
        if mapping.kind not in KINDS[command]:
            wanted = " or ".join(KINDS[command])
            raise UnusableMapping(f"{mapping_name} maps {mapping.kind}; {command} needs {wanted}")
        stream = open_input(file)
    except (UnusableMapping, UnusableInput) as error:
        raise fail(str(error), 2) from error
    settings = Settings()
    check_keyring(settings)  # personal fields are sealed under keys the KEK wraps
    size = batch_size or settings.import_batch_size
    with (
        stream,
        database_errors(),
        running(settings) as services,
        byte_progress("importing", _size(file)) as advance,
    ):
        resolve = _resolver(services)
        importer = CsvImporter(
            services.ledger, mapping, default_author(), size, advance, resolve=resolve
        )
        try:
            report = importer.run(stream)
        except UnusableInput as error:
            raise fail(str(error), 2) from error
    print_csv_summary(report, Console())
    raise typer.Exit(report.exit_code)


def print_csv_summary(report: ImportReport, console: Console) -> None:
    """Rows and facts, then every refused row with its line and reason."""
    counts = Table(title="Import summary")
    counts.add_column("")
    counts.add_column("count", justify="right")
    for label, count in (
        ("rows read", report.rows),
        ("facts recorded", report.recorded),
        ("facts already recorded", report.duplicates),
        ("rows skipped by the mapping", report.skipped),
        ("rows refused", len({refusal.line for refusal in report.refused})),
    ):
        counts.add_row(label, str(count))
    console.print(counts)
    _print_refusals(report, "Refused rows", console)


def import_facts(
    file: Annotated[Path, typer.Argument(help="NDJSON file: one fact per line, with its kind.")],
    batch_size: BatchOption = None,
) -> None:
    """Record the facts of an NDJSON file; safe to run again on the same file."""
    settings = Settings()
    check_keyring(settings)  # personal fields are sealed under keys the KEK wraps
    try:
        stream = open_input(file)
    except UnusableInput as error:
        raise fail(str(error), 2) from error
    size = batch_size or settings.import_batch_size
    with (
        stream,
        database_errors(),
        running(settings) as services,
        byte_progress("importing", _size(file)) as advance,
    ):
        consumed = [0]

        def add(done: int) -> None:
            consumed[0] += done
            advance(consumed[0])

        report = Importer(services.ledger, default_author(), size, add).run(stream)
    print_summary(report, Console())
    raise typer.Exit(report.exit_code)


def _size(file: Path) -> int | None:
    try:
        return file.stat().st_size or None
    except OSError:
        return None


def print_summary(report: ImportReport, console: Console) -> None:
    """The counts, then every refused line with its reason."""
    counts = Table(title="Import summary")
    counts.add_column("outcome")
    counts.add_column("lines", justify="right")
    counts.add_row("recorded", str(report.recorded))
    counts.add_row("duplicates", str(report.duplicates))
    counts.add_row("refused", str(len(report.refused)))
    console.print(counts)
    _print_refusals(report, "Refused lines", console)


def _print_refusals(report: ImportReport, title: str, console: Console) -> None:
    """Every refused line or row with its reason, if any was refused."""
    if not report.refused:
        return
    refused = Table(title=title)
    refused.add_column("line", justify="right")
    refused.add_column("reason", overflow="fold")
    for refusal in report.refused:
        refused.add_row(str(refusal.line), refusal.reason)
    console.print(refused)


def import_calls(
    file: FileArgument, mapping: MappingOption, batch_size: BatchOption = None
) -> None:
    """Record the calls of an ACD / telephony CSV export (call-detail records)."""
    run_import("import-calls", file, mapping, batch_size)


def import_surveys(
    file: FileArgument, mapping: MappingOption, batch_size: BatchOption = None
) -> None:
    """Record the replies of a survey tool's CSV export (NPS, CSAT, effort)."""
    run_import("import-surveys", file, mapping, batch_size)


def import_mailshots(
    file: FileArgument, mapping: MappingOption, batch_size: BatchOption = None
) -> None:
    """Record a campaign send list (mailed or held back) or a response file."""
    run_import("import-mailshots", file, mapping, batch_size)


def register(app: typer.Typer) -> None:
    """Add ``import`` and the three CSV import commands to ``touchpoint``."""
    app.command("import")(import_facts)
    app.command("import-calls")(import_calls)
    app.command("import-surveys")(import_surveys)
    app.command("import-mailshots")(import_mailshots)


def _resolver(services: Services) -> Resolver | None:
    """Calls' numbers to customer references through the customer view (issue 13)."""
    index = services.index
    if index is None:
        return None
    return lambda number: resolve_caller(services.key_pool, index, number)
