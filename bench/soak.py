"""Soak: mixed traffic at a fixed rate against `touchpoint serve`, for a bounded time.

Run ``python bench/soak.py [--minutes 10] [--rate 100] [--url URL]``. The script
starts a throwaway PostgreSQL cluster (the embedded server's binaries, in a temp
folder) or, with ``--url``, a throwaway database on that server (dropped at the
end); migrates it, registers customers, starts ``touchpoint serve`` on 127.0.0.1
and drives it from this process: requests are scheduled at a fixed rate (open
loop) and handed to worker threads; a latency runs from the scheduled moment to
the answer, so a server that falls behind shows it.

Printed: p50/p99 per endpoint per minute, errors (any status but the expected
ones, or no answer), RSS of each process (serve, PostgreSQL's, this driver) at
start, after the first minute (warm-up) and at the end, projection lag per minute
(sampled every 5 s), and writes acknowledged against the log at the end. Targets
(issue 6): zero errors, zero lost writes, memory growth under 10 % after warm-up,
last minute's p99 within 1.5 x the first minute's.
"""

from __future__ import annotations

import argparse
import queue
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from psycopg.conninfo import make_conninfo
from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.storage.keys import Role
from api.storage.migrations import migrate
from domain.commands import AnyCommand
from tests.faults.support import (
    Cluster,
    call,
    services_on,
    serving,
    wait_until,
)

CUSTOMERS = 5000
# Facts are dated along a year, three minutes apart in request order, so each customer
# has a realistic handful of calls a month (a few hundred calls by one customer on one
# day would make every call a repeat of every other, which no contact centre sees).
EPOCH = datetime(2026, 1, 1, 8, tzinfo=UTC)
SPACING = timedelta(minutes=3)
VIEWS = ("customer", "cost", "crm", "cem")
ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyCommand)


