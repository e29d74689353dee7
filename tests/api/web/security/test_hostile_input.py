"""Hostile and malformed input over HTTP, case by case: refused precisely, nothing written.

The cases the reliability issue names, each here by name. Some are covered
elsewhere and not repeated: invalid UTF-8, NUL bytes and nesting bombs in a
single-fact body (test_recording_bodies.py) and in NDJSON lines (test_batch.py),
batches over the item limit of a small configuration (test_batch.py), unknown
``group_by`` names on every metric endpoint (test_metrics_access.py).
"""

from __future__ import annotations

import logging

import pytest
from pydantic import TypeAdapter

from api.web.problems import PROBLEM_BASE
from api.web.routes.recording import RECORDINGS
from api.web.schemas.examples import EXAMPLES
from domain.commands import AnyCommand
from domain.rules import CSAT_RANGE, EFFORT_RANGE, LONGEST_DURATION, NPS_RANGE

CALL = EXAMPLES["call_recorded"]
SURVEY = EXAMPLES["survey_replied"]
METRICS = ["/metrics/cost", "/metrics/crm", "/metrics/cem"]
SQL_METACHARACTERS = [
    "'; DROP TABLE touchpoint_events; --",
    '" OR 1=1 --',
    "x' OR 'x'='x",
    "%",
    "_",
    "\\",
    "$$; SELECT pg_sleep(5); $$",
    "C1); DELETE FROM fact_keys; (",
]


def _problem(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + code, problem
    if field is not None:
        names = {param["name"] for param in problem.get("invalid_params") or []}
        assert field == problem.get("field") or field in names, problem
    return problem


def _survey(**over) -> dict:
    return {**SURVEY, "about": None, **over}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (name, value)
        for name, (low, high) in (
            ("nps", NPS_RANGE),
            ("csat", CSAT_RANGE),
            ("effort", EFFORT_RANGE),
        )
        for value in (low - 1, high + 1, -(2**31), 2**31)
    ],
)
def test_scores_out_of_range_are_refused_naming_the_score(
    client, role_headers, log_rows, field, value
):
    response = client.post(
        "/interactions/surveys", json=_survey(**{field: value}), headers=role_headers["agent"]
    )

    assert response.status_code == 422, response.text
    assert field in response.text
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(
    "field", ["wait_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds"]
)
@pytest.mark.parametrize("value", [-1, -(2**31), LONGEST_DURATION + 1])
def test_negative_and_absurd_durations_are_refused_naming_the_duration(
    client, role_headers, log_rows, field, value
):
    response = client.post(
        "/interactions/calls", json={**CALL, field: value}, headers=role_headers["agent"]
    )

    code = "negative-duration" if value < 0 else "duration-too-long"
    _problem(response, 422, code, field)
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(
    ("occurred_at", "code"),
    [
        ("0001-01-01T00:00:00+00:00", None),  # far past
        ("1999-12-31T23:59:59+00:00", None),  # just before the earliest
        ("9999-12-31T23:59:59+00:00", None),  # far future
        ("2999-01-01T00:00:00-12:00", None),
        ("2026-03-02T09:00:00", "invalid-request"),  # no time zone
        ("2026-03-02", "invalid-request"),  # a date, not a time
        ("not a time", "invalid-request"),
    ],
)
def test_timestamps_far_in_the_past_or_future_or_without_time_zone_are_refused(
    client, role_headers, log_rows, occurred_at, code
):
    response = client.post(
        "/interactions/calls",
        json={**CALL, "occurred_at": occurred_at},
        headers=role_headers["agent"],
    )

    assert response.status_code == 422, response.text
    assert "occurred_at" in response.text
    if code:
        assert response.json()["type"] == PROBLEM_BASE + code
    assert log_rows() == (0, 0)


@pytest.mark.parametrize("at", ["2026-03-02T09:00:00", "0001-01-01T00:00:00Z", "99999-01-01"])
@pytest.mark.parametrize("path", METRICS)
def test_a_reference_time_far_off_or_without_time_zone_is_refused(client, role_headers, path, at):
    response = client.get(path, params={"at": at}, headers=role_headers["analyst"])

    _problem(response, 422, "invalid-request", "at")


@pytest.mark.parametrize("spec", RECORDINGS, ids=lambda spec: spec.path)
def test_unknown_fields_are_refused_on_every_recording_endpoint(
    client, role_headers, log_rows, spec
):
    body = {**EXAMPLES[spec.kind], "colour": "red", "customer_reff": "C-1"}
    path = spec.path.replace("{ref}", "C-1001")

    response = client.post(path, json=body, headers=role_headers["agent"])

    problem = _problem(response, 422, "invalid-request")
    names = {param["name"] for param in problem["invalid_params"]}
    assert {"colour", "customer_reff"} <= names
    assert log_rows() == (0, 0)


