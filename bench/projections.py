"""Projection benchmark: rebuild speed, one event per transaction, and steady-state lag.

Run ``python bench/projections.py [--url URL] [--facts N] [--sample S] [--rate R]
[--seconds T]``. Without ``--url`` it creates a throwaway database on
``postgresql://postgres@127.0.0.1:5432``, migrates it, and drops it at the end.

1. A seeded history of a bank's contact centre and its mailshots (customers,
   calls with repeats and corrections, campaigns with mailshots sent, held back,
   delivered, bounced, answered and converted, consent changes, surveys about
   calls and mailshots) is recorded through ``Ledger.record_batch`` in batches of
   1,000, encryption included. The log of a database given with ``--url`` is
   continued where it stopped (the history is deterministic), never duplicated.
2. All four views are rebuilt from scratch together with the production runner
   (reset, then ``catch_up_all`` at the default page size): facts/s over the log.
3. The same views fed one event per transaction by the eventsourcing library's
   own ``ProjectionRunner`` (one runner per view, as the library is meant to be
   used), on the first ``--sample`` facts; the production runner on the same
   sample for a like-for-like ratio.
4. Steady-state lag: the projectors running as ``touchpoint serve`` runs them,
   another process appends the history's next facts one ``record()`` at a time
   at ``--rate`` per second, a third polls ``view_tracking``; the lag of a fact
   is from the start of its append to the first poll that sees its view past it.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import heapq
import itertools
import logging
import math
import multiprocessing as mp
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.projection import ProjectionRunner as LibraryRunner
from eventsourcing.utils import EnvType
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import tuple_row
from rich.console import Console
from rich.progress import Progress, TextColumn
from rich.table import Table

# First: this file's name is the projections package's, which must be found at the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.bootstrap import Services, build_services, eventsourcing_env, start_projectors
from api.settings import Settings
from api.storage.migrations import migrate
from domain import commands as c
from domain.errors import DomainError
from domain.ledger import Ledger
from domain.ports import Keyring
from domain.reading import LoggedFact
from projections.runner import ProjectionRunner, View, conninfo

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 1_000  # facts per record_batch while filling the log
APPENDERS = 8  # threads appending concurrently in the appender process
POLL = 0.002  # seconds between two polls of view_tracking while measuring lag
WARM_UP = 2.0  # seconds of appends before the lag is measured
RawConnection = psycopg.Connection[tuple[Any, ...]]
DAY = 86_400.0
HOUR = 3_600.0
T0 = datetime(2025, 1, 6, tzinfo=UTC).timestamp()  # a Monday; fixed, so runs repeat exactly
FACTS_PER_DAY = 5_900  # at --facts 1,000,000 the history spans about 170 days


# --- the history --------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why customers call: the queue that takes it, how long it takes, how often it's fixed."""

    code: str
    queue: str
    talk: int  # median talk seconds (log-normal around it)
    resolved: float  # chance an answered call resolves it
    weight: int  # share of spontaneous calls


