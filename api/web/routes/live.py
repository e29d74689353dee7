"""Live updates as Server-Sent Events: one customer's facts (agents), the whole log (auditors).

Each event is one fact: ``id`` is its log position, ``data`` the fact as JSON. A
client that reconnects sends the last id it saw as ``Last-Event-ID`` (browsers do
so by themselves) and resumes right after it. A customer's stream also sends an
id-only line now and then (no data, so no event fires) when it has read past facts
of other customers, so a reconnect does not read them again. Idle streams carry a
keep-alive comment every 15 s. A stream ends when the client goes, or when its API key
is revoked: within ``live_revocation_seconds`` it sends ``event: revoked`` and ends,
and no fact read after the revocation is sent (see ``guarded``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from api.bootstrap import Services
from api.storage.keys import KeyStore, Principal
from api.web.deps import Agent, Auditor, ServicesDep
from api.web.live import Reader, follow, page_after, signal_for
from api.web.problems import problem_responses
from api.web.reading import ProblemRoute
from api.web.schemas.params import CustomerRef, LogPosition
from domain.ledger import Ledger
from domain.ports import Keyring
from domain.reading import LoggedFact

RETRY_MILLISECONDS = 2000
REVOKED = {
    "status": 401,
    "title": "API key revoked",
    "detail": "the API key this stream was opened with was revoked: the stream ends",
}


class KeyRevoked(Exception):
    """The API key a stream was opened with is no longer valid."""


class LiveFact(BaseModel):
    """One fact as pushed to a live stream (the SSE ``data``)."""

    position: int = Field(description="Log position (also the event's `id`).")
    stream_id: UUID
    version: int = Field(description="Place of the fact in its stream, from 1.")
    kind: str = Field(examples=["CallRecorded"])
    recorded_at: datetime
    author: str = Field(description="Who recorded the fact.")
    data: dict[str, Any] = Field(
        description="The fact's fields. Personal fields: decrypted on a customer's stream "
        '(`{"erased": true}` after erasure), `{"withheld": true}` on the log stream.'
    )


def live_fact(item: LoggedFact, keyring: Keyring | None) -> LiveFact:
    """``item`` as pushed: personal fields opened with ``keyring``, else withheld."""
    plain = item.as_dict(keyring)
    data = plain.pop("data")
    return LiveFact(**plain, author=data.pop("recorded_by"), data=data)


def customer_reader(ledger: Ledger, ref: str) -> Reader:
    """Reads the log after a position, keeping the facts about customer ``ref``."""

    def read(after: int) -> tuple[int, list[Any], bool]:
        position, page, full = page_after(ledger, after)
        mine = [item for item in page if item.customer_ref == ref]
        personal = any(item.fact.PERSONAL for item in mine)
        keyring = ledger.vault.keyring([ref], create=False) if personal else None
        return position, [live_fact(item, keyring) for item in mine], full

    return read


def log_reader(ledger: Ledger) -> Reader:
    """Reads the log after a position, every fact, personal fields withheld."""

    def read(after: int) -> tuple[int, list[Any], bool]:
        position, page, full = page_after(ledger, after)
        return position, [live_fact(item, None) for item in page], full

    return read


def guarded(reader: Reader, keys: KeyStore, key_id: str) -> Reader:
    """``reader``, handing on what it read only while the key ``key_id`` is still valid.

    The key is checked after each read, never before: a fact committed after the
    revocation can only be seen by a read that began after it, so the check that
    follows that read sees the revocation too, and ``KeyRevoked`` withholds the page.
    """

    def read(after: int) -> tuple[int, list[Any], bool]:
        result = reader(after)
        if not keys.is_active(key_id):
            raise KeyRevoked(key_id)
        return result

    return read


def start_position(
    services: ServicesDep,
    after: Annotated[
        LogPosition | None,
        Query(
            description="Start after this log position (0: from the beginning); default: "
            "only facts recorded from now on. `Last-Event-ID` takes precedence.",
        ),
    ] = None,
    last_event_id: Annotated[
        LogPosition | None,
        Header(
            alias="Last-Event-ID",
            description="The `id` of the last event received: resume right after it.",
        ),
    ] = None,
) -> int:
    """Where a stream starts: after Last-Event-ID, else ``after``, else the head of the log."""
    services.check_database()  # a prompt 503, not the library's retries, if it is down
    if last_event_id is not None:
        return last_event_id
    if after is not None:
        return after
    return services.ledger.head_position()


StartDep = Annotated[int, Depends(start_position)]


async def _events(
    request: Request, services: Services, principal: Principal, reader: Reader, start: int
) -> AsyncIterator[ServerSentEvent]:
    # The start as the first id: a reconnect before any fact resumes from here.
    opening = f"following the log after position {start}"
    yield ServerSentEvent(comment=opening, id=str(start), retry=RETRY_MILLISECONDS)
    try:
        async for event in _facts(request, services, principal, reader, start):
            yield event
    except KeyRevoked:
        yield ServerSentEvent(event="revoked", data=REVOKED)


async def _facts(
    request: Request, services: Services, principal: Principal, reader: Reader, start: int
) -> AsyncIterator[ServerSentEvent]:
    signal = signal_for(request.app.state, services.database_url, services.settings.connect_timeout)
    settings = services.settings
    # Read (and check the key) at least this often, notification or not.
    every = min(settings.live_poll_seconds, settings.live_revocation_seconds)
    reader = guarded(reader, services.keys, principal.key_id)
    last_id, marked = start, time.monotonic()
    sent = marked  # when anything was last sent, for the keep-alive comments
    async for position, items in follow(signal, reader, start, every):
        now = time.monotonic()
        for item in items:
            yield ServerSentEvent(data=item, id=str(item.position))
            last_id, marked, sent = item.position, now, now
        if position > last_id and now - marked >= settings.live_checkpoint_seconds:
            yield ServerSentEvent(comment="read up to here", id=str(position))
            last_id, marked, sent = position, now, now
        elif now - sent >= settings.live_keepalive_seconds:
            # Our own keep-alive, at an interval of ours (FastAPI's own comes after 15 s).
            yield ServerSentEvent(comment="ping")
            sent = now


async def customer_events(
    principal: Agent, request: Request, services: ServicesDep, ref: CustomerRef, start: StartDep
) -> AsyncIterable[ServerSentEvent]:
    """Each new fact about one customer, as soon as it is recorded (Server-Sent Events).

    `id` is the fact's log position and `data` the fact as JSON (a `LiveFact`), with
    personal fields decrypted. Resume with `Last-Event-ID` (or `after`). The stream
    does not end by itself (it is meant for agent desktops), but when its API key is
    revoked it sends `event: revoked` and ends, within `live_revocation_seconds`.
    """
    reader = customer_reader(services.ledger, ref)
    async for event in _events(request, services, principal, reader, start):
        yield event


async def log_events(
    principal: Auditor, request: Request, services: ServicesDep, start: StartDep
) -> AsyncIterable[ServerSentEvent]:
    """Every new fact of the log, in log order, as soon as it is recorded (Server-Sent Events).

    `id` is the fact's log position and `data` the fact as JSON (a `LiveFact`) with personal
    fields withheld. Resume with `Last-Event-ID` (or `after`). The stream does not end by
    itself, but when its API key is revoked it sends `event: revoked` and ends.
    """
    async for event in _events(request, services, principal, log_reader(services.ledger), start):
        yield event


_EXAMPLE = (
    ": following the log after position 41\nid: 41\nretry: 2000\n\n"
    'data: {"position":42,"stream_id":"5f0c6a1e-8d1b-5c3e-9a55-0d7f3b0e6a11","version":1,'
    '"kind":"CallRecorded","recorded_at":"2026-03-02T09:10:01Z","author":"api:3f2a:agent",'
    '"data":{"customer_ref":"C-10042","queue":"billing"}}\nid: 42\n\n: ping\n\n'
)


def _stream_response() -> dict[int | str, dict[str, Any]]:
    schema = LiveFact.model_json_schema(mode="serialization")
    item = {
        "type": "object",
        "properties": {
            "event": {
                "type": "string",
                "enum": ["revoked"],
                "description": "Absent on facts; `revoked`: the stream's API key was "
                "revoked, `data` says so and the stream ends.",
            },
            "id": {"type": "string", "description": "Log position of the fact."},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": schema,
            },
            "retry": {"type": "integer", "minimum": 0},
        },
    }
    content = {"text/event-stream": {"itemSchema": item, "example": _EXAMPLE}}
    return {
        200: {
            "description": "Events until the client goes or the key is revoked.",
            "content": content,
        }
    }


def router() -> APIRouter:
    """``GET /customers/{ref}/events`` (agents) and ``GET /log/events`` (auditors)."""
    routes = APIRouter(route_class=ProblemRoute)
    responses = {**_stream_response(), **problem_responses(401, 403, 422, 503)}
    routes.add_api_route(
        "/customers/{ref}/events",
        customer_events,
        methods=["GET"],
        tags=["agents"],
        summary="Live facts about one customer (Server-Sent Events)",
        response_class=EventSourceResponse,
        responses=responses,
    )
    routes.add_api_route(
        "/log/events",
        log_events,
        methods=["GET"],
        tags=["auditors"],
        summary="Live facts of the whole log (Server-Sent Events)",
        response_class=EventSourceResponse,
        responses=responses,
    )
    return routes
