"""Recording one fact per request: 201 new, 200 duplicate, 409 conflict, 422 invalid.

Every endpoint is exercised with the OpenAPI example of its fact kind; the
examples tell one story, recorded in order. On every error nothing is written
(the log and fact_keys keep their row counts).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import TypeAdapter

from api.web.problems import PROBLEM_BASE
from api.web.routes.recording import RECORDINGS, Recording
from api.web.schemas.examples import CUSTOMER, EXAMPLES, story
from domain.commands import AnyCommand

ADAPTER: TypeAdapter = TypeAdapter(AnyCommand)
BY_KIND = {spec.kind: spec for spec in RECORDINGS}


def url(spec: Recording, ref: str = CUSTOMER) -> str:
    return spec.path.replace("{ref}", ref)


def body(of: str, **over) -> dict:
    return {**EXAMPLES[of], **over}


def record_story_through_the_ledger(services) -> dict[int, int]:
    """The whole story recorded directly; item index -> position."""
    outcomes = services.ledger.record_batch(
        [ADAPTER.validate_python(item) for item in story()], "setup"
    )
    assert all(o.status == "recorded" for o in outcomes)
    return {o.index: o.position for o in outcomes}


def test_the_story_is_recorded_endpoint_by_endpoint_with_201_positions_and_streams(
    client, services, role_headers
):
    answers = []
    for item in story():
        spec = BY_KIND[item["kind"]]
        sent = {k: v for k, v in item.items() if k != "kind"}
        if spec.by_ref:
            sent.pop("customer_ref")
        response = client.post(url(spec), json=sent, headers=role_headers["agent"])
        assert response.status_code == 201, (item["kind"], response.json())
        answers.append(response.json())

    assert all(a["status"] == "recorded" for a in answers)
    positions = [a["position"] for a in answers]
    assert positions == sorted(positions)
    logged = services.ledger.read_log(0, 100)
    assert [f.position for f in logged] == positions
    assert [str(f.stream_id) for f in logged] == [a["stream_id"] for a in answers]
    expected_streams = [ADAPTER.validate_python(item).stream_id() for item in story()]
    assert [f.stream_id for f in logged] == expected_streams


@pytest.mark.parametrize("spec", RECORDINGS, ids=lambda spec: spec.kind)
def test_an_exact_duplicate_answers_200_with_the_original_position(
    client, services, role_headers, log_rows, spec
):
    positions = record_story_through_the_ledger(services)
    index = next(i for i, item in enumerate(story()) if item["kind"] == spec.kind)
    rows = log_rows()

    response = client.post(url(spec), json=body(spec.kind), headers=role_headers["integrator"])

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "duplicate"
    assert response.json()["position"] == positions[index]
    assert log_rows() == rows


@pytest.mark.parametrize("spec", RECORDINGS, ids=lambda spec: spec.kind)
def test_the_same_source_id_with_other_content_is_a_409_naming_the_original(
    client, services, role_headers, log_rows, spec
):
    positions = record_story_through_the_ledger(services)
    index = next(i for i, item in enumerate(story()) if item["kind"] == spec.kind)
    original = datetime.fromisoformat(EXAMPLES[spec.kind]["occurred_at"])
    changed = body(spec.kind, occurred_at=(original + timedelta(minutes=1)).isoformat())
    rows = log_rows()

    response = client.post(url(spec), json=changed, headers=role_headers["agent"])

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "fact-conflict"
    assert problem["original_position"] == positions[index]
    assert problem["field"] == "source_id"
    assert log_rows() == rows


@pytest.mark.parametrize("spec", RECORDINGS, ids=lambda spec: spec.kind)
def test_an_empty_body_is_a_422_naming_every_required_field(client, role_headers, log_rows, spec):
    required = {
        name
        for name, field in spec.model.model_fields.items()
        if field.is_required()
        and not (spec.by_ref and name == "customer_ref")
        # A call may name its caller's number instead (then asked for once the rest is valid).
        and not (spec.kind == "call_recorded" and name == "customer_ref")
    }

    response = client.post(url(spec), json={}, headers=role_headers["agent"])

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "invalid-request"
    named = {p["name"] for p in problem["invalid_params"]}
    assert named == required
    assert {p["location"] for p in problem["invalid_params"]} == {"body"}
    assert log_rows() == (0, 0)


def test_several_bad_fields_are_each_named(client, role_headers, log_rows):
    bad = body("call_recorded", outcome="maybe", wait_seconds="soon", colour="red")

    response = client.post("/interactions/calls", json=bad, headers=role_headers["agent"])

    assert response.status_code == 422
    named = {p["name"]: p["type"] for p in response.json()["invalid_params"]}
    assert named == {
        "outcome": "literal_error",
        "wait_seconds": "int_type",
        "colour": "extra_forbidden",
    }
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(
    "case",
    [
        ("call_recorded", {"wait_seconds": -1}, "negative-duration", "wait_seconds"),
        # Would be in the log for ever and break the views' integer columns.
        ("call_recorded", {"talk_seconds": 10**20}, "duration-too-long", "talk_seconds"),
        ("call_recorded", {"outcome": "abandoned"}, "abandoned-call-has-talk-time", "talk_seconds"),
        (
            "call_recorded",
            {"occurred_at": "2099-01-01T00:00:00Z"},
            "occurred-in-future",
            "occurred_at",
        ),
        ("survey_replied", {"nps": 11, "about": None}, "score-out-of-range", "nps"),
        ("call_corrected", {}, "unknown-call", "call"),
        ("mailshot_sent", {}, "unknown-campaign", "campaign_id"),
    ],
)
def test_a_refusal_by_a_domain_rule_is_a_422_with_its_own_type_and_field(
    client, role_headers, log_rows, case
):
    kind, over, code, field = case
    spec = BY_KIND[kind]

    response = client.post(url(spec), json=body(kind, **over), headers=role_headers["agent"])

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + code
    assert problem["field"] == field
    assert [p["name"] for p in problem["invalid_params"]] == [field]
    assert log_rows() == (0, 0)


def test_a_body_of_another_kind_is_refused(client, role_headers, log_rows):
    sent = body("call_recorded", kind="survey_replied")

    response = client.post("/interactions/calls", json=sent, headers=role_headers["agent"])

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["kind"]
    assert log_rows() == (0, 0)


def test_the_customer_of_a_contact_change_comes_from_the_path(client, services, role_headers):
    services.ledger.record(ADAPTER.validate_python(story()[0]), "setup")

    response = client.post(
        "/customers/C-1001/contact-details",
        json=body("contact_details_changed"),
        headers=role_headers["agent"],
    )

    assert response.status_code == 201
    [fact] = services.ledger.read_log(response.json()["position"] - 1, 1)
    assert fact.customer_ref == "C-1001"
    assert services.ledger.reveal([fact])[0]["data"]["email"] == "ada.lovelace@example.org"


def test_a_body_naming_the_path_customer_is_accepted(client, role_headers):
    sent = body("marketing_consent_changed", customer_ref="C-7")

    response = client.post("/customers/C-7/consent", json=sent, headers=role_headers["agent"])

    assert response.status_code == 201


def test_a_body_naming_another_customer_than_the_path_is_a_422(client, role_headers, log_rows):
    sent = body("marketing_consent_changed", customer_ref="C-8")

    response = client.post("/customers/C-7/consent", json=sent, headers=role_headers["agent"])

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "customer-mismatch"
    assert problem["field"] == "customer_ref"
    assert log_rows() == (0, 0)


def test_a_path_customer_with_control_characters_is_a_422(client, role_headers, log_rows):
    response = client.post(
        "/customers/C%0A7/consent",
        json=body("marketing_consent_changed"),
        headers=role_headers["agent"],
    )

    assert response.status_code == 422
    assert [p["location"] for p in response.json()["invalid_params"]] == ["path"]
    assert log_rows() == (0, 0)


def test_every_fact_names_the_key_that_wrote_it_in_the_log(client, services, role_headers, key_for):
    agent = services.keys.create("agent", "desk 4")
    integrator = services.keys.create("integrator", "acd feed")
    first = body("call_recorded", agent_id="desk 4")  # an agent records in their own name
    second = body("call_recorded", source_id="call-8813")

    client.post("/interactions/calls", json=first, headers={"X-API-Key": agent[1]})
    client.post("/interactions/calls", json=second, headers={"X-API-Key": integrator[1]})

    log = client.get("/log", headers=key_for("auditor")).json()["facts"]
    assert [f["author"] for f in log] == [
        f"api:{agent[0].key_id}:agent",
        f"api:{integrator[0].key_id}:integrator",
    ]
