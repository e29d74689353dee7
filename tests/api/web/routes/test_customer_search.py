"""Finding customers (issue 13): search by phone, e-mail, name, reference; screen pop."""

from __future__ import annotations

import logging

import pytest

from projections.rebuild import rebuild_by_switch
from tests import builders as b


def register(services, ref, name, email, phone, **over):
    services.ledger.record(b.customer(ref, name=name, email=email, phone=phone, **over), "t")


def call(services, source_id, ref, minutes):
    services.ledger.record(b.call(source_id, ref=ref, occurred_at=b.at(minutes)), "t")


@pytest.fixture
def people(services, catch_up):
    register(services, "C-000007", "Margaret Okafor", "m.okafor@example.org", "+44 7700 900123")
    register(services, "C-000008", "Zoë Brontë", "zoe@example.org", "020 7946 0001")
    register(services, "C-000009", "Margaret Smith", "msmith@example.org", "+33 6 12 34 56 78")
    call(services, "c-7", "C-000007", 30)
    call(services, "c-9", "C-000009", 40)
    catch_up()


def search(client, headers, **params):
    response = client.get("/customers", params=params, headers=headers["agent"])
    assert response.status_code == 200, response.text
    return [item["customer_ref"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "phone",
    ["+447700900123", "+44 7700 900123", "0044 (7700) 900-123", "07700 900123", "700900123"],
)
def test_a_customer_is_found_by_any_usual_writing_of_the_phone_number(
    client, role_headers, people, phone
):
    assert search(client, role_headers, phone=phone) == ["C-000007"]


def test_an_email_is_found_trimmed_and_in_any_case(client, role_headers, people):
    assert search(client, role_headers, email="  M.Okafor@EXAMPLE.org ") == ["C-000007"]


def test_a_name_is_found_by_words_in_any_order_case_and_accents(client, role_headers, people):
    assert search(client, role_headers, name="okafor margaret") == ["C-000007"]
    assert search(client, role_headers, name="ZOE bronte") == ["C-000008"]
    assert search(client, role_headers, name="Okafor Marg") == ["C-000007"]
    assert search(client, role_headers, name="okafor ma") == []  # 2 letters: no prefix
    assert search(client, role_headers, name="okaf margaret") == []  # only the last may be cut


def test_several_matches_are_listed_newest_contact_first_and_masked(client, role_headers, people):
    response = client.get("/customers", params={"name": "margaret"}, headers=role_headers["agent"])
    items = response.json()["items"]
    # C-000009 was called at T0+40 min, C-000007 at T0+30 min.
    assert [i["customer_ref"] for i in items] == ["C-000009", "C-000007"]
    assert items[1]["name"] == "M*** O***"
    assert items[1]["phone"] == "+44*******123"
    assert items[1]["segment"] == "retail"
    assert items[1]["last_contact"].startswith(b.at(30).isoformat()[:16])
    assert "Okafor" not in response.text
    assert "900123" not in response.text


def test_keys_combine_with_and(client, role_headers, people):
    assert search(client, role_headers, name="margaret", phone="07700900123") == ["C-000007"]
    assert search(client, role_headers, name="margaret", email="zoe@example.org") == []


def test_a_reference_is_found_in_any_case(client, role_headers, people):
    assert search(client, role_headers, ref="c-000007") == ["C-000007"]


def test_results_are_paged(client, services, role_headers, catch_up):
    for n in range(5):
        register(services, f"C{n}", f"Ann Lee{n}", f"ann{n}@example.org", f"+44 7700 90010{n}")
        call(services, f"call-{n}", f"C{n}", n)
    catch_up()
    agent = role_headers["agent"]
    first = client.get("/customers", params={"name": "ann", "limit": 2}, headers=agent).json()
    assert [i["customer_ref"] for i in first["items"]] == ["C4", "C3"]
    assert first["next_offset"] == 2
    last = client.get(
        "/customers", params={"name": "ann", "limit": 2, "offset": 4}, headers=agent
    ).json()
    assert [i["customer_ref"] for i in last["items"]] == ["C0"]
    assert last["next_offset"] is None


def test_a_contact_change_replaces_the_old_values(client, services, role_headers, people):
    services.ledger.record(
        b.contact_change("C-000007", phone="+44 7700 900999", email="new@example.org"), "t"
    )
    catch_up_all(services)
    assert search(client, role_headers, phone="07700900123") == []
    assert search(client, role_headers, phone="07700900999") == ["C-000007"]
    assert search(client, role_headers, email="m.okafor@example.org") == []
    assert search(client, role_headers, name="margaret okafor") == ["C-000007"]


def catch_up_all(services):
    services.runner().catch_up_all()


def test_an_erased_customer_is_found_by_no_personal_value_and_leaves_no_index_row(
    client, services, role_headers, people
):
    # The attacker knows the old phone, e-mail and name and has the view's tables.
    services.ledger.erase_customer("C-000007", "admin")
    catch_up_all(services)
    for params in (
        {"phone": "+447700900123"},
        {"phone": "700900123"},
        {"email": "m.okafor@example.org"},
        {"name": "margaret okafor"},
        {"name": "okafor"},
    ):
        assert "C-000007" not in search(client, role_headers, **params), params
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT count(*) FROM customer_search WHERE customer_ref = 'C-000007'"
        ).fetchone()
    assert rows == (0,)
    # A rebuild from the log makes none either: the customer's key is destroyed.
    runner = services.runner(["customer"])
    rebuild_by_switch(runner, "customer", config=services.view_config, author="test")
    with services.key_pool.connection() as conn:
        tokens = conn.execute(
            "SELECT customer_ref, count(*) FROM customer_search GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert [ref for ref, _ in tokens] == ["C-000008", "C-000009"]
    assert search(client, role_headers, name="okafor") == []
    found = client.get("/customers", params={"ref": "c-000007"}, headers=role_headers["agent"])
    assert found.json()["items"][0]["erased"] is True
    assert found.json()["items"][0]["name"] is None


@pytest.mark.parametrize("role", ["analyst", "auditor", "integrator", "admin"])
def test_only_agents_may_search_or_look_up(client, role_headers, people, role):
    for path, params in (
        ("/customers", {"name": "okafor"}),
        ("/customers/lookup", {"phone": "07700900123"}),
    ):
        response = client.get(path, params=params, headers=role_headers[role])
        assert response.status_code == 403, (path, role)
        assert "C-000007" not in response.text


def test_a_search_and_a_lookup_log_no_searched_value(client, role_headers, people, caplog):
    with caplog.at_level(logging.DEBUG):
        search(client, role_headers, phone="07700 900123", email="m.okafor@example.org")
        search(client, role_headers, name="Okafor Margaret")
        client.get(
            "/customers/lookup", params={"phone": "07700900123"}, headers=role_headers["agent"]
        )
    # Every record of the server (httpx's are the test client's own request lines).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in server)
    assert "customer search" in text
    for value in ("900123", "okafor", "Okafor", "example.org", "+4477"):
        assert value not in text


def test_the_lookup_pops_the_one_customer_with_the_number(client, role_headers, people):
    response = client.get(
        "/customers/lookup", params={"phone": "+44 7700 900123"}, headers=role_headers["agent"]
    )
    assert response.status_code == 200
    assert response.json()["customer_ref"] == "C-000007"


def test_the_lookup_of_an_unknown_number_is_404(client, role_headers, people):
    response = client.get(
        "/customers/lookup", params={"phone": "+44 7700 900555"}, headers=role_headers["agent"]
    )
    assert response.status_code == 404
    assert response.json()["code"] == "caller-not-found"


def test_a_number_two_customers_share_is_300_listing_both(client, services, role_headers, people):
    register(services, "C-000010", "Sam Okafor", "sam@example.org", "07700 900123")
    catch_up_all(services)
    response = client.get(
        "/customers/lookup", params={"phone": "07700900123"}, headers=role_headers["agent"]
    )
    assert response.status_code == 300
    assert response.headers["content-type"].startswith("application/problem+json")
    assert sorted(response.json()["customers"]) == ["C-000007", "C-000010"]


def test_an_exact_number_wins_over_a_number_with_the_same_ending(
    client, services, role_headers, people
):
    # +33 7 00 90 01 23 ends with the same 9 digits as +44 7700 900123.
    register(services, "C-000011", "Jean Dupont", "jd@example.org", "+33 7 00 90 01 23")
    catch_up_all(services)
    agent = role_headers["agent"]
    exact = client.get("/customers/lookup", params={"phone": "07700900123"}, headers=agent)
    assert exact.json()["customer_ref"] == "C-000007"
    ending = client.get("/customers/lookup", params={"phone": "700900123"}, headers=agent)
    assert ending.status_code == 300


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"name": "--"}, "name"),
        ({"name": "ann", "limit": 0}, "limit"),
    ],
)
def test_a_search_without_a_usable_key_is_422(client, role_headers, params, field):
    response = client.get("/customers", params=params, headers=role_headers["agent"])
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == [field]