REASONS = (
    Reason("balance", "service", 170, 0.93, 18),
    Reason("payment", "service", 250, 0.78, 14),
    Reason("direct-debit", "service", 230, 0.84, 8),
    Reason("statement", "service", 140, 0.95, 6),
    Reason("address", "service", 200, 0.90, 5),
    Reason("complaint", "service", 480, 0.52, 5),
    Reason("card-lost", "cards", 220, 0.93, 7),
    Reason("card-declined", "cards", 270, 0.74, 9),
    Reason("pin-reset", "cards", 160, 0.90, 6),
    Reason("fraud", "cards", 340, 0.80, 5),
    Reason("mortgage", "lending", 560, 0.70, 4),
    Reason("loan", "lending", 450, 0.66, 4),
)
CALLBACK = Reason("detractor-callback", "care", 380, 0.85, 0)
AGENTS = {
    queue: [f"{queue}-{n:03d}" for n in range(size)]
    for queue, size in (("service", 60), ("cards", 35), ("lending", 15), ("care", 8))
}
SEGMENTS = ("everyday", "premier", "student", "business")
CHANNELS = ("email", "post", "sms")
UNIT_COST = {"post": Decimal("0.65"), "email": Decimal("0.01"), "sms": Decimal("0.04")}
RESPONSES = ("web", "phone", "branch", "reply")


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class History:
    """An endless, seeded history in log order: the same seed gives the same facts.

    Each day's facts are made, with the facts they lead to (repeat calls,
    corrections, survey replies, deliveries, responses...) queued by the time they
    are recorded; a day's queue is emptied in that order. Most facts are recorded
    within seconds of happening; some calls hours later (late arrivals), post
    deliveries days later. A fact is never recorded before the fact it follows.
    Volumes per day scale with ``scale`` (1.0 for a log of 1,000,000 facts).
    """

    seed: int
    scale: float
    rng: random.Random = field(init=False)
    customers: list[str] = field(default_factory=list)
    pending: list[tuple[float, int, c.Command]] = field(default_factory=list)
    serial: Iterator[int] = field(default_factory=itertools.count)
    day: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tag = f"s{self.seed}"
        self.weights = list(itertools.accumulate(reason.weight for reason in REASONS))

    def __iter__(self) -> Iterator[c.Command]:
        while True:
            start = T0 + self.day * DAY
            self._one_day(start)
            self.day += 1
            while self.pending and self.pending[0][0] < start + DAY:
                yield heapq.heappop(self.pending)[2]

    def _push(self, recorded: float, cmd: c.Command) -> float:
        heapq.heappush(self.pending, (recorded, next(self.serial), cmd))
        return recorded

    def _many(self, per_day: float) -> int:
        """``per_day`` scaled, the fraction rounded at random (so small scales still add up)."""
        n = per_day * self.scale
        return int(n) + (self.rng.random() < n - int(n))

    def _daytime(self, start: float) -> float:
        return start + 8 * HOUR + self.rng.random() * 12 * HOUR

    def _one_day(self, start: float) -> None:
        rng = self.rng
        for _ in range(self._many(10_000 if self.day == 0 else 300)):  # day 0: a CRM import
            self._register(start + rng.random() * DAY)
        for _ in range(self._many(2_000)):
            who = self._customer()
            reason = REASONS[self._reason()]
            self._call(who, reason, self._daytime(start), 0)
        if not self.customers:
            return
        for _ in range(self._many(50)):
            self._details(self._daytime(start))
        for _ in range(self._many(170)):
            self._consent(self._daytime(start))
        for _ in range(self._many(20)):
            self._survey(rng.choice(self.customers), self._daytime(start), 0.0, None)
        if self.day % 7 == 2:
            self._campaign(start)

    def _reason(self) -> int:
        point = self.rng.random() * self.weights[-1]
        return next(i for i, top in enumerate(self.weights) if point < top)

    def _customer(self) -> str:
        """A registered customer mostly; one in ten calls from someone not (yet) in the CRM."""
        if self.customers and self.rng.random() < 0.9:
            return self.rng.choice(self.customers)
        return f"{self.tag}-u{self.rng.randrange(max(1, round(20_000 * self.scale)))}"

    # customers

    def _register(self, at: float) -> None:
        n = len(self.customers)
        ref = f"{self.tag}-c{n}"
        cmd = c.RegisterCustomer(
            occurred_at=_at(at),
            source="crm",
            source_id=f"{ref}-reg",
            customer_ref=ref,
            name=f"Customer {n}",
            email=f"customer{n}@example.com",
            phone=f"+44 7700 9{n % 100_000:05d}",
            segment=SEGMENTS[min(3, int(self.rng.random() ** 1.6 * 4))],
        )
        self._push(at + self.rng.uniform(1, 60), cmd)
        self.customers.append(ref)

    def _details(self, at: float) -> None:
        ref = self.rng.choice(self.customers)
        cmd = c.ChangeContactDetails(
            occurred_at=_at(at),
            source="crm",
            source_id=f"{ref}-det-{next(self.serial)}",
            customer_ref=ref,
            email=f"{ref}.{next(self.serial)}@example.org",
        )
        self._push(at + self.rng.uniform(1, 60), cmd)

    def _consent(self, at: float, ref: str | None = None, channel: str | None = None) -> None:
        ref = ref or self.rng.choice(self.customers)
        cmd = c.ChangeMarketingConsent(
            occurred_at=_at(at),
            source="crm",
            source_id=f"{ref}-con-{next(self.serial)}",
            customer_ref=ref,
            channel=channel or self.rng.choice(("post", "email", "sms", "phone")),
            granted=self.rng.random() < 0.4,
        )
        self._push(at + self.rng.uniform(1, 60), cmd)

    # calls

    def _call(self, who: str, reason: Reason, at: float, depth: int) -> None:
        rng = self.rng
        source_id = f"{self.tag}-call-{next(self.serial)}"
        abandoned = rng.random() < 0.08
        talk = 0 if abandoned else int(rng.lognormvariate(math.log(reason.talk), 0.5))
        hold = int(talk * rng.random() * 0.2) if rng.random() < 0.3 else 0
        wrap = 0 if abandoned else 20 + int(rng.expovariate(1 / 40))
        resolved = not abandoned and rng.random() < reason.resolved
        cmd = c.RecordCall(
            occurred_at=_at(at),
            source="acd",
            source_id=source_id,
            customer_ref=who,
            queue=reason.queue,
            agent_id=None if abandoned else rng.choice(AGENTS[reason.queue]),
            reason=reason.code,
            wait_seconds=int(rng.expovariate(1 / (60 if abandoned else 25))),
            outcome="abandoned" if abandoned else "answered",
            talk_seconds=talk,
            hold_seconds=hold,
            after_call_work_seconds=wrap,
            resolved=resolved,
            transferred=not abandoned and rng.random() < 0.05,
        )
        ended = at + cmd.wait_seconds + talk + hold + wrap
        late = rng.uniform(HOUR, 2 * DAY) if rng.random() < 0.03 else rng.uniform(1, 30)
        recorded = self._push(ended + late, cmd)
        if not abandoned and rng.random() < 0.025:
            self._correct(cmd, ended, recorded)
        if not abandoned and rng.random() < 0.12:
            about = c.InteractionRef(kind="call", source="acd", source_id=source_id)
            surveyed = ended + rng.uniform(600, 2 * DAY)
            nps = self._survey(who, surveyed, recorded, about, good=0.8 if resolved else 0.35)
            if nps is not None and nps <= 6 and depth < 3 and rng.random() < 0.5:
                self._call(who, CALLBACK, surveyed + rng.uniform(HOUR, 3 * DAY), 3)
        chance, mean = (0.7, 2 * HOUR) if abandoned else (0.04, 3 * DAY)
        chance, mean = (0.55, 1.5 * DAY) if not abandoned and not resolved else (chance, mean)
        if depth < 3 and rng.random() < chance:
            self._call(who, reason, ended + min(rng.expovariate(1 / mean), 10 * DAY), depth + 1)

    def _correct(self, call: c.RecordCall, ended: float, after: float) -> None:
        rng = self.rng
        at = ended + rng.uniform(600, 2 * DAY)
        change: dict[str, object] = {}
        pick = rng.random()
        if pick < 0.4:
            same_queue = [
                r.code for r in REASONS if r.queue == call.queue and r.code != call.reason
            ]
            change["reason"] = rng.choice(same_queue or [call.reason])
        elif pick < 0.7:
            change["resolved"] = not call.resolved
        else:
            change["talk_seconds"] = max(1, call.talk_seconds + rng.randint(-60, 120))
        cmd = c.CorrectCall(
            occurred_at=_at(at),
            source="acd",
            source_id=f"{call.source_id}-fix",
            customer_ref=call.customer_ref,
            call=c.Ref(source=call.source, source_id=call.source_id),
            **change,
        )
        self._push(max(at + rng.uniform(1, 60), after + 0.001), cmd)

    # surveys

    def _survey(
        self,
        who: str,
        at: float,
        after: float,
        about: c.InteractionRef | None,
        good: float = 0.6,
    ) -> int | None:
        """A survey reply (about a call or mailshot, or the relationship); its NPS."""
        rng = self.rng
        happy = rng.random() < good
        nps = rng.choice((9, 10, 10, 8)) if happy else rng.choice((0, 2, 4, 5, 6, 6, 7))
        nps_given = rng.random() < 0.9
        n = next(self.serial)
        cmd = c.RecordSurveyReply(
            occurred_at=_at(at),
            source="surveys",
            source_id=f"{self.tag}-sv-{n}",
            customer_ref=who,
            survey_kind="relationship" if about is None else "transactional",
            nps=nps if nps_given else None,
            csat=min(5, max(1, round(nps / 2) + rng.choice((-1, 0, 0, 1)))),
            effort=min(7, max(1, round(nps * 0.6) + rng.choice((-1, 0, 1)))),
            comment=f"Reply {n}: {'thank you' if happy else 'not good enough'}"
            if rng.random() < 0.25
            else None,
            about=about,
        )
        self._push(max(at + rng.uniform(1, 300), after + 0.001), cmd)
        return cmd.nps

    # campaigns and mailshots

    def _campaign(self, start: float) -> None:
        rng = self.rng
        number = self.day // 7
        channel = CHANNELS[number % 3]
        campaign_id = f"{self.tag}-camp-{number:03d}"
        planned = self._push(
            start + 9 * HOUR,
            c.PlanCampaign(
                occurred_at=_at(start + 8 * HOUR),
                source="crm",
                source_id=campaign_id,
                campaign_id=campaign_id,
                name=f"Campaign {number}",
                channel=channel,
                fixed_cost=Decimal(rng.choice((500, 1_500, 4_000))),
            ),
        )
        size = min(self._many(9_100), len(self.customers))
        for i, who in enumerate(rng.sample(self.customers, size)):
            at = start + 10 * HOUR + rng.random() * 8 * HOUR  # sent over the afternoon
            opening = {
                "occurred_at": _at(at),
                "source": "mailer",
                "source_id": f"{campaign_id}-{i}",
                "customer_ref": who,
                "campaign_id": campaign_id,
                "channel": channel,
            }
            self._mailshot(opening, at, planned)

    def _mailshot(self, opening: dict[str, Any], at: float, after: float) -> None:
        rng = self.rng
        held = rng.random() < 0.1
        who, source_id, channel = opening["customer_ref"], opening["source_id"], opening["channel"]
        cmd: c.Command = (
            c.RecordMailshotHeldBack(**opening)
            if held
            else c.RecordMailshotSent(**opening, unit_cost=UNIT_COST[channel])
        )
        recorded = self._push(max(at + rng.uniform(1, 60), after + 0.001), cmd)
        ref = c.Ref(source="mailer", source_id=source_id)
        if held:
            self._respond(who, ref, at, recorded, 0.06)
            return
        arrives = at + (rng.uniform(DAY, 3 * DAY) if channel == "post" else rng.uniform(1, 600))
        fate = rng.random()
        if fate < 0.06:
            self._follow(
                c.RecordMailshotBounced, who, ref, "bnc", at=arrives, after=recorded, reason="gone"
            )
        elif fate < 0.96:
            recorded = self._follow(
                c.RecordMailshotDelivered, who, ref, "dlv", at=arrives, after=recorded
            )
            self._respond(who, ref, arrives, recorded, 0.10)
        if rng.random() < 0.01:  # a withdrawal of consent for this channel, after the mailshot
            self._consent(arrives + rng.uniform(HOUR, 20 * DAY), who, channel)

    def _respond(self, who: str, ref: c.Ref, at: float, after: float, chance: float) -> None:
        rng = self.rng
        if rng.random() >= chance:
            return
        answered = at + rng.expovariate(1 / (6 * DAY))  # some fall outside the 30-day window
        how = rng.choice(RESPONSES)
        recorded = self._follow(
            c.RecordMailshotResponded, who, ref, "rsp", at=answered, after=after, how=how
        )
        if rng.random() < 0.35:
            value = Decimal(f"{rng.lognormvariate(5.3, 0.6):.2f}")
            converted = answered + rng.uniform(0, 5 * DAY)
            self._follow(
                c.RecordMailshotConverted,
                who,
                ref,
                "cnv",
                at=converted,
                after=recorded,
                value=value,
            )
        if rng.random() < 0.05:
            about = c.InteractionRef(kind="mailshot", source=ref.source, source_id=ref.source_id)
            self._survey(who, answered + rng.uniform(HOUR, 3 * DAY), recorded, about)

    def _follow(
        self,
        kind: type[c.MailshotFollowUp],
        who: str,
        ref: c.Ref,
        suffix: str,
        *,
        at: float,
        after: float,
        **fields: object,
    ) -> float:
        cmd = kind(
            occurred_at=_at(at),
            source="mailer",
            source_id=f"{ref.source_id}-{suffix}",
            customer_ref=who,
            mailshot=ref,
            **fields,
        )
        return self._push(max(at + self.rng.uniform(1, 600), after + 0.001), cmd)


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


