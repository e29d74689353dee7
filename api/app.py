"""The HTTP API, built by ``create_app``: routers per user group, problem+json errors.

Nothing is built at import time: ``create_app(services)`` makes the app, imports
the routers and includes them. Every endpoint but ``/health`` and the OpenAPI
document needs an API key (``api.security``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from api.bodies import BodyLimit
from api.middleware import install_middleware
from api.observability import install_observability
from api.problems import install_problem_handlers, problem_responses
from api.query_guard import refuse_repeated_query_parameters
from api.rebuilds import Rebuilds
from api.wiring import Services
from domain.ledger import Ledger

TAGS: list[dict[str, Any]] = [
    {"name": "agents", "description": "Agent desktops: record interactions, read customers."},
    {
        "name": "integrators",
        "description": "Feeds from other systems: facts one by one or in batches.",
    },
    {"name": "analysts", "description": "Metric views; never personal data."},
    {"name": "auditors", "description": "The log, streams and view positions, as recorded."},
    {"name": "admins", "description": "Erasure of personal data, view rebuilds."},
    {"name": "operators", "description": "Health of the process and the database."},
]


def get_services(request: Request) -> Services:
    """The process's services, put on the app by ``create_app``."""
    return cast(Services, request.app.state.services)


ServicesDep = Annotated[Services, Depends(get_services)]


def get_checked_services(services: ServicesDep) -> Services:
    """The services, once the database answered a plain query (else 503 at once).

    The library's reads and writes retry ten times on a lost connection, so without
    this check an outage would take tens of seconds to become a 503.
    """
    services.check_database()
    return services


CheckedServicesDep = Annotated[Services, Depends(get_checked_services)]


def get_ledger(services: CheckedServicesDep) -> Ledger:
    """The ledger of this process (the database checked first)."""
    return services.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


class Health(BaseModel):
    """The database answered; ``position`` is the head of the log."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "position": 1042}]})

    status: Literal["ok"] = "ok"
    position: int = Field(ge=0, description="Highest log position (0 when empty).")


def health(services: CheckedServicesDep) -> Health:
    """Answers only if the database does; gives the head position of the log."""
    return Health(position=services.ledger.head_position())


def _health_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route(
        "/health",
        health,
        methods=["GET"],
        tags=["operators"],
        summary="The database answers",
        description="Public (no key): the process runs and the database answers.",
        responses=problem_responses(503),
    )
    return router


def _routers() -> list[APIRouter]:
    """Every router of the API (imported here: the route modules import this one)."""
    from api import (
        routes_admin,
        routes_audit,
        routes_batch,
        routes_chain,
        routes_customers,
        routes_live,
        routes_metrics,
        routes_pages,
        routes_recording,
    )

    return [
        _health_router(),
        routes_recording.router(),
        routes_batch.router(),
        routes_audit.router(),
        routes_chain.router(),
        routes_admin.router(),
        routes_customers.router(),
        routes_live.router(),
        routes_metrics.router(),
        routes_pages.router(),
    ]


def create_app(services: Services) -> FastAPI:
    """The API serving ``services``; errors answered as problem+json."""
    rebuilds = Rebuilds()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        rebuilds.wait(timeout=30.0)  # a rebuild in progress finishes its page, then stops

    app = FastAPI(
        title="touchpoint",
        summary="An event-sourced ledger of customer interactions for contact centres.",
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        dependencies=[Depends(refuse_repeated_query_parameters)],
    )
    app.state.services = services
    app.state.keys = services.keys
    app.state.rebuilds = rebuilds
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_request_bytes)
    install_middleware(app, services.settings)  # headers, CORS, rate limits: outside the limit
    install_observability(app, services)  # request ids, latency, /metrics: outermost
    install_problem_handlers(app)
    for router in _routers():
        app.include_router(router)
    _complete_openapi(app)
    return app


def _complete_openapi(app: FastAPI) -> None:
    """Add to the OpenAPI document the schemas of bodies read by hand (batch items)."""
    from api.routes_batch import command_schemas

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = generate().setdefault("components", {}).setdefault("schemas", {})
            for name, schema in command_schemas().items():
                schemas.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way
