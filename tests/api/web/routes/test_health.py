"""GET /health: answers with the log's head only when the database answers."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg.conninfo import make_conninfo

from api.bootstrap import build_services
from api.settings import Settings
from api.web.deps import get_services
from domain import commands as c


def test_health_reports_position_zero_on_an_empty_log(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "position": 0}


def test_health_reports_the_position_of_the_last_recorded_fact(client, services):
    cmds = [
        c.RecordCall(
            occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
            source="acd",
            source_id=str(i),
            customer_ref="C1",
            queue="billing",
            reason="bill",
            wait_seconds=3,
            outcome="abandoned",
        )
        for i in range(3)
    ]
    last = services.ledger.record_batch(cmds, "acd-feed")[-1]

    assert client.get("/health").json()["position"] == last.position


def test_a_database_that_is_gone_gives_503_problem_with_retry_after(client, server_url):
    name = "tp_gone_health"
    url = make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    gone = build_services(Settings(database_url=url, connect_timeout=1), url)
    client.app.dependency_overrides[get_services] = lambda: gone
    try:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        response = client.get("/health")
    finally:
        gone.close()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"] == "https://touchpoint.dev/problems/database-unavailable"
    assert name not in response.text  # no connection details or SQL leak out