# --- 1. the log -----------------------------------------------------------------------


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
    first ``have``, already in the log from an earlier run of the same seed)."""
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


# --- 2. rebuilding with the runner ----------------------------------------------------


def rebuild_all(runner: ProjectionRunner, until: int | None = None) -> tuple[int, float]:
    """Reset every view and catch them all up together; (facts applied, seconds)."""
    started = time.perf_counter()
    for name in runner.views:
        runner.reset(name)
    positions = runner.catch_up_all(until)
    elapsed = time.perf_counter() - started
    if len(set(positions.values())) != 1:
        msg = f"the views stopped at different positions: {positions}"
        raise RuntimeError(msg)
    return next(iter(positions.values())), elapsed


# --- 3. one event per transaction: the library's ProjectionRunner ---------------------


class _NoVault:
    """The key vault of a ledger that only reads the log (never asked for keys)."""

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> Keyring:
        raise NotImplementedError

    def destroy(self, customer_ref: str) -> None:
        raise NotImplementedError


class ReadingLedger(Ledger):
    """The ledger as the library's ``ProjectionRunner`` builds it: from its env alone."""

    name = Ledger.name  # the library names the events table after the application

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(dict(env or {}), _NoVault())


class ViewTracking(PostgresTrackingRecorder):
    """A library tracking recorder that applies one fact to a view in its own transaction,
    with the tracking record, as the library's materialised views do."""

    def apply_one(self, view: View, item: LoggedFact, tracking: Tracking) -> None:
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor(row_factory=tuple_row) as cur:
                view.apply(cur, [item])
            with conn.cursor() as curs:
                self._insert_tracking(curs, tracking)


