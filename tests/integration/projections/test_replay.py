"""Replaying the log until a position into a schema: a past report reproduced exactly.

The metrics of every view are taken at position N (fixed ``at``); more facts are
recorded (call corrections, late survey replies, late repeat calls, follow-ups of
earlier mailshots, consent withdrawals, an erasure); a replay until N into a schema
of its own must give the very same answers, and the same tables.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest

from projections.cem import queries as cem_queries
from projections.config import ViewConfig
from projections.cost import queries as cost_queries
from projections.crm import queries as crm_queries
from projections.query import MetricQuery
from projections.registry import VIEW_NAMES, build_views
from projections.replay import ReplayRefused, replay, use_replay_schema
from projections.runner import ProjectionRunner
from tests import builders as b
from tests.integration.histories import mixed_history, record_all, snapshot
from tests.integration.sql import query

CONFIG = ViewConfig()
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
FROM, TO = date(2026, 1, 1), date(2026, 3, 31)
QUERIES = [
    ("cost", cost_queries.cost_metrics, ()),
    ("cost", cost_queries.cost_metrics, ("day",)),
    ("cost", cost_queries.cost_metrics, ("queue", "reason")),
    ("cost", cost_queries.agent_handled_seconds, ("day", "agent")),
    ("crm", crm_queries.crm_metrics, ()),
    ("crm", crm_queries.crm_metrics, ("campaign", "segment")),
    ("crm", crm_queries.crm_metrics, ("day", "channel")),
    ("crm", crm_queries.contact_pressure, ()),
    ("cem", cem_queries.cem_metrics, ()),
    ("cem", cem_queries.cem_metrics, ("queue", "repeat_contact")),
    ("cem", cem_queries.cem_metrics, ("pressure_band", "segment")),
    ("cem", cem_queries.cem_metrics, ("handle_time_band", "day")),
    ("cem", cem_queries.detractor_followups, ()),
    ("cem", cem_queries.insights, ()),
]


@contextmanager
def reading(services, schema: str | None = None):
    """A connection in one transaction; on ``schema``'s copies when given."""
    with services.key_pool.connection() as conn, conn.transaction():
        if schema is not None:
            for view in ("cost", "crm", "cem"):
                use_replay_schema(conn, schema, view)
        yield conn


def metrics(services, schema: str | None = None) -> list[list[dict]]:
    """The answer of every query of ``QUERIES`` (one snapshot)."""
    with reading(services, schema) as conn:
        return [
            fn(conn, MetricQuery(FROM, TO, groups, {}, AT), CONFIG) for _, fn, groups in QUERIES
        ]


def tables(services, schema: str | None = None) -> dict:
    """Every row of the views' tables, and each view's position (not when it got there)."""
    every = tuple(t for view in build_views(CONFIG) for t in view.tables)
    with reading(services, schema) as conn:
        tracking = "SELECT view_name, position, last_recorded_at FROM view_tracking ORDER BY 1"
        return snapshot(conn, every) | {"positions": conn.execute(tracking).fetchall()}


def catch_up(services, page_size: int = 41) -> None:
    runner = ProjectionRunner(services.ledger, services.key_pool, build_views(CONFIG), page_size)
    runner.catch_up_all()


def replay_into(services, schema: str, until: int, **options):
    return replay(
        services.ledger,
        services.key_pool,
        schema,
        build_views(CONFIG),
        until,
        config=CONFIG,
        author="test",
        **options,
    )


@pytest.fixture
def at_n(services):
    """History up to N with the metrics and tables taken then; then the rest of it."""
    cmds = mixed_history(seed=21, count=900, customers=30)
    later = {type(cmd).__name__ for cmd in cmds[500:]}
    assert {"CorrectCall", "RecordSurveyReply", "RecordCall", "RecordMailshotResponded"} <= later
    n = record_all(services.ledger, cmds[:500])
    catch_up(services)
    taken = metrics(services), tables(services)
    record_all(services.ledger, cmds[500:])
    services.ledger.erase_customer("C4", "test")
    catch_up(services)
    return n, taken


def test_a_replay_until_n_answers_every_metric_query_as_it_was_answered_at_n(services, at_n):
    n, (then, _) = at_n
    now = metrics(services)
    assert [i for i, rows in enumerate(now) if rows != then]  # the later facts changed things

    result = replay_into(services, "replay_n", n)

    assert result.until == n
    assert result.positions == dict.fromkeys(VIEW_NAMES, n)
    replayed = metrics(services, "replay_n")
    for (view, fn, groups), old, new in zip(QUERIES, then, replayed, strict=True):
        assert new == old, (view, fn.__name__, groups)
    assert metrics(services) == now  # the live views are untouched


def test_a_replay_until_n_holds_the_same_rows_as_the_views_had_at_n(services, at_n):
    n, (_, rows) = at_n

    replay_into(services, "replay_rows", n, page_size=97)

    assert tables(services, "replay_rows") == rows


