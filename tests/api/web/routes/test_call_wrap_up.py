"""A call wrapped up at the desktop: notes, the agent from the key, the reason from the list,
recorded once however often the form is sent."""

from __future__ import annotations

import threading

import pytest

from api.web.problems import PROBLEM_BASE
from api.web.schemas.examples import EXAMPLES

NOTES = "Card stolen in Leeds; blocked, replacement sent."
CLOSED = {
    "reasons": [
        {"code": "card-lost", "label": "Card lost or stolen"},
        {"code": "pin-reset", "label": "PIN reset"},
    ],
    "free_text_allowed": False,
}


def wrap_up(**over) -> dict:
    """What the desktop sends: no agent_id (the key says who), a source_id made when the
    form opened."""
    call = {k: v for k, v in EXAMPLES["call_recorded"].items() if k != "agent_id"}
    return call | {"source": "desktop", "source_id": "form-5b1e", "reason": "card-lost"} | over


@pytest.fixture
def agent(services) -> dict[str, str]:
    return {"X-API-Key": services.keys.create("agent", "amara.okafor")[1]}


@pytest.fixture
def closed_list(client, role_headers) -> int:
    response = client.put("/call-reasons", json=CLOSED, headers=role_headers["admin"])
    assert response.status_code == 201
    return int(response.json()["position"])


def the_call(services, position):
    (logged,) = [x for x in services.ledger.read_log(0, 100) if x.position == position]
    return logged


def calls_in_log(services) -> int:
    return len(services.ledger.read_log(0, 100, kinds=["CallRecorded"]))


# --- who wrapped it up ---------------------------------------------------------------


def test_the_agent_of_a_call_is_the_name_of_the_agents_key(client, services, agent):
    response = client.post("/interactions/calls", json=wrap_up(), headers=agent)

    assert response.status_code == 201, response.text
    assert the_call(services, response.json()["position"]).fact.agent_id == "amara.okafor"


def test_an_agent_may_name_themselves(client, services, agent):
    sent = wrap_up(agent_id="amara.okafor")

    assert client.post("/interactions/calls", json=sent, headers=agent).status_code == 201


def test_an_agent_naming_another_agent_is_refused(client, agent, log_rows):
    response = client.post("/interactions/calls", json=wrap_up(agent_id="a-99"), headers=agent)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "agent-mismatch"
    assert [p["name"] for p in problem["invalid_params"]] == ["agent_id"]
    assert log_rows() == (0, 0)


def test_an_agent_cannot_correct_a_call_into_another_agents_name(client, services, agent):
    posted = client.post("/interactions/calls", json=wrap_up(), headers=agent)
    assert posted.status_code == 201
    correction = {
        "occurred_at": "2026-03-04T16:00:00Z",
        "source": "desktop",
        "source_id": "fix-1",
        "customer_ref": EXAMPLES["call_recorded"]["customer_ref"],
        "call": {"source": "desktop", "source_id": "form-5b1e"},
        "agent_id": "a-99",
    }

    response = client.post("/interactions/calls/corrections", json=correction, headers=agent)

    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM_BASE + "agent-mismatch"


# --- the reason ------------------------------------------------------------------------


