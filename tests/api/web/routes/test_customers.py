"""GET /customers/{ref} and /customers/{ref}/timeline: the single customer view for agents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import builders as b

PROBLEM = "application/problem+json"


def test_a_recorded_call_is_in_the_view_when_read_with_its_position_every_time(
    client, services, role_headers, projectors
):
    agent = role_headers["agent"]
    services.ledger.record(b.customer("C1"), "test")
    for attempt in range(20):
        call = b.call(f"rw-{attempt}", ref="C1", occurred_at=b.at(attempt))
        position = services.ledger.record(call, "test").position

        response = client.get("/customers/C1", params={"min_position": position}, headers=agent)

        assert response.status_code == 200, response.text
        profile = response.json()
        assert profile["view_position"] >= position
        assert position in [item["position"] for item in profile["recent_interactions"]]


def test_the_timeline_is_read_your_writes_too(client, services, role_headers, projectors):
    position = services.ledger.record(b.call("c-1", ref="C1"), "test").position

    response = client.get(
        "/customers/C1/timeline", params={"min_position": position}, headers=role_headers["agent"]
    )

    assert response.status_code == 200, response.text
    assert [item["position"] for item in response.json()["items"]] == [position]


def test_a_view_that_lags_answers_503_with_its_position_and_retry_after(
    client, services, role_headers, catch_up
):
    services.settings.read_wait_seconds = 0.2  # no projector runs: waiting cannot help
    position = services.ledger.record(b.call("c-1", ref="C1"), "test").position
    catch_up()
    wanted = position + 1000

    for path in ("/customers/C1", "/customers/C1/timeline"):
        response = client.get(path, params={"min_position": wanted}, headers=role_headers["agent"])

        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert int(response.headers["retry-after"]) >= 1
        problem = response.json()
        assert problem["code"] == "view-behind"
        assert problem["view"] == "customer"
        assert problem["view_position"] == position
        assert problem["min_position"] == wanted


def test_a_position_the_view_has_applied_is_served_without_waiting_for_projectors(
    client, services, role_headers, catch_up
):
    services.settings.read_wait_seconds = 0.0  # any wait would fail: the view is there
    position = services.ledger.record(b.call("c-1", ref="C1"), "test").position
    catch_up()

    response = client.get(
        "/customers/C1", params={"min_position": position}, headers=role_headers["agent"]
    )

    assert response.status_code == 200


def test_a_registered_customer_shows_decrypted_personal_fields_to_agents(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1", name="Ada Lovelace", email="ada@example.org"), "t")
    services.ledger.record(b.call("c-1", ref="C1"), "test")
    catch_up()

    profile = client.get("/customers/C1", headers=role_headers["agent"]).json()

    assert profile["registered"] is True
    assert profile["personal_data"] == "visible"
    assert (profile["name"], profile["email"]) == ("Ada Lovelace", "ada@example.org")
    assert profile["segment"] == "retail"
    assert profile["counts"]["phone"] == 1


def test_an_unregistered_customer_with_facts_has_an_unregistered_profile(
    client, services, role_headers, catch_up
):
    position = services.ledger.record(b.call("c-1", ref="NEW-7"), "test").position
    catch_up()

    response = client.get("/customers/NEW-7", headers=role_headers["agent"])

    assert response.status_code == 200
    profile = response.json()
    assert profile["registered"] is False
    assert profile["name"] is None
    assert [item["position"] for item in profile["recent_interactions"]] == [position]


def test_a_customer_no_fact_names_is_404_problem(client, services, role_headers, catch_up):
    services.ledger.record(b.call("c-1", ref="C1"), "test")
    catch_up()

    for path in ("/customers/NOBODY", "/customers/NOBODY/timeline"):
        response = client.get(path, headers=role_headers["agent"])

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "customer-not-found"


def test_an_erased_customer_is_marked_erased_and_shows_no_personal_data(
    client, services, role_headers, catch_up
):
    services.ledger.record(b.customer("C1", name="Ada Lovelace", email="ada@example.org"), "t")
    services.ledger.record(b.survey("s-1", ref="C1", about=None, comment="Rude agent"), "t")
    services.ledger.erase_customer("C1", "admin")
    catch_up()

    profile = client.get("/customers/C1", headers=role_headers["agent"])
    page = client.get("/customers/C1/timeline", headers=role_headers["agent"])

    assert profile.json()["personal_data"] == "erased"
    assert profile.json()["erased_at"] is not None
    assert page.json()["personal_data"] == "erased"
    for body in (profile.text, page.text):
        assert "Ada Lovelace" not in body
        assert "ada@example.org" not in body
        assert "Rude agent" not in body


def _record_calls(services, count: int) -> list[int]:
    """``count`` calls for C1, one a minute apart; positions in order of occurrence."""
    return [
        services.ledger.record(b.call(f"c-{i}", ref="C1", occurred_at=b.at(i)), "t").position
        for i in range(count)
    ]


def test_the_timeline_pages_newest_first_with_after_cursors(
    client, services, role_headers, catch_up
):
    positions = _record_calls(services, 5)
    catch_up()
    newest_first = positions[::-1]
    agent = role_headers["agent"]

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"after": cursor} if cursor else {})
        body = client.get("/customers/C1/timeline", params=params, headers=agent).json()
        pages.append([item["position"] for item in body["items"]])
        cursor = body["next_after"]
        if cursor is None:
            break

    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]


def test_the_before_cursor_gives_back_the_newer_page(client, services, role_headers, catch_up):
    positions = _record_calls(services, 5)
    catch_up()
    newest_first = positions[::-1]
    agent = role_headers["agent"]
    first = client.get("/customers/C1/timeline", params={"limit": 2}, headers=agent).json()
    second = client.get(
        "/customers/C1/timeline", params={"limit": 2, "after": first["next_after"]}, headers=agent
    ).json()

    back = client.get(
        "/customers/C1/timeline",
        params={"limit": 2, "before": second["previous_before"]},
        headers=agent,
    ).json()

    assert first["previous_before"] is None
    assert [item["position"] for item in back["items"]] == newest_first[0:2]
    assert back["previous_before"] is None
    assert back["next_after"] == newest_first[1]


def test_a_late_arrival_is_placed_by_when_it_happened(client, services, role_headers, catch_up):
    positions = _record_calls(services, 2)
    late = services.ledger.record(
        b.call("late", ref="C1", occurred_at=b.at(0) - timedelta(hours=1)), "t"
    ).position
    catch_up()

    body = client.get("/customers/C1/timeline", headers=role_headers["agent"]).json()

    assert [item["position"] for item in body["items"]] == [positions[1], positions[0], late]


@pytest.mark.parametrize(
    "params",
    [
        {"after": 999_999},
        {"before": 999_999},
        {"after": 1, "before": 2},
        {"limit": 0},
        {"limit": 201},
        {"after": "x"},
        {"at": "2026-03-02T10:00:00"},
        {"at": "0001-01-01T00:00:00+23:59"},
    ],
)
def test_bad_cursors_pages_and_times_are_422_problems(
    client, services, role_headers, catch_up, params
):
    _record_calls(services, 1)
    catch_up()
    path = "/customers/C1" if "at" in params else "/customers/C1/timeline"

    response = client.get(path, params=params, headers=role_headers["agent"])

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["invalid_params"]


def test_a_cursor_of_another_customer_is_refused(client, services, role_headers, catch_up):
    other = services.ledger.record(b.call("c-x", ref="C2"), "t").position
    _record_calls(services, 1)
    catch_up()

    response = client.get(
        "/customers/C1/timeline", params={"after": other}, headers=role_headers["agent"]
    )

    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/customers/C1", "/customers/C1/timeline"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("agent", 200),
        ("analyst", 403),
        ("auditor", 403),
        ("integrator", 403),
        ("admin", 403),
        (None, 401),
    ],
)
def test_only_agents_read_customer_views(
    client, services, role_headers, catch_up, *, path, role, status
):
    services.ledger.record(b.call("c-1", ref="C1"), "t")
    catch_up()
    headers = role_headers[role] if role else {}

    response = client.get(path, headers=headers)

    assert response.status_code == status
    if status != 200:
        assert response.headers["content-type"] == PROBLEM


def test_a_call_posted_by_an_agent_is_in_the_view_read_with_the_returned_position(
    client, role_headers, projectors
):
    agent = role_headers["agent"]
    for attempt in range(20):
        body = b.call(f"http-{attempt}", ref="C9", occurred_at=b.at(attempt))
        fields = body.model_dump(mode="json", exclude={"kind", "agent_id"})  # the key's agent
        posted = client.post("/interactions/calls", json=fields, headers=agent)
        assert posted.status_code == 201, posted.text
        position = posted.json()["position"]

        response = client.get("/customers/C9", params={"min_position": position}, headers=agent)

        assert response.status_code == 200, response.text
        assert position in [item["position"] for item in response.json()["recent_interactions"]]
