"""Processes SIGKILLed mid-work: a batch is all or nothing, an import resumes to the same end.

(A rebuild killed again and again is test_killed_rebuild.py; a projector killed at
random moments while it follows the log is tests/integration/projections/test_projector_crash.py.)
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import threading
import time
from functools import partial

import httpx
import psycopg

from domain import ids
from tests.faults.support import ROOT, call, serve_env, services_on, serving, wait_until
from tests.integration.histories import mixed_history

BATCH = 1000


def _batch(round_: int) -> list[dict]:
    return [call(f"b{round_}-{i}", ref=f"C{i % 50}", minute=i % 600) for i in range(BATCH)]


def _rows_of(url: str, round_: int) -> tuple[int, int]:
    """(facts of round ``round_``'s batch in the log, fact keys in all)."""
    streams = [ids.call_stream_id("acd", f"b{round_}-{i}") for i in range(BATCH)]
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM touchpoint_events WHERE originator_id = ANY(%s)),"
            "       (SELECT count(*) FROM fact_keys)",
            (streams,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _post_in_background(base: str, key: str, body: list[dict]) -> threading.Thread:
    def post() -> None:
        # The server is killed under the request: no answer is expected.
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                base + "/interactions/batch", json=body, headers={"X-API-Key": key}, timeout=60
            )

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def _waiting_for_the_log_lock(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def _all_or_nothing(url: str, round_: int) -> int:
    """The batch's facts in the log: all (BATCH) or none, each with its key."""
    events, _ = _rows_of(url, round_)
    assert events in (0, BATCH), f"round {round_}: {events} of {BATCH} facts in the log"
    return events


def test_an_api_killed_inside_the_batch_transaction_leaves_all_or_nothing(database_url, tmp_path):
    with services_on(database_url) as services:
        key = services.keys.create("integrator", "feed")[1]
        services.keys.create("admin", "ops")
    with psycopg.connect(database_url) as blocker, serving(database_url, tmp_path / "s.log") as s:
        # Holding SHARE on the log makes the batch's transaction stop at its LOCK TABLE,
        # after its fact keys are written and before its facts are: the middle of it.
        blocker.execute("LOCK TABLE touchpoint_events IN SHARE MODE")
        thread = _post_in_background(s.base, key, _batch(0))
        wait_until(lambda: _waiting_for_the_log_lock(database_url), 30, "batch inside its lock")
        s.kill()
        blocker.rollback()  # releases the lock: the orphaned transaction ends either way
        thread.join(60)
    wait_until(lambda: not _waiting_for_the_log_lock(database_url), 30, "orphan ended")
    events, keys = _rows_of(database_url, 0)
    assert events in (0, BATCH)
    assert keys == events  # no fact key without its fact
    print("facts of the batch killed inside its transaction:", events)


def test_an_api_killed_at_random_moments_of_batches_leaves_each_all_or_nothing(
    database_url, tmp_path
):
    rng = random.Random(6)
    with services_on(database_url) as services:
        key = services.keys.create("integrator", "feed")[1]
        services.keys.create("admin", "ops")
    outcomes = []
    for round_ in range(1, 5):
        with serving(database_url, tmp_path / "s.log") as served:
            thread = _post_in_background(served.base, key, _batch(round_))
            time.sleep(rng.uniform(0.0, 0.3))
            served.kill()
            thread.join(60)
        outcomes.append(_all_or_nothing(database_url, round_))
    with serving(database_url, tmp_path / "s.log") as served:  # sent again: all of them
        for round_ in range(1, 5):
            response = httpx.post(
                served.base + "/interactions/batch",
                json=_batch(round_),
                headers={"X-API-Key": key},
                timeout=60,
            )
            assert response.status_code == 200, response.text
            assert _all_or_nothing(database_url, round_) == BATCH
    print("facts of each killed batch found in the log:", outcomes)


def _ndjson(path, count: int) -> None:
    lines = [command.model_dump_json() for command in mixed_history(seed=11, count=count)]
    path.write_text("\n".join(lines) + "\n")


def _import(url: str, path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from api.cli.main import main; main()", "import", str(path)]
    command += ["--batch-size", "200"]
    return subprocess.Popen(
        command, cwd=ROOT, env=serve_env(url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _state(url: str) -> tuple[list[tuple], list[tuple]]:
    """Facts (stream, version, kind) and keys (fact id, stream, version).

    Not content hashes: those of personal facts are keyed by each database's own
    customer keys.
    """
    with psycopg.connect(url) as conn:
        events = conn.execute(
            "SELECT originator_id, originator_version, topic FROM touchpoint_events ORDER BY 1, 2"
        ).fetchall()
        keys = conn.execute(
            "SELECT fact_id, stream_id, stream_version FROM fact_keys ORDER BY 1"
        ).fetchall()
    return events, keys


def _facts(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM touchpoint_events").fetchone()
    return int(row[0]) if row else 0


def _progressed(url: str, before: int, process: subprocess.Popen[bytes]) -> bool:
    """More facts than ``before`` in the log, or the import has ended."""
    return _facts(url) > before or process.poll() is not None


def test_an_import_killed_and_run_again_ends_as_one_clean_import(
    database_url, fresh_database, tmp_path
):
    path = tmp_path / "facts.ndjson"
    _ndjson(path, 6000)
    kills = 0
    for _ in range(3):  # killed at three moments of the import, each run from the start
        process = _import(database_url, path)
        before = _facts(database_url)
        wait_until(partial(_progressed, database_url, before, process), 60, "progress")
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait(30)
    finished = _import(database_url, path)
    output = finished.communicate(timeout=120)[0].decode()
    assert finished.returncode == 0, output

    with fresh_database() as clean_url:
        clean = _import(clean_url, path)
        clean_output = clean.communicate(timeout=120)[0].decode()
        assert clean.returncode == 0, clean_output
        expected = _state(clean_url)
    assert kills > 0  # at least one run was killed part-way
    assert _state(database_url) == expected
    assert len(expected[0]) == 6000
