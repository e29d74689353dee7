"""``touchpoint demo`` finishes what it starts (issue 17): an interrupted load resumes
where it stopped, Ctrl-C is exit 130 with what is left to do, the storyline is promised
only when its facts are in the log, and the demo's keys are kept (0600) and shown again."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import stat
import subprocess
import time
from datetime import date

import psycopg
import pytest
from rich.console import Console

from api.cli.demo.load import Interrupted, load_history
from api.cli.demo.pages import banner, kept_keys
from api.demo.history import DemoConfig, generate, generate_days, load
from api.demo.kept import (
    KEYS_FILE,
    DemoState,
    read_keys,
    read_state,
    story_in_log,
    write_state,
)
from tests.integration.api.cli.test_first_hour_cli import run

SMALL = DemoConfig(customers=60, months=1, seed=5, end=date(2026, 3, 1))


def quiet() -> Console:
    """A console whose output is kept nowhere (the load's messages are not under test)."""
    return Console(file=io.StringIO())


def test_the_demos_keys_are_kept_owner_only_and_shown_again(services, tmp_path):
    first, made = kept_keys(services, tmp_path)
    again, made_again = kept_keys(services, tmp_path)

    assert made
    assert not made_again
    assert again == first
    assert {key.role for key in first} == {"agent", "analyst", "admin"}
    assert stat.S_IMODE((tmp_path / KEYS_FILE).stat().st_mode) == 0o600
    assert len(services.keys.list_keys()) == 3  # no new key on the second start


def test_a_revoked_demo_key_is_replaced_and_the_others_kept(services, tmp_path):
    first, _ = kept_keys(services, tmp_path)
    agent = next(key for key in first if key.role == "agent")
    services.keys.revoke(agent.key_id)

    again, made = kept_keys(services, tmp_path)

    assert made
    assert [key.role for key in again] == [key.role for key in first]
    assert next(k for k in again if k.role == "agent").key_id != agent.key_id
    assert [k for k in again if k.role != "agent"] == [k for k in first if k.role != "agent"]
    assert read_keys(tmp_path) == again


def test_an_interrupted_load_resumes_where_it_stopped(services, tmp_path):
    writes = []

    def interrupted_after_two_batches(folder, state):
        write_state(folder, state)
        writes.append(state.loaded)
        if len(writes) == 2:
            raise Interrupted  # as Ctrl-C does, just after the second batch was kept

    services.settings.import_batch_size = 100
    with pytest.raises(Interrupted) as stopped:
        load_history(
            services, DemoState(SMALL), tmp_path, quiet(), keep=interrupted_after_two_batches
        )

    assert str(stopped.value) == (
        "200 commands of the history are loaded; run `touchpoint demo` again to resume "
        "the load there"
    )
    kept = read_state(tmp_path)
    assert kept is not None
    assert (kept.loaded, kept.complete) == (200, False)
    assert services.ledger.head_position() == 200

    finished = load_history(services, kept, tmp_path, quiet())

    total = len(list(generate(SMALL)))
    assert services.ledger.head_position() == total
    assert read_state(tmp_path) == finished
    assert (finished.loaded, finished.complete) == (total, True)


def test_skipping_what_is_loaded_hands_each_command_to_the_ledger_once(services):
    total = len(list(generate(SMALL)))
    load(services.ledger, generate_days(SMALL), batch_size=100, skip=0, on_batch=lambda n: None)
    # The same history again, told 150 are in: only the rest is handed over.
    report = load(services.ledger, generate_days(SMALL), batch_size=100, skip=150)

    assert report.facts == total - 150
    assert report.duplicates == total - 150
    assert report.recorded == 0


def test_the_storyline_is_promised_only_once_its_facts_are_in_the_log(services):
    days = list(generate_days(SMALL))
    load(services.ledger, days[:-1])  # every day but the storyline's last one
    partial = story_in_log(services.ledger, SMALL)
    load(services.ledger, days[-1:])

    assert not partial
    assert story_in_log(services.ledger, SMALL)


def test_the_banner_names_the_storyline_only_when_asked_to(tmp_path):
    without = banner("http://h:1", [], None, False, None)
    with_story = banner("http://h:1", [], None, False, SMALL)

    assert not any("try customer" in line for line in without)
    assert with_story[-1] == (
        "try customer C-000007: the fraud-alert SMS of 2026-02-28, her callback, and her 10"
    )


def _head(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM touchpoint_events"
        ).fetchone()
    return int(row[0]) if row else 0


def test_ctrl_c_during_the_load_is_exit_130_and_the_same_options_finish_it(tmp_path, database_url):
    options = ["demo", "--no-serve", "--customers", "400", "--months", "2", "--end", "2026-03-01"]
    env = {"TOUCHPOINT_DATABASE_URL": database_url, "TOUCHPOINT_IMPORT_BATCH_SIZE": "100"}
    child = subprocess.Popen(
        [run.__globals__["TOUCHPOINT"], *options],
        cwd=tmp_path,
        env={**os.environ, **env, "TOUCHPOINT_API_KEY_SECRET": "x" * 40},
        stderr=subprocess.PIPE,
        text=True,
    )
    while _head(database_url) == 0 and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)

    assert child.returncode == 130, stderr
    assert re.search(
        r"error: interrupted: \d+ commands of the history are loaded; run `touchpoint demo` "
        r"again with the same options and --end 2026-03-01 to resume the load there\n$",
        stderr,
    ), stderr
    partial = _head(database_url)

    without_end = run(tmp_path, *options[:-2], TOUCHPOINT_DATABASE_URL=database_url)
    finished = run(tmp_path, *options, TOUCHPOINT_DATABASE_URL=database_url)

    assert without_end.returncode == 1
    assert without_end.stderr.splitlines()[-1] == (
        f"error: the database holds {partial} facts but not a whole demo history (a load "
        "that was stopped?): run `touchpoint demo` again with the options it was started "
        "with, --end included, to finish it; for a new demo, use an empty database"
    )
    assert finished.returncode == 0, finished.stderr
    config = DemoConfig(customers=400, months=2, end=date(2026, 3, 1))
    assert _count(database_url) == len(list(generate(config)))  # each fact once


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM touchpoint_events").fetchone()
    return int(row[0]) if row else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_demo(folder, port: int) -> str:
    """Start the demo, wait for its last line, stop it with Ctrl-C; its stderr."""
    child = subprocess.Popen(
        [run.__globals__["TOUCHPOINT"], "demo", "--customers", "50", "--months", "1",
         "--port", str(port)],
        cwd=folder, env={**os.environ, "TOUCHPOINT_API_KEY_SECRET": "y" * 40},
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stderr is not None
    lines = []
    for line in child.stderr:
        lines.append(line)
        if line.startswith("Ctrl-C to stop"):
            break
    child.send_signal(signal.SIGINT)
    rest, _ = child.communicate(timeout=60)[1], None
    assert child.returncode == 0, "".join(lines) + (rest or "")
    return "".join(lines)


def test_the_demo_serves_with_its_keys_last_and_the_same_keys_next_time(tmp_path):
    first = _serve_demo(tmp_path, _free_port())
    second = _serve_demo(tmp_path, _free_port())

    assert first.splitlines()[0] == (
        f"database: embedded PostgreSQL in {tmp_path}/.touchpoint-demo (the demo's own)"
    )
    keys = re.findall(r"agent key:   (tp_\S+)", first)
    assert keys
    assert re.findall(r"agent key:   (tp_\S+)", second) == keys
    lines = first.splitlines()
    pages = next(i for i, line in enumerate(lines) if line.startswith("agent desktop:"))
    logged = [i for i, line in enumerate(lines) if line.startswith("{")]  # JSON: no TTY
    assert logged
    assert max(logged) < pages
    assert "try customer C-000007" in first
    assert "new keys, kept in" in first
    assert "the same keys as before, kept in" in second
    mode = stat.S_IMODE((tmp_path / ".touchpoint-demo" / KEYS_FILE).stat().st_mode)
    assert mode == 0o600
    assert "RuntimeDirWarning" not in first + second
    assert "pg_ctl" not in first + second
