"""POST /interactions/batch with calls given by the caller's number (issue 13, point 2).

As ``POST /interactions/calls``: one customer with exactly that number -> theirs;
nobody or several -> the unidentified caller ``U-...`` of the number's blind index;
the number itself is never written to the log nor echoed in a refusal.
"""

from __future__ import annotations

import json

import pytest

from api.web.schemas.examples import EXAMPLES
from tests import builders as b

NDJSON = {"content-type": "application/x-ndjson"}


def call(source_id: str, **over) -> dict:
    body = {"kind": "call_recorded", **EXAMPLES["call_recorded"], "source_id": source_id}
    body.pop("customer_ref")
    return body | over


def log_bytes(services) -> bytes:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT state FROM touchpoint_events ORDER BY notification_id"
        ).fetchall()
    return b"".join(bytes(row[0]) for row in rows)


def customer_of(services, position: int) -> str:
    services.runner(["customer"]).catch_up_all()
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT customer_ref FROM customer_timeline WHERE position = %s", (position,)
        ).fetchone()
    return row[0]


@pytest.fixture
def numbers(services):
    """C-1 has +44 7700 900123 alone; C-2 and C-3 share +44 7700 900777."""
    for ref, phone in (
        ("C-1", "+44 7700 900123"),
        ("C-2", "07700 900777"),
        ("C-3", "+447700900777"),
    ):
        services.ledger.record(b.customer(ref, phone=phone), "t")
    services.runner(["customer"]).catch_up_all()


@pytest.fixture
def post(client, role_headers):
    def send(items: list[dict], ndjson: bool = False):
        headers = role_headers["integrator"]
        if ndjson:
            body = b"".join(json.dumps(item).encode() + b"\n" for item in items)
            return client.post("/interactions/batch", content=body, headers=headers | NDJSON)
        return client.post("/interactions/batch", json=items, headers=headers)

    return send


@pytest.mark.parametrize("ndjson", [False, True])
@pytest.mark.usefixtures("numbers")
def test_a_batch_call_by_the_number_of_one_customer_is_recorded_for_that_customer(
    post, services, ndjson
):
    response = post([call("ani-1", caller_number="07700 900123")], ndjson)

    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    assert item["status"] == "recorded"
    assert customer_of(services, item["position"]) == "C-1"


@pytest.mark.usefixtures("numbers")
def test_a_batch_call_by_a_shared_number_or_an_unknown_one_is_an_unidentified_caller(
    post, services
):
    index = services.index
    result = post(
        [
            call("ani-2", caller_number="07700 900777"),  # C-2 and C-3 share it
            call("ani-3", caller_number="+44 (0)7700 900555"),  # nobody has it
            call("ani-4", caller_number="0044 7700 900555"),  # the same caller again
        ]
    ).json()

    shared, unknown, again = (customer_of(services, i["position"]) for i in result["items"])
    assert shared == index.caller_ref("+447700900777")
    assert unknown == again == index.caller_ref("+447700900555")
    assert unknown.startswith("U-")
    logged = log_bytes(services)
    assert b"bill" in logged  # the log is readable here: a number would show
    assert b"900777" not in logged
    assert b"900555" not in logged


@pytest.mark.usefixtures("numbers")
def test_a_reference_given_beside_the_number_wins_and_the_number_is_not_kept(post, services):
    (item,) = post([call("ani-5", customer_ref="C-9", caller_number="07700 900123")]).json()[
        "items"
    ]

    assert customer_of(services, item["position"]) == "C-9"
    assert b"900123" not in log_bytes(services)


@pytest.mark.usefixtures("numbers")
def test_an_unreadable_number_refuses_its_item_alone_without_quoting_it(post, services):
    result = post([call("ani-6", caller_number="call me 555"), call("ani-7", customer_ref="C-1")])

    bad, good = result.json()["items"]
    assert (bad["status"], bad["code"], bad["field"]) == (
        "refused",
        "invalid-fact",
        "caller_number",
    )
    assert [p["name"] for p in bad["invalid_params"]] == ["caller_number"]
    assert "555" not in result.text
    assert good["status"] == "recorded"


@pytest.mark.usefixtures("numbers")
def test_a_number_on_a_fact_that_is_not_a_call_is_refused_as_an_unknown_field(post):
    survey = {
        "kind": "survey_replied",
        **EXAMPLES["survey_replied"],
        "caller_number": "07700900123",
    }

    (item,) = post([survey]).json()["items"]

    assert item["status"] == "refused"
    assert [p["name"] for p in item["invalid_params"]] == ["caller_number"]


def test_without_an_index_key_a_call_by_number_is_refused_and_nothing_written(post, services):
    services.index = None  # as with a database URL and no TOUCHPOINT_INDEX_KEY

    (item,) = post([call("ani-8", caller_number="07700 900123")]).json()["items"]

    assert (item["status"], item["code"]) == ("refused", "search-unavailable")
    assert services.ledger.head_position() == 0


def test_no_log_line_of_the_server_holds_the_number(post, services, caplog):
    caplog.set_level("DEBUG")

    post([call("ani-9", caller_number="+44 7700 900444")], ndjson=True)

    assert "900444" not in caplog.text
