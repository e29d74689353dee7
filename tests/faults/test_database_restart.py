"""The database stops for a few seconds under load, then comes back.

`touchpoint serve` runs against a cluster of the test's own (never the shared
server); writer threads post calls and a reader reads the log and a customer,
steadily, through the whole outage. Promised and checked:

- during the outage the API answers 503 problem+json with Retry-After: never a
  500, never a request hanging past the client's timeout;
- afterwards the same process serves again (no restart);
- every write acknowledged (201/200) is in the log; every write that was not can
  be sent again until it succeeds, and then each fact is in the log exactly once;
- the projectors resume by themselves: every view reaches the head of the log.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

import httpx
import psycopg

from tests.faults.support import (
    call,
    services_on,
    serving,
    source_ids_in_log,
    throwaway_cluster,
    wait_until,
)

CLIENT_TIMEOUT = 30.0  # seconds: a request taking longer counts as hung
OUTAGE_SECONDS = 4.0
VIEWS = ("customer", "cost", "crm", "cem")


@dataclass
class Traffic:
    """What the clients saw, shared between their threads."""

    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: set[str] = field(default_factory=set)
    unacked: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)  # 500s, 503s without Retry-After, hangs
    after_restart: int = 0  # successes once the database was back
    restarted: threading.Event = field(default_factory=threading.Event)

    def saw(self, response: httpx.Response, what: str) -> bool:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500 and response.status_code != 503:
                self.bad.append(f"{what}: {response.status_code} {response.text[:200]}")
            if response.status_code == 503 and "retry-after" not in response.headers:
                self.bad.append(f"{what}: 503 without Retry-After")
            ok = response.status_code in (200, 201)
            self.after_restart += ok and self.restarted.is_set()
            return ok


def _writer(base: str, key: str, traffic: Traffic, name: str) -> None:
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT, headers={"X-API-Key": key}) as http:
        for n in itertools.count():
            if traffic.stop.is_set():
                return
            source_id = f"{name}-{n}"
            try:
                response = http.post("/interactions/calls", json=call(source_id, minute=n % 600))
                ok = traffic.saw(response, f"POST {source_id}")
            except httpx.TimeoutException:
                traffic.bad.append(f"POST {source_id}: no answer within {CLIENT_TIMEOUT} s")
                ok = False
            with traffic.lock:
                (traffic.acked if ok else traffic.unacked).add(source_id)
            time.sleep(0.01)


def _reader(base: str, agent: str, auditor: str, traffic: Traffic) -> None:
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT) as http:
        while not traffic.stop.is_set():
            for path, key in (("/log?limit=5", auditor), ("/customers/C1", agent)):
                try:
                    response = http.get(path, headers={"X-API-Key": key})
                    if response.status_code != 404:  # C1 may not be projected yet
                        traffic.saw(response, f"GET {path}")
                except httpx.TimeoutException:
                    traffic.bad.append(f"GET {path}: no answer within {CLIENT_TIMEOUT} s")
            time.sleep(0.02)


def _views_at_head(url: str) -> bool:
    try:
        with psycopg.connect(url) as conn:
            head = conn.execute("SELECT max(notification_id) FROM touchpoint_events").fetchone()
            rows = conn.execute("SELECT view_name, position FROM view_tracking").fetchall()
    except psycopg.OperationalError:
        return False
    positions: dict[str, int] = dict(rows)
    return head is not None and all(positions.get(view) == head[0] for view in VIEWS)


def _accepted(http: httpx.Client, source_id: str, n: int) -> bool:
    """Whether the call ``source_id`` (minute ``n``) is accepted when sent once more."""
    response = http.post("/interactions/calls", json=call(source_id, minute=n % 600))
    return response.status_code in (200, 201)


def _resend(base: str, key: str, source_ids: set[str]) -> None:
    """Send each unacknowledged write again until it succeeds (bounded)."""
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT, headers={"X-API-Key": key}) as http:
        for source_id in sorted(source_ids):
            n = int(source_id.rsplit("-", 1)[1])
            wait_until(partial(_accepted, http, source_id, n), 30, f"{source_id} accepted on retry")


def test_a_database_restart_under_load_loses_no_acknowledged_write(tmp_path):
    with throwaway_cluster() as cluster:
        with services_on(cluster.url) as services:
            agent = services.keys.create("agent", "agent-7")[1]  # the agent of support.call
            auditor = services.keys.create("auditor", "audit")[1]
            services.keys.create("admin", "ops")  # so serve prints no first admin key
        settings = {"database_wait_seconds": "1", "connect_timeout": "2"}
        with serving(cluster.url, tmp_path / "serve.log", **settings) as served:
            traffic = Traffic()
            threads = [
                threading.Thread(target=_writer, args=(served.base, agent, traffic, f"w{i}"))
                for i in range(2)
            ]
            threads.append(
                threading.Thread(target=_reader, args=(served.base, agent, auditor, traffic))
            )
            for thread in threads:
                thread.start()
            try:
                wait_until(lambda: len(traffic.acked) >= 50, 30, "steady writes before")
                cluster.stop()
                time.sleep(OUTAGE_SECONDS)
                refused_during_outage = traffic.statuses[503]
                cluster.start()
                traffic.restarted.set()
                wait_until(lambda: traffic.after_restart >= 100, 45, "writes after restart")
            finally:
                traffic.stop.set()
                for thread in threads:
                    thread.join(CLIENT_TIMEOUT + 5)

            assert traffic.bad == [], "\n".join(traffic.bad[:20])
            assert refused_during_outage > 0  # the outage was seen, as 503s
            assert set(traffic.statuses) <= {200, 201, 503}, traffic.statuses
            assert served.process.poll() is None  # recovered without a restart

            with services_on(cluster.url) as services:
                logged = source_ids_in_log(services)
                assert traffic.acked <= set(logged)
                _resend(served.base, agent, traffic.unacked)
                logged = source_ids_in_log(services)
            assert sorted(logged) == sorted(traffic.acked | traffic.unacked)  # each once
            wait_until(
                lambda: _views_at_head(cluster.url),
                60,
                f"views caught up by themselves; serve's output:\n{served.output()[-4000:]}",
            )
