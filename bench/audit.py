"""Audit benchmark: what the hash chain costs the ingest, and how fast it is checked and proven.

Run ``python bench/audit.py [--server URL] [--n N] [--events E]``. Everything
happens on throwaway databases created on ``--server`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped at the end.

1. Ingest with and without the chain, same server, one run: database A as
   migrated (every append writes its chain entries), database B the same with the
   chain trigger disabled. Slices of facts alternate between A and B (100 single
   facts, or 1,000 batched ones), so a machine getting busier slows both; the
   ratio is B's time over A's for the same facts (target >= 0.85).
2. A log of ``--events`` events (default 1,000,000): a few thousand real facts
   recorded through the ledger, then their stored states copied (``COPY``, new
   stream ids) in chunks of 50,000 rows, each chunk chained by the trigger as
   any append is. Then: full verification speed (target >= 100,000 events/s);
   the first digest (which fills the Merkle node cache once) and later ones; an
   inclusion proof for one event in the middle (time to produce and to verify,
   size; targets: verify under 1 ms, under 2 KB) and a consistency proof.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.audit.store import consistency_proof, digest_at, inclusion_proof
from api.audit.verify import verify_log
from api.bootstrap import Services, build_services
from api.settings import Settings
from api.storage.migrations import migrate
from bench.ingest import (  # the sibling benchmark's workload and helpers
    _chunks,
    calls,
    record_in_batches,
    record_one_by_one,
    registrations,
    throwaway_database,
)
from domain.commands import Command

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
COPY_CHUNK = 50_000
Slice = Callable[[], float]


# --- 1. ingest with and without the chain -----------------------------------------


@dataclass
class Pair:
    """One ingest figure: seconds per slice with the chain (A) and without (B)."""

    label: str
    facts: int = 0
    chained: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)

    def measure(self, slices: Sequence[tuple[int, Slice, Slice]]) -> None:
        """Alternate: a slice with the chain, then the same amount without."""
        for size, with_chain, without in slices:
            self.chained.append(with_chain())
            self.plain.append(without())
            self.facts += size

    @property
    def ratio(self) -> float:
        return sum(self.plain) / sum(self.chained)

    @property
    def slice_ratios(self) -> list[float]:
        return sorted(p / c for p, c in zip(self.plain, self.chained, strict=True))

    def spread(self) -> str:
        ratios = self.slice_ratios
        return f"{ratios[len(ratios) // 10]:.2f} to {ratios[(9 * len(ratios)) // 10]:.2f}"


def ingest_pairs(a: Services, b: Services, n: int) -> list[Pair]:
    """Single facts, batches of 100 and of 1,000 (calls), and registrations (encrypted)."""
    run = uuid.uuid4().hex[:6]

    def both(
        make: Callable[[int, str], list[Command]],
        count: int,
        record: Callable[[Services, Sequence[Command], int], float],
        size: int,
    ) -> list[tuple[int, Slice, Slice]]:
        cmds_a, cmds_b = make(count, f"{run}a{size}"), make(count, f"{run}b{size}")
        per_slice = 100 if size == 1 else 1000
        return [
            (len(x), _bind(record, a, x, size), _bind(record, b, y, size))
            for x, y in zip(_chunks(cmds_a, per_slice), _chunks(cmds_b, per_slice), strict=True)
        ]

    figures = [
        (Pair("one fact per record()"), both(calls, n, _one_by_one, 1)),
        (Pair("calls, batches of 100"), both(calls, n * 10, _batched, 100)),
        (Pair("calls, batches of 1,000"), both(calls, n * 10, _batched, 1000)),
        (Pair("registrations, batches of 1,000"), both(registrations, n * 5, _batched, 1000)),
    ]
    for pair, slices in figures:
        pair.measure(slices)
    return [pair for pair, _ in figures]


def _one_by_one(services: Services, cmds: Sequence[Command], _: int) -> float:
    return record_one_by_one(services.ledger, cmds)


def _batched(services: Services, cmds: Sequence[Command], size: int) -> float:
    return record_in_batches(services.ledger, cmds, size)


def _bind(function: Callable[..., float], *args: object) -> Slice:
    return lambda: function(*args)


def without_chain(url: str) -> None:
    """Database B: the chain trigger switched off (its own database, nothing else differs)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE touchpoint_events DISABLE TRIGGER touchpoint_events_chain")


