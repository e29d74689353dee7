"""Observability: ``GET /metrics`` in the Prometheus text format, request ids, access logs.

``install_observability(app, services)`` adds an outermost ASGI middleware that gives
every request an id (the caller's ``X-Request-ID`` if it is a plain token, else a new
one), returns it in ``X-Request-ID``, puts it on every log record of the request
(``api.web.logs``), times the request to its first response byte per route template, and
logs one access line (method, path without query string, route, status, duration: no
header, key or body ever). The metrics are read when scraped:

- ``touchpoint_http_requests_total`` / ``touchpoint_http_request_duration_seconds``: per
  method, route template and status class;
- ``touchpoint_log_facts_total{kind}``: facts in the log per kind, whoever recorded them
  (counted incrementally from the log at each scrape), and ``touchpoint_log_position``;
- ``touchpoint_view_position``, ``touchpoint_view_lag_positions`` and
  ``touchpoint_view_lag_seconds`` per view;
- ``touchpoint_db_pool_connections{pool,state}`` and ``touchpoint_db_pool_waiting``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from psycopg_pool import ConnectionPool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Services
from api.storage.stats import facts_by_topic_after
from api.web.deps import Operator
from api.web.logs import REQUEST_ID, access_level, hide_query_strings, resolved_format, use_logs
from api.web.problems import problem_responses
from domain.facts import FACT_TYPES
from projections.tracking import all_positions

access_log = logging.getLogger("touchpoint.access")
_EXAMPLE = (
    "# HELP touchpoint_log_facts_total Facts in the log.\n"
    "# TYPE touchpoint_log_facts_total counter\n"
    'touchpoint_log_facts_total{kind="CallRecorded"} 43246.0\n'
    "# HELP touchpoint_view_lag_positions Head minus position.\n"
    "# TYPE touchpoint_view_lag_positions gauge\n"
    'touchpoint_view_lag_positions{view="cost"} 0.0\n'
)
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Instruments:
    """The metrics of one app, in a registry of its own (nothing global)."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "touchpoint_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "touchpoint_http_request_duration_seconds",
            "Time to the first byte of the response (streams: until they start).",
            labels, buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.registry.register(LogCollector(services))
        self.registry.register(ViewCollector(services))
        self.registry.register(PoolCollector(services))


Family = type[CounterMetricFamily] | type[GaugeMetricFamily]


class _Described:
    """Collectors describe their families without reading anything (registering reads nothing)."""

    FAMILIES: tuple[tuple[Family, str, str, tuple[str, ...]], ...] = ()

    def describe(self) -> Iterator[Metric]:
        for kind, name, help_text, labels in self.FAMILIES:
            yield kind(name, help_text, labels=list(labels))


class LogCollector(_Described):
    """Facts in the log per kind: a full count once, then only what was appended since."""

    FAMILIES = (
        (CounterMetricFamily, "touchpoint_log_facts", "Facts in the log.", ("kind",)),
        (GaugeMetricFamily, "touchpoint_log_position", "Head of the log.", ()),
    )

    def __init__(self, services: Services) -> None:
        self.services = services
        self.position = 0
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.kinds = {fact.TOPIC: name for name, fact in FACT_TYPES.items()}

    def collect(self) -> Iterator[Metric]:
        with self.lock:
            for topic, count, highest in facts_by_topic_after(
                self.services.key_pool, self.position
            ):
                kind = self.kinds.get(topic) or str(topic)
                self.counts[kind] = self.counts.get(kind, 0) + int(count)
                self.position = max(self.position, int(highest))
            counts, position = dict(self.counts), self.position
        facts = CounterMetricFamily("touchpoint_log_facts", "Facts in the log.", labels=["kind"])
        for kind, count in sorted(counts.items()):
            facts.add_metric([kind], count)
        yield facts
        yield GaugeMetricFamily("touchpoint_log_position", "Head of the log.", value=position)


class ViewCollector(_Described):
    """Each view's position, and how far behind the head of the log it is."""

    FAMILIES = (
        (GaugeMetricFamily, "touchpoint_view_position", "Last position applied.", ("view",)),
        (GaugeMetricFamily, "touchpoint_view_lag_positions", "Head minus position.", ("view",)),
        (GaugeMetricFamily, "touchpoint_view_lag_seconds", "Age of the oldest fact not applied.",
         ("view",)),
    )  # fmt: skip

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        ledger = self.services.ledger
        head = ledger.head_position()
        with self.services.key_pool.connection() as conn:
            views = list(all_positions(conn).items())
        position = GaugeMetricFamily(
            "touchpoint_view_position", "Last position applied.", labels=["view"]
        )
        behind = GaugeMetricFamily(
            "touchpoint_view_lag_positions", "Head minus position.", labels=["view"]
        )
        seconds = GaugeMetricFamily(
            "touchpoint_view_lag_seconds", "Age of the oldest fact not applied.", labels=["view"]
        )
        now = datetime.now(UTC)
        for name, at in sorted(views):
            position.add_metric([name], int(at))
            behind.add_metric([name], max(0, head - int(at)))
            oldest = ledger.read_log(int(at), 1) if head > int(at) else []
            age = (now - oldest[0].recorded_at).total_seconds() if oldest else 0.0
            seconds.add_metric([name], max(0.0, age))
        yield from (position, behind, seconds)


