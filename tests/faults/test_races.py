"""Duplicate storms and races over HTTP, against `touchpoint serve`.

- The same 10,000 facts posted at once by 8 clients (batches of 1,000, each client
  in its own order): exactly 10,000 facts in the log, each reported ``recorded``
  to exactly one client and ``duplicate`` (same position) to the others.
- Concurrent corrections of one call: each is either recorded (201) or refused
  with 409 and Retry-After; what was acknowledged is in the call's stream, in
  order, what was refused is not, and a refused correction sent again succeeds.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from domain import ids
from tests.faults.support import call, services_on, serving

FACTS, BATCH, CLIENTS = 10_000, 1_000, 8
TIMEOUT = 120.0


def _facts() -> list[dict]:
    return [call(f"storm-{i}", ref=f"C{i % 300}", minute=i % 600) for i in range(FACTS)]


def _post_until_accepted(http: httpx.Client, path: str, body) -> httpx.Response:
    """POST, again after Retry-After while the answer is 409 write contention (bounded)."""
    for _ in range(200):
        response = http.post(path, json=body)
        if response.status_code != 409 or response.json().get("code") != "write-contention":
            return response
        assert "retry-after" in response.headers
        threading.Event().wait(random.uniform(0.01, 0.1))  # jitter, not secrecy
    raise AssertionError(f"{path}: still contended after 200 tries")


def _client(base: str, key: str, seed: int, facts: list[dict]) -> list[dict]:
    batches = [facts[i : i + BATCH] for i in range(0, FACTS, BATCH)]
    random.Random(seed).shuffle(batches)
    items = []
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers={"X-API-Key": key}) as http:
        for batch in batches:
            response = _post_until_accepted(http, "/interactions/batch", batch)
            assert response.status_code == 200, response.text[:500]
            for item in response.json()["items"]:
                items.append(item | {"source_id": batch[item["index"]]["source_id"]})
    return items


def test_the_same_ten_thousand_facts_from_eight_clients_are_recorded_once(database_url, tmp_path):
    with services_on(database_url) as services:
        key = services.keys.create("integrator", "feed")[1]
        services.keys.create("admin", "ops")
    facts = _facts()
    with (
        serving(database_url, tmp_path / "serve.log", "--no-projectors") as served,
        ThreadPoolExecutor(CLIENTS) as pool,
    ):
        results = list(pool.map(lambda n: _client(served.base, key, n, facts), range(CLIENTS)))

    statuses = Counter(item["status"] for items in results for item in items)
    recorded_by = Counter(
        item["source_id"] for items in results for item in items if item["status"] == "recorded"
    )
    positions = defaultdict(set)
    for items in results:
        for item in items:
            positions[item["source_id"]].add(item["position"])
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT originator_id) FROM touchpoint_events")
        counts = row.fetchone()
    assert counts is not None
    in_log, streams = counts
    assert in_log == FACTS
    assert streams == FACTS
    assert statuses == {"recorded": FACTS, "duplicate": FACTS * (CLIENTS - 1)}
    assert set(recorded_by.values()) == {1}  # each fact recorded for exactly one client
    assert all(len(found) == 1 for found in positions.values())  # duplicates: same position


CORRECTORS, EACH = 8, 5


def _correction(n: int) -> dict:
    return {
        "occurred_at": f"2026-03-02T10:{n:02d}:00+00:00",
        "source": "acd",
        "source_id": f"fix-{n}",
        "customer_ref": "C1",
        "call": {"source": "acd", "source_id": "raced-call"},
        "talk_seconds": 100 + n,
    }


def _stream(url: str) -> list[tuple[int, int, bytes]]:
    """(version, log position, state) of the raced call's stream, in version order."""
    stream_id = ids.call_stream_id("acd", "raced-call")
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT originator_version, notification_id, state FROM touchpoint_events "
            "WHERE originator_id = %s ORDER BY originator_version",
            (stream_id,),
        ).fetchall()


def test_concurrent_corrections_of_one_call_are_each_applied_in_order_or_refused(
    database_url, tmp_path
):
    with services_on(database_url) as services:
        key = services.keys.create("agent", "agent-7")[1]  # the agent of support.call
        services.keys.create("admin", "ops")
    start = threading.Barrier(CORRECTORS)
    answers: dict[int, int] = {}

    def correct(worker: int) -> None:
        with httpx.Client(base_url=served.base, timeout=TIMEOUT, headers={"X-API-Key": key}) as h:
            start.wait(30)
            for n in range(worker * EACH, (worker + 1) * EACH):
                response = h.post("/interactions/calls/corrections", json=_correction(n))
                answers[n] = response.status_code
                if response.status_code == 409:
                    assert "retry-after" in response.headers

    with serving(database_url, tmp_path / "serve.log", "--no-projectors") as served:
        http = httpx.Client(base_url=served.base, timeout=TIMEOUT, headers={"X-API-Key": key})
        assert http.post("/interactions/calls", json=call("raced-call")).status_code == 201
        threads = [threading.Thread(target=correct, args=(w,)) for w in range(CORRECTORS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        acked = {n for n, status in answers.items() if status == 201}
        refused = {n for n, status in answers.items() if status == 409}
        stream = _stream(database_url)
        for n in sorted(refused):  # a refused correction sent again succeeds
            response = _post_until_accepted(http, "/interactions/calls/corrections", _correction(n))
            assert response.status_code == 201
        http.close()
        final = _stream(database_url)

    print("corrections: 201 x", len(acked), ", 409 x", len(refused))
    assert len(answers) == CORRECTORS * EACH
    assert acked | refused == set(answers)  # nothing but 201 or 409
    in_stream = {_fix_number(state) for _, _, state in stream[1:]}
    assert in_stream == acked  # acknowledged ones are there, refused ones are not
    versions = [version for version, _, _ in final]
    assert versions == list(range(1, 2 + CORRECTORS * EACH))  # nothing lost, no gap
    log_positions = [position for _, position, _ in final]
    assert log_positions == sorted(log_positions)  # versions follow log order


def _fix_number(state: bytes) -> int:
    text = bytes(state).decode()
    marker = '"source_id":"fix-'
    start = text.index(marker) + len(marker)
    return int(text[start : text.index('"', start)])