class OneByOne(Projection[ViewTracking]):
    """A library projection feeding one of our views, one event per call (and transaction)."""

    target: ClassVar[View]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        item = LoggedFact(tracking.notification_id, domain_event)
        self.view.apply_one(self.target, item, tracking)


def one_by_one(runner: ProjectionRunner, env: dict[str, str], until: int) -> float:
    """Seconds until the library's runners (one per view, running together) have applied
    every fact up to ``until``, each in a transaction of its own."""
    for name in runner.views:
        runner.reset(name)
    projections = [_projection(view) for view in runner.views.values()]
    tables = [sql.Identifier(f"{p.name}_tracking") for p in projections]
    env = env | {f"{p.name.upper()}_CREATE_TABLE": "y" for p in projections}
    with psycopg.connect(conninfo(runner.pool), autocommit=True) as conn:
        _drop(conn, tables)
        try:
            started = time.perf_counter()
            with ExitStack() as stack:
                runners = [
                    stack.enter_context(
                        LibraryRunner(
                            application_class=ReadingLedger,
                            projection_class=projection,
                            view_class=ViewTracking,
                            env=env,
                        )
                    )
                    for projection in projections
                ]
                _wait_for_tracking(conn, tables, until, runners)
                elapsed = time.perf_counter() - started
        finally:
            _drop(conn, tables)
    return elapsed


