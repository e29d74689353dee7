"""Rebuilds and projectors SIGKILLed again and again, while facts keep arriving.

Each round starts `touchpoint views rebuild NAME` (which builds a copy of the view
and switches it in once caught up) beside a running `touchpoint project`, appends
facts, and SIGKILLs both at random moments: the rebuild part-way through its copy,
the projector between its pages. Promised and checked:

- the live view never moves backwards while a rebuild is killed (its rows are only
  ever replaced whole, by a switch);
- a later rebuild of the same view succeeds (a killed one leaves no lock behind, and
  its copy is replaced);
- in the end every view has exactly the rows of a clean rebuild: no fact applied
  twice, none skipped, however the kills fell.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from projections.config import ViewConfig
from projections.rebuild import staging_schema
from projections.registry import build_views
from projections.runner import ProjectionRunner
from tests.faults.support import ROOT, serve_env, stop, wait_until
from tests.integration.histories import mixed_history, record_all, views_unlike_a_clean_rebuild

ROUNDS = 6
WAIT_SECONDS = 120.0  # bounds only; nothing here asserts on speed


def _touchpoint(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """A `touchpoint` command on ``url``, in pages of 20 facts (many commits to fall between)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli.main import main; main()", *args],
            cwd=ROOT,
            env=serve_env(url, projection_page_size="20"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _position(url: str, name: str, schema: str = "public") -> int:
    """The view's position in ``schema`` (a rebuild's copy: 0 until it exists)."""
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute(
                f'SELECT position FROM "{schema}".view_tracking WHERE view_name = %s', (name,)
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def _kill_during_copy(url: str, name: str, rng: random.Random, log: Path) -> bool:
    """Start a rebuild, SIGKILL it once its copy is under way; whether it was killed mid-copy."""
    rebuild = _touchpoint(url, log, "views", "rebuild", name)
    wait_until(
        lambda: _position(url, name, staging_schema(name)) > 0 or rebuild.poll() is not None,
        WAIT_SECONDS,
        log.read_text()[-3000:],
    )
    time.sleep(rng.uniform(0.0, 0.2))
    finished = rebuild.poll() is not None
    rebuild.kill()
    rebuild.wait(30)
    return not finished


def _round(
    services: Any, url: str, name: str, rng: random.Random, *, log: Path, facts: list
) -> int:
    """One round of kills; returns how many rebuilds were killed part-way through their copy."""
    projector = _touchpoint(url, log, "project")
    live_before = _position(url, name)
    killed = _kill_during_copy(url, name, rng, log)
    assert _position(url, name) >= live_before  # a killed rebuild never set the view back
    record_all(services.ledger, facts)
    time.sleep(rng.uniform(0.0, 0.3))
    projector.kill()
    projector.wait(30)
    return int(killed)


def test_rebuilds_and_projectors_killed_again_and_again_end_equal_to_a_clean_rebuild(
    services, database_url, tmp_path
):
    views = build_views(ViewConfig())
    history = mixed_history(seed=11, count=4200)
    record_all(services.ledger, history[:3000])
    ProjectionRunner(services.ledger, services.key_pool, views).catch_up_all()
    log = tmp_path / "touchpoint.log"
    rng = random.Random(20261128)
    late = [history[3000 + 200 * n : 3200 + 200 * n] for n in range(ROUNDS)]

    killed_mid_copy = sum(
        _round(services, database_url, views[n % len(views)].name, rng, log=log, facts=late[n])
        for n in range(ROUNDS)
    )
    for view in views:  # a rebuild after the killed ones: no lock left, the copy replaced
        rebuild = _touchpoint(database_url, log, "views", "rebuild", view.name)
        assert rebuild.wait(WAIT_SECONDS) == 0, log.read_text()[-3000:]
    head = services.ledger.head_position()
    finisher = _touchpoint(database_url, log, "project")
    wait_until(
        lambda: all(_position(database_url, view.name) == head for view in views),
        WAIT_SECONDS,
        log.read_text()[-3000:],
    )
    stop(finisher)

    assert killed_mid_copy > 0  # the kills did fall in the middle of copies
    assert views_unlike_a_clean_rebuild(services, views) == []
