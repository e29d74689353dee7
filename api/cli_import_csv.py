"""``touchpoint import-calls|import-surveys|import-mailshots FILE --mapping MAPPING``.

CSV exports of real systems, read through a mapping file (``api.import_mapping``):
a progress bar while importing, then a summary and every refused row with its line
number and reason. Exit codes as ``touchpoint import``: 0 all rows used, 1 some
refused (the others recorded), 2 unusable file or mapping, 3 database unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from api.import_csv import CsvImporter, CsvReport
from api.import_mapping import UnusableMapping, load_mapping
from api.importer import UnusableInput, default_author, open_input
from api.settings import Settings

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
    from api.cli import _database_errors, _fail
    from api.wiring import running

    try:
        mapping = load_mapping(mapping_name)
        if mapping.kind not in KINDS[command]:
            wanted = " or ".join(KINDS[command])
            raise UnusableMapping(f"{mapping_name} maps {mapping.kind}; {command} needs {wanted}")
        stream = open_input(file)
    except (UnusableMapping, UnusableInput) as error:
        raise _fail(str(error), 2) from error
    settings = Settings()
    size = batch_size or settings.import_batch_size
    with stream, _database_errors(), running(settings) as services, _progress(file) as advance:
        importer = CsvImporter(services.ledger, mapping, default_author(), size, advance)
        try:
            report = importer.run(stream)
        except UnusableInput as error:
            raise _fail(str(error), 2) from error
    print_csv_summary(report, Console())
    raise typer.Exit(report.exit_code)


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None]]:
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    total = file.stat().st_size or None
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("import", total=total)
        yield lambda position: progress.update(task, completed=position)


def print_csv_summary(report: CsvReport, console: Console) -> None:
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
    if report.refused:
        refused = Table(title="Refused rows")
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
    """Add the three CSV import commands to ``touchpoint``."""
    app.command("import-calls")(import_calls)
    app.command("import-surveys")(import_surveys)
    app.command("import-mailshots")(import_mailshots)
