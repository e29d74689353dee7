"""What every ``touchpoint`` command shares: exit codes, errors, progress bars, signals."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

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

from api.settings import Settings
from api.storage.errors import DATABASE_UNAVAILABLE
from api.storage.kek import KekMissing, check_kek
from api.storage.keys import KeySecretMissing, check_key_secret
from api.storage.migrations import SchemaNotCurrent
from api.storage.roles import RuntimeRoleError

__all__ = [
    "EXIT_DATABASE_UNAVAILABLE",
    "EXIT_FAILED",
    "EXIT_UNUSABLE_INPUT",
    "byte_progress",
    "check_keyring",
    "check_secret",
    "database_errors",
    "err",
    "fail",
    "stop_on_signals",
]

EXIT_FAILED = 1
EXIT_UNUSABLE_INPUT = 2
EXIT_DATABASE_UNAVAILABLE = 3
_UNAVAILABLE: tuple[type[Exception], ...] = (
    *DATABASE_UNAVAILABLE,
    sqlalchemy.exc.OperationalError,  # alembic's connection failing
)


def err() -> Console:
    """The console of messages and progress bars (stderr: stdout is for results)."""
    return Console(stderr=True)


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` on stderr; the exit to raise with ``code``."""
    err().print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def database_errors() -> Iterator[None]:
    """A database that does not answer ends the command with exit code 3."""
    try:
        yield
    except _UNAVAILABLE as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise fail(f"database unavailable: {detail}", EXIT_DATABASE_UNAVAILABLE) from error
    except (RuntimeRoleError, SchemaNotCurrent) as refused:  # two roles (api.storage.roles)
        raise fail(str(refused), EXIT_UNUSABLE_INPUT) from refused


def check_secret(settings: Settings) -> None:
    """Refuse to start (exit 2) when API keys would have no server secret."""
    try:
        check_key_secret(settings)
    except (KeySecretMissing, ValueError) as missing:
        raise fail(str(missing), EXIT_UNUSABLE_INPUT) from missing


def check_keyring(settings: Settings) -> None:
    """Refuse to start (exit 2) when customers' data keys would have no KEK keyring."""
    try:
        check_kek(settings)
    except (KekMissing, ValueError) as missing:
        raise fail(str(missing), EXIT_UNUSABLE_INPUT) from missing


def _exit_cleanly() -> None:
    # Unwinds the `with` blocks: services closed, embedded server stopped.
    raise SystemExit(0)


def stop_on_signals(stop: Callable[[], None] = _exit_cleanly) -> None:
    """On SIGTERM or SIGINT, call ``stop`` (default: exit 0 through the ``with`` blocks)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)


@contextmanager
def byte_progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr over ``total`` bytes; the callback sets the bytes done."""
    columns = (
        TextColumn(label),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)
