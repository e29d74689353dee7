"""Ingest benchmark: the ledger's write rates as ratios to raw psycopg, one server.

Run ``python bench/ingest.py [--url URL] [--n N]``. Without ``--url`` it uses
``TOUCHPOINT_DATABASE_URL``, or else creates a throwaway database on
``postgresql://postgres@127.0.0.1:5432`` and drops it afterwards.

Raw baselines write rows shaped like ``touchpoint_events`` (uuid, bigint, text,
~300-byte bytea, bigserial with a unique index) into a table of their own:
(a) one INSERT + COMMIT per row, (b) ``executemany`` of 100 rows per transaction.
The ledger records calls one at a time and in batches of 100 and 1,000, and
registers customers with personal data (keys made, fields encrypted) in batches
of 1,000. Commands are built before the clock starts, as the API would have
parsed them.

Each ledger figure is measured in slices (100 single facts, or 1,000 batched
facts) that alternate with slices of its raw baseline of the same size, so that
a machine getting busier or quieter during the run moves both sides alike. A
ratio is the baseline's time over the ledger's for the same number of rows and
facts, summed over all slices; the spread of the per-slice ratios is shown too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.bootstrap import build_services
from api.settings import Settings
from api.storage.migrations import migrate
from domain import commands as c
from domain.ledger import Ledger

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PAYLOAD = os.urandom(300)  # about the size of a stored fact's state
RAW_TABLE = "bench_raw_events"
BATCHED_PER_SINGLE = 10  # batched measurements record this many times --n facts
WARM_UP = 50
T = TypeVar("T")
RawConnection = psycopg.Connection[tuple[object, ...]]

# --- where the database comes from ----------------------------------------------


def _with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A fresh database on ``server_url``, dropped on exit."""
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def bench_database(url: str | None) -> Iterator[str]:
    """The given database, or a throwaway one; migrated either way."""
    if url:
        migrate(url)
        yield url
        return
    with throwaway_database(DEFAULT_SERVER) as fresh:
        migrate(fresh)
        yield fresh


# --- raw psycopg baselines ------------------------------------------------------

RAW_SCHEMA = f"""
CREATE TABLE {RAW_TABLE} (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX {RAW_TABLE}_notification_id_idx ON {RAW_TABLE} (notification_id ASC);
"""
RAW_INSERT = (
    f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) "
    "VALUES (%s, %s, %s, %s)"
)


