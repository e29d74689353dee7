"""GET /metrics (Prometheus text), request ids and JSON access logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.web.logs import JsonFormatter


def _samples(client, headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _call_body(source_id: str) -> dict:
    return {
        "occurred_at": "2026-03-02T09:14:00Z", "source": "acd", "source_id": source_id,
        "customer_ref": "C-1", "queue": "billing", "reason": "bill-query",
        "wait_seconds": 10, "outcome": "answered", "talk_seconds": 100,
    }  # fmt: skip


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("agent", 403), ("analyst", 403)])
def test_metrics_are_for_operators_only(client, role_headers, role, status):
    response = client.get("/metrics", headers=role_headers[role] if role else {})

    assert response.status_code == status


def test_facts_are_counted_per_kind_as_the_log_grows(client, role_headers):
    agent, auditor = role_headers["agent"], role_headers["auditor"]
    for n in (1, 2):
        client.post("/interactions/calls", json=_call_body(f"c-{n}"), headers=agent)
    first = _samples(client, auditor)
    client.post("/interactions/calls", json=_call_body("c-3"), headers=agent)

    second = _samples(client, auditor)

    calls = ("touchpoint_log_facts_total", (("kind", "CallRecorded"),))
    assert first[calls] == 2
    assert second[calls] == 3
    assert second[("touchpoint_log_position", ())] == 3


def test_request_latency_is_kept_per_route_template(client, role_headers):
    client.get("/customers/C-404", headers=role_headers["agent"])
    client.get("/customers/C-405", headers=role_headers["agent"])

    samples = _samples(client, role_headers["admin"])

    labels = (("method", "GET"), ("route", "/customers/{ref}"), ("status", "4xx"))
    assert samples[("touchpoint_http_request_duration_seconds_count", labels)] == 2
    assert samples[("touchpoint_http_requests_total", labels)] == 2
    assert not any("C-404" in str(key) for key in samples)  # raw paths never become labels


def test_views_report_their_position_and_lag(client, role_headers, catch_up):
    client.post("/interactions/calls", json=_call_body("c-1"), headers=role_headers["agent"])
    behind = _samples(client, role_headers["auditor"])
    catch_up()

    caught_up = _samples(client, role_headers["auditor"])

    cost = (("view", "cost"),)
    assert behind[("touchpoint_view_lag_positions", cost)] == 1
    assert behind[("touchpoint_view_lag_seconds", cost)] >= 0
    assert caught_up[("touchpoint_view_position", cost)] == 1
    assert caught_up[("touchpoint_view_lag_positions", cost)] == 0
    assert caught_up[("touchpoint_view_lag_seconds", cost)] == 0


def test_pool_usage_is_reported(client, services, role_headers):
    samples = _samples(client, role_headers["auditor"])

    assert samples[("touchpoint_db_pool_connections", (("pool", "api"), ("state", "max")))] == (
        services.key_pool.max_size
    )
    assert ("touchpoint_db_pool_waiting", (("pool", "api"),)) in samples


def test_every_answer_carries_a_request_id_and_a_plain_one_given_is_kept(client):
    fresh = client.get("/health")
    given = client.get("/health", headers={"X-Request-ID": "lb-1234.abc"})
    hostile = client.get("/health", headers={"X-Request-ID": "a b\tc"})

    assert len(fresh.headers["X-Request-ID"]) == 32
    assert given.headers["X-Request-ID"] == "lb-1234.abc"
    assert hostile.headers["X-Request-ID"] not in ("a b\tc", "")


def test_the_access_log_is_one_json_line_with_the_request_id_and_no_key(client, role_headers):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("touchpoint.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get("/log?limit=1", headers=role_headers["agent"])
    finally:
        logger.removeHandler(handler)

    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET", "/log", "/log", 403,
    )  # fmt: skip
    assert line["message"] == "GET /log 403"
    assert role_headers["agent"]["X-API-Key"] not in out.getvalue()
    assert "limit" not in out.getvalue()  # no query strings
