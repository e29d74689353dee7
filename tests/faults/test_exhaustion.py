"""Connections exhausted by slow queries: bounded waits, 503s, and a statement timeout.

`touchpoint serve` runs with two connections for requests and a 10 s statement
timeout. The test holds a lock on the customer view's table, so two customer
reads hang inside PostgreSQL, holding both connections. Then:

- other requests wait for a connection a bounded time (``database_wait_seconds``,
  or ``connect_timeout`` to check a key) and answer 503 problem+json with
  Retry-After (never hang, never 500);
- the statement timeout cancels the two stuck reads (503 too), which frees the
  connections while the lock is still held: the service answers again;
- once the lock is gone, customer reads work as before.
"""

from __future__ import annotations

import threading

import httpx
import psycopg

from tests.faults.support import services_on, serving, wait_until

CLIENT_TIMEOUT = 30.0  # a request answering later than this counts as hung
SETTINGS = {
    "pool_size": "2",
    "statement_timeout_seconds": "10",
    "database_wait_seconds": "1",
    "connect_timeout": "2",
}


def _stuck_reads(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE '%customer_profile%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_exhausted_connections_give_prompt_503s_and_slow_queries_are_cut_off(
    database_url, tmp_path
):
    with services_on(database_url) as services:
        agent = {"X-API-Key": services.keys.create("agent", "desk")[1]}
        auditor = {"X-API-Key": services.keys.create("auditor", "audit")[1]}
        services.keys.create("admin", "ops")
    slow: list[httpx.Response] = []

    def read_customer(http: httpx.Client) -> None:
        slow.append(http.get("/customers/C1", headers=agent))

    log = tmp_path / "serve.log"
    with (
        serving(database_url, log, "--no-projectors", **SETTINGS) as served,
        httpx.Client(base_url=served.base, timeout=CLIENT_TIMEOUT) as http,
        psycopg.connect(database_url) as blocker,
    ):
        blocker.execute("LOCK TABLE customer_profile IN ACCESS EXCLUSIVE MODE")
        readers = [threading.Thread(target=read_customer, args=(http,)) for _ in range(2)]
        for reader in readers:
            reader.start()
        wait_until(lambda: _stuck_reads(database_url) == 2, 20, "both connections stuck")

        starved = [http.get(path, headers=auditor) for path in ("/log", "/health")]
        assert _stuck_reads(database_url) == 2  # still stuck: the 503s were for want of one

        for reader in readers:
            reader.join(CLIENT_TIMEOUT)
        after_timeout = http.get("/log", headers=auditor)  # the lock is still held
        blocker.rollback()
        after_lock = http.get("/customers/C1", headers=agent)

    for response in starved + slow:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) >= 1
    assert len(slow) == 2  # both stuck reads were answered (cut off by the timeout)
    assert after_timeout.status_code == 200
    assert after_lock.status_code == 404  # C1 is unknown: an answer, not a timeout
    assert "Traceback" not in log.read_text()
