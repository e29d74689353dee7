"""Projection benchmark, the hot customer: the same history with half its calls moved to
one customer (as in a real export where every unidentified caller shares one id).

Every second ``RecordCall`` of the demo's history is given the customer ``HOT_CUSTOMER``;
the facts that refer to a moved call (its corrections, a survey about it) follow it, so
the ledger accepts the history as it accepts the original. Rebuilding the views over
both logs, in the same run, gives the ratio of their rates: work per call that grew
with the customer's history would show here, and nowhere else.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.bootstrap import build_services
from api.settings import Settings
from api.storage.migrations import migrate
from bench.projections_log import demo_history, fill_log, vacuum
from bench.projections_sample import rebuild_all
from domain import commands as c

__all__ = ["HOT_CUSTOMER", "Hot", "hot_history", "hot_rebuild", "scratch_database"]

HOT_CUSTOMER = "unidentified"


def hot_history(history: Iterable[c.Command]) -> Iterator[c.Command]:
    """``history`` with every second call (and what refers to it) moved to ``HOT_CUSTOMER``."""
    calls = 0
    moved: set[tuple[str, str]] = set()
    for cmd in history:
        move = False
        if isinstance(cmd, c.RecordCall):
            calls += 1
            move = calls % 2 == 1
            if move:
                moved.add((cmd.source, cmd.source_id))
        elif isinstance(cmd, c.CustomerCommand):
            move = _refers_to(cmd, moved)
        yield cmd.model_copy(update={"customer_ref": HOT_CUSTOMER}) if move else cmd


def _refers_to(cmd: c.CustomerCommand, moved: set[tuple[str, str]]) -> bool:
    """Whether ``cmd`` names one of the ``moved`` calls (by its source and id)."""
    for name in type(cmd).model_fields:
        value = getattr(cmd, name)
        if isinstance(value, c.Ref) and (value.source, value.source_id) in moved:
            return True
    return False


# --- the hot log: a database of its own, on the same server --------------------------


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A throwaway database on the server of ``url``, migrated; dropped at the end."""
    name = f"tp_bench_hot_{uuid.uuid4().hex[:10]}"
    server = make_conninfo(url, dbname="postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        fresh = make_conninfo(url, dbname=name)
        migrate(fresh)
        yield fresh
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


@dataclass(frozen=True)
class Hot:
    """The hot log's rebuild: facts, seconds, and the calls its customer holds."""

    facts: int
    seconds: float
    hot_calls: int
    calls: int

    @property
    def rate(self) -> float:
        return self.facts / self.seconds


def hot_rebuild(url: str, facts: int, seed: int) -> Hot:
    """Record the hot history's first ``facts`` facts into a scratch database on the server
    of ``url``, then rebuild all four views over it as phase 2 does; the figures."""
    with scratch_database(url) as hot_url:
        services = build_services(Settings(database_url=hot_url), hot_url)
        try:
            fill_log(services.ledger, hot_history(demo_history(facts, seed)), 0, facts)
            vacuum(hot_url)
            gc.collect()
            seconds = rebuild_all(services.runner())[1]
        finally:
            services.close()
        with psycopg.connect(hot_url) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE customer_ref = %s), count(*) FROM cost_calls",
                (HOT_CUSTOMER,),
            ).fetchone()
    assert row is not None
    return Hot(facts, seconds, int(row[0]), int(row[1]))
