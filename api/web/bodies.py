"""Request bodies: bounded in size, and JSON checked byte by byte before any parsing.

- ``BodyLimit`` (ASGI middleware) refuses a body over ``max_request_bytes`` with
  413: at once from ``Content-Length``, else while the body is being received, so
  an oversized body is never held in memory.
- ``parse_json`` (``api.importers.json_text``) gives precise reasons for bad JSON.
- ``JsonBodyRoute`` applies ``parse_json`` to a route's JSON body, so a bad body
  is a 422 problem naming its code, never a bare 400 or a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.importers.json_text import BadJson, parse_json
from api.web.problems import RequestTooLarge, problem_error, problem_response, too_large_problem

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type is JSON (``application/json`` or ``application/*+json``)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is checked by ``parse_json`` (422 problem) before binding."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method in _WITH_BODY and is_json(request.headers.get("content-type")):
                raw = await request.body()  # cached: the handler reads it from the request
                if raw:
                    try:
                        # Starlette caches the parsed body here: FastAPI then binds
                        # this value instead of parsing the body a second time.
                        request._json = parse_json(raw)
                    except BadJson as bad:
                        raise problem_error(422, bad.code, bad.reason) from bad
            return await handler(request)

        return checked


class BodyLimit:
    """ASGI middleware: request bodies over ``max_bytes`` are refused with 413, unread."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            problem = too_large_problem(RequestTooLarge(self.max_bytes).detail)
            problem.instance = scope.get("path")
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        return limited


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None
