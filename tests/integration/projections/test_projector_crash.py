"""Crash safety: a projector process SIGKILLed at random moments, restarted each time,
ends with exactly the rows of a rebuild from scratch (no fact applied twice or skipped)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from projections.config import ViewConfig
from projections.registry import build_views
from tests.integration.histories import mixed_history, record_all, views_unlike_a_clean_rebuild

KILLS = 8
WAIT_SECONDS = 120.0  # generous bounds; nothing here asserts on speed
ROOT = Path(__file__).resolve().parents[3]


def _start(database_url: str, names: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`touchpoint project` for the views named, in pages of 20 facts."""
    views = [arg for name in names for arg in ("--view", name)]
    env = os.environ | {
        "TOUCHPOINT_DATABASE_URL": database_url,
        "TOUCHPOINT_PROJECTION_PAGE_SIZE": "20",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli.main import main; main()", "project", *views],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _positions(services, names: list[str]) -> dict[str, int]:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT view_name, position FROM view_tracking WHERE view_name = ANY(%s)", (names,)
        ).fetchall()
    return dict.fromkeys(names, 0) | dict(rows)


def _wait_until(condition, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.02)


def test_a_projector_killed_at_random_moments_applies_every_fact_exactly_once(
    services, database_url, tmp_path
):
    views = build_views(ViewConfig())
    names = [view.name for view in views]
    log = tmp_path / "projector.log"
    rng = random.Random(20261128)
    cmds = mixed_history(seed=3, count=3000)
    record_all(services.ledger, cmds[:1500])
    rest = cmds[1500:]
    killed_behind = 0
    for _ in range(KILLS):
        before = _positions(services, names)
        process = _start(database_url, names, log)
        _wait_until(lambda before=before: _positions(services, names) != before, log)
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        head = services.ledger.head_position()
        killed_behind += min(_positions(services, names).values()) < head
        record_all(services.ledger, rest[:190])  # the log grows between restarts
        rest = rest[190:]
    record_all(services.ledger, rest)
    head = services.ledger.head_position()
    process = _start(database_url, names, log)
    _wait_until(lambda: set(_positions(services, names).values()) == {head}, log)
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT_SECONDS) == 0  # SIGTERM stops it cleanly
    assert killed_behind > 0  # at least one kill interrupted the projection mid-way

    assert views_unlike_a_clean_rebuild(services, views) == []
