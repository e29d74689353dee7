"""Reads from a streaming standby (TOUCHPOINT_READ_DATABASE_URL), read-your-writes kept.

A throwaway primary and its hot standby (``pg_basebackup -R``) on loopback; the API
records on the primary and reads the customer view, its timeline and the metrics from
the standby. Promised and checked (issue 16, point 3):

- a call recorded through the API is read back through the standby with its position,
  every time (``min_position`` waits until the standby has replayed the view that far);
- the reads really go to the standby: with its replay paused, a read asking for the
  new position answers 503 ``view-behind`` with the standby's position (the primary's
  view already has it), and 200 once replay resumes;
- a standby that does not answer fails the reads sent to it with 503 (never 500, never
  a hang), while writes go on on the primary.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services, build_services, start_projectors
from api.storage.migrations import migrate
from api.web.app import create_app
from api.web.schemas.examples import EXAMPLES
from tests.faults.replication import Pair, available, streaming_pair, wait_for_replay
from tests.faults.support import free_port, settings_for

pytestmark = pytest.mark.skipif(not available(), reason="PostgreSQL server binaries missing")
AGENT = str(EXAMPLES["call_recorded"]["agent_id"])
ROUNDS = 15


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with streaming_pair() as made:
        migrate(made.primary)
        wait_for_replay(made)  # the standby has the tables before anything reads them
        yield made


@pytest.fixture
def services(pair: Pair) -> Iterator[Services]:
    settings = settings_for(pair.primary, read_database_url=pair.standby, read_wait_seconds=15)
    built = build_services(settings, pair.primary)
    handle = start_projectors(built, poll_seconds=0.2)
    try:
        yield built
    finally:
        handle.stop()
        built.close()


def _record(client: TestClient, key: dict[str, str], source_id: str, ref: str) -> int:
    call = EXAMPLES["call_recorded"] | {"source_id": source_id, "customer_ref": ref}
    response = client.post("/interactions/calls", json=call, headers=key)
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def test_a_call_recorded_on_the_primary_is_read_back_through_the_standby_every_time(services, pair):
    key = {"X-API-Key": services.keys.create("agent", AGENT)[1]}
    assert services.reads is not services.key_pool  # the reads have a pool of their own
    with TestClient(create_app(services)) as client:
        for attempt in range(ROUNDS):
            position = _record(client, key, f"sb-{attempt}", "S1")
            at = {"min_position": position}

            profile = client.get("/customers/S1", params=at, headers=key)
            timeline = client.get("/customers/S1/timeline", params=at, headers=key)

            assert profile.status_code == 200, profile.text
            assert position in [i["position"] for i in profile.json()["recent_interactions"]]
            assert timeline.status_code == 200, timeline.text
            assert position in [i["position"] for i in timeline.json()["items"]]
    with psycopg.connect(pair.standby) as conn:  # the reads' server is the standby
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    assert row == (True,)


def test_a_standby_that_has_not_replayed_the_position_answers_503_with_its_own_position(
    services, pair
):
    services.settings.read_wait_seconds = 0.5  # replay is paused: waiting cannot help
    key = {"X-API-Key": services.keys.create("agent", AGENT)[1]}
    with TestClient(create_app(services)) as client:
        before = _record(client, key, "sb-before", "S2")
        assert client.get("/customers/S2", params={"min_position": before}, headers=key).is_success
        with psycopg.connect(pair.standby, autocommit=True) as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                position = _record(client, key, "sb-paused", "S2")
                services.runner(["customer"]).catch_up("customer")  # the primary's view has it

                behind = client.get("/customers/S2", params={"min_position": position}, headers=key)
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
        services.settings.read_wait_seconds = 15
        after = client.get("/customers/S2", params={"min_position": position}, headers=key)

    assert behind.status_code == 503, behind.text
    problem = behind.json()
    assert problem["code"] == "view-behind"
    assert before <= problem["view_position"] < position  # the standby's, not the primary's
    assert after.status_code == 200, after.text
    assert position in [i["position"] for i in after.json()["recent_interactions"]]


def test_a_standby_that_does_not_answer_fails_its_reads_with_503_not_500(pair):
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/touchpoint"  # nothing listens
    settings = settings_for(pair.primary, read_database_url=nowhere, database_wait_seconds=0.5)
    services = build_services(settings, pair.primary)
    try:
        key = {"X-API-Key": services.keys.create("agent", AGENT)[1]}
        with TestClient(create_app(services)) as client:
            position = _record(client, key, "sb-nowhere", "S3")  # writes go on

            response = client.get("/customers/S3", params={"min_position": position}, headers=key)
    finally:
        services.close()

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database-unavailable"
    assert "retry-after" in response.headers