def _projection(view: View) -> type[OneByOne]:
    name = f"bench_{view.name}"
    return type(f"OneByOne_{view.name}", (OneByOne,), {"name": name, "target": view})


def _wait_for_tracking(
    conn: RawConnection,
    tables: list[sql.Identifier],
    until: int,
    runners: Sequence[LibraryRunner[Any, Any]],
) -> None:
    """Poll every 10 ms until each tracking table has reached ``until``."""
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(table)
        for table in tables
    )
    while True:
        for runner in runners:
            if runner.is_interrupted.is_set():
                runner.run_forever(timeout=0)  # raises the error that stopped it
                raise RuntimeError("a library projection runner stopped early")
        try:
            reached = [int(row[0]) for row in conn.execute(query).fetchall()]
        except psycopg.errors.UndefinedTable:  # the library makes them as it starts
            reached = [0]
        if min(reached) >= until:
            return
        time.sleep(0.01)


def _drop(conn: RawConnection, tables: list[sql.Identifier]) -> None:
    for table in tables:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))


# --- 4. steady-state lag ----------------------------------------------------------------


@dataclass(frozen=True)
class Appended:
    """One fact appended by ``record()``: its position and monotonic times."""

    position: int
    due: float  # when the constant rate wanted it sent
    sent: float  # record() called
    acked: float  # record() returned


