"""The ``touchpoint`` command: migrate, serve, import.

Exit codes: 0 success; 1 some import lines refused (the rest recorded);
2 unusable input (e.g. the file is missing); 3 the database is unavailable.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, BinaryIO

import sqlalchemy.exc
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

from api import migrations
from api.database import database_url
from api.importer import Importer, ImportReport, UnusableInput, default_author, open_input
from api.problems import DATABASE_UNAVAILABLE
from api.projectors import start_in_background
from api.settings import Settings
from api.wiring import running

EXIT_UNUSABLE_INPUT = 2
EXIT_DATABASE_UNAVAILABLE = 3
_UNAVAILABLE: tuple[type[Exception], ...] = (
    *DATABASE_UNAVAILABLE,
    sqlalchemy.exc.OperationalError,  # alembic's connection failing
)

app = typer.Typer(
    name="touchpoint",
    help="An event-sourced ledger of customer interactions for contact centres.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Entry point of the ``touchpoint`` script."""
    app()


def _fail(message: str, code: int) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that does not answer ends the command with exit code 3."""
    try:
        yield
    except _UNAVAILABLE as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _fail(f"database unavailable: {detail}", EXIT_DATABASE_UNAVAILABLE) from error


@app.command()
def migrate() -> None:
    """Bring the database (TOUCHPOINT_DATABASE_URL, else the embedded one) to the latest schema."""
    settings = Settings()
    with _database_errors(), database_url(settings) as url:
        migrations.migrate(url)
    Console(stderr=True).print("database migrated to the latest schema")


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    # Unwinds the `with` blocks: services closed, embedded server stopped.
    raise SystemExit(0)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1)] = None,
    projectors: Annotated[
        bool, typer.Option(help="Run the projectors in this process (off: `touchpoint project`).")
    ] = True,
) -> None:
    """Serve the HTTP API; with no TOUCHPOINT_DATABASE_URL, on an embedded PostgreSQL."""
    import uvicorn

    from api.app import create_app
    from api.cli_keys import ensure_admin_key

    settings = Settings()
    _check_key_secret(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    where = "TOUCHPOINT_DATABASE_URL" if settings.database_url else settings.data_dir.resolve()
    Console(stderr=True).print(f"database: {where}; migrating, then serving", highlight=False)
    with _database_errors(), running(settings) as services:
        ensure_admin_key(services.keys, Console(stderr=True))
        handle = start_in_background(services) if projectors else None
        try:
            uvicorn.run(
                create_app(services),
                host=host or settings.host,
                port=port or settings.port,
                log_level="info",
                # Live streams (SSE) never end by themselves: without this, shutdown
                # would wait for every open desktop; they reconnect with Last-Event-ID.
                timeout_graceful_shutdown=5,
            )
        finally:
            if handle is not None:
                handle.stop()


def _check_key_secret(settings: Settings) -> None:
    """Refuse to start (exit 2) when API keys would have no server secret."""
    from api.auth import KeySecretMissing, check_key_secret

    try:
        check_key_secret(settings)
    except (KeySecretMissing, ValueError) as missing:
        raise _fail(str(missing), EXIT_UNUSABLE_INPUT) from missing


@app.command("import")
def import_facts(
    file: Annotated[Path, typer.Argument(help="NDJSON file: one fact per line, with its kind.")],
    batch_size: Annotated[
        int | None, typer.Option(help="Facts per transaction.", min=1, max=10_000)
    ] = None,
) -> None:
    """Record the facts of an NDJSON file; safe to run again on the same file."""
    settings = Settings()
    try:
        stream = open_input(file)
    except UnusableInput as error:
        raise _fail(str(error), EXIT_UNUSABLE_INPUT) from error
    size = batch_size or settings.import_batch_size
    with (
        stream,
        _database_errors(),
        running(settings) as services,
        _progress(_size_of(stream)) as advance,
    ):
        report = Importer(services.ledger, default_author(), size, advance).run(stream)
    print_summary(report, Console())
    raise typer.Exit(report.exit_code)


def _size_of(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size or None
    except OSError:
        return None


@contextmanager
def _progress(total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, advanced by the bytes imported so far."""
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("import", total=total)
        yield lambda done: progress.advance(task, done)


def print_summary(report: ImportReport, console: Console) -> None:
    """The counts, then every refused line with its reason."""
    counts = Table(title="Import summary")
    counts.add_column("outcome")
    counts.add_column("lines", justify="right")
    counts.add_row("recorded", str(report.recorded))
    counts.add_row("duplicates", str(report.duplicates))
    counts.add_row("refused", str(len(report.refused)))
    console.print(counts)
    if report.refused:
        refused = Table(title="Refused lines")
        refused.add_column("line", justify="right")
        refused.add_column("reason", overflow="fold")
        for refusal in report.refused:
            refused.add_row(str(refusal.line), refusal.reason)
        console.print(refused)


def _register_view_commands() -> None:
    from api.cli_audit import register as register_audit  # audit digest|verify|prove|...
    from api.cli_demo import register as register_demo  # demo
    from api.cli_import_csv import register as register_csv  # import-calls|surveys|mailshots
    from api.cli_keys import register as register_keys  # keys create|revoke|list
    from api.cli_replay import register as register_replay  # replay --until N --into SCHEMA
    from api.cli_views import register  # views status|rebuild, project

    register(app)
    register_keys(app)
    register_audit(app)
    register_demo(app)
    register_csv(app)
    register_replay(app)


_register_view_commands()
