"""GET /log: the ordered log over HTTP, paged by position, personal fields withheld."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import commands as c
from domain.facts import FACT_TYPES

WHEN = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def client(client, role_headers):
    """The log is for auditors: every request here carries an auditor's key."""
    client.headers.update(role_headers["auditor"])
    return client


def call(source_id: str, customer: str = "C1") -> c.RecordCall:
    return c.RecordCall(
        occurred_at=WHEN,
        source="acd",
        source_id=source_id,
        customer_ref=customer,
        queue="billing",
        reason="bill",
        wait_seconds=12,
        outcome="answered",
        talk_seconds=200,
    )


def customer(ref: str = "C1") -> c.RegisterCustomer:
    return c.RegisterCustomer(
        occurred_at=WHEN,
        source="crm",
        source_id=ref,
        customer_ref=ref,
        name="Zebedee Quux",
        email="zebedee@example.org",
        segment="gold",
    )


def test_the_log_lists_facts_in_order_with_position_stream_author_and_data(client, services):
    registered = services.ledger.record(customer(), "agent:7")
    called = services.ledger.record(call("1"), "acd-feed")

    response = client.get("/log")

    assert response.status_code == 200
    facts = response.json()["facts"]
    assert [f["position"] for f in facts] == [registered.position, called.position]
    assert [f["kind"] for f in facts] == ["CustomerRegistered", "CallRecorded"]
    assert [f["author"] for f in facts] == ["agent:7", "acd-feed"]
    assert facts[1]["stream_id"] == str(called.stream_id)
    assert facts[1]["version"] == 1
    assert facts[1]["data"]["talk_seconds"] == 200
    assert facts[1]["data"]["customer_ref"] == "C1"
    assert datetime.fromisoformat(facts[1]["recorded_at"]).tzinfo is not None


def test_personal_fields_are_withheld_from_the_log(client, services):
    services.ledger.record(customer(), "crm-sync")

    response = client.get("/log")

    [fact] = response.json()["facts"]
    assert fact["data"]["name"] == {"withheld": True}
    assert fact["data"]["email"] == {"withheld": True}
    assert fact["data"]["segment"] == "gold"
    assert "Zebedee" not in response.text
    assert "zebedee@example.org" not in response.text


def test_paging_with_after_and_limit_reads_every_fact_once_in_order(client, services):
    outcomes = services.ledger.record_batch([call(str(i)) for i in range(5)], "acd-feed")
    expected = [o.position for o in outcomes]

    seen, after, pages = [], 0, 0
    while True:
        page = client.get("/log", params={"after": after, "limit": 2}).json()
        if not page["facts"]:
            assert page["next_after"] == after
            break
        seen += [f["position"] for f in page["facts"]]
        after, pages = page["next_after"], pages + 1

    assert seen == expected
    assert pages == 3  # 2 + 2 + 1


def test_types_filters_by_fact_kind_repeated_or_comma_separated(client, services):
    services.ledger.record(customer(), "crm-sync")
    services.ledger.record(call("1"), "acd-feed")

    only_calls = client.get("/log", params={"types": "CallRecorded"}).json()["facts"]
    repeated = client.get("/log?types=CallRecorded&types=CustomerRegistered").json()["facts"]
    comma = client.get("/log", params={"types": "CallRecorded,CustomerRegistered"}).json()

    assert [f["kind"] for f in only_calls] == ["CallRecorded"]
    assert len(repeated) == 2
    assert len(comma["facts"]) == 2


def test_an_unknown_type_is_a_422_problem_listing_the_allowed_kinds(client):
    response = client.get("/log", params={"types": "CallRecorded,PhoneCall"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    [param] = problem["invalid_params"]
    assert param["name"] == "types"
    assert param["location"] == "query"
    assert "PhoneCall" in param["reason"]
    assert all(kind in param["reason"] for kind in FACT_TYPES)


def test_limit_and_after_out_of_bounds_are_422_problems_naming_each_field(client):
    response = client.get("/log", params={"limit": 0, "after": -1})
    too_many = client.get("/log", params={"limit": 1001})

    assert response.status_code == 422
    names = {p["name"] for p in response.json()["invalid_params"]}
    assert names == {"limit", "after"}
    assert too_many.status_code == 422
    assert [p["name"] for p in too_many.json()["invalid_params"]] == ["limit"]


def test_a_position_beyond_bigint_is_a_422_problem_not_a_server_error(client):
    response = client.get("/log", params={"after": 2**63})

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["after"]


def test_reading_after_the_highest_possible_position_gives_an_empty_page(client, services):
    services.ledger.record(call("1"), "acd-feed")

    page = client.get("/log", params={"after": 2**63 - 1}).json()

    assert page == {"facts": [], "next_after": 2**63 - 1}


def test_the_largest_page_is_accepted(client, services):
    services.ledger.record(call("1"), "acd-feed")

    response = client.get("/log", params={"limit": 1000})

    assert response.status_code == 200
    assert len(response.json()["facts"]) == 1


@pytest.mark.parametrize(
    "value", ["", ",", "CallRecorded,", " CallRecorded", "CallRecorded, CallCorrected"]
)
def test_an_empty_or_padded_kind_in_types_is_a_422_problem(client, value):
    response = client.get("/log", params={"types": value})

    assert response.status_code == 422, response.text
    assert [p["name"] for p in response.json()["invalid_params"]] == ["types"]