def test_a_replay_reproduces_fcr_and_nps_from_before_a_late_repeat_correction_and_reply(
    services,
):
    """METRICS.md: FCR = answered calls with no later call from the same customer with
    the same reason within W (7 days) / answered calls whose window closed or that have a
    repeat; NPS = 100 x (promoters - detractors) / replies with a score.

    At N: call A (day 2, answered, resolved), a reply 10 about A: FCR 1/1, NPS 100,
    AHT 240 + 30 + 45 = 315. Then, recorded late: a repeat B (day 4, same reason; its
    window closed by `at`), a correction of A's talk to 60 s, a reply 0 about A:
    FCR 1/2 (A repeated, B resolved), NPS 100 x (1 - 1) / 2 = 0,
    AHT ((60 + 30 + 45) + (240 + 30 + 45)) / 2 = 225."""
    record = services.ledger.record
    record(b.call("A", "R", occurred_at=b.T0), "test")
    n = record(b.survey("sa", "R", nps=10, about=_about("A")), "test").position
    record(b.call("B", "R", occurred_at=b.T0 + timedelta(days=2)), "test")
    record(b.correction("A", "fix-A", customer_ref="R", talk_seconds=60), "test")
    record(b.survey("sb", "R", nps=0, occurred_at=b.at(40), about=_about("A")), "test")
    catch_up(services)

    replay_into(services, "replay_fcr", n)

    for schema, fcr, nps, aht in ((None, 0.5, 0, 225), ("replay_fcr", 1.0, 100, 315)):
        with reading(services, schema) as conn:
            (cost,) = cost_queries.cost_metrics(conn, MetricQuery(FROM, TO, at=AT), CONFIG)
            (cem,) = cem_queries.cem_metrics(conn, MetricQuery(FROM, TO, at=AT), CONFIG)
        assert (cost["fcr"], cem["nps"], cost["aht"]) == (fcr, nps, aht), schema


def _about(call_id: str) -> dict:
    return {"kind": "call", "source": b.ACD, "source_id": call_id}


def test_a_replay_beyond_the_head_stops_at_the_head(services):
    head = record_all(services.ledger, mixed_history(seed=3, count=40))

    result = replay_into(services, "replay_head", head + 500)

    assert result.until == head
    assert query(
        services.database_url,
        "SELECT until_position, completed_at IS NOT NULL FROM replay_schemas "
        "WHERE schema_name = 'replay_head'",
    ) == [(head, True)]


def test_an_existing_replay_schema_is_only_overwritten_with_replace(services):
    record_all(services.ledger, mixed_history(seed=4, count=60))
    replay_into(services, "replay_twice", 30)

    with pytest.raises(ReplayRefused, match="not empty"):
        replay_into(services, "replay_twice", 50)
    assert _tracked(services, "replay_twice") == 30

    replay_into(services, "replay_twice", 50, replace=True)
    assert _tracked(services, "replay_twice") == 50


def _tracked(services, schema: str) -> int:
    [(position,)] = query(
        services.database_url, f"SELECT max(position) FROM {schema}.view_tracking"
    )
    return int(position)


def test_a_schema_touchpoint_did_not_make_is_never_dropped(services):
    query(services.database_url, "CREATE SCHEMA theirs")
    query(services.database_url, "CREATE TABLE theirs.precious (x int)")

    with pytest.raises(ReplayRefused, match="not made by touchpoint"):
        replay_into(services, "theirs", 10, replace=True)
    assert query(services.database_url, "SELECT count(*) FROM theirs.precious") == [(0,)]


def test_an_empty_schema_made_beforehand_is_used(services):
    record_all(services.ledger, mixed_history(seed=5, count=30))
    query(services.database_url, "CREATE SCHEMA prepared")

    assert replay_into(services, "prepared", 20).until == 20


@pytest.mark.parametrize("name", ["public", "pg_catalog", "information_schema", "Bad", "a;b", ""])
def test_system_schemas_and_odd_names_are_refused(services, name):
    with pytest.raises(ReplayRefused):
        replay_into(services, name, 1, replace=True)


def test_the_replay_schema_has_its_own_copy_of_the_sql_views_over_its_tables(services):
    record_all(services.ledger, mixed_history(seed=6, count=200))
    runner = ProjectionRunner(services.ledger, services.key_pool, build_views(CONFIG), 50)
    runner.catch_up_many(VIEW_NAMES, until=100)
    url = services.database_url
    pressure = "SELECT * FROM {}crm_pressure ORDER BY day, mailshots"
    then = query(url, pressure.format(""))
    runner.catch_up_all()
    assert query(url, pressure.format("")) != then

    replay_into(services, "replay_sql", 100)

    assert then
    assert query(url, pressure.format("replay_sql.")) == then
    assert query(url, "SELECT obj_description('replay_sql.crm_pressure'::regclass)") != [(None,)]
