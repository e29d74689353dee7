"""Search benchmark: finding a customer against opening one (issue 13, point 5).

Run ``python bench/search.py [--url URL] [--customers N] [--months M] [--seed K]
[--requests R]``. Without ``--url`` it creates a throwaway database on
``postgresql://postgres@127.0.0.1:5432``, migrates it, and drops it at the end.

1. The demo's seeded history (``api.demo.history``, ``--customers`` over ``--months``
   ending on the demo's default end) is recorded through the ledger, unless the log
   already holds facts (a database given with ``--url`` that ``touchpoint demo`` loaded
   with the same options), and the views are brought up to the head of the log.
2. Through the ASGI app (FastAPI's ``TestClient``, an agent key, the blind index key
   of this run), ``--requests`` requests of each kind, for customers picked by the seed
   from the history's registrations, in rounds (one request of every kind per round, so
   that a machine getting busier slows every kind alike):
   the customer view ``GET /customers/{ref}``; the search ``GET /customers?name=`` (full
   name), ``?phone=`` and ``?email=``; the screen pop ``GET /customers/lookup?phone=``.
3. It prints requests per second, p50 and p99 latency of each kind, and its speed as a
   ratio to the customer view's (issue 13: search and lookup answer in about the time of
   the customer view). Answers other than 200 are counted (a lookup answers 300 when
   several customers share a number).
"""

from __future__ import annotations

import argparse
import base64
import logging
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

# First: this file's directory is not a package root; the project's is.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.bootstrap import Services, build_services
from api.demo.history import DemoConfig, generate, generate_days, load
from api.settings import Settings
from api.web.app import create_app
from bench.projections_log import bench_database, count_facts
from domain import commands as c

KINDS = ("customer view", "search by name", "search by phone", "search by e-mail", "lookup")


@dataclass(frozen=True)
class Sample:
    """A customer as registered (the values an agent would type)."""

    ref: str
    name: str
    phone: str
    email: str


@dataclass
class Timings:
    """Seconds per request and the statuses seen, per kind of request."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def note(self, kind: str, seconds: float, status: int) -> None:
        self.seconds[kind].append(seconds)
        self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1


def samples(config: DemoConfig, count: int, seed: int) -> list[Sample]:
    """``count`` customers of the history (registered ones, picked by ``seed``), with
    their current details (a later change of number or address applied)."""
    found: dict[str, Sample] = {}
    for cmd in generate(config):
        if isinstance(cmd, c.RegisterCustomer):
            found[cmd.customer_ref] = Sample(
                cmd.customer_ref, cmd.name or "", cmd.phone or "", cmd.email or ""
            )
        elif isinstance(cmd, c.ChangeContactDetails) and cmd.customer_ref in found:
            was = found[cmd.customer_ref]
            found[cmd.customer_ref] = Sample(
                was.ref, cmd.name or was.name, cmd.phone or was.phone, cmd.email or was.email
            )
    everyone = sorted(found.values(), key=lambda sample: sample.ref)
    return random.Random(seed).sample(everyone, min(count, len(everyone)))


def paths(sample: Sample) -> dict[str, str]:
    """The path of each kind of request for ``sample``."""
    return {
        "customer view": f"/customers/{sample.ref}",
        "search by name": f"/customers?name={quote(sample.name)}",
        "search by phone": f"/customers?phone={quote(sample.phone)}",
        "search by e-mail": f"/customers?email={quote(sample.email)}",
        "lookup": f"/customers/lookup?phone={quote(sample.phone)}",
    }


def measure(client: TestClient, key: str, picked: list[Sample], rounds: int) -> Timings:
    """``rounds`` rounds of one request of every kind (a warm-up round first, not kept)."""
    timings, headers = Timings(), {"X-API-Key": key}
    for n in range(-1, rounds):
        for kind, path in paths(picked[max(n, 0) % len(picked)]).items():
            start = time.perf_counter()
            status = client.get(path, headers=headers).status_code
            if n >= 0:
                timings.note(kind, time.perf_counter() - start, status)
    return timings


@contextmanager
def served(url: str, config: DemoConfig, console: Console) -> Iterator[tuple[Services, str]]:
    """Services on ``url`` with the demo loaded and the views caught up, and an agent key."""
    settings = Settings(database_url=url, index_key=secrets.token_urlsafe(32))
    if settings.api_key_secret is None:  # this run's keys only (TOUCHPOINT_API_KEY_SECRET)
        settings.api_key_secret = SecretStr(secrets.token_urlsafe(48))
    with tempfile.TemporaryDirectory() as folder:
        if settings.kek_file is None:  # a throwaway keyring (TOUCHPOINT_KEK_FILE for yours)
            settings.kek_file = Path(folder) / "kek"
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            settings.kek_file.write_text(f"1 {key}\n")
            settings.kek_file.chmod(0o600)
        services = build_services(settings, url)
        with _closing(services):
            if count_facts(url) == 0:
                console.print(f"recording the demo history ({config.customers:,} customers)…")
                load(services.ledger, generate_days(config))
            console.print("bringing the views up to the head of the log…")
            services.runner().catch_up_all()
            yield services, services.keys.create("agent", "bench-search")[1]


@contextmanager
def _closing(services: Services) -> Iterator[None]:
    try:
        yield
    finally:
        services.close()


def report(timings: Timings, console: Console) -> None:
    """One row per kind: req/s, p50, p99 (ms), ratio of req/s to the customer view's."""
    table = Table(title="finding a customer vs opening one (through the ASGI app)")
    for column in ("request", "req/s", "p50 ms", "p99 ms", "vs customer view", "answers"):
        table.add_column(column, justify="left" if column in ("request", "answers") else "right")
    base = _rate(timings.seconds["customer view"])
    for kind in KINDS:
        seconds = timings.seconds[kind]
        answers = ", ".join(f"{s}: {n}" for s, n in sorted(timings.statuses[kind].items()))
        table.add_row(
            kind, f"{_rate(seconds):,.0f}", _ms(seconds, 0.5), _ms(seconds, 0.99),
            f"{_rate(seconds) / base:.2f}", answers,
        )  # fmt: skip
    console.print(table)


def _rate(seconds: list[float]) -> float:
    return len(seconds) / sum(seconds)


def _ms(seconds: list[float], q: float) -> str:
    ordered = sorted(seconds)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a database (default: a throwaway one)")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=500, help="requests of each kind")
    args = parser.parse_args(argv)
    console = Console(width=110)
    config = DemoConfig(customers=args.customers, months=args.months, seed=args.seed)
    picked = samples(config, 200, args.seed)
    with bench_database(args.url) as url, served(url, config, console) as (services, key):
        client = TestClient(create_app(services))
        logging.disable(logging.INFO)  # an access line per request would drown the table
        with client:
            timings = measure(client, key, picked, args.requests)
    console.print(
        f"{args.customers:,} customers in the log, {len(picked)} of them asked for, "
        f"{args.requests} requests of each kind, {date.today()}"
    )
    report(timings, console)
    median = statistics.median(timings.seconds["customer view"]) * 1000
    console.print(f"customer view median: {median:.1f} ms")


if __name__ == "__main__":
    main()