@dataclass
class Stats:
    """Latencies (ms) and errors per (minute, endpoint); acknowledged write bodies."""

    start: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    acked: list[dict[str, Any]] = field(default_factory=list)
    lag: dict[int, tuple[int, float]] = field(default_factory=dict)

    def minute(self, at: float) -> int:
        return int((at - self.start) // 60)

    def note(self, endpoint: str, scheduled: float, ok: bool, detail: str) -> None:
        elapsed = (time.monotonic() - scheduled) * 1000
        key = (self.minute(scheduled), endpoint)
        with self.lock:
            self.latencies[key].append(elapsed)
            if not ok:
                self.errors[key] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{endpoint}: {detail}")


@dataclass
class Keys:
    agent: dict[str, str]
    analyst: dict[str, str]
    auditor: dict[str, str]
    integrator: dict[str, str]


class Traffic:
    """The mix: each endpoint with its weight and how to send one request."""

    def __init__(self, keys: Keys, stats: Stats, seed: int = 6) -> None:
        self.keys, self.stats = keys, stats
        self.rng = random.Random(seed)
        self.counter = iter(range(10**9))
        self.mix: list[tuple[str, int, Callable[[httpx.Client, int], tuple[bool, str]]]] = [
            ("POST /interactions/calls", 40, self.post_call),
            ("POST /interactions/surveys", 10, self.post_survey),
            ("POST /interactions/batch (25)", 4, self.post_batch),
            ("GET /customers/{ref}", 25, self.get_customer),
            ("GET /customers/{ref}/timeline", 8, self.get_timeline),
            ("GET /metrics/cost", 6, self.get_metrics),
            ("GET /log", 5, self.get_log),
            ("GET /health", 2, self.get_health),
        ]
        self.weights = [weight for _, weight, _ in self.mix]

    def pick(self) -> tuple[str, Callable[[httpx.Client, int], tuple[bool, str]]]:
        name, _, send = self.rng.choices(self.mix, self.weights)[0]
        return name, send

    def ref(self, n: int) -> str:
        return f"S{n % CUSTOMERS}"

    def when(self, n: int) -> str:
        return (EPOCH + n * SPACING).isoformat()

    def _acked(self, body: dict[str, Any]) -> None:
        with self.stats.lock:
            self.stats.acked.append(body)

    def _write(self, http: httpx.Client, path: str, body: dict[str, Any]) -> tuple[bool, str]:
        response = http.post(path, json=body, headers=self.keys.agent)
        if response.status_code in (200, 201):
            self._acked(body)
            return True, ""
        return False, f"{response.status_code} {response.text[:120]}"

    def post_call(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        body = call(f"soak-{n}", ref=self.ref(n), occurred_at=self.when(n))
        return self._write(http, "/interactions/calls", body)

    def post_survey(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        body = {
            "kind": "survey_replied",
            "occurred_at": self.when(n),
            "source": "survey-tool",
            "source_id": f"soak-s-{n}",
            "customer_ref": self.ref(n),
            "survey_kind": "relationship",
            "nps": n % 11,
        }
        return self._write(http, "/interactions/surveys", body)

    def post_batch(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        bodies = [
            call(f"soak-b{n}-{i}", ref=self.ref(n + i), occurred_at=self.when(n)) for i in range(25)
        ]
        response = http.post("/interactions/batch", json=bodies, headers=self.keys.integrator)
        if response.status_code != 200:
            return False, f"{response.status_code} {response.text[:120]}"
        items = response.json()["items"]
        for item in items:
            if item["status"] in ("recorded", "duplicate"):
                self._acked(bodies[item["index"]])
        refused = [item for item in items if item["status"] == "refused"]
        return not refused, f"{len(refused)} items refused"

    def _read(
        self, http: httpx.Client, path: str, key: dict[str, str], **params: Any
    ) -> tuple[bool, str]:
        response = http.get(path, params=params, headers=key)
        return response.status_code == 200, f"{response.status_code} {response.text[:120]}"

    def get_customer(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        return self._read(http, f"/customers/{self.ref(n)}", self.keys.agent)

    def get_timeline(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        return self._read(http, f"/customers/{self.ref(n)}/timeline", self.keys.agent, limit=20)

    def get_metrics(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        params = {"from": "2026-01-01", "to": "2026-03-31", "group_by": "queue"}
        return self._read(http, "/metrics/cost", self.keys.analyst, **params)

    def get_log(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        return self._read(http, "/log", self.keys.auditor, after=n * 7 % 5000, limit=50)

    def get_health(self, http: httpx.Client, n: int) -> tuple[bool, str]:
        return self._read(http, "/health", {})


def drive(base: str, traffic: Traffic, rate: float, seconds: float, workers: int) -> None:
    """Schedule requests at ``rate`` per second for ``seconds``; ``workers`` send them."""
    jobs: queue.Queue[tuple[float, int] | None] = queue.Queue()

    def work() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while (job := jobs.get()) is not None:
                scheduled, n = job
                name, send = traffic.pick()
                try:
                    ok, detail = send(http, n)
                except httpx.HTTPError as error:
                    ok, detail = False, f"no answer: {type(error).__name__}"
                traffic.stats.note(name, scheduled, ok, detail)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    start = traffic.stats.start = time.monotonic()  # minutes count from the first request
    for n in range(int(rate * seconds)):
        scheduled = start + n / rate
        time.sleep(max(0.0, scheduled - time.monotonic()))
        jobs.put((scheduled, n))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(60)


def sample_lag(base: str, key: dict[str, str], stats: Stats, stop: threading.Event) -> None:
    """Every 5 s, the largest lag of the views (facts, seconds), kept per minute as a maximum."""
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.wait(5):
            try:
                states = [http.get(f"/views/{v}/status", headers=key).json() for v in VIEWS]
                facts = max(int(s["lag_facts"]) for s in states)
                seconds = max(float(s["lag_seconds"]) for s in states)
            except (httpx.HTTPError, KeyError, ValueError):
                continue
            minute = stats.minute(time.monotonic())
            old = stats.lag.get(minute, (0, 0.0))
            stats.lag[minute] = (max(old[0], facts), max(old[1], seconds))


def rss_mb(serve_pid: int, postgres_pid: int | None) -> dict[str, float]:
    """Resident memory (MB) of serve, of PostgreSQL (postmaster and backends), of this driver."""

    def tree(pid: int, kind: str = "rss") -> float:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
        if kind == "pss":
            return float(sum(p.memory_full_info().pss for p in family))
        return float(sum(p.memory_info().rss for p in family))

    found = {"touchpoint serve": tree(serve_pid), "driver": psutil.Process().memory_info().rss}
    if postgres_pid is not None:
        found["postgres, all processes (RSS)"] = tree(postgres_pid)
        found["postgres, all processes (PSS)"] = tree(postgres_pid, "pss")
    return {name: value / 2**20 for name, value in found.items()}


@contextmanager
def database(url: str | None) -> Iterator[tuple[str, int | None]]:
    """(URL, postmaster pid or None): a throwaway cluster, or a throwaway database on ``url``."""
    if url is None:
        cluster = Cluster()
        try:
            yield cluster.url, cluster.server.get_pid()
        finally:
            cluster.close()
        return
    name = f"tp_soak_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(url, dbname=name), None
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str) -> Keys:
    """Migrate, make keys, register the customers the traffic uses."""
    migrate(url)
    with services_on(url) as services:
        key = {role: {"X-API-Key": services.keys.create(role, "soak")[1]} for role in ROLES}
        services.keys.create("admin", "soak")
        customers = [
            ADAPTER.validate_python(
                {
                    "kind": "customer_registered",
                    "occurred_at": "2025-12-01T08:00:00+00:00",
                    "source": "crm",
                    "source_id": f"reg-S{i}",
                    "customer_ref": f"S{i}",
                    "name": f"Soak Customer {i}",
                    "email": f"s{i}@example.org",
                }
            )
            for i in range(CUSTOMERS)
        ]
        services.ledger.record_batch(customers, "soak")
    return Keys(**{role: key[role] for role in ROLES})


ROLES: tuple[Role, ...] = ("agent", "analyst", "auditor", "integrator")


def lost_writes(url: str, acked: list[dict[str, Any]]) -> int:
    """Acknowledged writes whose fact is not in the log."""
    fact_ids = list({ADAPTER.validate_python(body).fact_id() for body in acked})
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM fact_keys WHERE fact_id = ANY(%s)", (fact_ids,)
        ).fetchone()
    return len(fact_ids) - (int(row[0]) if row else 0)


def report(stats: Stats, memory: dict[str, dict[str, float]], lost: int, acked: int) -> None:
    console = Console(width=200)
    minutes = sorted({minute for minute, _ in stats.latencies})
    endpoints = sorted({endpoint for _, endpoint in stats.latencies})
    table = Table(title="Latency per minute: p50 / p99 (ms), requests, errors")
    table.add_column("endpoint")
    for minute in minutes:
        table.add_column(f"min {minute + 1}", justify="right")
    for endpoint in endpoints:
        cells = []
        for minute in minutes:
            values = sorted(stats.latencies.get((minute, endpoint), []))
            if not values:
                cells.append("-")
                continue
            p50, p99 = (
                values[len(values) // 2],
                values[min(len(values) - 1, len(values) * 99 // 100)],
            )
            errors = stats.errors.get((minute, endpoint), 0)
            cells.append(f"{p50:.1f} / {p99:.1f} ({len(values)}, {errors})")
        table.add_row(endpoint, *cells)
    console.print(table)
    lag = ", ".join(
        f"min {m + 1}: {f} facts / {s:.1f} s" for m, (f, s) in sorted(stats.lag.items())
    )
    console.print(f"projection lag (max of the views, max per minute): {lag or 'not sampled'}")
    console.print(memory_table(memory))
    total_errors = sum(stats.errors.values())
    console.print(f"errors: {total_errors}; samples: {stats.error_samples[:5]}")
    console.print(f"writes acknowledged: {acked}; missing from the log: {lost}")
    first = _all_p99(stats, minutes[0]) if minutes else 0.0
    last = _all_p99(stats, minutes[-1]) if minutes else 0.0
    console.print(
        f"p99 of all requests: first minute {first:.1f} ms, last minute {last:.1f} ms "
        f"(ratio {last / first if first else float('nan'):.2f}, target <= 1.5)"
    )


def memory_table(memory: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Memory (MB): RSS; PostgreSQL also as PSS (shared pages counted once)")
    for column in ("process", "start", "after warm-up", "end", "growth after warm-up"):
        table.add_column(column, justify="right")
    for name in memory["start"]:
        start, warm, end = (memory[moment][name] for moment in ("start", "warm", "end"))
        growth = f"{(end / warm - 1):+.1%}" if warm else "-"
        table.add_row(name, f"{start:.0f}", f"{warm:.0f}", f"{end:.0f}", growth)
    return table


def _all_p99(stats: Stats, minute: int) -> float:
    values = sorted(v for (m, _), vs in stats.latencies.items() if m == minute for v in vs)
    return _p99(values) if values else 0.0


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--url", help="a server to make the throwaway database on")
    args = parser.parse_args()
    with database(args.url) as (url, postgres_pid), _tmp_log() as log:
        keys = prepare(url)
        with serving(url, log, rate_limit_per_second="0") as served:
            wait_until(lambda: _caught_up(served.base, keys.auditor), 120, "views at head")
            stats = Stats()
            memory = {"start": rss_mb(served.process.pid, postgres_pid)}
            stop = threading.Event()
            sampler = threading.Thread(
                target=sample_lag, args=(served.base, keys.auditor, stats, stop)
            )
            sampler.start()
            warm = threading.Timer(
                60, lambda: memory.setdefault("warm", rss_mb(served.process.pid, postgres_pid))
            )
            warm.start()
            drive(served.base, Traffic(keys, stats), args.rate, args.minutes * 60, args.workers)
            stop.set()
            sampler.join(15)
            memory.setdefault("warm", memory["start"])
            memory["end"] = rss_mb(served.process.pid, postgres_pid)
            wait_until(lambda: _caught_up(served.base, keys.auditor), 120, "views at head")
        report(stats, memory, lost_writes(url, stats.acked), len(stats.acked))


def _caught_up(base: str, key: dict[str, str]) -> bool:
    try:
        return all(
            httpx.get(f"{base}/views/{v}/status", headers=key, timeout=5).json()["lag_facts"] == 0
            for v in VIEWS
        )
    except (httpx.HTTPError, KeyError, ValueError):
        return False


@contextmanager
def _tmp_log() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="tp-soak-"))
    yield folder / "serve.log"
    print(f"serve's output: {folder / 'serve.log'}")


if __name__ == "__main__":
    main()
