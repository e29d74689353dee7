"""Request bodies: bounded in size, and JSON checked byte by byte before any parsing.

- ``BodyLimit`` (ASGI middleware) refuses a body over ``max_request_bytes`` with
  413: at once from ``Content-Length``, else while the body is being received, so
  an oversized body is never held in memory.
- ``parse_json`` gives precise reasons for what ``json.loads`` would get wrong or
  answer vaguely: NUL bytes, invalid UTF-8 (with the byte offset), nesting bombs
  (``json.loads`` raises ``RecursionError``), trailing garbage (line and column).
- ``JsonBodyRoute`` applies ``parse_json`` to a route's JSON body, so a bad body
  is a 422 problem naming its code, never a bare 400 or a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pydantic_core
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import RequestTooLarge, problem_error, problem_response, too_large_problem

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BadJson(Exception):
    """Bytes that are not one JSON value; ``code`` is stable, ``reason`` says where."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_text(raw: bytes) -> str:
    """``raw`` as UTF-8 text without NUL bytes, else ``BadJson`` naming the byte (from 1)."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise BadJson("nul-byte", f"NUL byte at byte {nul + 1}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadJson("invalid-utf8", f"invalid UTF-8 at byte {error.start + 1}") from error


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or ``BadJson`` with a code and the place of the error."""
    check_text(raw)
    try:
        # pydantic-core's parser refuses nesting deeper than 200 levels with a
        # ValueError (json.loads would raise RecursionError) and is faster.
        return pydantic_core.from_json(raw)
    except ValueError as error:
        reason = str(error)
        if "recursion limit" in reason:
            raise BadJson("json-too-deep", f"JSON nested too deeply: {reason}") from error
        raise BadJson("invalid-json", f"invalid JSON: {reason}") from error


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
