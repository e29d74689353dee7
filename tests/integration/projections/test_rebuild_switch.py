"""A rebuild into a copy, switched in once caught up: the live view never shows half a rebuild."""

from __future__ import annotations

import threading
import uuid

import pytest

from projections.config import ViewConfig
from projections.rebuild import RebuildRunning, RebuildStopped, rebuild_by_switch
from projections.registry import VIEW_NAMES, build_views
from projections.runner import ProjectionRunner
from tests.integration.histories import (
    mixed_history,
    record_all,
    snapshot,
    views_unlike_a_clean_rebuild,
)

CONFIG = ViewConfig()


def _live(services, view) -> dict:
    with services.key_pool.connection() as conn:
        return snapshot(conn, view.tables)


def _runner(services, page_size: int = 50) -> ProjectionRunner:
    return ProjectionRunner(services.ledger, services.key_pool, build_views(CONFIG), page_size)


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_readers_see_the_old_rows_until_the_switch_then_every_fact_once(services, name):
    history = mixed_history(seed=5, count=1200)
    record_all(services.ledger, history[:1000])
    runner = _runner(services)
    runner.catch_up_all()
    view = runner.views[name]
    before = _live(services, view)
    seen_during: list[bool] = []

    def during(position: int) -> None:
        seen_during.append(_live(services, view) == before)
        if len(seen_during) == 3:  # facts keep arriving while the copy is built
            record_all(services.ledger, history[1000:])

    position = rebuild_by_switch(runner, name, config=CONFIG, author="test", progress=during)

    assert len(seen_during) > 3
    assert all(seen_during)  # never a partial view while the copy was built
    assert position == services.ledger.head_position()  # the late facts were switched in too
    assert runner.position(name) == position
    assert views_unlike_a_clean_rebuild(services, [view]) == []


def test_a_rebuild_stopped_before_its_switch_leaves_the_live_view_as_it_was(services):
    record_all(services.ledger, mixed_history(seed=6, count=800))
    runner = _runner(services)
    runner.catch_up_all()
    view = runner.views["cost"]
    before, position = _live(services, view), runner.position("cost")
    stop = threading.Event()

    with pytest.raises(RebuildStopped):
        rebuild_by_switch(
            runner, "cost", config=CONFIG, author="test", progress=lambda _: stop.set(), stop=stop
        )

    assert (_live(services, view), runner.position("cost")) == (before, position)


def test_a_second_rebuild_of_the_same_view_meanwhile_is_refused(services):
    record_all(services.ledger, mixed_history(seed=8, count=400))
    runner = _runner(services)
    refusals: list[Exception] = []

    def second(position: int) -> None:
        if not refusals:
            with pytest.raises(RebuildRunning) as refused:
                rebuild_by_switch(_runner(services), "customer", config=CONFIG, author="test")
            refusals.append(refused.value)

    rebuild_by_switch(runner, "customer", config=CONFIG, author="test", progress=second)

    assert len(refusals) == 1
    assert "already being rebuilt" in str(refusals[0])


def test_the_sql_view_over_a_switched_table_still_answers(services):
    record_all(services.ledger, mixed_history(seed=9, count=800))
    runner = _runner(services)
    runner.catch_up_all()
    with services.key_pool.connection() as conn:
        before = conn.execute("SELECT * FROM crm_pressure ORDER BY 1, 2, 3").fetchall()

    rebuild_by_switch(runner, "crm", config=CONFIG, author="test")

    with services.key_pool.connection() as conn:
        after = conn.execute("SELECT * FROM crm_pressure ORDER BY 1, 2, 3").fetchall()
    assert after == before
    assert before  # the history has mailshots: the SQL view has rows to compare


def test_grants_on_the_view_tables_survive_a_switch(services):
    """A read-only analysts' role keeps its SELECT: rows are copied, tables never swapped."""
    record_all(services.ledger, mixed_history(seed=10, count=300))
    runner = _runner(services)
    runner.catch_up_all()
    role = f"tp_readers_{uuid.uuid4().hex[:12]}"  # roles are the cluster's: a name of our own
    with services.key_pool.connection() as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN")
        conn.execute(f"GRANT SELECT ON customer_timeline TO {role}")
    try:
        rebuild_by_switch(runner, "customer", config=CONFIG, author="test")
        with services.key_pool.connection() as conn:
            row = conn.execute(
                "SELECT has_table_privilege(%s, 'customer_timeline', 'SELECT')", (role,)
            ).fetchone()
    finally:
        with services.key_pool.connection() as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    assert row == (True,)
