"""The first hour of a new user, as a shell sees it (issue 17): which database every
command uses, said first; a taken port refused before anything is printed; ``--version``
and ``-h``; the demo's keys shown again; ``keys list`` with whole times. Each command
runs in a child process, as typed, with its exact messages and exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from api.demo.kept import KEYS_FILE, STATE_FILE
from tests.conftest import TEST_KEY_SECRET

TOUCHPOINT = str(Path(sys.executable).with_name("touchpoint"))
UNSET = ("TOUCHPOINT_DATABASE_URL", "TOUCHPOINT_RUNTIME_URL", "TOUCHPOINT_DATA_DIR")


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``touchpoint ARGS`` in ``cwd``, with only the test's keyring and ``env`` configured."""
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    base |= {"TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET, "COLUMNS": "200", **env}
    return subprocess.run(
        [TOUCHPOINT, *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def first_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stderr.splitlines()[0]


def test_two_databases_in_a_folder_and_none_chosen_is_exit_2_with_how_to_choose(tmp_path):
    (tmp_path / ".touchpoint").mkdir()
    (tmp_path / ".touchpoint-demo").mkdir()

    done = run(tmp_path, "views", "status")

    assert done.returncode == 2
    assert done.stderr == (
        "error: two databases here, ./.touchpoint and ./.touchpoint-demo: choose one with "
        "--data-dir .touchpoint or --data-dir .touchpoint-demo (or TOUCHPOINT_DATA_DIR)\n"
    )
    assert done.stdout == ""


def test_a_configured_database_is_named_first_with_its_password_hidden(tmp_path):
    url = "postgresql://owner:hunter2@127.0.0.1:1/touchpoint"  # nothing listens on port 1

    done = run(tmp_path, "views", "status", TOUCHPOINT_DATABASE_URL=url)

    assert done.returncode == 3
    assert first_line(done) == (
        "database: postgresql://owner:***@127.0.0.1:1/touchpoint (TOUCHPOINT_DATABASE_URL)"
    )
    assert "hunter2" not in done.stderr + done.stdout


def test_a_folder_and_a_url_together_are_exit_2(tmp_path):
    done = run(
        tmp_path, "--data-dir", "x", "keys", "list", TOUCHPOINT_DATABASE_URL="postgresql://h/db"
    )

    assert done.returncode == 2
    assert done.stderr == (
        "error: --data-dir names an embedded database but TOUCHPOINT_DATABASE_URL is set: "
        "drop one\n"
    )


def test_in_the_demos_folder_commands_use_the_demos_database(tmp_path):
    (tmp_path / ".touchpoint-demo").mkdir()  # as `touchpoint demo` leaves it (empty here)

    done = run(tmp_path, "views", "status")

    assert done.returncode == 0, done.stderr
    assert first_line(done) == (
        f"database: embedded PostgreSQL in {tmp_path}/.touchpoint-demo "
        "(the demo's: no ./.touchpoint here)"
    )
    assert not (tmp_path / ".touchpoint").exists()  # no second, empty database made


def test_show_demo_prints_the_kept_keys_and_where_the_demo_served(tmp_path):
    folder = tmp_path / ".touchpoint-demo"
    folder.mkdir()
    keys = [
        {"role": "agent", "key_id": "k1", "key": "tp_k1_agent"},
        {"role": "analyst", "key_id": "k2", "key": "tp_k2_analyst"},
    ]
    (folder / KEYS_FILE).write_text(json.dumps(keys))
    state = {
        "config": {"customers": 50, "months": 1, "seed": 42, "end": "2026-02-01"},
        "loaded": 245, "complete": True, "address": "http://127.0.0.1:8123",
    }  # fmt: skip
    (folder / STATE_FILE).write_text(json.dumps(state))

    done = run(tmp_path, "keys", "show-demo")

    assert first_line(done) == (f"database: embedded PostgreSQL in {folder} (the demo's own)")
    assert done.stdout.splitlines()[:3] == [
        "agent desktop:     http://127.0.0.1:8123/desktop    agent key:   tp_k1_agent",
        "analyst dashboard: http://127.0.0.1:8123/dashboard  analyst key: tp_k2_analyst",
        "API documents:     http://127.0.0.1:8123/docs (Swagger UI), "
        "http://127.0.0.1:8123/redoc (ReDoc)",
    ]


def test_show_demo_without_a_demo_is_exit_1(tmp_path):
    done = run(tmp_path, "--data-dir", "nothing-here", "keys", "show-demo")

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"error: no demo keys kept in {tmp_path}/nothing-here: run `touchpoint demo` first"
    )


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", [["serve"], ["demo", "--customers", "50", "--months", "1"]])
def test_a_taken_port_is_refused_before_anything_is_printed(tmp_path, taken_port, command):
    done = run(tmp_path, *command, "--port", str(taken_port))

    assert done.returncode == 2
    assert done.stderr == (
        f"error: port {taken_port} on 127.0.0.1 is not free (Address already in use): stop "
        "what holds it, or choose another with --port\n"
    )
    assert done.stdout == ""
    assert not (tmp_path / ".touchpoint-demo").exists()  # no database was even started


def test_version_and_short_help_are_accepted(tmp_path):
    version = run(tmp_path, "--version")
    short = run(tmp_path, "-h")

    assert (version.returncode, short.returncode) == (0, 0)
    assert version.stdout.startswith("touchpoint ")
    assert "Usage: touchpoint" in short.stdout
    assert version.stderr == short.stderr == ""  # no database named, no warning


def test_an_embedded_database_is_named_first_and_no_warning_follows(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    done = subprocess.run(
        [TOUCHPOINT, "keys", "list"],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if k not in UNSET}
        | {"TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"database: embedded PostgreSQL in {tmp_path}/.touchpoint (the default)"
    ]  # no RuntimeDirWarning, no pg_ctl line


def test_keys_list_shows_the_whole_creation_time_in_a_narrow_terminal(tmp_path, database_url):
    made = run(
        tmp_path, "keys", "create", "--role", "agent", "--name", "a rather long name for a key",
        TOUCHPOINT_DATABASE_URL=database_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    listed = run(tmp_path, "keys", "list", TOUCHPOINT_DATABASE_URL=database_url, COLUMNS="70")

    assert listed.returncode == 0, listed.stderr
    import re  # noqa: PLC0415

    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", listed.stdout), listed.stdout
