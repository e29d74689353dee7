"""What every ``touchpoint`` command shares: exit codes, errors, progress bars, signals."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from api.settings import Settings

__all__ = [
    "EXIT_DATABASE_UNAVAILABLE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_UNUSABLE_INPUT",
    "byte_progress",
    "check_keyring",
    "check_port",
    "check_secret",
    "database_errors",
    "err",
    "fail",
    "stop_on_signals",
]

EXIT_FAILED = 1
EXIT_UNUSABLE_INPUT = 2
EXIT_DATABASE_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130  # the shell's own code for a command ended by Ctrl-C (128 + SIGINT)


def err() -> Console:
    """The console of messages and progress bars (stderr: stdout is for results)."""
    return Console(stderr=True)


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` on stderr; the exit to raise with ``code``."""
    err().print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def database_errors() -> Iterator[None]:
    """A database that does not answer ends the command with exit code 3."""
    # Imported here, as in every command helper: `touchpoint CMD --help` must not wait
    # for the database stack (sqlalchemy, alembic, psycopg) to import.
    import sqlalchemy.exc  # noqa: PLC0415

    from api.storage.errors import DATABASE_UNAVAILABLE  # noqa: PLC0415
    from api.storage.migrations import SchemaNotCurrent  # noqa: PLC0415
    from api.storage.roles import RuntimeRoleError  # noqa: PLC0415

    # alembic's connection failing is sqlalchemy's error
    unavailable: tuple[type[Exception], ...] = (
        *DATABASE_UNAVAILABLE,
        sqlalchemy.exc.OperationalError,
    )
    try:
        yield
    except unavailable as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise fail(f"database unavailable: {detail}", EXIT_DATABASE_UNAVAILABLE) from error
    except (RuntimeRoleError, SchemaNotCurrent) as refused:  # two roles (api.storage.roles)
        raise fail(str(refused), EXIT_UNUSABLE_INPUT) from refused


def check_secret(settings: Settings) -> None:
    """Refuse to start (exit 2) when API keys would have no server secret."""
    from api.storage.keys import KeySecretMissing, check_key_secret  # noqa: PLC0415

    try:
        check_key_secret(settings)
    except (KeySecretMissing, ValueError) as missing:
        raise fail(str(missing), EXIT_UNUSABLE_INPUT) from missing


def check_keyring(settings: Settings) -> None:
    """Refuse to start (exit 2) when customers' data keys would have no KEK keyring."""
    from api.storage.kek import KekMissing, check_kek  # noqa: PLC0415

    try:
        check_kek(settings)
    except (KekMissing, ValueError) as missing:
        raise fail(str(missing), EXIT_UNUSABLE_INPUT) from missing


def check_port(host: str, port: int) -> None:
    """Refuse (exit 2) a port another process listens on, before anything is printed.

    Bound and released at once, with the same ``SO_REUSEADDR`` as the server's own
    socket: a port left in TIME_WAIT by an earlier run is not taken.
    """
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        message = (
            f"port {port} on {host} is not free ({error.strerror or error}): stop what "
            "holds it, or choose another with --port"
        )
        raise fail(message, EXIT_UNUSABLE_INPUT) from error


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
