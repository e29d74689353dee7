"""A throwaway PostgreSQL primary and its streaming standby, on loopback, in a temp folder.

Built from Debian's PostgreSQL binaries (``initdb``, ``pg_ctl``, ``pg_basebackup -R``);
never the machine's shared server. Every wait is bounded; both servers are stopped
(immediate) and their folder removed when the block ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.faults.support import free_port

BIN = Path(os.environ.get("TOUCHPOINT_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_SECONDS = 60


@dataclass(frozen=True)
class Pair:
    """The URLs of the primary and of its standby (database ``touchpoint``)."""

    primary: str
    standby: str


def available() -> bool:
    """Whether the PostgreSQL server binaries are installed."""
    return all((BIN / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup"))


def _run(*command: str) -> None:
    """A server tool, as the ``postgres`` OS user when run as root (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*prefix, *command], check=True, capture_output=True, timeout=START_SECONDS, cwd="/"
    )


def _configure(data: Path, port: int, socket_dir: Path, *extra: str) -> None:
    lines = [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{socket_dir}'",
        "fsync = off",  # a throwaway cluster: durability is not what is tested
        *extra,
    ]
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n" + "\n".join(lines) + "\n")


def _start(data: Path) -> None:
    _run(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-t", "60", "start")


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        _run(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")


@contextmanager
def streaming_pair() -> Iterator[Pair]:
    """A primary with a database ``touchpoint`` and a hot standby streaming from it."""
    folder = Path(tempfile.mkdtemp(prefix="tp-standby-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary, standby = folder / "primary", folder / "standby"
    ports = free_port(), free_port()
    try:
        _run(str(BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-N")
        _configure(primary, ports[0], folder)
        _start(primary)
        primary_url = f"postgresql://postgres@127.0.0.1:{ports[0]}/"
        with psycopg.connect(primary_url + "postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE touchpoint")
        backup = ["-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres", "-D", str(standby)]
        _run(str(BIN / "pg_basebackup"), *backup, "-R", "-X", "stream", "-c", "fast")
        # Queries on the standby are not cancelled by the primary's vacuum meanwhile.
        _configure(standby, ports[1], folder, "hot_standby_feedback = on")
        _start(standby)
        yield Pair(
            primary_url + "touchpoint", f"postgresql://postgres@127.0.0.1:{ports[1]}/touchpoint"
        )
    finally:
        for data in (standby, primary):
            # Removed below either way; the test's own failure is what matters.
            with contextlib.suppress(subprocess.SubprocessError):
                _stop(data)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_replay(pair: Pair, seconds: float = START_SECONDS) -> None:
    """Return once the standby has replayed everything the primary has written so far."""
    with psycopg.connect(pair.primary) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
    assert row is not None
    end = time.monotonic() + seconds
    with psycopg.connect(pair.standby, autocommit=True) as conn:
        while not _replayed(conn, str(row[0])):
            assert time.monotonic() < end, f"the standby did not replay {row[0]} in {seconds} s"
            time.sleep(0.05)


def _replayed(conn: psycopg.Connection[tuple[object, ...]], lsn: str) -> bool:
    row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()
    return bool(row and row[0])
