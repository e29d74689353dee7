"""The centre's display settings and the wallboard's live stream of today's queues.

``GET /display`` tells the pages how the centre writes dates, times and money (its
locale, currency and time zone, never the browser's) and the service-level target they
draw. ``GET /wallboard/events`` (analysts) pushes, as Server-Sent Events, today's figures
per queue — offered, answered, abandoned, service level so far, longest wait — read from
the cost view each time the log grows (woken by the log's notifications, like the other
live streams), once the view has caught up with the log or after the bounded read wait.
Analysts, not agents: the board holds aggregates only, and an analyst key left in a wall
screen's tab reads no personal data, where an agent key would open every customer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from api.bootstrap import Services
from api.storage.keys import Principal
from api.web.deps import Analyst, PageReader, ServicesDep
from api.web.live import follow, signal_for
from api.web.problems import problem_responses
from api.web.reading import ProblemRoute
from api.web.routes.live import REVOKED
from projections.cost import distribution, queries
from projections.query import MetricQuery
from projections.tracking import ViewBehind, snapshot, view_position, wait_for_position

__all__ = ["Display", "QueueToday", "Wallboard", "router", "today_board"]


class Display(BaseModel):
    """How the pages write numbers, dates and money, and the targets they draw."""

    locale: str = Field(description="The centre's locale (BCP 47).", examples=["en-GB"])
    currency: str = Field(description="The centre's currency (ISO 4217).", examples=["GBP"])
    timezone: str = Field(description="The centre's time zone (days of the metrics).")
    service_level_seconds: int = Field(description="T: answered within it counts as a hit.")
    service_level_target: float = Field(description="Target share of hits, 0..1.")


class QueueToday(BaseModel):
    """One queue's calls of the day so far (``queue`` is ``null`` on the centre's total)."""

    queue: str | None
    offered: int
    answered: int
    abandoned: int
    service_level: float | None = Field(description="Hits / (offered - short abandons).")
    longest_wait_seconds: int | None = Field(
        description="Longest wait of a call answered or abandoned today (the top of its "
        "histogram bucket above 600 s)."
    )


class Wallboard(BaseModel):
    """Today's queues, as of the cost view's ``view_position``."""

    day: date = Field(description="Today in the centre's time zone.")
    at: datetime
    view_position: int
    display: Display
    total: QueueToday
    queues: list[QueueToday]


def display_of(services: Services) -> Display:
    """The display settings of the centre."""
    settings = services.settings
    return Display(
        locale=settings.locale,
        currency=settings.currency,
        timezone=settings.timezone,
        service_level_seconds=settings.service_level_seconds,
        service_level_target=settings.service_level_target,
    )


def display(principal: PageReader, services: ServicesDep) -> Display:
    """The centre's locale, currency, time zone and service-level target (for the pages)."""
    return display_of(services)


def today_board(services: Services) -> Wallboard:
    """Today's figures per queue and in total, read in one snapshot of the cost view."""
    config = services.view_config
    at = datetime.now(UTC)
    day = at.astimezone(config.zone).date()
    by_queue = MetricQuery(day, day, ("queue",), {}, at)
    with snapshot(services.key_pool) as conn:
        rows = queries.cost_metrics(conn, by_queue, config)
        total = queries.cost_metrics(conn, MetricQuery(day, day, (), {}, at), config)
        waits = distribution.cost_distribution(conn, by_queue, config)
        position = view_position(conn, "cost")
    longest = _longest_waits(waits)
    return Wallboard(
        day=day,
        at=at,
        view_position=position,
        display=display_of(services),
        total=_queue(total[0] if total else {}, max(longest.values(), default=None)),
        queues=[_queue(row, longest.get(row["queue"])) for row in rows],
    )