def test_an_agents_reason_off_a_closed_list_is_refused_naming_reason(
    client, agent, closed_list, log_rows
):
    before = log_rows()

    response = client.post(
        "/interactions/calls", json=wrap_up(reason="lost my card"), headers=agent
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "unlisted-reason"
    assert [p["name"] for p in problem["invalid_params"]] == ["reason"]
    assert log_rows() == before


def test_an_agents_reason_on_the_list_is_recorded(client, agent, closed_list):
    response = client.post("/interactions/calls", json=wrap_up(reason="pin-reset"), headers=agent)

    assert response.status_code == 201, response.text


def test_free_text_is_taken_while_the_list_allows_it(client, services, agent, role_headers):
    # Before any publication the starter list is in force, with free text allowed.
    first = client.post("/interactions/calls", json=wrap_up(reason="lost my card"), headers=agent)
    allowing = CLOSED | {"free_text_allowed": True}
    client.put("/call-reasons", json=allowing, headers=role_headers["admin"])
    second = wrap_up(source_id="form-2", reason="something else")

    assert first.status_code == 201, first.text
    assert client.post("/interactions/calls", json=second, headers=agent).status_code == 201


def test_an_agents_correction_to_an_unlisted_reason_is_refused(
    client, agent, closed_list, role_headers
):
    assert client.post("/interactions/calls", json=wrap_up(), headers=agent).status_code == 201
    correction = {
        "occurred_at": "2026-03-04T16:00:00Z",
        "source": "desktop",
        "source_id": "fix-1",
        "customer_ref": EXAMPLES["call_recorded"]["customer_ref"],
        "call": {"source": "desktop", "source_id": "form-5b1e"},
        "reason": "whatever",
    }

    by_agent = client.post("/interactions/calls/corrections", json=correction, headers=agent)
    by_feed = client.post(
        "/interactions/calls/corrections", json=correction, headers=role_headers["integrator"]
    )

    assert by_agent.status_code == 422
    assert by_agent.json()["type"] == PROBLEM_BASE + "unlisted-reason"
    assert by_feed.status_code == 201


def test_an_integrator_keeps_its_agents_and_codes_whatever_the_list(
    client, services, role_headers, closed_list
):
    feed = EXAMPLES["call_recorded"] | {"agent_id": "a-99", "reason": "legacy-code-17"}

    response = client.post("/interactions/calls", json=feed, headers=role_headers["integrator"])

    assert response.status_code == 201, response.text
    fact = the_call(services, response.json()["position"]).fact
    assert (fact.agent_id, fact.reason) == ("a-99", "legacy-code-17")


# --- notes -----------------------------------------------------------------------------


def test_notes_are_recorded_sealed_and_read_back_by_the_agent(client, services, agent, catch_up):
    response = client.post("/interactions/calls", json=wrap_up(notes=f"  {NOTES}\n"), headers=agent)
    assert response.status_code == 201, response.text
    catch_up()

    logged = the_call(services, response.json()["position"])
    ref = EXAMPLES["call_recorded"]["customer_ref"]
    timeline = client.get(f"/customers/{ref}/timeline", headers=agent).json()

    assert logged.fact.notes is not None
    assert "Leeds" not in logged.fact.notes
    assert services.ledger.reveal([logged])[0]["data"]["notes"] == NOTES
    assert timeline["items"][0]["call"]["notes"] == NOTES
    assert timeline["personal_data"] == "visible"


def test_notes_over_2000_characters_are_refused_naming_notes(client, agent, log_rows):
    response = client.post("/interactions/calls", json=wrap_up(notes="x" * 2001), headers=agent)

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["notes"]
    assert len(response.content) < 5000  # the text is not echoed back
    assert log_rows() == (0, 0)


def test_notes_for_an_erased_customer_are_refused_and_old_notes_read_as_erased(
    client, services, agent, role_headers, catch_up
):
    ref = EXAMPLES["call_recorded"]["customer_ref"]
    assert client.post("/interactions/calls", json=wrap_up(notes=NOTES), headers=agent).is_success
    erased = client.delete(f"/customers/{ref}/personal-data", headers=role_headers["admin"])
    assert erased.status_code == 200, erased.text
    catch_up()

    again = client.post(
        "/interactions/calls", json=wrap_up(source_id="form-2", notes="more"), headers=agent
    )
    timeline = client.get(f"/customers/{ref}/timeline", headers=agent).json()

    assert again.status_code == 422
    assert again.json()["type"] == PROBLEM_BASE + "customer-erased"
    assert timeline["personal_data"] == "erased"
    assert timeline["items"][0]["call"]["notes"] is None


# --- once, however often it is sent ----------------------------------------------------


def test_a_form_sent_twice_records_the_call_once(client, services, agent):
    first = client.post("/interactions/calls", json=wrap_up(notes=NOTES), headers=agent)
    second = client.post("/interactions/calls", json=wrap_up(notes=NOTES), headers=agent)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["status"] == "duplicate"
    assert second.json()["position"] == first.json()["position"]
    assert calls_in_log(services) == 1


def test_a_form_sent_twice_at_the_same_moment_records_the_call_once(client, services, agent):
    start = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        start.wait()
        answers.append(client.post("/interactions/calls", json=wrap_up(), headers=agent))

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()

    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json()["position"] for a in answers}) == 1
    assert calls_in_log(services) == 1


def test_the_same_form_id_with_other_content_is_a_conflict_not_a_second_call(
    client, services, agent
):
    client.post("/interactions/calls", json=wrap_up(notes="first try"), headers=agent)

    response = client.post("/interactions/calls", json=wrap_up(notes="edited"), headers=agent)

    assert response.status_code == 409
    assert calls_in_log(services) == 1