# --- calls recorded by the caller's number -------------------------------------------


def post_call(client, headers, source_id, **fields):
    body = b.call(source_id).model_dump(mode="json", exclude={"customer_ref", "agent_id"}) | fields
    return client.post("/interactions/calls", json=body, headers=headers["agent"])


def log_bytes(services) -> bytes:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT state FROM touchpoint_events ORDER BY notification_id"
        ).fetchall()
    return b"".join(bytes(row[0]) for row in rows)


def customer_of(services, position):
    with services.key_pool.connection() as conn:
        row = conn.execute(
            "SELECT customer_ref FROM customer_timeline WHERE position = %s", (position,)
        ).fetchone()
    return row[0]


def test_a_call_by_the_number_of_one_customer_is_recorded_for_that_customer(
    client, services, role_headers, people
):
    response = post_call(client, role_headers, "ani-1", caller_number="07700 900123")
    assert response.status_code == 201, response.text
    catch_up_all(services)
    assert customer_of(services, response.json()["position"]) == "C-000007"
    assert b"900123" not in log_bytes(services)  # the registration's phone is sealed


def test_a_call_from_an_unknown_number_is_an_unidentified_caller_never_the_number(
    client, services, role_headers, people
):
    first = post_call(client, role_headers, "ani-2", caller_number="+44 7700 900555")
    again = post_call(client, role_headers, "ani-3", caller_number="07700900555")
    catch_up_all(services)
    ref = customer_of(services, first.json()["position"])
    assert ref.startswith("U-")
    assert customer_of(services, again.json()["position"]) == ref
    assert b"bill-query" in log_bytes(services)  # the log is readable: a number would show
    assert b"900555" not in log_bytes(services)
    # A later registration with that number rewrites nothing; the view links the calls.
    register(services, "C-000020", "Ola Ade", "ola@example.org", "07700 900555")
    catch_up_all(services)
    assert customer_of(services, first.json()["position"]) == ref
    popped = client.get(
        "/customers/lookup", params={"phone": "07700900555"}, headers=role_headers["agent"]
    ).json()
    assert popped["customer_ref"] == "C-000020"
    assert popped["linked_callers"] == [ref]


