"""Projection benchmark, phase 4: the lag of the views behind appends at a steady rate.

The projectors run as ``touchpoint serve`` runs them; a separate process appends
facts one ``record()`` at a time at a fixed rate, and a third polls ``view_tracking``.
"""

from __future__ import annotations

import bisect
import math
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from typing import Any
from uuid import UUID

import psycopg

from api.bootstrap import Services, build_services, start_projectors
from api.settings import Settings
from domain import commands as c
from domain.errors import DomainError
from projections.runner import ProjectionRunner

APPENDERS = 8  # threads appending concurrently in the appender process
POLL = 0.002  # seconds between two polls of view_tracking while measuring lag


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