def warm_up(a: Services, b: Services) -> None:
    """Connections opened, statements prepared, code paths run once on both sides."""
    run = uuid.uuid4().hex[:6]
    for services, side in ((a, "a"), (b, "b")):
        record_one_by_one(services.ledger, calls(50, f"{run}{side}w"))
        record_in_batches(services.ledger, calls(2000, f"{run}{side}W"), 1000)


# --- 2. a large log: verification, digests, proofs -----------------------------------


def fill(services: Services, events: int, console: Console) -> float:
    """Real facts through the ledger, then copies of their states up to ``events``; seconds."""
    started = time.perf_counter()
    record_in_batches(services.ledger, calls(4000, "tpl"), 1000)
    record_in_batches(services.ledger, registrations(1000, "tpl"), 1000)
    with psycopg.connect(services.database_url) as conn:
        templates = conn.execute("SELECT topic, state FROM touchpoint_events").fetchall()
        done = len(templates)
        while done < events:
            done += _copy_chunk(conn, templates, done, min(COPY_CHUNK, events - done))
    console.print(f"{done:,} events in the log")
    return time.perf_counter() - started


def _copy_chunk(
    conn: psycopg.Connection, templates: list[tuple[object, ...]], start: int, count: int
) -> int:
    copy_sql = (
        "COPY touchpoint_events (originator_id, originator_version, topic, state) "
        "FROM STDIN (FORMAT BINARY)"
    )
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE touchpoint_events IN EXCLUSIVE MODE")
        with cur.copy(copy_sql) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for i in range(start, start + count):
                topic, state = templates[i % len(templates)]
                copy.write_row((uuid.uuid4(), 1, topic, state))
    conn.commit()
    return count


@dataclass
class LargeLog:
    """Figures measured on the large log."""

    events: int = 0
    fill_seconds: float = 0.0
    verify_seconds: float = 0.0
    verified: bool = False
    first_digest: float = 0.0
    digest: float = 0.0
    prove: float = 0.0
    check: float = 0.0
    proof_bytes: int = 0
    proof_bytes_no_record: int = 0
    path_hashes: int = 0
    consistency_prove: float = 0.0
    consistency_check: float = 0.0
    consistency_bytes: int = 0


def large_log(services: Services, events: int, console: Console) -> LargeLog:
    """Fill the log, then time verification, digests and proofs on it."""
    figures = LargeLog(fill_seconds=fill(services, events, console))
    with services.key_pool.connection() as conn:
        figures.first_digest = _timed(lambda: digest_at(conn), 1)
        figures.digest = _timed(lambda: digest_at(conn), 5)
        started = time.perf_counter()
        report = verify_log(conn)
        figures.verify_seconds = time.perf_counter() - started
        figures.events, figures.verified = report.checked, report.ok
        _proofs(conn, report.verified.position, figures)
    return figures


def _position_at(conn: psycopg.Connection, seq: int) -> int:
    """The log position of the chain entry ``seq``."""
    row = conn.execute("SELECT position FROM touchpoint_chain WHERE seq = %s", (seq,)).fetchone()
    if row is None:
        msg = f"no chain entry {seq}"
        raise RuntimeError(msg)
    position: int = row[0]
    return position