def test_a_number_two_customers_share_is_recorded_as_an_unidentified_caller(
    client, services, role_headers, people
):
    register(services, "C-000010", "Sam Okafor", "sam@example.org", "07700 900123")
    catch_up_all(services)
    response = post_call(client, role_headers, "ani-4", caller_number="07700900123")
    catch_up_all(services)
    assert customer_of(services, response.json()["position"]).startswith("U-")


def test_a_customer_reference_given_beside_the_number_wins(client, services, role_headers, people):
    response = post_call(
        client, role_headers, "ani-5", customer_ref="C-000008", caller_number="07700900123"
    )
    catch_up_all(services)
    assert customer_of(services, response.json()["position"]) == "C-000008"


@pytest.mark.parametrize(
    ("fields", "field"), [({}, "customer_ref"), ({"caller_number": "call me"}, "caller_number")]
)
@pytest.mark.usefixtures("people")
def test_a_call_with_neither_a_reference_nor_a_number_is_422_writing_nothing(
    client, services, role_headers, fields, field
):
    before = log_bytes(services)
    response = post_call(client, role_headers, "ani-6", **fields)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == [field]
    assert log_bytes(services) == before


def test_without_an_index_key_only_the_reference_search_answers(
    client, services, role_headers, people
):
    services.index = None  # as with a database URL and no TOUCHPOINT_INDEX_KEY
    agent = role_headers["agent"]
    for path, params in (
        ("/customers", {"name": "okafor"}),
        ("/customers/lookup", {"phone": "07700900123"}),
    ):
        response = client.get(path, params=params, headers=agent)
        assert response.status_code == 503
        assert response.json()["code"] == "search-unavailable"
    assert search(client, role_headers, ref="C-000007") == ["C-000007"]