def test_an_unknown_field_in_a_batch_item_refuses_that_item(client, role_headers, log_rows):
    items = [{**CALL, "kind": "call_recorded", "colour": "red"}]

    response = client.post("/interactions/batch", json=items, headers=role_headers["integrator"])

    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["status"] == "refused"
    assert "colour" in {param["name"] for param in item["invalid_params"]}
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(("field", "base"), [("agent_id", CALL), ("reason", CALL)])
def test_a_one_megabyte_string_is_refused_without_echoing_it(
    client, role_headers, log_rows, field, base
):
    huge = "x" * (1 << 20)

    response = client.post(
        "/interactions/calls", json={**base, field: huge}, headers=role_headers["agent"]
    )

    _problem(response, 422, "invalid-request", field)
    assert len(response.content) < 10_000  # the input is never echoed back
    assert log_rows() == (0, 0)


def test_a_one_megabyte_comment_is_refused(client, role_headers, log_rows):
    response = client.post(
        "/interactions/surveys",
        json=_survey(comment="é" * (1 << 19)),  # 1 MiB of UTF-8
        headers=role_headers["agent"],
    )

    _problem(response, 422, "invalid-request", "comment")
    assert log_rows() == (0, 0)


def test_an_overlong_customer_ref_in_the_path_is_refused(client, role_headers):
    # 60 kB: a URL cannot carry a megabyte (HTTP clients and servers cap it near 64 kB).
    response = client.get("/customers/" + "C" * 60_000, headers=role_headers["agent"])

    problem = _problem(response, 422, "invalid-request", "ref")
    assert len(problem["detail"]) < 1000  # named and bounded; only `instance` is the path


def test_a_huge_array_is_refused_with_413_before_any_item_is_read(client, role_headers, log_rows):
    body = b"[" + b",".join([b"0"] * 1_000_000) + b"]"  # a million items, 2 MB

    response = client.post(
        "/interactions/batch",
        content=body,
        headers=role_headers["integrator"] | {"content-type": "application/json"},
    )

    problem = _problem(response, 413, "request-too-large")
    assert "1000000 items" in problem["detail"]
    assert log_rows() == (0, 0)


def test_a_huge_array_in_a_field_is_a_422_not_a_crash(client, role_headers, log_rows):
    response = client.post(
        "/interactions/calls",
        json={**CALL, "queue": list(range(200_000))},
        headers=role_headers["agent"],
    )

    _problem(response, 422, "invalid-request", "queue")
    assert log_rows() == (0, 0)


def test_a_json_nesting_bomb_as_a_batch_is_a_422(client, role_headers, log_rows):
    response = client.post(
        "/interactions/batch",
        content=b"[" * 200_000 + b"]" * 200_000,
        headers=role_headers["integrator"] | {"content-type": "application/json"},
    )

    _problem(response, 422, "json-too-deep")
    assert log_rows() == (0, 0)


def _filters(spec: dict, path: str) -> list[str]:
    parameters = spec["paths"][path]["get"]["parameters"]
    reserved = {"from", "to", "group_by", "at", "min_position"}
    return [p["name"] for p in parameters if p["in"] == "query" and p["name"] not in reserved]


def _tables_intact(services) -> int:
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM touchpoint_events) + (SELECT count(*) FROM fact_keys)"
        ).fetchone()
    return int(row[0])


@pytest.mark.parametrize("path", METRICS)
def test_sql_metacharacters_in_every_filter_are_data_never_sql(
    client, services, role_headers, catch_up, path
):
    services.ledger.record(_command(), "test")
    catch_up()
    before = _tables_intact(services)
    filters = _filters(client.get("/openapi.json").json(), path)
    assert filters, f"{path} documents no filters"
    statuses = set()
    for name in filters:
        for value in SQL_METACHARACTERS:
            response = client.get(path, params={name: value}, headers=role_headers["analyst"])
            statuses.add(response.status_code)
            assert response.status_code in (200, 422), (name, value, response.text)
            if response.status_code == 200:
                assert value not in response.text or _echoed_only(response.json(), value)
    assert statuses  # every filter answered
    assert _tables_intact(services) == before


def _echoed_only(body: dict, value: str) -> bool:
    """The value may come back as the echoed query, never as data of a row."""
    return all(value not in str(row) for row in body.get("rows", []))


def _command():
    return TypeAdapter(AnyCommand).validate_python({**CALL, "kind": "call_recorded"})


@pytest.mark.parametrize("path", METRICS)
@pytest.mark.parametrize("value", SQL_METACHARACTERS)
def test_sql_metacharacters_in_group_by_are_a_422_listing_the_allowed_names(
    client, role_headers, path, value
):
    response = client.get(path, params={"group_by": value}, headers=role_headers["analyst"])

    problem = _problem(response, 422, "invalid-request", "group_by")
    assert "allowed" in problem["detail"].lower() or "one of" in problem["detail"].lower()


@pytest.mark.parametrize(
    "name",
    [
        "desktop.js%00.png",
        "desktop.js%00",
        "%00",
        "a" * 5000,
        "a" * 5000 + ".js",
        "/".join(["a" * 200] * 30),
        "..%2F..%2Fetc%2Fpasswd",
        "vendor/..%2F..%2F..%2Fpyproject.toml",
        ".%2E/routes/pages.py",
    ],
)
def test_a_hostile_static_file_name_is_a_404_problem_and_no_traceback(client, caplog, name):
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/static/{name}")

    _problem(response, 404, "no-such-file")
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_the_pages_files_are_still_served(client):
    assert client.get("/static/desktop/desktop.js").status_code == 200
    assert client.get("/static/vendor/chart.umd.min.js").status_code == 200
