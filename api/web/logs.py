"""Logs: JSON lines with request ids for machines, short text lines for a terminal.

``use_logs(format, level)`` picks by ``TOUCHPOINT_LOG_FORMAT`` (``auto``: text when
stderr is a terminal, JSON otherwise). With text logs the access line of each request
is at debug level (``TOUCHPOINT_LOG_LEVEL=debug`` shows them): a page load makes a
dozen requests, which would scroll everything else away.

``use_json_logs()`` sends every logger (uvicorn's included) through one JSON handler on
stderr; uvicorn's own access log is turned off, as ``api.web.observability`` writes one
line per request itself (with the route template, status, duration and request id, and
a message such as ``GET /log 200`` for people reading it). Only the fields named here
are written: never a header, a key or a request body.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("touchpoint_request_id", default=None)
__all__ = [
    "FIELDS",
    "REQUEST_ID",
    "JsonFormatter",
    "NoQueryStrings",
    "TextFormatter",
    "access_level",
    "hide_query_strings",
    "resolved_format",
    "use_json_logs",
    "use_logs",
]
FIELDS = ("method", "path", "route", "status", "duration_ms", "view", "position")
_MARK = "_touchpoint_json"
_TEXT_MARK = "_touchpoint_text"


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """A log record as one short line: time, level, message (and a traceback if any)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")


def resolved_format(log_format: str) -> str:
    """``json`` or ``text``: ``auto`` is text on a terminal, JSON anywhere else."""
    if log_format != "auto":
        return log_format
    return "text" if sys.stderr.isatty() else "json"


def access_level(log_format: str) -> int:
    """The level of the access lines: info in JSON logs, debug in text logs."""
    return logging.INFO if resolved_format(log_format) == "json" else logging.DEBUG


def use_logs(log_format: str = "auto", level: str | int = logging.INFO) -> None:
    """Route every logger to one handler on stderr, JSON or text (see ``resolved_format``)."""
    text = resolved_format(log_format) == "text"
    mark = _TEXT_MARK if text else _MARK
    root = logging.getLogger()
    if not any(getattr(handler, mark, False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(TextFormatter() if text else JsonFormatter())
        setattr(handler, mark, True)
        root.handlers = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error"):  # uvicorn's own lines, in the same format
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access line replaces it


def use_json_logs(level: int = logging.INFO) -> None:
    """Route every logger to one JSON handler on stderr (again after uvicorn set up its own)."""
    use_logs("json", level)


class NoQueryStrings(logging.Filter):
    """Drops the query string from uvicorn's access lines (text logs): a search's phone
    number, e-mail or name is in its query and must never be logged (issue 13)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def hide_query_strings() -> None:
    """Install ``NoQueryStrings`` on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, NoQueryStrings) for f in access.filters):
        access.addFilter(NoQueryStrings())