def raw_rows(n: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    """``n`` rows as the events table holds them."""
    return [(uuid.uuid4(), 1, "touchpoint:CallRecorded", PAYLOAD) for _ in range(n)]


@contextmanager
def raw_table(url: str) -> Iterator[RawConnection]:
    """A connection and a table shaped like the events table, dropped on exit."""
    with psycopg.connect(url) as conn:
        conn.execute(RAW_SCHEMA)
        conn.commit()
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(f"DROP TABLE {RAW_TABLE}")
            conn.commit()


def raw_one_per_commit(conn: RawConnection, rows: Sequence[tuple[object, ...]]) -> float:
    """Seconds to write ``rows`` with one INSERT + COMMIT each."""
    started = time.perf_counter()
    for row in rows:
        conn.execute(RAW_INSERT, row, prepare=True)
        conn.commit()
    return time.perf_counter() - started


def raw_executemany(conn: RawConnection, rows: Sequence[tuple[object, ...]]) -> float:
    """Seconds to write ``rows`` with ``executemany`` of 100 rows per transaction."""
    started = time.perf_counter()
    with conn.cursor() as cur:
        for batch in _chunks(rows, 100):
            cur.executemany(RAW_INSERT, batch)
            conn.commit()
    return time.perf_counter() - started


# --- the ledger -----------------------------------------------------------------

_T0 = datetime.now(UTC) - timedelta(days=1)


def calls(n: int, run: str) -> list[c.Command]:
    """``n`` distinct answered calls from an ACD."""
    return [
        c.RecordCall(
            occurred_at=_T0 + timedelta(seconds=i),
            source="acd",
            source_id=f"{run}-call-{i}",
            customer_ref=f"{run}-cust-{i % 5000}",
            queue="billing",
            agent_id=f"agent-{i % 40}",
            reason="invoice",
            wait_seconds=i % 90,
            outcome="answered",
            talk_seconds=120 + i % 300,
            hold_seconds=i % 30,
            after_call_work_seconds=30,
            resolved=i % 3 != 0,
        )
        for i in range(n)
    ]


def registrations(n: int, run: str) -> list[c.Command]:
    """``n`` new customers with name, email and phone (all encrypted)."""
    return [
        c.RegisterCustomer(
            occurred_at=_T0 + timedelta(seconds=i),
            source="crm",
            source_id=f"{run}-reg-{i}",
            customer_ref=f"{run}-new-{i}",
            name=f"Customer Number {i}",
            email=f"customer{i}@example.com",
            phone=f"+44 20 7946 {i:04d}",
            segment="retail",
        )
        for i in range(n)
    ]


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def record_one_by_one(ledger: Ledger, cmds: Sequence[c.Command]) -> float:
    """Seconds to record ``cmds`` with one ``record()`` call each."""
    started = time.perf_counter()
    for cmd in cmds:
        ledger.record(cmd, "bench")
    return time.perf_counter() - started


def record_in_batches(ledger: Ledger, cmds: Sequence[c.Command], size: int) -> float:
    """Seconds to record ``cmds`` in batches of ``size`` (every fact must be new)."""
    started = time.perf_counter()
    for batch in _chunks(cmds, size):
        outcomes = ledger.record_batch(batch, "bench")
        if any(outcome.status != "recorded" for outcome in outcomes):
            msg = "the benchmark expected every fact of a batch recorded"
            raise RuntimeError(msg)
    return time.perf_counter() - started


# --- the run --------------------------------------------------------------------

Slice = Callable[[], float]  # does one slice of work, returns its seconds


@dataclass
class Pair:
    """A ledger figure and its raw baseline, measured in alternating slices."""

    label: str
    baseline: str  # "a" or "b"
    target: float | None
    done: int = 0  # facts, and as many raw rows
    mine: list[float] = field(default_factory=list)  # seconds per slice
    theirs: list[float] = field(default_factory=list)

    def measure(self, slices: Sequence[tuple[int, Slice, Slice]]) -> None:
        """Run (raw, ledger) slice after slice: a busier moment slows both."""
        for size, raw, ledger in slices:
            self.theirs.append(raw())
            self.mine.append(ledger())
            self.done += size

    @property
    def rate(self) -> float:
        return self.done / sum(self.mine)

    @property
    def base_rate(self) -> float:
        return self.done / sum(self.theirs)

    @property
    def ratio(self) -> float:
        return sum(self.theirs) / sum(self.mine)

    @property
    def slice_ratios(self) -> list[float]:
        return sorted(t / m for t, m in zip(self.theirs, self.mine, strict=True))


def pairs(conn: RawConnection, ledger: Ledger, n: int) -> list[Pair]:
    """Every figure, each on new rows and new facts, in slices of 100 or 1,000."""
    run, many = uuid.uuid4().hex[:6], n * BATCHED_PER_SINGLE

    def raw_a(size: int) -> Slice:
        return _bind(raw_one_per_commit, conn, raw_rows(size))

    def raw_b(size: int) -> Slice:
        return _bind(raw_executemany, conn, raw_rows(size))

    single = [
        (len(cmds), raw_a(len(cmds)), _bind(record_one_by_one, ledger, cmds))
        for cmds in _chunks(calls(n, f"{run}s"), 100)
    ]
    batched = {
        name: [
            (len(cmds), raw_b(len(cmds)), _bind(record_in_batches, ledger, cmds, size))
            for cmds in _chunks(make(many, f"{run}{name}"), 1000)
        ]
        for name, make, size in (("h", calls, 100), ("k", calls, 1000), ("g", registrations, 1000))
    }
    measured = [
        (Pair("one fact per record()", "a", 0.5), single),
        (Pair("calls, batches of 100", "b", None), batched["h"]),
        (Pair("calls, batches of 1,000", "b", 0.35), batched["k"]),
        (Pair("registrations, batches of 1,000 (encrypted)", "b", 0.35), batched["g"]),
    ]
    for pair, slices in measured:
        pair.measure(slices)
    return [pair for pair, _ in measured]


def _percentile(ordered: Sequence[float], q: float) -> float:
    return ordered[round(q * (len(ordered) - 1))]


def _bind(function: Callable[..., float], *args: object) -> Slice:
    return lambda: function(*args)


def warm_up(conn: RawConnection, ledger: Ledger) -> None:
    """Connections opened, statements prepared, code paths run once."""
    run = f"{uuid.uuid4().hex[:6]}w"
    raw_one_per_commit(conn, raw_rows(WARM_UP))
    raw_executemany(conn, raw_rows(200))
    record_one_by_one(ledger, calls(WARM_UP, f"{run}s"))
    record_in_batches(ledger, calls(1100, f"{run}b"), 1000)
    record_in_batches(ledger, registrations(1000, f"{run}g"), 1000)


def run(url: str, n: int) -> list[Pair]:
    """Warm up, then measure every figure against its baseline."""
    services = build_services(Settings(database_url=url), url)
    try:
        with raw_table(url) as conn:
            warm_up(conn, services.ledger)
            return pairs(conn, services.ledger, n)
    finally:
        services.close()


def report(measured: list[Pair], console: Console) -> None:
    """The figures as a table: rates, ratio to the paired baseline, spread, target."""
    table = Table(title="touchpoint ingest: ledger vs raw psycopg, one server, paired slices")
    columns = ("ledger", "facts/s", "raw rows/s", "ratio", "slices p10-p90", "target")
    for column in columns:
        table.add_column(column, justify="left" if column == "ledger" else "right")
    for pair in measured:
        low, high = _percentile(pair.slice_ratios, 0.1), _percentile(pair.slice_ratios, 0.9)
        target = ""
        if pair.target is not None:
            verdict = "[green]met[/]" if pair.ratio >= pair.target else "[red]missed[/]"
            target = f">= {pair.target:.2f} x ({pair.baseline}) {verdict}"
        table.add_row(
            pair.label,
            f"{pair.rate:,.0f}",
            f"{pair.base_rate:,.0f} ({pair.baseline})",
            f"{pair.ratio:.2f} x ({pair.baseline})",
            f"{low:.2f} to {high:.2f}",
            target,
        )
    console.print(table)
    console.print(
        "(a) = one INSERT + COMMIT per row; (b) = executemany of 100 rows per transaction; "
        "each into a table shaped like touchpoint_events, measured alternately with the figure."
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TOUCHPOINT_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=3000, help="single facts (batched: 10 x N)")
    args = parser.parse_args(argv)
    console = Console(width=max(130, Console().width))
    with bench_database(args.url) as url:
        name = conninfo_to_dict(url).get("dbname")
        console.print(
            f"database {name}: {args.n:,} single facts, {args.n * 10:,} per batched figure"
        )
        measured = run(url, args.n)
    report(measured, console)


if __name__ == "__main__":
    main()