def _longest_waits(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Queue -> longest wait, answered or abandoned (``max`` of both distributions)."""
    longest: dict[str, int] = {}
    for row in rows:
        if row["measure"] in ("wait", "abandon_wait") and row["max"] is not None:
            longest[row["queue"]] = max(longest.get(row["queue"], 0), int(row["max"]))
    return longest


def _queue(row: dict[str, Any], longest: int | None) -> QueueToday:
    return QueueToday(
        queue=row.get("queue"),
        offered=row.get("offered", 0),
        answered=row.get("answered", 0),
        abandoned=row.get("abandoned", 0),
        service_level=row.get("service_level"),
        longest_wait_seconds=longest,
    )


def _caught_up(services: Services) -> None:
    """Wait (bounded) for the cost view to apply the log's head; go on if it lags."""
    head = services.ledger.head_position()
    # Lagging, the board shows what the view has; the next wake-up shows the rest.
    with contextlib.suppress(ViewBehind):
        wait_for_position(services.key_pool, "cost", head, services.settings.read_wait_seconds)


def _board_reader(services: Services, principal: Principal) -> Any:
    def read(after: int) -> tuple[int, list[Any], bool]:
        _caught_up(services)
        if not services.keys.is_active(principal.key_id):
            return after, [None], False  # None: the key was revoked
        board = today_board(services)
        return board.view_position, [board], False

    return read


async def _boards(
    request: Request, services: Services, principal: Principal
) -> AsyncIterator[ServerSentEvent]:
    settings = services.settings
    signal = signal_for(request.app.state, services.database_url, settings.connect_timeout)
    every = min(settings.live_poll_seconds, settings.live_revocation_seconds)
    shown: tuple[date, int] | None = None
    async for _, items in follow(signal, _board_reader(services, principal), 0, every):
        board = items[0]
        if board is None:
            yield ServerSentEvent(event="revoked", data=REVOKED)
            return
        if shown != (board.day, board.view_position):  # a new day or new facts: a new board
            shown = (board.day, board.view_position)
            yield ServerSentEvent(event="board", data=board, id=str(board.view_position))
        else:
            yield ServerSentEvent(comment="ping")


async def wallboard_events(
    principal: Analyst, request: Request, services: ServicesDep
) -> AsyncIterable[ServerSentEvent]:
    """Today's queues (a `Wallboard` per `board` event), again each time the log grows.

    The first event comes at once; later ones when the cost view has applied new facts
    (or the day changed). Idle, the stream sends a comment every few seconds. When its
    API key is revoked it sends `event: revoked` and ends.
    """
    services.check_database()
    async for event in _boards(request, services, principal):
        yield event


_DISPLAY_EXAMPLE = {
    "locale": "en-GB",
    "currency": "GBP",
    "timezone": "Europe/London",
    "service_level_seconds": 20,
    "service_level_target": 0.8,
}
_EXAMPLE = (
    'event: board\ndata: {"day":"2026-03-04","at":"2026-03-04T14:02:11Z","view_position":1042,'
    '"display":{"locale":"en-GB","currency":"GBP","timezone":"Europe/London",'
    '"service_level_seconds":20,"service_level_target":0.8},"total":{"queue":null,'
    '"offered":41,"answered":38,"abandoned":3,"service_level":0.85,"longest_wait_seconds":95},'
    '"queues":[{"queue":"billing","offered":41,"answered":38,"abandoned":3,'
    '"service_level":0.85,"longest_wait_seconds":95}]}\nid: 1042\n\n: ping\n\n'
)


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` written in place (a content schema has no home for them)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return dict(walk(schema))


def router() -> APIRouter:
    """``GET /display`` (agents, analysts, admins) and ``GET /wallboard/events`` (analysts)."""
    routes = APIRouter(route_class=ProblemRoute)
    routes.add_api_route(
        "/display",
        display,
        methods=["GET"],
        tags=["analysts"],
        summary="The centre's locale, currency, time zone and targets",
        responses={
            200: {"content": {"application/json": {"example": _DISPLAY_EXAMPLE}}},
            **problem_responses(401, 403),
        },
    )
    board = _inlined(Wallboard.model_json_schema(mode="serialization"))
    data = {"type": "string", "contentMediaType": "application/json", "contentSchema": board}
    item = {"type": "object", "properties": {"event": {"enum": ["board", "revoked"]}, "data": data}}
    routes.add_api_route(
        "/wallboard/events",
        wallboard_events,
        methods=["GET"],
        tags=["analysts"],
        summary="Today's queues, live (Server-Sent Events)",
        response_class=EventSourceResponse,
        responses={
            200: {
                "description": "A board now, then one each time the log grows.",
                "content": {"text/event-stream": {"itemSchema": item, "example": _EXAMPLE}},
            },
            **problem_responses(401, 403, 503),
        },
    )
    return routes
