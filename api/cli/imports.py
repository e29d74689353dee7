"""``touchpoint import FILE`` (NDJSON facts) and ``import-calls|import-surveys|import-mailshots
FILE --mapping MAPPING`` (CSV exports).

CSV exports of real systems, read through a mapping file (``api.importers.mapping``):
a progress bar while importing, then a summary (counts, total time, facts per second)
and the refused rows grouped by reason, with their count and first line numbers;
``--rejects FILE`` writes every refused row with its reasons, ``--dry-run`` checks
every row against the log and writes nothing. Exit codes as ``touchpoint import``:
0 all rows used, 1 some refused (the others recorded), 2 unusable file or mapping
(nothing written), 3 database unavailable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import byte_progress, check_keyring, database_errors, fail

if TYPE_CHECKING:  # the importers and database stack are imported when a command runs
    from api.importers.csv_files import Recorder, Rejects
    from api.importers.report import ImportReport

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
        "(calls-timestamps, calls-durations, calls-historical, surveys, mailshots, "
        "mailshot-responses, telemarketing).",
    ),
]
BatchOption = Annotated[int | None, typer.Option(help="Facts per transaction.", min=1, max=10_000)]


RejectsOption = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Write the refused rows to this CSV file, as they came, with two more "
        "columns: rejected_line and rejected_reason.",
        dir_okay=False,
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Check every row as it would be recorded, and write nothing."),
]


def run_import(
    command: str,
    file: Path,
    mapping_name: str,
    batch_size: int | None,
    *,
    rejects: Path | None = None,
    dry_run: bool = False,
) -> None:
    """Import ``file`` through the mapping; the summary, then the exit code."""
    from api.bootstrap import running  # noqa: PLC0415
    from api.importers.callers import caller_resolver  # noqa: PLC0415
    from api.importers.csv_files import CsvImporter  # noqa: PLC0415
    from api.importers.dry_run import DryRun  # noqa: PLC0415
    from api.importers.mapping import UnusableMapping, check_floor, load_mapping  # noqa: PLC0415
    from api.importers.ndjson import UnusableInput, default_author, open_input  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    try:
        mapping = load_mapping(mapping_name)
        check_floor(mapping, settings.earliest)
        if mapping.kind not in KINDS[command]:
            wanted = " or ".join(KINDS[command])
            raise UnusableMapping(f"{mapping_name} maps {mapping.kind}; {command} needs {wanted}")
        stream = open_input(file)
    except (UnusableMapping, UnusableInput) as error:
        raise fail(str(error), 2) from error
    check_keyring(settings)  # personal fields are sealed under keys the KEK wraps
    size = batch_size or settings.import_batch_size
    with (
        stream,
        database_errors(),
        running(settings) as services,
        _rejects_file(rejects, mapping.delimiter) as out,
        byte_progress("checking" if dry_run else "importing", _size(file)) as advance,
    ):
        recorder: Recorder = services.ledger
        if dry_run:
            recorder = DryRun(services.ledger, services.key_pool, services.keks)
        resolve = caller_resolver(services.key_pool, services.index)
        importer = CsvImporter(
            recorder, mapping, default_author(), size, advance, resolve=resolve, rejects=out
        )
        try:
            importer.check(stream)  # a file refused whole is refused before any write
            report = importer.run(stream)
        except UnusableInput as error:
            raise fail(str(error), 2) from error
    print_csv_summary(report, Console(), dry_run=dry_run, rejects=rejects)
    raise typer.Exit(report.exit_code)


@contextmanager
def _rejects_file(path: Path | None, delimiter: str) -> Iterator[Rejects | None]:
    if path is None:
        yield None
        return
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise fail(f"{path}: {error.strerror or error}", 2) from error
    from api.importers.csv_files import Rejects  # noqa: PLC0415

    with handle:
        yield Rejects(handle, delimiter)


def print_csv_summary(
    report: ImportReport, console: Console, *, dry_run: bool = False, rejects: Path | None = None
) -> None:
    """Rows and facts, time and speed, then the refusals grouped by reason."""
    title = "Import summary (dry run)" if dry_run else "Import summary"
    counts = Table(title=title)
    counts.add_column("")
    counts.add_column("count", justify="right")
    recorded = "facts that would be recorded" if dry_run else "facts recorded"
    for label, count in (
        ("rows read", str(report.rows)),
        (recorded, str(report.recorded)),
        ("facts already recorded", str(report.duplicates)),
        ("rows skipped by the mapping", str(report.skipped)),
        ("rows refused", str(len({refusal.line for refusal in report.refused}))),
        ("total time", f"{report.seconds:.2f} s"),
        ("facts per second", f"{report.facts_per_second:.0f}"),
    ):
        counts.add_row(label, count)
    console.print(counts)
    if dry_run:
        console.print("Dry run: every row was checked against the log; nothing was written.")
    _print_groups(report, console, "Refused rows, by reason")
    if rejects is not None and report.refused:
        console.print(f"Refused rows, with their reasons, written to {rejects}")


def _print_groups(report: ImportReport, console: Console, title: str) -> None:
    """One line per kind of refusal: how many items, the first lines, one reason in full."""
    if not report.refused:
        return
    table = Table(title=title)
    table.add_column("count", justify="right")
    table.add_column("first lines")
    table.add_column("reason", overflow="fold")
    for group in report.grouped():
        more = ", …" if group.items > len(group.first_lines) else ""
        lines = ", ".join(map(str, group.first_lines)) + more
        table.add_row(str(group.items), lines, group.example)
    console.print(table)


def import_facts(
    file: Annotated[Path, typer.Argument(help="NDJSON file: one fact per line, with its kind.")],
    batch_size: BatchOption = None,
) -> None:
    """Record the facts of an NDJSON file; safe to run again on the same file."""
    from api.bootstrap import running  # noqa: PLC0415
    from api.importers.callers import caller_resolver  # noqa: PLC0415
    from api.importers.ndjson import Importer, UnusableInput, default_author, open_input  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

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

        resolve = caller_resolver(services.key_pool, services.index)
        importer = Importer(services.ledger, default_author(), size, add, resolve=resolve)
        report = importer.run(stream)
    print_summary(report, Console())
    raise typer.Exit(report.exit_code)


def _size(file: Path) -> int | None:
    try:
        return file.stat().st_size or None
    except OSError:
        return None


def print_summary(report: ImportReport, console: Console) -> None:
    """The counts, time and speed, then the refused lines grouped by reason."""
    counts = Table(title="Import summary")
    counts.add_column("outcome")
    counts.add_column("lines", justify="right")
    counts.add_row("recorded", str(report.recorded))
    counts.add_row("duplicates", str(report.duplicates))
    counts.add_row("refused", str(len(report.refused)))
    counts.add_row("total time", f"{report.seconds:.2f} s")
    counts.add_row("facts per second", f"{report.facts_per_second:.0f}")
    console.print(counts)
    _print_groups(report, console, "Refused lines, by reason")


def import_calls(
    file: FileArgument,
    mapping: MappingOption,
    batch_size: BatchOption = None,
    rejects: RejectsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Record the calls of an ACD / telephony CSV export (call-detail records)."""
    run_import("import-calls", file, mapping, batch_size, rejects=rejects, dry_run=dry_run)


def import_surveys(
    file: FileArgument,
    mapping: MappingOption,
    batch_size: BatchOption = None,
    rejects: RejectsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Record the replies of a survey tool's CSV export (NPS, CSAT, effort)."""
    run_import("import-surveys", file, mapping, batch_size, rejects=rejects, dry_run=dry_run)


def import_mailshots(
    file: FileArgument,
    mapping: MappingOption,
    batch_size: BatchOption = None,
    rejects: RejectsOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Record a campaign send list (mailed or held back) or a response file."""
    run_import("import-mailshots", file, mapping, batch_size, rejects=rejects, dry_run=dry_run)


def register(app: typer.Typer) -> None:
    """Add ``import`` and the three CSV import commands to ``touchpoint``."""
    app.command("import")(import_facts)
    app.command("import-calls")(import_calls)
    app.command("import-surveys")(import_surveys)
    app.command("import-mailshots")(import_mailshots)
