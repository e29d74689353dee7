"""The centre's call reasons over HTTP: read by desktops and analysts, published by admins
as facts (each publication a new one, the latest in force), refused whole when invalid."""

from __future__ import annotations

import pytest

from api.web.problems import PROBLEM_BASE
from domain.reasons import STARTER

LIST: dict = {
    "reasons": [
        {"code": "card-lost", "label": "Card lost or stolen"},
        {"code": "balance-query", "label": "Balance query"},
    ],
    "free_text_allowed": False,
}


def publish(client, headers, body=LIST):
    return client.put("/call-reasons", json=body, headers=headers["admin"])


@pytest.mark.parametrize("role", ["agent", "analyst", "admin"])
def test_before_any_publication_the_starter_list_is_in_force_with_free_text(
    client, role_headers, role
):
    response = client.get("/call-reasons", headers=role_headers[role])

    assert response.status_code == 200
    answer = response.json()
    assert answer["free_text_allowed"] is True
    assert answer["position"] is None
    assert [(r["code"], r["label"]) for r in answer["reasons"]] == list(STARTER.reasons)
    assert {"code": "card-lost", "label": "Card lost or stolen"} in answer["reasons"]


def test_a_published_list_is_a_fact_by_the_admin_and_is_then_in_force(
    client, services, role_headers
):
    response = publish(client, role_headers)

    assert response.status_code == 201, response.text
    position = response.json()["position"]
    assert client.get("/call-reasons", headers=role_headers["agent"]).json() == LIST | {
        "position": position
    }
    (logged,) = services.ledger.read_log(0, 10)
    assert (logged.position, logged.kind) == (position, "CallReasonsPublished")
    assert logged.fact.recorded_by.endswith(":admin")


def test_a_later_publication_replaces_the_list_and_the_earlier_one_stays_explainable(
    client, role_headers
):
    first = publish(client, role_headers).json()["position"]
    shorter = {"reasons": [{"code": "other", "label": "Other"}], "free_text_allowed": True}
    second = publish(client, role_headers, shorter).json()["position"]

    now = client.get("/call-reasons", headers=role_headers["analyst"]).json()
    then = client.get(
        "/call-reasons", params={"at_position": first}, headers=role_headers["analyst"]
    ).json()
    before = client.get(
        "/call-reasons", params={"at_position": first - 1}, headers=role_headers["analyst"]
    ).json()

    assert second > first
    assert now == shorter | {"position": second}
    assert then == LIST | {"position": first}
    assert before["position"] is None  # the starter list was in force


def test_publishing_the_same_list_twice_records_two_publications(client, role_headers):
    first = publish(client, role_headers)
    second = publish(client, role_headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["position"] > first.json()["position"]


@pytest.mark.parametrize("role", ["agent", "analyst", "integrator", "auditor"])
def test_only_an_admin_may_publish(client, role_headers, log_rows, role):
    response = client.put("/call-reasons", json=LIST, headers=role_headers[role])

    assert response.status_code == 403
    assert log_rows() == (0, 0)


@pytest.mark.parametrize(
    "case",
    [
        (LIST | {"reasons": [{"code": "Card-Lost", "label": "x"}]}, "reasons.0.code", None),
        (LIST | {"reasons": [{"code": "", "label": "x"}]}, "reasons.0.code", None),
        (LIST | {"reasons": [{"code": "x" * 41, "label": "x"}]}, "reasons.0.code", None),
        (LIST | {"reasons": [{"code": "ok", "label": ""}]}, "reasons.0.label", None),
        (LIST | {"reasons": [{"code": "ok", "label": "x" * 81}]}, "reasons.0.label", None),
        (
            LIST | {"reasons": [{"code": f"r{n}", "label": "R"} for n in range(201)]},
            "reasons",
            None,
        ),
        (
            LIST | {"reasons": [*LIST["reasons"], {"code": "card-lost", "label": "Again"}]},
            "reasons.2.code",
            "duplicate-reason-code",
        ),
        ({"reasons": [], "free_text_allowed": False}, "reasons", "no-reason-allowed"),
        ({"reasons": []}, "free_text_allowed", None),
        ({"reasons": [], "free_text_allowed": "yes"}, "free_text_allowed", None),
        (LIST | {"position": 3}, "position", None),
    ],
)
def test_an_invalid_list_is_refused_whole_naming_the_field(client, role_headers, log_rows, case):
    body, field, code = case
    response = publish(client, role_headers, body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + (code or "invalid-request")
    assert [p["name"] for p in problem["invalid_params"]] == [field]
    assert log_rows() == (0, 0)


def test_200_reasons_are_accepted(client, role_headers):
    many = [{"code": f"reason-{n}", "label": f"Reason {n}"} for n in range(200)]

    response = publish(client, role_headers, {"reasons": many, "free_text_allowed": False})

    assert response.status_code == 201, response.text
    read = client.get("/call-reasons", headers=role_headers["agent"]).json()
    assert read["reasons"] == many