def _proofs(conn: psycopg.Connection, head: int, figures: LargeLog) -> None:
    middle = _position_at(conn, figures.events // 2)
    proof = inclusion_proof(conn, middle)
    figures.prove = _timed(lambda: inclusion_proof(conn, middle), 5)
    figures.check = _timed(proof.failures, 200)
    data = proof.to_json()
    figures.proof_bytes = len(json.dumps(data, separators=(",", ":")))
    figures.proof_bytes_no_record = len(
        json.dumps({k: v for k, v in data.items() if k != "record"}, separators=(",", ":"))
    )
    figures.path_hashes = len(proof.path)
    older = _position_at(conn, figures.events // 3)
    step = consistency_proof(conn, older, head)
    figures.consistency_prove = _timed(lambda: consistency_proof(conn, older, head), 5)
    figures.consistency_check = _timed(step.failures, 200)
    figures.consistency_bytes = len(json.dumps(step.to_json(), separators=(",", ":")))
    if proof.failures() or step.failures():
        msg = "a proof did not check out"
        raise RuntimeError(msg)


def _timed(work: Callable[[], object], times: int) -> float:
    """Median seconds of ``work`` over ``times`` runs."""
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


# --- the report -----------------------------------------------------------------------


def report_ingest(pairs: list[Pair], console: Console) -> None:
    """Rates with and without the chain, their ratio and its spread over slices."""
    table = Table(title="ingest with the hash chain (A) vs without (B), same server, paired")
    columns = ("ledger", "facts", "with chain/s", "without/s", "ratio", "median", "p10-p90")
    for column in columns:
        table.add_column(column, justify="left" if column == "ledger" else "right")
    for pair in pairs:
        verdict = "[green]met[/]" if pair.ratio >= 0.85 else "[red]missed[/]"
        table.add_row(
            pair.label,
            f"{pair.facts:,}",
            f"{pair.facts / sum(pair.chained):,.0f}",
            f"{pair.facts / sum(pair.plain):,.0f}",
            f"{pair.ratio:.3f} ({verdict} >= 0.85)",
            f"{statistics.median(pair.slice_ratios):.3f}",
            pair.spread(),
        )
    console.print(table)
    console.print(
        "ratio: time without the chain over time with it, summed over all slices; median and "
        "p10-p90: of the per-slice ratios (a busy machine shows as a wide spread)."
    )


def report_large(f: LargeLog, console: Console) -> None:
    """Verification speed, digests and proofs on the large log."""
    table = Table(title=f"a log of {f.events:,} events")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    rate = f.events / f.verify_seconds
    small = f.proof_bytes_no_record
    rows = [
        ("filled (ledger + COPY, chained by the trigger)", f"{f.fill_seconds:.1f} s", ""),
        ("full verification", f"{f.verify_seconds:.2f} s", ""),
        ("  rate", f"{rate:,.0f} events/s", _goal(rate >= 1e5, ">= 100,000/s")),
        ("  verified", "yes" if f.verified else "NO", ""),
        ("first digest (fills the Merkle node cache)", f"{f.first_digest * 1000:,.0f} ms", ""),
        ("digest, cache filled", f"{f.digest * 1000:.1f} ms", ""),
        ("inclusion proof: produce", f"{f.prove * 1000:.1f} ms", _goal(f.prove < 1, "< 1 s")),
        ("inclusion proof: verify", f"{f.check * 1e6:.0f} µs", _goal(f.check < 1e-3, "< 1 ms")),
        ("inclusion proof: audit path", f"{f.path_hashes} hashes, {f.path_hashes * 32} B", ""),
        ("inclusion proof: JSON without the record", f"{small:,} B", _goal(small < 2048, "< 2 KB")),
        ("inclusion proof: JSON with the record", f"{f.proof_bytes:,} B", ""),
        ("consistency proof (1/3 -> head): produce", f"{f.consistency_prove * 1000:.1f} ms", ""),
        ("consistency proof: verify", f"{f.consistency_check * 1e6:.0f} µs", ""),
        ("consistency proof: JSON", f"{f.consistency_bytes:,} B", ""),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _goal(met: bool, target: str) -> str:
    return f"{target} {'[green]met[/]' if met else '[red]missed[/]'}"


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run both parts, print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--n", type=int, default=3000, help="single facts (batched: 10 x N)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("ingest", "log"), help="run one part only")
    args = parser.parse_args(argv)
    console = Console(width=max(120, Console().width))
    if args.only != "log":
        report_ingest(ingest(args.server, args.n), console)
    if args.only != "ingest":
        report_large(log_figures(args.server, args.events, console), console)


def ingest(server: str, n: int) -> list[Pair]:
    """Part 1 on two throwaway databases, A with the chain and B without."""
    with throwaway_database(server) as url_a, throwaway_database(server) as url_b:
        migrate(url_a)
        migrate(url_b)
        without_chain(url_b)
        a, b = (build_services(Settings(database_url=u), u) for u in (url_a, url_b))
        try:
            warm_up(a, b)
            return ingest_pairs(a, b, n)
        finally:
            a.close()
            b.close()


def log_figures(server: str, events: int, console: Console) -> LargeLog:
    """Part 2 on a throwaway database."""
    with throwaway_database(server) as url:
        migrate(url)
        services = build_services(Settings(database_url=url), url)
        try:
            console.print(f"filling a log of {events:,} events ...")
            return large_log(services, events, console)
        finally:
            services.close()


if __name__ == "__main__":
    main()
