"""Projection benchmark, the log: the demo's history sized by facts, and where it is recorded.

The history is the demo's (``api.demo.history``): a retail bank's contact centre
over seven months, with customers enough for ``--facts`` facts in about its first
five (144 days at the defaults), so that a quarter to a third as many again follow
the log: the facts of the steady-state appends.
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from rich.progress import Progress, TextColumn

from api.demo.history import DemoConfig, generate
from api.storage.migrations import migrate
from domain import commands as c
from domain.ledger import Ledger

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 1_000  # facts per record_batch while filling the log
HISTORY_MONTHS = 7  # the log takes about the first five; the steady state what follows
FACTS_PER_CUSTOMER = 12.0  # facts per customer of such a history in about five months


# --- the history ----------------------------------------------------------------------


def demo_history(facts: int, seed: int) -> Iterator[c.Command]:
    """The demo's history (its default end), with customers enough for ``facts`` facts in
    about its first five months: the same ``facts`` and ``seed`` give the same facts."""
    customers = max(1, math.ceil(facts / FACTS_PER_CUSTOMER))
    return generate(DemoConfig(customers=customers, months=HISTORY_MONTHS, seed=seed))


# --- where the database comes from --------------------------------------------------


@contextmanager
def bench_database(url: str | None) -> Iterator[str]:
    """The given database, or a throwaway one on ``DEFAULT_SERVER``; migrated either way."""
    if url:
        migrate(url)
        yield url
        return
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(DEFAULT_SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        fresh = make_conninfo(DEFAULT_SERVER, dbname=name)
        migrate(fresh)
        yield fresh
    finally:
        with psycopg.connect(DEFAULT_SERVER, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


def count_facts(url: str) -> int:
    """Facts in the log (positions may have gaps: counted, not the head)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM touchpoint_events").fetchone()
    return 0 if row is None else int(row[0])


def nth_position(url: str, n: int) -> int:
    """The position of the ``n``-th fact of the log (the last one if fewer)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT max(notification_id) FROM (SELECT notification_id FROM touchpoint_events "
            "ORDER BY notification_id LIMIT %s) AS first",
            (n,),
        ).fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def vacuum(url: str) -> float:
    """``VACUUM (ANALYZE)`` the database, as autovacuum would after a bulk load; seconds."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


# --- recording -----------------------------------------------------------------------


@dataclass
class Log:
    """What was recorded, and how long it took."""

    facts: int  # in the log after generation
    recorded: int = 0  # by this run
    generating: float = 0.0  # seconds building commands
    recording: float = 0.0  # seconds inside record_batch
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.recorded / self.recording if self.recording else 0.0


def fill_log(ledger: Ledger, history: Iterator[c.Command], have: int, want: int) -> Log:
    """Record the history's facts ``have`` to ``want`` in batches of 1,000 (skipping the
    first ``have``, already in the log from an earlier run of the same history)."""
    log = Log(facts=have)
    for _ in itertools.islice(history, have):
        pass
    progress = Progress(*Progress.get_default_columns(), TextColumn("{task.fields[rate]}"))
    with progress:
        task = progress.add_task("recording the log", total=want - have, rate="")
        while log.facts < want:
            started = time.perf_counter()
            batch = list(itertools.islice(history, min(BATCH, want - log.facts)))
            log.generating += time.perf_counter() - started
            if not batch:
                msg = f"the history ends after {log.facts:,} facts: lower --facts"
                raise RuntimeError(msg)
            log.recording += record_batch(ledger, batch)
            log.kinds.update(type(cmd).KIND for cmd in batch)
            log.facts += len(batch)
            log.recorded += len(batch)
            progress.update(task, advance=len(batch), rate=f"{log.rate:,.0f} facts/s")
    return log


def record_batch(ledger: Ledger, batch: Sequence[c.Command]) -> float:
    """Seconds to record ``batch`` in one transaction; every fact must be new and valid."""
    started = time.perf_counter()
    outcomes = ledger.record_batch(batch, "bench")
    elapsed = time.perf_counter() - started
    for outcome, cmd in zip(outcomes, batch, strict=True):
        if outcome.status != "recorded":
            msg = f"{cmd.KIND} {cmd.source_id}: {outcome.status} {outcome.error}"
            raise RuntimeError(msg)
    return elapsed