class PoolCollector(_Described):
    """Connections of the API's pool and of the ledger's: in use, idle, waited for."""

    FAMILIES = (
        (GaugeMetricFamily, "touchpoint_db_pool_connections", "Pool connections.",
         ("pool", "state")),
        (GaugeMetricFamily, "touchpoint_db_pool_waiting", "Requests waiting for a connection.",
         ("pool",)),
    )  # fmt: skip

    def __init__(self, services: Services) -> None:
        self.services = services

    def _pools(self) -> dict[str, ConnectionPool]:
        pools: dict[str, ConnectionPool] = {"api": self.services.key_pool}
        datastore = getattr(self.services.ledger.recorder, "datastore", None)
        if isinstance(getattr(datastore, "pool", None), ConnectionPool):
            pools["ledger"] = datastore.pool  # type: ignore[union-attr]
        return pools

    def collect(self) -> Iterator[Metric]:
        states = GaugeMetricFamily(
            "touchpoint_db_pool_connections", "Pool connections.", labels=["pool", "state"]
        )
        waiting = GaugeMetricFamily(
            "touchpoint_db_pool_waiting", "Requests waiting for a connection.", labels=["pool"]
        )
        for name, pool in self._pools().items():
            stats = pool.get_stats()
            size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
            states.add_metric([name, "in_use"], size - idle)
            states.add_metric([name, "idle"], idle)
            states.add_metric([name, "max"], pool.max_size)
            waiting.add_metric([name], stats.get("requests_waiting", 0))
        yield from (states, waiting)


class RequestObserver:
    """ASGI middleware: request id, first-byte latency per route, one access log line."""

    def __init__(
        self, app: ASGIApp, instruments: Instruments, json_logs: bool, level: str = "info"
    ) -> None:
        self.app = app
        self.instruments = instruments
        self.json_logs = json_logs
        self.level = level
        self.access_level = access_level("json" if json_logs else "text")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.json_logs:
            await self.app(scope, _json_logs_at_startup(receive, self.level), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _TOKEN.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started, answered = time.perf_counter(), {"status": 500}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
                self._time(scope, message["status"], time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self._log(scope, answered["status"], time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _time(self, scope: Scope, status: int, seconds: float) -> None:
        labels = (scope["method"], _route(scope), f"{status // 100}xx")
        self.instruments.latency.labels(*labels).observe(seconds)
        self.instruments.requests.labels(*labels).inc()

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        fields = {"method": scope["method"], "path": scope["path"], "route": _route(scope)}
        fields |= {"status": status, "duration_ms": round(seconds * 1000, 1)}
        access_log.log(
            self.access_level, "%s %s %s", scope["method"], scope["path"], status, extra=fields
        )


def _json_logs_at_startup(receive: Receive, level: str) -> Receive:
    """``receive`` that switches to JSON logs on startup (after the server set up its own)."""

    async def received() -> Message:
        message = await receive()
        if message["type"] == "lifespan.startup":
            use_logs("json", level)
        return message

    return received


def _route(scope: Scope) -> str:
    """The route template (``/customers/{ref}``), never the raw path (unbounded labels)."""
    route: Any = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def install_observability(app: FastAPI, services: Services) -> None:
    """The middleware and ``GET /metrics`` (roles auditor and admin, e.g. a Prometheus
    scraper with ``authorization: {credentials: <key>}``); JSON logs unless text ones are
    asked for (``api.web.logs``)."""
    instruments = Instruments(services)
    settings = services.settings
    json_logs = resolved_format(settings.log_format) == "json"
    hide_query_strings()  # text logs keep uvicorn's access lines: without their queries
    app.add_middleware(
        RequestObserver, instruments=instruments, json_logs=json_logs, level=settings.log_level
    )
    app.include_router(_metrics_router(instruments))


def _metrics_router(instruments: Instruments) -> APIRouter:
    def metrics(principal: Operator, request: Request) -> Response:
        """Counters and gauges of this process, the log, the views and the pools."""
        return Response(generate_latest(instruments.registry), media_type=CONTENT_TYPE_LATEST)

    routes = APIRouter()
    routes.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        tags=["operators"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "content": {
                    CONTENT_TYPE_LATEST: {"schema": {"type": "string"}, "example": _EXAMPLE}
                }
            },
            **problem_responses(401, 403, 503),
        },
    )
    return routes
