"""Live updates (Server-Sent Events): one customer's facts for agents, the whole log for auditors.

Streams are read through the TestClient (it streams; leaving the ``with`` block
disconnects) by a reader thread, so every wait is bounded and no test can hang.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from api.web import live
from tests import builders as b

WAIT = 15.0  # seconds: the most any expected event may take (generous; never asserted on)


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: Any = None
    comments: list[str] = field(default_factory=list)
    retry: int | None = None


def parse(lines: Iterator[str], out: queue.Queue) -> None:
    """Parse SSE lines into Events (put on ``out``) until the stream ends."""
    event = Event()
    try:
        for line in lines:
            if line == "":
                out.put(event)
                event = Event()
            elif line.startswith(":"):
                event.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    event.event = value
                elif name == "id":
                    event.id = value
                elif name == "data":
                    event.data = json.loads(value)
                elif name == "retry":
                    event.retry = int(value)
    except Exception as error:  # the stream was closed under the reader: that ends it
        out.put(error)
    out.put(None)


class Stream:
    """Events of an open SSE response, read in a thread; ``next`` waits at most WAIT."""

    def __init__(self, response) -> None:
        self.response = response
        self.events: queue.Queue = queue.Queue()
        thread = threading.Thread(target=parse, args=(response.iter_lines(), self.events))
        thread.daemon = True
        thread.start()

    def next(self) -> Event:
        item = self.events.get(timeout=WAIT)
        assert isinstance(item, Event), f"stream ended: {item!r}"
        return item

    def rest(self) -> list[Event]:
        """Every event until the server ends the stream; fails if it has not within WAIT."""
        found: list[Event] = []
        deadline = time.monotonic() + WAIT
        while (item := self.events.get(timeout=WAIT)) is not None:
            assert isinstance(item, Event), f"stream broken: {item!r}"
            found.append(item)
            assert time.monotonic() < deadline, f"the stream did not end: {found!r}"
        return found

    def facts(self, count: int) -> list[Event]:
        """The next ``count`` events that carry a fact (skipping keep-alives and marks)."""
        found: list[Event] = []
        while len(found) < count:
            event = self.next()
            if event.data is not None:
                found.append(event)
        return found


def positions_of(events: list[Event]) -> list[int]:
    """The log positions the events carry as their ids (each must carry one)."""
    positions = []
    for event in events:
        assert event.id is not None, event
        positions.append(int(event.id))
    return positions


@contextmanager
def stream(client, path: str, headers: dict[str, str], **params: Any) -> Iterator[Stream]:
    with client.stream("GET", path, headers=headers, params=params) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        opened = Stream(response)
        yield opened


def test_a_customer_stream_pushes_each_new_fact_of_that_customer_with_personal_fields(
    client, services, role_headers
):
    with stream(client, "/customers/C1/events", role_headers["agent"]) as events:
        opening = events.next()  # the stream is following the log from here on
        registered = services.ledger.record(b.customer("C1", name="Ada Lovelace"), "t")
        services.ledger.record(b.call("other", ref="C2"), "t")
        called = services.ledger.record(b.call("c-1", ref="C1"), "t")

        pushed = events.facts(2)

    assert opening.retry is not None
    assert [e.id for e in pushed] == [str(registered.position), str(called.position)]
    assert [e.data["kind"] for e in pushed] == ["CustomerRegistered", "CallRecorded"]
    assert pushed[0].data["data"]["name"] == "Ada Lovelace"
    assert pushed[1].data["position"] == called.position
    assert pushed[1].data["author"] == "t"


def test_the_log_stream_pushes_every_fact_with_personal_fields_withheld(
    client, services, role_headers
):
    with stream(client, "/log/events", role_headers["auditor"]) as events:
        events.next()
        first = services.ledger.record(b.customer("C1", name="Ada Lovelace"), "t")
        second = services.ledger.record(b.call("c-1", ref="C2"), "t")

        pushed = events.facts(2)

    assert positions_of(pushed) == [first.position, second.position]
    assert pushed[0].data["data"]["name"] == {"withheld": True}
    assert "Ada Lovelace" not in json.dumps([e.data for e in pushed])


def test_a_stream_resumes_after_the_last_event_id(client, services, role_headers):
    positions = [services.ledger.record(b.call(f"c-{i}", ref="C1"), "t").position for i in range(4)]
    headers = role_headers["agent"] | {"Last-Event-ID": str(positions[1])}

    with stream(client, "/customers/C1/events", headers, after=0) as events:
        pushed = events.facts(2)

    assert positions_of(pushed) == positions[2:]


def test_a_stream_resumes_from_the_after_parameter(client, services, role_headers):
    positions = [services.ledger.record(b.call(f"c-{i}", ref="C1"), "t").position for i in range(3)]

    with stream(client, "/log/events", role_headers["auditor"], after=positions[0]) as events:
        pushed = events.facts(2)

    assert positions_of(pushed) == positions[1:]


def test_an_erased_customer_stream_shows_personal_fields_as_erased(client, services, role_headers):
    services.ledger.record(b.customer("C1", name="Ada Lovelace"), "t")
    services.ledger.erase_customer("C1", "admin")

    with stream(client, "/customers/C1/events", role_headers["agent"], after=0) as events:
        pushed = events.facts(2)

    assert pushed[0].data["data"]["name"] == {"erased": True}
    assert pushed[1].data["kind"] == "CustomerErased"


def test_a_customer_stream_marks_how_far_it_read_past_other_customers(
    client, services, role_headers
):
    services.settings.live_checkpoint_seconds = 0.0
    other = services.ledger.record(b.call("other", ref="C2"), "t").position

    with stream(client, "/customers/C1/events", role_headers["agent"], after=0) as events:
        opening = events.next()
        mark = events.next()

    assert opening.id == "0"
    assert mark.data is None  # no event fires in a browser: only its Last-Event-ID moves
    assert mark.id == str(other)


def test_a_stream_stops_listening_when_the_client_goes(client, services, role_headers):
    with stream(client, "/log/events", role_headers["auditor"]) as events:
        events.next()
        services.ledger.record(b.call("c-1", ref="C1"), "t")
        events.facts(1)
        signals = list(client.app.state.log_signals.values())
        assert [len(signal.waiters) for signal in signals] == [1]

    deadline = time.monotonic() + WAIT
    while any(s.waiters or s.running for s in signals) or _listeners(services):
        assert time.monotonic() < deadline, "the stream did not let go of the listener"
        time.sleep(0.05)


def _listeners(services) -> int:
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query ILIKE 'LISTEN%%'"
        ).fetchone()
    return int(row[0])


def test_many_streams_share_one_listening_connection(client, services, role_headers):
    with (
        stream(client, "/log/events", role_headers["auditor"]) as first,
        stream(client, "/customers/C1/events", role_headers["agent"]) as second,
        stream(client, "/customers/C2/events", role_headers["agent"]) as third,
    ):
        for opened in (first, second, third):
            opened.next()
        services.ledger.record(b.call("c-1", ref="C1"), "t")
        first.facts(1)
        second.facts(1)

        assert _listeners(services) == 1


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/customers/C1/events", "agent"), ("/log/events", "auditor")],
)
@pytest.mark.parametrize("role", ["agent", "analyst", "auditor", "integrator", "admin", None])
def test_only_the_right_role_may_open_a_stream(client, role_headers, path, allowed, role):
    headers = role_headers[role] if role else {}
    expected = 200 if role == allowed else 401 if role is None else 403

    with client.stream("GET", path, headers=headers) as response:
        status = response.status_code
        content_type = response.headers["content-type"]

    assert status == expected
    if expected != 200:
        assert content_type == "application/problem+json"


def test_a_malformed_last_event_id_is_a_422_problem(client, role_headers):
    headers = role_headers["auditor"] | {"Last-Event-ID": "not-a-position"}

    response = client.get("/log/events", headers=headers)

    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "Last-Event-ID"


def test_the_streams_are_documented_as_event_streams_of_facts(client):
    paths = client.get("/openapi.json").json()["paths"]

    for path, tag in (("/customers/{ref}/events", "agents"), ("/log/events", "auditors")):
        operation = paths[path]["get"]
        assert operation["tags"] == [tag]
        stream = operation["responses"]["200"]["content"]["text/event-stream"]
        assert stream["itemSchema"]["properties"]["data"]["contentSchema"]["title"] == "LiveFact"
        assert {"401", "403", "422"} <= set(operation["responses"])
        assert {"after", "Last-Event-ID"} <= {p["name"] for p in operation["parameters"]}


def test_facts_still_arrive_by_polling_when_notifications_cannot_be_heard(
    client, services, role_headers, monkeypatch
):
    async def deaf(self):
        raise psycopg.OperationalError("no LISTEN for this test")

    monkeypatch.setattr(live.LogSignal, "_listen_once", deaf)
    services.settings.live_poll_seconds = 0.2

    with stream(client, "/customers/C1/events", role_headers["agent"]) as events:
        events.next()
        called = services.ledger.record(b.call("c-1", ref="C1"), "t")

        (pushed,) = events.facts(1)

    assert pushed.id == str(called.position)


def test_an_idle_stream_carries_keep_alive_comments(client, services, role_headers):
    services.settings.live_poll_seconds = 0.1
    services.settings.live_keepalive_seconds = 0.1

    with stream(client, "/log/events", role_headers["auditor"]) as events:
        events.next()
        idle = events.next()

    assert idle.data is None
    assert idle.comments == ["ping"]


@pytest.mark.parametrize(
    ("path", "role"), [("/customers/C1/events", "agent"), ("/log/events", "auditor")]
)
def test_a_stream_whose_key_is_revoked_sends_nothing_recorded_after_and_ends_saying_why(
    client, services, path, role
):
    principal, token = services.keys.create(role, "soon-revoked")
    with stream(client, path, {"X-API-Key": token}) as events:
        events.next()
        before = services.ledger.record(b.call("c-before", ref="C1"), "t")
        events.facts(1)  # the stream works while the key is valid

        assert services.keys.revoke(principal.key_id)
        after = services.ledger.record(b.customer("C1", name="Ada Lovelace"), "t")
        rest = events.rest()

    sent = json.dumps([e.data for e in rest])
    assert str(after.position) not in [e.id for e in rest]
    assert "Ada Lovelace" not in sent
    assert '"CustomerRegistered"' not in sent
    assert rest[-1].event == "revoked"
    assert rest[-1].data["title"] == "API key revoked"
    assert before.position < after.position


def test_an_idle_stream_ends_when_its_key_is_revoked(client, services):
    principal, token = services.keys.create("auditor", "soon-revoked")
    services.settings.live_revocation_seconds = 0.2

    with stream(client, "/log/events", {"X-API-Key": token}) as events:
        events.next()
        services.keys.revoke(principal.key_id)
        rest = events.rest()

    assert [e.event for e in rest if e.event] == ["revoked"]
    assert all(e.data is None for e in rest[:-1])


def test_a_revoked_key_cannot_open_a_stream_again(client, services):
    principal, token = services.keys.create("agent", "revoked")
    services.keys.revoke(principal.key_id)

    response = client.get("/customers/C1/events", headers={"X-API-Key": token})

    assert response.status_code == 401


def test_streams_are_never_stored_by_caches(client, role_headers):
    for path, role in (("/customers/C1/events", "agent"), ("/log/events", "auditor")):
        with client.stream("GET", path, headers=role_headers[role]) as response:
            cache_control = response.headers.get_list("cache-control")

        assert cache_control == ["no-store"], path
