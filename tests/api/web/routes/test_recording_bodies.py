"""Bodies that are not JSON, or too large: precise 422s and 413s, never a 500, nothing written."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app
from api.web.problems import PROBLEM_BASE
from api.web.schemas.examples import EXAMPLES

LIMIT = 4096
JSON = {"content-type": "application/json"}


@pytest.fixture
def small(services):
    """Services whose API refuses bodies over ``LIMIT`` bytes."""
    settings = services.settings.model_copy(update={"max_request_bytes": LIMIT})
    return dataclasses.replace(services, settings=settings)


@pytest.fixture
def small_client(small):
    with TestClient(create_app(small)) as client:
        yield client


def _post(client, raw: bytes, headers: dict[str, str]):
    return client.post("/interactions/calls", content=raw, headers=JSON | headers)


@pytest.mark.parametrize(
    "case",
    [
        (b'{"source": "ac\xffd"}', "invalid-utf8", "at byte 15"),
        (b'{"source": "ac\x00d"}', "nul-byte", "at byte 15"),
        (b"[" * 100_000, "json-too-deep", "column"),
        (b'{"source": "acd"} {', "invalid-json", "line 1 column"),
        (b'{"source": "acd",\n "x": }', "invalid-json", "line 2 column"),
        (b'{"wait_seconds": ' + b"9" * 5000 + b"}", "invalid-json", "column"),
    ],
    ids=["invalid-utf8", "nul", "nesting-bomb", "trailing", "syntax", "huge-number"],
)
def test_a_body_that_is_not_json_is_a_422_saying_where(client, role_headers, log_rows, case):
    raw, code, where = case
    response = _post(client, raw, role_headers["agent"])

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + code
    assert where in problem["detail"]
    assert log_rows() == (0, 0)


def test_an_escaped_nul_inside_a_string_is_refused_by_the_field(client, role_headers, log_rows):
    sent = EXAMPLES["call_recorded"] | {"queue": "bill\u0000ing"}

    response = client.post("/interactions/calls", json=sent, headers=role_headers["agent"])

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["queue"]
    assert log_rows() == (0, 0)


def test_a_body_declared_larger_than_the_limit_is_a_413_problem(
    small_client, role_headers, log_rows
):
    raw = json.dumps(EXAMPLES["call_recorded"] | {"reason": "x" * LIMIT}).encode()

    response = _post(small_client, raw, role_headers["agent"])

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM_BASE + "request-too-large"
    assert str(LIMIT) in response.json()["detail"]
    assert log_rows() == (0, 0)


def test_a_body_within_the_limit_is_recorded(small_client, role_headers):
    raw = json.dumps(EXAMPLES["call_recorded"]).encode()
    assert len(raw) < LIMIT

    assert _post(small_client, raw, role_headers["agent"]).status_code == 201


def _scope(path: str, key: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"x-api-key", key.encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _endless_body(app, scope: dict) -> tuple[int, list[dict]]:
    """Send an endless chunked body (no Content-Length); return chunks taken, messages sent."""
    taken, sent = 0, []

    async def receive() -> dict:
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b" " * 1024, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return taken, sent


@pytest.mark.parametrize("path", ["/interactions/calls", "/interactions/batch"])
def test_an_endless_body_without_length_is_cut_off_at_the_limit_with_413(
    small, key_for, log_rows, path
):
    app = create_app(small)
    key = key_for("integrator")["X-API-Key"]

    taken, sent = asyncio.run(_endless_body(app, _scope(path, key)))

    assert taken <= LIMIT // 1024 + 1  # read up to the limit, not one chunk more
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["type"] == PROBLEM_BASE + "request-too-large"
    assert log_rows() == (0, 0)
