"""GET /metrics/...?as_of_schema=SCHEMA: a past report reproduced from a replay schema.

Reports are taken at position N with a fixed ``at``; more facts arrive (corrections,
late survey replies, late repeat calls, follow-ups); after ``touchpoint replay
--until N``, the same requests with ``as_of_schema`` answer exactly what they did.
"""

from __future__ import annotations

import pytest

from api.bootstrap import view_config
from projections.registry import build_views
from projections.replay import replay
from tests.integration.histories import mixed_history, record_all
from tests.integration.sql import query

PROBLEM = "application/problem+json"
RANGE = {"from": "2026-01-01", "to": "2026-03-31", "at": "2026-03-20T12:00:00Z"}
REQUESTS = [
    ("/metrics/cost", {"group_by": "queue,reason"}),
    ("/metrics/cost/agents", {}),
    ("/metrics/crm", {"group_by": "campaign,segment"}),
    ("/metrics/crm/contact-pressure", {}),
    ("/metrics/cem", {"group_by": "queue,repeat_contact"}),
    ("/metrics/cem/detractors", {}),
    ("/metrics/insights", {}),
]


def _replay(services, schema: str, until: int, names=("cost", "crm", "cem")):
    config = view_config(services.settings)
    views = build_views(config, names)
    replay(services.ledger, services.key_pool, schema, views, until, config=config, author="t")


def _get(client, headers, path, accept="application/json", **params):
    return client.get(path, params=RANGE | params, headers=headers["analyst"] | {"Accept": accept})


@pytest.fixture
def at_n(client, services, role_headers, catch_up):
    """The reports at N (JSON and CSV), then the rest of the history, projected."""
    cmds = mixed_history(seed=31, count=700, customers=25)
    n = record_all(services.ledger, cmds[:400])
    catch_up()
    reports = [_get(client, role_headers, path, **params).json() for path, params in REQUESTS]
    csv = _get(client, role_headers, "/metrics/cost", "text/csv", group_by="day").text
    record_all(services.ledger, cmds[400:])
    catch_up()
    return n, reports, csv


def test_every_metric_endpoint_answers_from_the_replay_as_it_answered_at_n(
    client, services, role_headers, at_n
):
    n, reports, _ = at_n
    now = [_get(client, role_headers, path, **params).json() for path, params in REQUESTS]
    _replay(services, "report_n", n)

    for (path, params), then, live in zip(REQUESTS, reports, now, strict=True):
        response = _get(client, role_headers, path, as_of_schema="report_n", **params)
        assert response.status_code == 200, response.text
        replayed = response.json()
        assert replayed.pop("as_of_schema") == "report_n"
        assert replayed == then, path
        assert "as_of_schema" not in live
    assert [r["rows"] for r in now] != [r["rows"] for r in reports]  # the facts since count
    assert {r["view_position"] for r in reports} == {n}


def test_csv_from_the_replay_is_the_csv_taken_at_n(client, services, role_headers, at_n):
    n, _, csv = at_n
    _replay(services, "report_csv", n)

    response = _get(
        client, role_headers, "/metrics/cost", "text/csv", group_by="day", as_of_schema="report_csv"
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text == csv
    assert csv.count("\n") > 10


def _refusal(response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    (param,) = response.json()["invalid_params"]
    assert param["name"] == "as_of_schema"
    return param["reason"]


@pytest.mark.parametrize("schema", ["nowhere", "public", "pg_catalog", "information_schema"])
def test_a_schema_that_is_not_a_replay_is_refused(client, role_headers, schema):
    reason = _refusal(_get(client, role_headers, "/metrics/cost", as_of_schema=schema))

    assert "not a finished replay schema" in reason


@pytest.mark.parametrize("schema", ["Public", "a;b", "x" * 64, "", "crm daily"])
def test_a_name_that_cannot_be_a_schema_of_ours_is_refused_before_any_sql(
    client, role_headers, schema
):
    _refusal(_get(client, role_headers, "/metrics/cost", as_of_schema=schema))


def test_a_replay_without_the_view_asked_for_is_refused(client, services, role_headers):
    record_all(services.ledger, mixed_history(seed=32, count=50))
    _replay(services, "only_cost", 40, names=("cost",))

    assert _get(client, role_headers, "/metrics/cost", as_of_schema="only_cost").status_code == 200
    reason = _refusal(_get(client, role_headers, "/metrics/crm", as_of_schema="only_cost"))
    assert "no crm view" in reason


def test_an_unfinished_or_dropped_replay_is_refused(client, services, role_headers):
    record_all(services.ledger, mixed_history(seed=33, count=50))
    _replay(services, "unfinished", 40)
    _replay(services, "dropped", 40)
    url = services.database_url
    query(url, "UPDATE replay_schemas SET completed_at = NULL WHERE schema_name = 'unfinished'")
    query(url, "DROP SCHEMA dropped CASCADE")

    for schema in ("unfinished", "dropped"):
        _refusal(_get(client, role_headers, "/metrics/cem", as_of_schema=schema))


def test_a_replay_never_changes_so_min_position_is_refused_with_it(client, services, role_headers):
    record_all(services.ledger, mixed_history(seed=34, count=20))
    _replay(services, "fixed", 10)

    response = _get(client, role_headers, "/metrics/cost", as_of_schema="fixed", min_position=5)

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["min_position"]


def test_as_of_schema_is_not_taken_for_a_filter(client, services, role_headers, at_n):
    n, _, _ = at_n
    _replay(services, "report_filters", n)
    replayed = {"as_of_schema": "report_filters"}

    report = _get(client, role_headers, "/metrics/cost", queue="billing", **replayed).json()
    by_queue = _get(client, role_headers, "/metrics/cost", group_by="queue", **replayed).json()

    assert report["filters"] == {"queue": "billing"}
    (billing,) = [row for row in by_queue["rows"] if row["queue"] == "billing"]
    assert [row["offered"] for row in report["rows"]] == [billing["offered"]]
