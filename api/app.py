"""The HTTP API (for now: health and the ordered log), built by ``create_app``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api import routes_customers, routes_live
from api.problems import install_problem_handlers, problem_responses
from api.wiring import Services
from domain.facts import FACT_TYPES
from domain.ledger import Ledger
from domain.reading import LoggedFact

MAX_PAGE = 1000
MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints


def get_services(request: Request) -> Services:
    """The process's services, put on the app by ``create_app``."""
    return cast(Services, request.app.state.services)


def get_ledger(services: Annotated[Services, Depends(get_services)]) -> Ledger:
    """The ledger of this process."""
    return services.ledger


ServicesDep = Annotated[Services, Depends(get_services)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]


class Health(BaseModel):
    """The database answered; ``position`` is the head of the log."""

    status: Literal["ok"] = "ok"
    position: int = Field(ge=0, description="Highest log position (0 when empty).")


class LogEntry(BaseModel):
    """One fact as read from the log; personal fields are withheld."""

    position: int = Field(description="Log position: increasing, not contiguous.")
    stream_id: UUID
    version: int = Field(description="Place of the fact in its stream, from 1.")
    kind: str = Field(examples=["CallRecorded"])
    recorded_at: datetime
    author: str = Field(description="Who recorded the fact.")
    data: dict[str, Any] = Field(description="The fact's fields.")


class LogPage(BaseModel):
    """Facts in log order; pass ``next_after`` as ``after`` for the next page."""

    facts: list[LogEntry]
    next_after: int = Field(ge=0, description="Position of the last fact read (or `after`).")


def log_entry(logged: LoggedFact) -> LogEntry:
    """A logged fact with personal fields withheld (auth comes later)."""
    plain = logged.as_dict(None)
    data = plain.pop("data")
    return LogEntry(**plain, author=data.pop("recorded_by"), data=data)


def parse_kinds(types: list[str]) -> list[str]:
    """Fact kinds from ``types`` (repeated and/or comma-separated); unknown -> 422."""
    kinds = [name.strip() for value in types for name in value.split(",") if name.strip()]
    unknown = [kind for kind in kinds if kind not in FACT_TYPES]
    if unknown:
        allowed = ", ".join(sorted(FACT_TYPES))
        reason = f"unknown fact kind(s) {', '.join(unknown)}; allowed: {allowed}"
        error = {"loc": ("query", "types"), "msg": reason, "type": "unknown_kind"}
        raise RequestValidationError([error])
    return kinds


def health(services: ServicesDep) -> Health:
    """Answers only if the database does; gives the head position of the log."""
    # A plain query first: it fails within connect_timeout, whereas the library's
    # reads retry ten times before giving up.
    with services.key_pool.connection() as conn:
        conn.execute("SELECT 1")
    return Health(position=services.ledger.head_position())


def read_log(
    ledger: LedgerDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="Read facts after this position.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many.")] = 100,
    types: Annotated[
        list[str] | None,
        Query(description="Only these fact kinds (repeat or comma-separate), e.g. CallRecorded."),
    ] = None,
) -> LogPage:
    """Decoded facts after ``after`` in log order, with positions and authors."""
    kinds = parse_kinds(types or [])
    facts = [log_entry(item) for item in ledger.read_log(after, limit, kinds)]
    return LogPage(facts=facts, next_after=facts[-1].position if facts else after)


def _router() -> APIRouter:
    router = APIRouter()
    router.add_api_route(
        "/health",
        health,
        methods=["GET"],
        tags=["operators"],
        summary="The database answers",
        responses=problem_responses(503),
    )
    router.add_api_route(
        "/log",
        read_log,
        methods=["GET"],
        tags=["auditors"],
        summary="The log in order, paged by position",
        responses=problem_responses(422, 503),
    )
    return router


def create_app(services: Services) -> FastAPI:
    """The API serving ``services``; errors answered as problem+json."""
    app = FastAPI(
        title="touchpoint",
        summary="An event-sourced ledger of customer interactions for contact centres.",
        version="0.1.0",
    )
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(_router())
    app.include_router(routes_customers.router())
    app.include_router(routes_live.router())
    return app
