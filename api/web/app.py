"""The HTTP API, built by ``create_app``: routers per user group, problem+json errors.

Nothing is built at import time: ``create_app(services)`` makes the app, builds
the routers and includes them. Every endpoint but ``/health`` and the OpenAPI
document needs an API key (``api.web.deps``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from api.bootstrap import Services
from api.web.bodies import BodyLimit
from api.web.middleware import install_middleware
from api.web.observability import install_observability
from api.web.openapi.docs import install_docs
from api.web.openapi.operation_ids import name_operations, operation_id
from api.web.problems import install_problem_handlers
from api.web.query_guard import refuse_repeated_query_parameters
from api.web.rebuilds import Rebuilds
from api.web.routes import (
    admin,
    audit,
    batch,
    chain,
    health,
    live,
    metrics,
    pages,
    recording,
    suppression,
    wallboard,
)
from api.web.routes.centre import call_reasons, contact_policy
from api.web.routes.customers import contactability
from api.web.routes.customers import profile as customers
from api.web.routes.customers import search as customer_search

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


def _routers() -> list[APIRouter]:
    """Every router of the API, in the order of the OpenAPI document."""
    return [
        health.router(),
        recording.router(),
        batch.router(),
        audit.router(),
        chain.router(),
        admin.router(),
        call_reasons.router(),
        contact_policy.router(),
        customer_search.router(),  # before customers: /customers/lookup is not a {ref}
        customers.router(),
        contactability.router(),
        suppression.router(),
        live.router(),
        metrics.router(),
        wallboard.router(),
        pages.router(),
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
        generate_unique_id_function=operation_id,
        docs_url=None,  # served by install_docs, from packaged files: no CDN
        redoc_url=None,
    )
    install_docs(app)
    app.state.services = services
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
    """Add to the OpenAPI document the schemas of bodies read by hand (batch items), and
    name every operation readably (``api.web.openapi.operation_ids``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = generate().setdefault("components", {}).setdefault("schemas", {})
            for name, schema in batch.command_schemas().items():
                schemas.setdefault(name, schema)
            name_operations(app.openapi_schema or {})
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way
