"""The projection runner: pages applied exactly once, with the tracking row, per view."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from api.bootstrap import start_projectors
from projections.runner import ProjectionRunner
from tests import builders as b

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT_SECONDS = 30.0  # generous bound for "promptly"; nothing asserts on speed


class ProbeView:
    """Writes one row per fact, then (optionally) fails when it meets ``fail_at``."""

    tables: tuple[str, ...] = ("runner_probe",)

    def __init__(self, name: str, fail_at: int | None = None) -> None:
        self.name = name
        self.fail_at = fail_at

    def apply(self, cur, page):
        cur.executemany(
            "INSERT INTO runner_probe (view_name, position) VALUES (%s, %s)",
            [(self.name, item.position) for item in page],
        )
        if self.fail_at is not None and any(i.position == self.fail_at for i in page):
            raise RuntimeError(f"probe {self.name} fails at {self.fail_at}")


@pytest.fixture
def probe_table(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE runner_probe (view_name text, position bigint, "
            "PRIMARY KEY (view_name, position))"
        )


def record_calls(services, count: int, first: int = 0) -> list[int]:
    cmds = [
        b.call(f"call-{i}", f"C{i % 3}", occurred_at=T + timedelta(minutes=i))
        for i in range(first, first + count)
    ]
    return [o.position for o in services.ledger.record_batch(cmds, "test")]


def probe_rows(services, name: str) -> list[int]:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT position FROM runner_probe WHERE view_name = %s ORDER BY position", (name,)
        ).fetchall()
    return [row[0] for row in rows]


def tracking(services, name: str) -> tuple[int, datetime | None]:
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT position, last_recorded_at FROM view_tracking WHERE view_name = %s", (name,)
        ).fetchone()
    return (0, None) if row is None else (row[0], row[1])


def wait_until(condition, timeout: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_page_is_applied_with_its_tracking_row(services, probe_table):
    positions = record_calls(services, 5)
    runner = ProjectionRunner(services.ledger, services.key_pool, [ProbeView("p")], page_size=2)
    assert runner.catch_up("p") == positions[-1]
    assert probe_rows(services, "p") == positions
    position, recorded_at = tracking(services, "p")
    assert position == positions[-1]
    assert recorded_at == services.ledger.read_log(positions[-2], 1)[0].recorded_at


def test_a_page_that_fails_half_way_leaves_the_view_and_its_tracking_row_unchanged(
    services, probe_table
):
    positions = record_calls(services, 6)
    # Pages of 3: the first page applies; the second writes its rows, then fails.
    failing = ProbeView("p", fail_at=positions[4])
    runner = ProjectionRunner(services.ledger, services.key_pool, [failing], page_size=3)
    with pytest.raises(RuntimeError):
        runner.catch_up("p")
    assert probe_rows(services, "p") == positions[:3]
    assert tracking(services, "p")[0] == positions[2]
    failing.fail_at = None  # fixed: it resumes where it stopped, nothing twice
    assert runner.catch_up("p") == positions[-1]
    assert probe_rows(services, "p") == positions


def test_views_are_independent_and_keep_their_own_positions(services, probe_table):
    positions = record_calls(services, 6)
    views = [ProbeView("a"), ProbeView("b")]
    runner = ProjectionRunner(services.ledger, services.key_pool, views, page_size=4)
    runner.catch_up("a", until=positions[1])
    assert (runner.position("a"), runner.position("b")) == (positions[1], 0)
    assert runner.catch_up_all() == {"a": positions[-1], "b": positions[-1]}
    assert probe_rows(services, "a") == positions
    assert probe_rows(services, "b") == positions


def test_a_failing_view_does_not_hold_the_others_back_in_run(services, probe_table):
    positions = record_calls(services, 4)
    views = [ProbeView("bad", fail_at=positions[0]), ProbeView("good")]
    runner = ProjectionRunner(services.ledger, services.key_pool, views, page_size=10)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.2), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: runner.position("good") == positions[-1])
        assert runner.position("bad") == 0
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)
    assert not thread.is_alive()
    assert probe_rows(services, "bad") == []


def test_two_projectors_of_one_view_apply_each_fact_once(services, probe_table):
    positions = record_calls(services, 60)
    runners = [
        ProjectionRunner(services.ledger, services.key_pool, [ProbeView("p")], page_size=7)
        for _ in range(2)
    ]
    threads = [threading.Thread(target=r.catch_up, args=("p",)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    # The primary key would have refused a fact applied twice; none is missing either.
    assert probe_rows(services, "p") == positions


def test_listen_notify_picks_up_a_new_fact(services, probe_table):
    runner = ProjectionRunner(services.ledger, services.key_pool, [ProbeView("p")])
    stop = threading.Event()
    # Polling once an hour: only a notification can wake the runner within the wait.
    thread = threading.Thread(target=runner.run, args=(stop, 3600.0), daemon=True)
    thread.start()
    try:
        [first] = record_calls(services, 1)
        assert wait_until(lambda: runner.position("p") == first)
        # The runner now waits on its LISTEN connection: the next fact must wake it.
        [second] = record_calls(services, 1, first=1)
        assert wait_until(lambda: runner.position("p") == second)
    finally:
        stop.set()
        _notify(services)  # wakes the runner so that it sees the stop
        thread.join(WAIT_SECONDS)
    assert probe_rows(services, "p") == [first, second]


def test_the_runner_reconnects_after_the_database_drops_its_connections(services, probe_table):
    runner = ProjectionRunner(services.ledger, services.key_pool, [ProbeView("p")])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.2), daemon=True)
    thread.start()
    try:
        [first] = record_calls(services, 1)
        assert wait_until(lambda: runner.position("p") == first)
        _terminate_other_backends(services)
        [second] = record_calls(services, 1, first=1)
        assert wait_until(lambda: _position_or_none(runner, "p") == second)
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)
    assert probe_rows(services, "p") == [first, second]


def test_status_reports_lag_in_facts_and_seconds(services, probe_table):
    positions = record_calls(services, 5)
    runner = ProjectionRunner(services.ledger, services.key_pool, [ProbeView("p")], page_size=2)
    runner.catch_up("p", until=positions[1])
    oldest_unapplied = services.ledger.read_log(positions[1], 1)[0].recorded_at
    now = oldest_unapplied + timedelta(seconds=90)
    [behind] = runner.status(now)
    assert (behind.position, behind.head, behind.lag_facts) == (positions[1], positions[-1], 3)
    assert behind.lag_seconds == 90.0
    runner.catch_up("p")
    [caught_up] = runner.status(now)
    assert (caught_up.lag_facts, caught_up.lag_seconds) == (0, 0.0)


def _position_or_none(runner, name):
    try:
        return runner.position(name)
    except psycopg.OperationalError:  # a pooled connection the test itself terminated
        return None


def _notify(services) -> None:
    with services.key_pool.connection() as conn:
        conn.execute("NOTIFY touchpoint_events")


def _terminate_other_backends(services) -> None:
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_started_projectors_follow_the_log_in_the_background_until_stopped(services):
    handle = start_projectors(services, names=["customer"], poll_seconds=0.2)
    try:
        [position] = record_calls(services, 1)
        assert wait_until(lambda: handle.runner.position("customer") == position)
    finally:
        handle.stop()
    assert not handle.running
    with services.key_pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM customer_timeline").fetchone()
    assert row[0] == 1
