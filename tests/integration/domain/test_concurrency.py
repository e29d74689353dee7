"""Concurrent writers: nothing twice, nothing lost, positions in commit order.

DESIGN.md, The log: positions are strictly increasing in commit order (not
contiguous). Issue 2, point 4: 8 threads sending the same 1,000 facts at once
leave exactly 1,000 facts in the log.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain import commands as c
from tests import builders as b
from tests.integration.sql import count

THREADS = 8
AUTHOR = "integration-test"


def _same_thousand() -> list[c.Command]:
    """1,000 facts of four kinds; each group's facts follow one another in order."""
    facts: list[c.Command] = []
    for i in range(250):
        ref, call_id = f"C{i}", f"call-{i}"
        facts += [
            b.customer(ref, name=f"Person {i}"),
            b.call(call_id, ref=ref),
            b.correction(call_id, source_id=f"fix-{i}", customer_ref=ref),
            b.survey(
                f"s-{i}", ref=ref, comment=f"comment {i}",
                about={"kind": "call", "source": "acd", "source_id": call_id},
            ),
        ]  # fmt: skip
    return facts


def _at_once(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(thread_number)`` in every thread, released together."""
    start = threading.Barrier(THREADS)

    def run(n: int) -> Any:
        start.wait()
        return work(n)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def _assert_exactly_once(services, facts: list[c.Command], outcomes: list[list[Any]]) -> None:
    assert count(services.database_url, "touchpoint_events") == len(facts)
    assert count(services.database_url, "fact_keys") == len(facts)
    logged = services.ledger.read_log(0, 2 * len(facts))
    assert Counter((x.fact.kind, x.fact.source_id) for x in logged) == Counter(
        (cmd.KIND, cmd.source_id) for cmd in facts
    )
    recorded = [o for thread in outcomes for o in thread if o.status == "recorded"]
    assert len(recorded) == len(facts)
    # Every thread was told the one position of each fact, recorded or duplicate.
    positions = {o.position for o in recorded}
    for thread in outcomes:
        assert [o.status for o in thread if o.status not in ("recorded", "duplicate")] == []
        assert {o.position for o in thread} == positions


def test_eight_threads_sending_the_same_thousand_facts_in_batches_leave_a_thousand(services):
    facts = _same_thousand()

    def send(_: int) -> list[Any]:
        outcomes = []
        for start in range(0, len(facts), 100):
            outcomes += services.ledger.record_batch(facts[start : start + 100], AUTHOR)
        return outcomes

    _assert_exactly_once(services, facts, _at_once(send))


def test_eight_threads_sending_the_same_thousand_facts_one_by_one_leave_a_thousand(services):
    facts = _same_thousand()

    def send(_: int) -> list[Any]:
        return [services.ledger.record(cmd, AUTHOR) for cmd in facts]

    _assert_exactly_once(services, facts, _at_once(send))


def test_distinct_writers_get_positions_in_commit_order_and_lose_nothing(services):
    ledger, per_writer = services.ledger, 125
    done = threading.Event()
    tailed: list[int] = []

    def tail() -> None:
        # A reader following the log: if a lower position ever committed after a
        # higher one had been read, this reader would pass over it for good.
        after = 0
        while not done.is_set() or after < ledger.head_position():
            page = ledger.read_log(after, 50)
            tailed.extend(item.position for item in page)
            if page:
                after = page[-1].position
            else:
                time.sleep(0.002)  # let the writers have the CPU

    def write(writer: int) -> list[int]:
        return [
            ledger.record(b.call(f"w{writer}-{k:03d}", ref=f"W{writer}"), AUTHOR).position
            for k in range(per_writer)
        ]

    reader = threading.Thread(target=tail)
    reader.start()
    try:
        acknowledged = _at_once(write)
    finally:
        done.set()
        reader.join()
    logged = ledger.read_log(0, 10 * THREADS * per_writer)
    positions = [item.position for item in logged]
    assert len(positions) == len(set(positions)) == THREADS * per_writer
    assert positions == sorted(positions)
    assert sorted(p for mine in acknowledged for p in mine) == positions
    for writer, mine in enumerate(acknowledged):
        # Each writer waited for one commit before the next: its counter and
        # its positions must agree.
        assert all(earlier < later for earlier, later in itertools.pairwise(mine))
        ids = [x.fact.source_id for x in logged if x.fact.customer_ref == f"W{writer}"]
        assert ids == [f"w{writer}-{k:03d}" for k in range(per_writer)]
    assert tailed == positions
