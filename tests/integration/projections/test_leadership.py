"""Projector leadership in one process: advisory locks per view, standbys apply nothing.

(Two `touchpoint project` processes, one SIGKILLed: tests/faults/test_projector_leadership.py.)
"""

from __future__ import annotations

import threading

from projections.config import ViewConfig
from projections.leadership import Leadership, leader_key, leaders
from projections.registry import VIEW_NAMES, build_views
from projections.runner import ProjectionRunner
from tests.faults.support import wait_until
from tests.integration.histories import mixed_history, record_all


def test_a_views_lock_key_is_the_same_in_every_process_and_differs_between_views():
    # The first four bytes of SHA-256("touchpoint projector cost"), read as a signed int.
    assert leader_key("cost") == 1249206683
    assert len({leader_key(name) for name in VIEW_NAMES}) == len(VIEW_NAMES)


def test_the_first_process_leads_the_second_stands_by_until_the_first_lets_go(
    services, database_url
):
    first = Leadership(database_url, ["cost", "crm"], poll_seconds=0)
    second = Leadership(database_url, ["crm", "cem"], poll_seconds=0)
    try:
        assert first.lead() == ["cost", "crm"]
        assert second.lead() == ["cem"]  # crm is led by the first
        assert second.roles() == {"crm": "standby", "cem": "leader"}
        with services.key_pool.connection() as conn:
            pids = leaders(conn, ["cost", "crm", "cem", "customer"])
        assert pids["customer"] is None
        assert pids["cost"] == pids["crm"] != pids["cem"]

        first.close()  # as a dead process's connection would: its locks are released
        # (by the server, once its backend has ended: within a few looks)
        wait_until(lambda: second.lead() == ["crm", "cem"], 10, "the second took crm over")
        assert first.roles() == {"cost": "leader", "crm": "leader"}  # as of its last look
    finally:
        first.close()
        second.close()


def test_a_leader_whose_connection_broke_stands_by_and_leads_again_once_it_can(
    services, database_url
):
    leadership = Leadership(database_url, ["cost"], poll_seconds=0)
    try:
        assert leadership.lead() == ["cost"]
        with services.key_pool.connection() as conn:  # the server ends its session
            pid = leaders(conn, ["cost"])["cost"]
            conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))  # waits for its end
        assert leadership.lead() == []  # the look finds the session gone: standby
        assert leadership.roles() == {"cost": "standby"}
        assert leadership.lead() == ["cost"]  # a new session, the lock free: leads again
    finally:
        leadership.close()


def test_a_runner_applies_only_the_views_it_leads(services):
    record_all(services.ledger, mixed_history(seed=4, count=200))
    runner = ProjectionRunner(services.ledger, services.key_pool, build_views(ViewConfig()))
    looks: list[int] = []

    def lead() -> list[str]:
        looks.append(1)
        return ["cost"]

    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05, lead), daemon=True)
    thread.start()
    try:  # a second look comes after the first catch-up has finished
        wait_until(lambda: len(looks) >= 2, 30, "two looks at the leadership")
    finally:
        stop.set()
        thread.join(30)
    head = services.ledger.head_position()
    positions = {name: runner.position(name) for name in VIEW_NAMES}
    assert positions == {"customer": 0, "cost": head, "crm": 0, "cem": 0}
