"""Two `touchpoint project` processes for the same views: one leads, the other stands by.

Promised and checked (DESIGN.md "Scaling past one machine"; issue 16, point 4):

- for each view exactly one process is the leader (it holds the view's advisory lock,
  as PostgreSQL's pg_locks shows, and says so), the other says it stands by;
- the views equal a clean rebuild (no fact applied twice, none skipped);
- when the leader is SIGKILLed, the standby takes over (its lock is released with the
  dead process's connection) and applies the facts recorded since; the views are still
  exactly a clean rebuild.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import psycopg

from projections.config import ViewConfig
from projections.leadership import leaders
from projections.registry import build_views
from projections.runner import ProjectionRunner
from tests.faults.support import ROOT, serve_env, stop, wait_until
from tests.integration.histories import (
    mixed_history,
    record_all,
    snapshot,
    views_unlike_a_clean_rebuild,
)

NAMES = ["cost", "crm"]
WAIT_SECONDS = 90.0  # bounds only; nothing here asserts on speed


def _project(url: str, log: Path) -> subprocess.Popen[bytes]:
    """`touchpoint project --views cost,crm` in pages of 20 facts (many commits)."""
    command = [sys.executable, "-c", "from api.cli.main import main; main()", "project"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--views", ",".join(NAMES)],
            cwd=ROOT,
            env=serve_env(url, projection_page_size="20"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _roles(log: Path) -> dict[str, str]:
    """The last role the process printed for each view (``cost: leader``)."""
    found = re.findall(r"^(\w+): (leader|standby)$", log.read_text(), flags=re.MULTILINE)
    return dict(found)


def _both_settled(logs: list[Path]) -> bool:
    return all(set(_roles(log)) == set(NAMES) for log in logs)


def _positions(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT view_name, position FROM view_tracking WHERE view_name = ANY(%s)", (NAMES,)
        ).fetchall()
    return dict.fromkeys(NAMES, 0) | {str(name): int(at) for name, at in rows}


def _leader_pids(url: str) -> dict[str, int | None]:
    with psycopg.connect(url) as conn:
        return leaders(conn, NAMES)


def _caught_up(url: str, head: int) -> bool:
    return set(_positions(url).values()) == {head}


def test_two_projectors_of_one_view_elect_one_leader_and_the_standby_takes_over(
    services, database_url, tmp_path
):
    views = build_views(ViewConfig(), NAMES)
    cmds = mixed_history(seed=16, count=900)
    first_head = record_all(services.ledger, cmds[:600])
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [_project(database_url, log) for log in logs]
    try:
        wait_until(lambda: _both_settled(logs), WAIT_SECONDS, "both printed their roles")
        wait_until(lambda: _caught_up(database_url, first_head), WAIT_SECONDS, "caught up")
        roles = [_roles(log) for log in logs]
        for name in NAMES:  # exactly one leader per view, the other stands by
            assert sorted(r[name] for r in roles) == ["leader", "standby"], roles
        assert all(_leader_pids(database_url).values())  # each view's lock is held
        with services.key_pool.connection() as conn:
            at_first_head = {view.name: snapshot(conn, view.tables) for view in views}

        killed = next(i for i, r in enumerate(roles) if r["cost"] == "leader")
        survivor = 1 - killed
        processes[killed].kill()  # SIGKILL: its connections drop, its locks with them
        processes[killed].wait(30)
        second_head = record_all(services.ledger, cmds[600:])
        wait_until(
            lambda: _roles(logs[survivor]) == dict.fromkeys(NAMES, "leader"),
            WAIT_SECONDS,
            f"the standby took over\n{logs[survivor].read_text()[-3000:]}",
        )
        wait_until(lambda: _caught_up(database_url, second_head), WAIT_SECONDS, "caught up")
        pids = _leader_pids(database_url)
        assert None not in pids.values()
        assert len(set(pids.values())) == 1  # both views led by the one process left
    finally:
        for process in processes:
            stop(process)
    assert processes[survivor].returncode == 0  # SIGTERM ends the survivor cleanly
    no_leader = dict.fromkeys(NAMES)  # and its locks are freed (once its backends end)
    wait_until(lambda: _leader_pids(database_url) == no_leader, WAIT_SECONDS, "locks freed")

    # What the survivor left: exactly a clean rebuild (done here, the processes stopped).
    assert views_unlike_a_clean_rebuild(services, views) == []
    runner = ProjectionRunner(services.ledger, services.key_pool, views)
    for view in views:  # and what both left at the first head: a clean build up to it
        runner.reset(view.name)
        runner.catch_up(view.name, until=first_head)
        with services.key_pool.connection() as conn:
            assert snapshot(conn, view.tables) == at_first_head[view.name], view.name
