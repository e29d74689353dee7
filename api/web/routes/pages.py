"""The pages served by the API: the agent desktop, the analyst dashboard, the wallboard.

Both are static HTML and JavaScript from ``api/web/static`` (the charting library is
vendored there: nothing is fetched from elsewhere at run time). The pages need no
key to load; they ask for one and send it on every API call in ``X-API-Key``, kept
in the tab's ``sessionStorage`` only. Live updates are read with ``fetch`` streaming
(not ``EventSource``, which cannot send headers), so keys never travel in URLs.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.web.reading import not_found

STATIC = Path(__file__).resolve().parents[1] / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,3}")
"""What a static file's relative path may look like: plain names, no "..", no NUL."""


def _file(relative: str) -> FileResponse:
    """A file under ``STATIC`` by its relative path; 404 for anything else.

    The name is checked before it touches the file system: a NUL byte or a name
    longer than the system allows would otherwise raise there (a 500).
    """
    if not NAME.fullmatch(relative):
        raise not_found("no-such-file", "no such file")
    path = (STATIC / relative).resolve()
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_relative_to(STATIC) or not path.is_file():
        raise not_found("no-such-file", "no such file")
    return FileResponse(path, media_type=media_type)


def desktop() -> FileResponse:
    """The agent desktop: search a customer, their single view, live; record a wrap-up."""
    return _file("desktop/desktop.html")


def dashboard() -> FileResponse:
    """The analyst dashboard: calls, campaigns, experience and insights, as charts."""
    return _file("dashboard/dashboard.html")


def wallboard() -> FileResponse:
    """The wallboard: today's queues, live (an analyst key: aggregates only)."""
    return _file("wallboard/wallboard.html")


def static_file(path: str) -> FileResponse:
    """Scripts, styles and the vendored charting library of the pages."""
    return _file(path)


def router() -> APIRouter:
    """``GET /desktop``, ``GET /dashboard``, ``GET /wallboard`` and ``GET /static/{path}``
    (no key needed to load them)."""
    routes = APIRouter(tags=["pages"], include_in_schema=False)
    routes.add_api_route("/desktop", desktop, methods=["GET"])
    routes.add_api_route("/dashboard", dashboard, methods=["GET"])
    routes.add_api_route("/wallboard", wallboard, methods=["GET"])
    routes.add_api_route("/static/{path:path}", static_file, methods=["GET"])
    return routes
