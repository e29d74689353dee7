"""HTTP hardening around the app: security headers, CORS, rate limits per API key.

``install_middleware`` adds, from the outside in:

- ``SecurityHeaders``: every response says ``nosniff``, may not be framed, sends no
  referrer and is not cached (``no-store``: answers carry customers' data and
  positions that a shared cache must never replay);
- CORS, only for the origins in ``cors_allow_origins`` (none by default: browsers
  then refuse cross-origin calls; keys travel in headers, never in cookies);
- ``RateLimit``: a token bucket per API key, in this process's memory, answering
  429 problem+json with ``Retry-After`` when a key sends faster than its rate.

The body limit (``api.web.bodies.BodyLimit``) sits inside these, so a refused or
rate-limited request is never read.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings
from api.web.problems import Problem, problem_response, problem_type

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The /docs page loads Swagger UI's script and style from a CDN: only framing is refused.
PAGE_POLICY = "frame-ancestors 'none'"
MAX_BUCKETS = 10_000
"""Buckets kept at most; full ones (idle keys) are forgotten first."""


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the middleware of this module to ``app`` (after the body limit, so outside it)."""
    if settings.rate_limit_per_second > 0:
        app.add_middleware(
            RateLimit, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Retry-After", "Location"],
            allow_credentials=False,
        )
    app.add_middleware(SecurityHeaders)


class SecurityHeaders:
    """ASGI middleware: the headers of ``SECURITY_HEADERS`` and a CSP on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:  # a route's own choice stands ...
                        headers[name] = value
                # ... but not on caching: FastAPI's SSE says no-cache, which lets a
                # cache keep a copy of customers' facts (no-cache only revalidates).
                headers["Cache-Control"] = SECURITY_HEADERS["Cache-Control"]
                html = headers.get("content-type", "").startswith("text/html")
                headers["Content-Security-Policy"] = PAGE_POLICY if html else API_POLICY
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class Bucket:
    """Tokens left at a time; refilled at the rate, up to the burst."""

    tokens: float
    at: float


class TokenBuckets:
    """Token buckets by key, bounded in number; not thread-safe (one event loop uses it)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.max_buckets = max_buckets
        self.buckets: OrderedDict[bytes, Bucket] = OrderedDict()

    def take(self, key: bytes) -> float:
        """Take one token for ``key``: 0 if granted, else seconds until one is available."""
        now = self.clock()
        bucket = self.buckets.pop(key, None) or Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if len(self.buckets) >= self.max_buckets:
            self._forget(now)
        self.buckets[key] = bucket  # most recently used last
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _forget(self, now: float) -> None:
        """Drop buckets that have refilled (same as absent), else the least recently used."""
        full = [
            key
            for key, bucket in self.buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for key in full:
            del self.buckets[key]
        while len(self.buckets) >= self.max_buckets:  # room for the one being taken
            self.buckets.popitem(last=False)


def presented_key(scope: Scope) -> str | None:
    """The API key a request presents (``X-API-Key`` or a bearer token), if any."""
    headers = Headers(scope=scope)
    key = headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class RateLimit:
    """ASGI middleware: at most ``rate`` requests per second per API key (bursts to ``burst``).

    Buckets are keyed by a digest of the whole presented key, checked or not: a
    wrong secret for someone's key id gets a bucket of its own, so nobody can use
    up another's allowance. Requests without a key pass (they are refused with
    401 without touching the database).
    """

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = presented_key(scope) if scope["type"] == "http" else None
        if key is not None:
            wait = self.buckets.take(hashlib.sha256(key.encode()).digest())
            if wait > 0:
                await too_many(scope, wait)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_many(scope: Scope, wait: float) -> ASGIApp:
    """The 429 problem, with ``Retry-After`` in whole seconds (at least 1)."""
    problem = Problem(
        type=problem_type("rate-limited"),
        title="Rate limited",
        status=HTTPStatus.TOO_MANY_REQUESTS,
        detail="This API key sent more requests than its rate allows; retry after the delay.",
        instance=scope.get("path"),
        code="rate-limited",
    )
    return problem_response(problem, {"Retry-After": str(max(1, math.ceil(wait)))})