def append_at_rate(url: str, cmds: list[c.Command], rate: float, out: Queue[Any]) -> None:
    """(Appender process) record ``cmds`` one ``record()`` each, ``rate`` per second.

    ``APPENDERS`` threads append concurrently, as clients of the API would: a fact
    is handed to one at its time. A fact that follows another of ``cmds`` (a survey
    about a call, a delivery of a mailshot) waits until that one is recorded.
    """
    services = build_services(Settings(database_url=url, pool_size=APPENDERS), url)
    done = [threading.Event() for _ in cmds]
    parents = _parents(cmds)
    refused: list[str] = []

    def append(i: int, due: float) -> Appended | None:
        try:
            for parent in parents[i]:
                done[parent].wait()
            sent = time.monotonic()
            position = services.ledger.record(cmds[i], "bench").position
            assert position is not None
            return Appended(position, due, sent, time.monotonic())
        except DomainError as error:
            refused.append(f"{cmds[i].KIND}: {error}")
            return None
        finally:
            done[i].set()

    try:
        services.ledger.head_position()  # connections open before the clock starts
        with ThreadPoolExecutor(APPENDERS, "appender") as pool:
            start = time.monotonic() + 0.2
            futures = []
            for i in range(len(cmds)):
                due = start + i / rate
                if (delay := due - time.monotonic()) > 0:
                    time.sleep(delay)
                futures.append(pool.submit(append, i, due))
        out.put(([a for f in futures if (a := f.result()) is not None], refused))
    finally:
        services.close()


def _parents(cmds: Sequence[c.Command]) -> list[list[int]]:
    """For each command, the earlier ones that last wrote a stream it reads."""
    last_writer: dict[UUID, int] = {}
    parents: list[list[int]] = []
    for i, cmd in enumerate(cmds):
        reads = [last_writer[s] for s in cmd.streams_to_load() if s in last_writer]
        parents.append(reads)
        last_writer[cmd.stream_id()] = i
    return parents


Seen = dict[str, list[tuple[float, int]]]
"""Per view, each (monotonic time, position) at which a poll first saw a new position."""


def watch_views(url: str, ready: EventType, stop: EventType, out: Queue[Any]) -> None:
    """(Watcher process) poll every view's position every ``POLL`` seconds until ``stop``."""
    seen: Seen = {}
    last: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        query = "SELECT view_name, position FROM view_tracking"
        conn.execute(query, prepare=True)
        ready.set()
        while not stop.is_set():
            rows = conn.execute(query, prepare=True).fetchall()
            now = time.monotonic()  # after the answer: a lag is never understated
            for name, position in rows:
                if last.get(name) != position:
                    seen.setdefault(name, []).append((now, int(position)))
                    last[name] = int(position)
            time.sleep(POLL)
    out.put(seen)


@dataclass
class Lag:
    """Append-to-visible latencies (seconds) per view, and how the appends went."""

    latencies: dict[str, list[float]]
    appended: list[Appended]  # after the warm-up
    missing: dict[str, int]  # facts never seen applied before the watch ended

    def percentile(self, name: str, q: float) -> float:
        ordered = sorted(self.latencies[name])
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    @property
    def rate(self) -> float:
        spread = self.appended[-1].sent - self.appended[0].sent
        return (len(self.appended) - 1) / spread if spread else 0.0

    @property
    def slip(self) -> float:
        """How far behind its schedule the appender fell at worst (seconds)."""
        return max(a.sent - a.due for a in self.appended)


