"""POST /interactions/batch: a JSON array or NDJSON, one transaction, a result per item."""

from __future__ import annotations

import dataclasses
import json

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app
from api.web.problems import PROBLEM_BASE
from api.web.schemas.examples import EXAMPLES, story

NDJSON = {"content-type": "application/x-ndjson"}


def call(source_id: str, **over) -> dict:
    return {"kind": "call_recorded", **EXAMPLES["call_recorded"], "source_id": source_id} | over


def ndjson(*lines: bytes | dict) -> bytes:
    raw = [line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines]
    return b"\n".join(raw) + b"\n"


@pytest.fixture
def integrator(client, role_headers):
    """Post a batch as an integrator."""

    def post(body, headers=None):
        headers = role_headers["integrator"] | (headers or {})
        if isinstance(body, bytes):
            return client.post("/interactions/batch", content=body, headers=headers)
        return client.post("/interactions/batch", json=body, headers=headers)

    return post


def test_a_json_array_is_recorded_in_one_transaction_with_a_result_per_item(integrator, services):
    response = integrator(story())

    assert response.status_code == 200
    result = response.json()
    assert (result["recorded"], result["duplicates"], result["refused"]) == (len(story()), 0, 0)
    assert [item["index"] for item in result["items"]] == list(range(len(story())))
    logged = services.ledger.read_log(0, 100)
    assert [item["position"] for item in result["items"]] == [f.position for f in logged]
    assert [item["stream_id"] for item in result["items"]] == [str(f.stream_id) for f in logged]
    assert len({f.recorded_at for f in logged}) == 1  # one unit of work, one clock reading


def test_sending_a_batch_again_reports_every_item_as_a_duplicate_at_its_position(integrator):
    first = integrator(story()).json()

    again = integrator(story()).json()

    assert (again["recorded"], again["duplicates"]) == (0, len(story()))
    assert [i["position"] for i in again["items"]] == [i["position"] for i in first["items"]]


def test_bad_items_are_refused_one_by_one_and_the_rest_recorded(integrator, log_rows):
    items = [
        call("c-1"),
        {"kind": "call_recorded", **EXAMPLES["call_recorded"], "source_id": "c-2", "queue": ""},
        call("c-1"),  # the same fact again within the batch
        call("c-1", talk_seconds=1),  # same source_id, other content
        {"kind": "mailshot_sent", **EXAMPLES["mailshot_sent"]},  # no such campaign
        {"kind": "teleportation"},
        "not an object",
        call("c-3", wait_seconds=-5),
    ]

    result = integrator(items).json()

    by_index = {item["index"]: item for item in result["items"]}
    assert [by_index[i]["status"] for i in range(len(items))] == [
        "recorded",
        "refused",
        "duplicate",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    assert by_index[1]["code"] == "invalid-fact"
    assert [p["name"] for p in by_index[1]["invalid_params"]] == ["queue"]
    assert by_index[2]["position"] == by_index[0]["position"]
    assert by_index[3]["code"] == "fact-conflict"
    assert by_index[3]["original_position"] == by_index[0]["position"]
    assert str(by_index[0]["position"]) in by_index[3]["reason"]
    assert (by_index[4]["code"], by_index[4]["field"]) == ("unknown-campaign", "campaign_id")
    assert [p["name"] for p in by_index[5]["invalid_params"]] == ["kind"]
    assert by_index[6]["code"] == "invalid-fact"
    assert (by_index[7]["code"], by_index[7]["field"]) == ("negative-duration", "wait_seconds")
    assert (result["recorded"], result["duplicates"], result["refused"]) == (1, 1, 6)
    assert log_rows() == (1, 1)


def test_ndjson_lines_are_recorded_and_bad_lines_refused_with_their_line_number(
    integrator, log_rows
):
    body = ndjson(
        call("c-1"),
        b"",  # blank lines carry no fact
        b'{"kind": "call_recorded", ',
        b'{"kind": "call_re\xffcorded"}',
        b'{"kind": "call\x00"}',
        b"[" * 5000,
        b"[1, 2]",
        call("c-2"),
    )

    response = integrator(body, NDJSON)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["index"], i["line"], i["status"]) for i in items] == [
        (0, 1, "recorded"),
        (1, 3, "refused"),
        (2, 4, "refused"),
        (3, 5, "refused"),
        (4, 6, "refused"),
        (5, 7, "refused"),
        (6, 8, "recorded"),
    ]
    assert [i["code"] for i in items[1:6]] == [
        "invalid-json",
        "invalid-utf8",
        "nul-byte",
        "json-too-deep",
        "invalid-fact",
    ]
    assert "byte 18" in items[2]["reason"]
    assert log_rows() == (2, 2)


def test_facts_of_a_batch_name_the_integrator_key_as_author(client, services, key_for):
    principal, key = services.keys.create("integrator", "acd feed")

    client.post("/interactions/batch", json=[call("c-1")], headers={"X-API-Key": key})

    log = client.get("/log", headers=key_for("auditor")).json()["facts"]
    assert [f["author"] for f in log] == [f"api:{principal.key_id}:integrator"]


def test_an_empty_batch_records_nothing(integrator, log_rows):
    result = integrator([]).json()

    assert result == {"recorded": 0, "duplicates": 0, "refused": 0, "items": []}
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"kind": "call_recorded"}', "invalid-request"),
        (b"[{}, ", "invalid-json"),
        (b"[" * 100_000, "json-too-deep"),
        (b'["\xfe"]', "invalid-utf8"),
    ],
)
def test_a_json_body_that_is_not_an_array_is_a_422_for_the_whole_batch(
    integrator, log_rows, raw, code
):
    response = integrator(raw, {"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM_BASE + code
    assert log_rows() == (0, 0)


def test_another_media_type_is_a_415(integrator):
    response = integrator(b"a,b\n", {"content-type": "text/csv"})

    assert response.status_code == 415
    assert response.json()["type"] == PROBLEM_BASE + "unsupported-media-type"


@pytest.fixture
def limited(services):
    """A client of an API admitting at most 3 items and 2 KiB per batch."""
    update = {"max_batch_items": 3, "max_request_bytes": 2048}
    small = dataclasses.replace(services, settings=services.settings.model_copy(update=update))
    with TestClient(create_app(small)) as client:
        yield client


@pytest.mark.parametrize("media", ["json", "ndjson"])
def test_more_items_than_the_limit_is_a_413_and_nothing_is_written(
    limited, role_headers, log_rows, media
):
    items = [{"kind": "call_recorded"}] * 4  # small: the item limit, not the byte limit
    raw = json.dumps(items).encode() if media == "json" else ndjson(*items)
    content_type = "application/json" if media == "json" else NDJSON["content-type"]
    headers = role_headers["integrator"] | {"content-type": content_type}

    response = limited.post("/interactions/batch", content=raw, headers=headers)

    assert response.status_code == 413
    assert response.json()["type"] == PROBLEM_BASE + "request-too-large"
    assert "limit is 3" in response.json()["detail"]
    assert log_rows() == (0, 0)


def test_a_batch_at_the_item_limit_is_recorded(limited, role_headers):
    items = [call(f"c-{i}") for i in range(3)]

    response = limited.post("/interactions/batch", json=items, headers=role_headers["integrator"])

    assert response.status_code == 200
    assert response.json()["recorded"] == 3


def test_more_bytes_than_the_limit_is_a_413(limited, role_headers, log_rows):
    items = [call("c-1", reason="x" * 190) for _ in range(12)]

    response = limited.post("/interactions/batch", json=items, headers=role_headers["integrator"])

    assert response.status_code == 413
    assert log_rows() == (0, 0)
