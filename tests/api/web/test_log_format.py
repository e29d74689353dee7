"""Logs a person can read at a terminal, JSON for machines (issue 17): text lines by
default on a terminal, each request's access line only at debug level there."""

from __future__ import annotations

import io
import logging

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app
from api.web.logs import TextFormatter, access_level, resolved_format


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("given", "terminal", "used"),
    [("auto", True, "text"), ("auto", False, "json"), ("json", True, "json"),
     ("text", False, "text")],
)  # fmt: skip
def test_auto_means_text_on_a_terminal_and_json_anywhere_else(monkeypatch, given, terminal, used):
    monkeypatch.setattr("sys.stderr", Terminal() if terminal else io.StringIO())

    assert resolved_format(given) == used


def test_access_lines_are_info_in_json_and_debug_in_text():
    assert access_level("json") == logging.INFO
    assert access_level("text") == logging.DEBUG


def test_a_text_line_is_time_level_and_message():
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Uvicorn %s", ("up",), None
    )

    line = TextFormatter().format(record)

    assert line[8:] == " INFO    Uvicorn up"
    assert line[2] == line[5] == ":"


def _access_lines(services, level: int) -> list[str]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("touchpoint.access")
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        with TestClient(create_app(services)) as client:
            client.get("/health")
    finally:
        logger.removeHandler(handler)
    return out.getvalue().splitlines()


def test_with_text_logs_a_page_load_writes_no_access_line_unless_debug_is_asked(services):
    services.settings.log_format = "text"

    assert _access_lines(services, logging.INFO) == []
    assert _access_lines(services, logging.DEBUG) == ["GET /health 200"]
