"""A rebuild SIGKILLed again and again: `touchpoint views rebuild` killed part-way, then
the projector that carries the rebuild on killed part-way too, round after round.

The views must end with exactly the rows of a clean rebuild: no fact applied twice
and none skipped, however the kills fall between a page's rows and its tracking row.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from projections.config import ViewConfig
from projections.runner import ProjectionRunner
from projections.service import build_views
from tests.faults.support import ROOT, serve_env, stop, wait_until
from tests.integration.histories import mixed_history, record_all, views_unlike_a_clean_rebuild

ROUNDS = 6
WAIT_SECONDS = 120.0  # bounds only; nothing here asserts on speed


def _touchpoint(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """A `touchpoint` command on ``url``, in pages of 20 facts (many commits to fall between)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", *args],
            cwd=ROOT,
            env=serve_env(url, projection_page_size="20"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _position(services: Any, name: str) -> int:
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT position FROM view_tracking WHERE view_name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def _kill_once_moving(
    process: subprocess.Popen[bytes], moved: Any, rng: random.Random, log: Path
) -> None:
    """SIGKILL ``process`` at a random moment after ``moved()`` first holds."""
    wait_until(lambda: moved() or process.poll() is not None, WAIT_SECONDS, log.read_text())
    time.sleep(rng.uniform(0.0, 0.15))
    process.kill()
    process.wait(30)


def _kill_rebuild_then_its_resumption(
    services: Any, url: str, name: str, rng: random.Random, log: Path
) -> int:
    """One round; returns how many of its two kills left ``name`` short of the head."""
    head = services.ledger.head_position()
    rebuild = _touchpoint(url, log, "views", "rebuild", name)
    _kill_once_moving(rebuild, lambda: 0 < _position(services, name) < head, rng, log)
    short = int(_position(services, name) < head)
    at = _position(services, name)
    project = _touchpoint(url, log, "project")
    _kill_once_moving(project, lambda: _position(services, name) != at, rng, log)
    return short + int(_position(services, name) < head)


def test_a_rebuild_killed_again_and_again_ends_equal_to_a_clean_rebuild(
    services, database_url, tmp_path
):
    views = build_views(ViewConfig())
    runner = ProjectionRunner(services.ledger, services.key_pool, views)
    record_all(services.ledger, mixed_history(seed=11, count=3000))
    for view in views:
        runner.catch_up(view.name)
    log = tmp_path / "touchpoint.log"
    rng = random.Random(20261128)

    killed_short = sum(
        _kill_rebuild_then_its_resumption(
            services, database_url, views[n % len(views)].name, rng, log
        )
        for n in range(ROUNDS)
    )
    head = services.ledger.head_position()
    finisher = _touchpoint(database_url, log, "project")
    wait_until(
        lambda: all(_position(services, view.name) == head for view in views),
        WAIT_SECONDS,
        log.read_text()[-3000:],
    )
    stop(finisher)

    assert killed_short > 0  # the kills did fall in the middle of rebuilding
    assert views_unlike_a_clean_rebuild(services, views) == []
