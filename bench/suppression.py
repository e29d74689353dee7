"""Suppression benchmark: deciding a campaign's list against a plain SQL join (issue 18).

Run ``python bench/suppression.py [--url URL] [--customers N] [--seed K] [--record]``.
Without ``--url`` it creates a throwaway database on ``postgresql://postgres@127.0.0.1:5432``,
migrates it, and drops it at the end.

1. The customer view's tables that the contact policy reads are filled directly (COPY) with
   a synthetic history of ``--customers`` customers (default 1,000,000): a profile each, SMS
   consent for 70 % (a tenth of them withdrawn since), about three calls, mailshots or survey
   replies in the last 60 days (some unresolved calls, complaints, detractor replies), 1 % erased.
   The log is not involved: what is measured is reading the view and deciding.
2. In the same run, over the same list in the same chunks (``api.web.suppression.CHUNK``):
   - **plain join**: one SQL statement per chunk joining the list to ``customer_profile``,
     the timeline rows of the policy's horizon and ``customer_consent_changes``, every row
     fetched (what any set-based read of these tables costs);
   - **suppression**: ``api.web.suppression.suppress`` (three set-based reads per chunk, the
     policy decided per customer by ``domain.policy.evaluate``), nothing recorded;
   - with ``--record``, suppression again, recording every suppressed recipient as a fact.
3. It prints customers per second of each, and the suppression's as a ratio of the join's.
"""

from __future__ import annotations

import argparse
import base64
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.bootstrap import Services, build_services
from api.settings import Settings
from api.web.suppression import CHUNK, Run, suppress
from bench.projections_log import bench_database
from domain.policy import default_policy
from projections.customer.contactability import horizon

AT = datetime(2026, 12, 1, tzinfo=UTC)
REASONS = ("balance-query", "card-lost", "complaint", "payment-query")
_JOIN = """
SELECT r.ref, p.erased_at, t.position, t.kind, t.occurred_at, t.reason, t.resolved, t.nps,
       c.position AS consent_position, c.granted
FROM unnest(%(refs)s::text[]) AS r(ref)
JOIN customer_profile p ON p.customer_ref = r.ref
LEFT JOIN customer_timeline t
  ON t.customer_ref = r.ref AND t.occurred_at BETWEEN %(since)s AND %(at)s
LEFT JOIN customer_consent_changes c ON c.customer_ref = r.ref AND c.channel = 'sms'
"""


def ref(i: int) -> str:
    return f"B-{i:07d}"


def fill(url: str, customers: int, seed: int) -> None:
    """The synthetic history of step 1, by COPY."""
    rng = random.Random(seed)
    position = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        profile = (
            "COPY customer_profile (customer_ref, registered, erased_at, first_position, "
            "last_position) FROM STDIN"
        )
        consent = (
            "COPY customer_consent_changes (position, customer_ref, channel, granted, "
            "occurred_at) FROM STDIN"
        )
        timeline = (
            "COPY customer_timeline (position, stream_id, customer_ref, kind, channel, "
            "occurred_at, recorded_at, source, source_id, reason, outcome, resolved, "
            "campaign_id, nps) FROM STDIN"
        )
        with cur.copy(profile) as copy:
            for i in range(customers):
                erased = AT - timedelta(days=100) if rng.random() < 0.01 else None
                copy.write_row((ref(i), True, erased, 1, 1))
        with cur.copy(consent) as copy:
            for i in range(customers):
                if rng.random() < 0.7:
                    position += 1
                    copy.write_row((position, ref(i), "sms", True, AT - timedelta(days=200)))
                    if rng.random() < 0.1:
                        position += 1
                        copy.write_row((position, ref(i), "sms", False, AT - timedelta(days=20)))
        with cur.copy(timeline) as copy:
            for i in range(customers):
                for _ in range(rng.randint(0, 6)):
                    position += 1
                    copy.write_row(_item(rng, position, ref(i)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def _item(rng: random.Random, position: int, who: str) -> tuple[object, ...]:
    when = AT - timedelta(seconds=rng.randrange(60 * 86400))
    kind = rng.choice(("call", "mailshot", "survey"))
    common = (position, uuid.uuid4(), who, kind)
    tail = (when, when, "bench", f"s-{position}")
    if kind == "call":
        resolved = rng.random() < 0.8
        return (*common, "phone", *tail, rng.choice(REASONS), "answered", resolved, None, None)
    if kind == "mailshot":
        return (*common, "sms", *tail, None, None, None, "bench-campaign", None)
    return (*common, "survey", *tail, None, None, None, None, rng.randint(0, 10))


def plain_join(url: str, refs: list[str], since: timedelta) -> float:
    """Customers per second of step 2's plain join."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for start in range(0, len(refs), CHUNK):
            params = {"refs": refs[start : start + CHUNK], "since": AT - since, "at": AT}
            conn.execute(_JOIN, params).fetchall()
    return len(refs) / (time.perf_counter() - started)


def suppression(services: Services, refs: list[str], *, record: bool) -> tuple[float, int]:
    """Customers per second of ``suppress``, and how many it suppressed."""
    run = Run("bench-campaign", "sms", AT, "bench", record=record)
    suppressed = 0
    started = time.perf_counter()
    for chunk in suppress(services, run, refs):
        suppressed += sum(1 for verdict in chunk if not verdict.send)
    return len(refs) / (time.perf_counter() - started), suppressed


@contextmanager
def _services(url: str) -> Iterator[Services]:
    settings = Settings(database_url=url, index_key=secrets.token_urlsafe(32))
    settings.api_key_secret = settings.api_key_secret or SecretStr(secrets.token_urlsafe(48))
    with tempfile.TemporaryDirectory() as folder:
        if settings.kek_file is None:  # a throwaway keyring (no personal data is written)
            settings.kek_file = Path(folder) / "kek"
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            settings.kek_file.write_text(f"1 {key}\n")
            settings.kek_file.chmod(0o600)
        services = build_services(settings, url)
        try:
            yield services
        finally:
            services.close()


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a database (default: a throwaway one)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--record", action="store_true", help="also measure with recording")
    args = parser.parse_args(argv)
    console = Console(width=110)
    refs = [ref(i) for i in range(args.customers)]
    random.Random(args.seed).shuffle(refs)  # a list in no particular order
    with bench_database(args.url) as url, _services(url) as services:
        console.print(f"filling the customer view with {args.customers:,} customers…")
        fill(url, args.customers, args.seed)
        loop = timedelta(hours=services.view_config.closed_loop_hours)
        since = horizon(default_policy(services.view_config.pressure_cap), loop)
        rows: dict[str, tuple[float, int | None]] = {
            "plain join": (plain_join(url, refs, since), None)
        }
        rows["suppression (decide only)"] = suppression(services, refs, record=False)
        if args.record:
            rows["suppression (recording facts)"] = suppression(services, refs, record=True)
    table = Table(title=f"Suppression of {args.customers:,} customers, SMS, {AT:%Y-%m-%d}")
    for column in ("", "customers/s", "ratio to the join", "suppressed"):
        table.add_column(column, justify="right")
    join = rows["plain join"][0]
    for name, (speed, suppressed) in rows.items():
        shown = "" if suppressed is None else f"{suppressed:,}"
        table.add_row(name, f"{speed:,.0f}", f"{speed / join:.2f}", shown)
    console.print(table)


if __name__ == "__main__":
    main()