def steady_lag(services: Services, cmds: list[c.Command], rate: float, warm: int) -> Lag:
    """Run the projectors as ``touchpoint serve`` does while another process appends
    ``cmds`` at ``rate``/s; the lag of every fact after the first ``warm``."""
    context = mp.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    watched: Queue[Any] = context.Queue()
    appends: Queue[Any] = context.Queue()
    url = services.database_url
    handle = start_projectors(services)
    try:
        watcher = context.Process(target=watch_views, args=(url, ready, stop, watched))
        watcher.start()
        ready.wait(30)
        appender = context.Process(target=append_at_rate, args=(url, cmds, rate, appends))
        appender.start()
        appended, refused = appends.get()
        appender.join()
        if refused:
            msg = f"{len(refused)} appends refused, e.g. {refused[:3]}"
            raise RuntimeError(msg)
        _wait_for_views(handle.runner, max(a.position for a in appended), timeout=60)
        stop.set()
        seen: Seen = watched.get()
        watcher.join()
    finally:
        handle.stop()
    return _latencies(appended[warm:], seen)


def _wait_for_views(runner: ProjectionRunner, position: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(runner.position(name) >= position for name in runner.views):
            break
        time.sleep(0.05)
    time.sleep(5 * POLL)  # the watcher's next poll sees it too


def _latencies(appended: list[Appended], seen: Seen) -> Lag:
    latencies: dict[str, list[float]] = {}
    missing: dict[str, int] = {}
    for name, changes in seen.items():
        positions = [position for _, position in changes]
        found = [(a, bisect.bisect_left(positions, a.position)) for a in appended]
        latencies[name] = [changes[i][0] - a.sent for a, i in found if i < len(changes)]
        missing[name] = sum(1 for _, i in found if i == len(changes))
    return Lag(latencies, appended, missing)


# --- the run ----------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything measured in one run."""

    log: Log
    page_size: int
    vacuum_seconds: float = 0.0
    rebuilt: tuple[int, float] = (0, 0.0)  # facts, seconds
    sample_runner: tuple[int, float] = (0, 0.0)
    sample_one: tuple[int, float] = (0, 0.0)
    lag: Lag | None = None
    loads: dict[str, float] = field(default_factory=dict)  # 1-minute load average per phase


def run(url: str, args: argparse.Namespace, console: Console) -> Figures:
    """Every phase in order, on the migrated database at ``url``."""
    settings = Settings(database_url=url)
    services = build_services(settings, url)
    try:
        history = iter(History(args.seed, args.facts / (FACTS_PER_DAY * 170)))
        have = count_facts(url)
        console.print(f"log holds {have:,} facts; recording up to {args.facts:,}")
        figures = Figures(fill_log(services.ledger, history, have, args.facts), 0)
        figures.loads["ingest"] = os.getloadavg()[0]
        figures.vacuum_seconds = vacuum(url)
        runner = services.runner()
        figures.page_size = runner.page_size
        until = nth_position(url, args.sample)
        sample = min(args.sample, figures.log.facts)
        console.print(f"sample: the first {sample:,} facts, up to position {until:,}")
        gc.collect()
        figures.sample_runner = (sample, rebuild_all(runner, until)[1])
        figures.loads["runner on the sample"] = os.getloadavg()[0]
        env = eventsourcing_env(settings, url)
        figures.sample_one = (sample, one_by_one(runner, env, until))
        figures.loads["one per transaction"] = os.getloadavg()[0]
        console.print(f"sample done; rebuilding all {len(runner.views)} views over the log")
        gc.collect()
        seconds = rebuild_all(runner)[1]
        figures.rebuilt = (count_facts(url), seconds)
        figures.loads["rebuild"] = os.getloadavg()[0]
        figures.vacuum_seconds += vacuum(url)
        live = list(itertools.islice(history, round(args.rate * (args.seconds + WARM_UP))))
        console.print(f"steady state: {len(live):,} facts at {args.rate:,.0f}/s")
        gc.collect()
        figures.lag = steady_lag(services, live, args.rate, round(args.rate * WARM_UP))
        figures.loads["steady state"] = os.getloadavg()[0]
        return figures
    finally:
        services.close()


def report(figures: Figures, args: argparse.Namespace, console: Console) -> None:
    """One table: every figure, its target, met or missed."""
    table = Table(title="touchpoint projections: rebuild, one event per transaction, lag")
    for column in ("figure", "value", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    log = figures.log
    table.add_row("log", f"{log.facts:,} facts ({log.recorded:,} recorded by this run)", "")
    if log.recorded:
        table.add_row(
            "ingest: record_batch of 1,000 (encryption included)",
            f"{log.rate:,.0f} facts/s (+{1e6 * log.generating / log.recorded:.0f} µs/fact "
            "building commands)",
            "",
        )
    facts, seconds = figures.rebuilt
    rebuild = facts / seconds
    one = figures.sample_one[0] / figures.sample_one[1]
    same = figures.sample_runner[0] / figures.sample_runner[1]
    table.add_row(
        f"rebuild of all four views, runner, pages of {figures.page_size:,}",
        f"{rebuild:,.0f} facts/s ({facts:,} in {seconds:.1f} s)",
        _target(rebuild >= 15_000, ">= 15,000 facts/s"),
    )
    table.add_row(
        f"one event per transaction (library ProjectionRunner x4), first {args.sample:,}",
        f"{one:,.0f} facts/s",
        "",
    )
    table.add_row(
        "rebuild / one per transaction",
        f"{rebuild / one:.1f} x",
        _target(rebuild / one >= 10, ">= 10 x"),
    )
    table.add_row(f"runner on the same first {args.sample:,}", f"{same:,.0f} facts/s", "")
    table.add_row("runner / one per transaction, same facts", f"{same / one:.1f} x", "")
    if figures.lag is not None:
        _lag_rows(table, figures.lag, args)
    console.print(table)
    loads = ", ".join(f"{phase} {load:.1f}" for phase, load in figures.loads.items())
    console.print(f"1-minute load average after each phase ({os.cpu_count()} cores): {loads}")
    mix = ", ".join(f"{kind} {n / log.recorded:.1%}" for kind, n in log.kinds.most_common())
    if log.recorded:
        console.print(f"mix: {mix}")


def _lag_rows(table: Table, lag: Lag, args: argparse.Namespace) -> None:
    def ms(name: str, q: float) -> str:
        return f"{1000 * lag.percentile(name, q):,.0f}"

    p99 = lag.percentile("customer", 0.99)
    table.add_row(
        f"lag, customer view, {args.rate:,.0f} facts/s for {args.seconds:.0f} s: p50 / p99 / max",
        f"{ms('customer', 0.5)} / {ms('customer', 0.99)} / {ms('customer', 1.0)} ms",
        _target(p99 <= 0.25, "p99 <= 250 ms"),
    )
    others = [name for name in ("cost", "crm", "cem") if name in lag.latencies]
    table.add_row(
        f"lag, {' / '.join(others)}: p99",
        " / ".join(f"{ms(name, 0.99)}" for name in others) + " ms",
        "",
    )
    appends = sorted(a.acked - a.sent for a in lag.appended)
    kept_up = lag.rate >= 0.95 * args.rate
    table.add_row(
        f"appends ({APPENDERS} threads, one record() per fact): rate achieved, "
        "record() p50 / p99, worst slip behind schedule",
        f"{lag.rate:,.0f}/s, {1000 * appends[len(appends) // 2]:.1f} / "
        f"{1000 * appends[math.ceil(0.99 * len(appends)) - 1]:.1f} ms, "
        f"{1000 * lag.slip:,.0f} ms",
        _target(kept_up, f">= {0.95 * args.rate:,.0f}/s (else the lag is not at --rate)"),
    )
    if any(lag.missing.values()):
        table.add_row("facts never seen applied", str(lag.missing), "[red]none expected[/]")


def _target(met: bool, text: str) -> str:
    return f"{text} {'[green]met[/]' if met else '[red]missed[/]'}"


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run every phase, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="a database to use (default: a throwaway one)")
    parser.add_argument("--facts", type=int, default=1_000_000, help="facts in the log")
    parser.add_argument("--sample", type=int, default=20_000, help="one-per-transaction sample")
    parser.add_argument("--rate", type=float, default=500.0, help="appends per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady-state duration")
    parser.add_argument("--seed", type=int, default=1, help="the history's seed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    console = Console(width=max(130, Console().width))
    with bench_database(args.url) as url:
        console.print(f"database {conninfo_to_dict(url).get('dbname')}")
        figures = run(url, args, console)
    report(figures, args, console)


if __name__ == "__main__":
    main()
