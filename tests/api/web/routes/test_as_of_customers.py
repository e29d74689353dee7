"""GET /customers/{ref}?as_of=<position or time>: the single customer view as it stood then.

The profile is captured over HTTP at position N (fixed ``at``); corrections, a late
survey reply, a late call and a change of contact details follow; the view as of N
must answer exactly what was captured, and after an erasure, with personal fields
erased (the key is gone).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import builders as b

PROBLEM = "application/problem+json"
AT = "2026-03-20T12:00:00Z"
NAME, EMAIL = "Ada Lovelace", "ada@example.org"


def _get(client, headers, ref="C1", **params):
    return client.get(f"/customers/{ref}", params={"at": AT} | params, headers=headers["agent"])


@pytest.fixture
def at_n(client, services, role_headers, catch_up):
    """C1's profile at N as the live view answered it; then later facts, projected."""
    record = services.ledger.record
    record(b.customer("C1", name=NAME, email=EMAIL), "test")
    record(b.call("call-1", "C1", resolved=True), "test")
    n = record(b.survey("s-1", "C1", nps=9, comment="Lovely"), "test").position
    catch_up()
    captured = _get(client, role_headers).json()
    record(b.correction("call-1", "fix-1", resolved=False), "test")
    record(b.survey("s-2", "C1", nps=2, occurred_at=b.at(15), comment=None), "test")
    record(b.call("call-2", "C1", occurred_at=b.at(5)), "test")
    record(b.contact_change("C1", "chg-1", email="new@example.org"), "test")
    catch_up()
    return n, captured


def test_as_of_a_position_answers_what_the_live_view_answered_then(client, role_headers, at_n):
    n, captured = at_n
    live = _get(client, role_headers).json()

    response = _get(client, role_headers, as_of=str(n))

    assert response.status_code == 200, response.text
    assert response.json() == captured
    assert live != captured
    assert (captured["view_position"], captured["email"]) == (n, EMAIL)
    # The late detractor reply (recorded after N) is unknown as of N.
    unfollowed = [len(p["open_detractors"] + p["expired_detractors"]) for p in (captured, live)]
    assert unfollowed == [0, 1]


def test_as_of_a_recording_time_answers_the_same(client, services, role_headers, at_n):
    n, captured = at_n
    (last,) = services.ledger.read_log(n - 1, 1)

    response = _get(client, role_headers, as_of=last.recorded_at.isoformat())

    assert response.json() == captured


def test_as_of_beyond_the_head_is_the_view_now(client, services, role_headers, at_n):
    head = services.ledger.head_position()

    assert (
        _get(client, role_headers, as_of=str(head + 10)).json() == _get(client, role_headers).json()
    )


def test_after_erasure_the_view_as_of_before_it_shows_no_personal_data(
    client, role_headers, at_n, key_for
):
    n, captured = at_n
    erased = client.delete("/customers/C1/personal-data", headers=key_for("admin"))
    assert erased.status_code == 200

    response = _get(client, role_headers, as_of=str(n))

    profile = response.json()
    assert profile["personal_data"] == "erased"
    assert (profile["name"], profile["email"], profile["phone"]) == (None, None, None)
    assert profile["erased_at"] is None  # erased later than N
    for secret in (NAME, EMAIL, "Lovely"):
        assert secret in str(captured)
        assert secret not in response.text
    assert profile["counts"] == captured["counts"]


def test_without_at_the_answer_is_as_of_when_the_position_was_recorded(
    client, services, role_headers, at_n
):
    n, _ = at_n
    (last,) = services.ledger.read_log(n - 1, 1)

    response = client.get("/customers/C1", params={"as_of": n}, headers=role_headers["agent"])

    assert response.json()["at"].replace("Z", "+00:00") == last.recorded_at.isoformat()


def test_a_customer_no_fact_named_by_then_is_404(client, services, role_headers, at_n):
    (first,) = services.ledger.read_log(0, 1)
    before = (first.recorded_at - timedelta(seconds=1)).isoformat()

    for params in ({"as_of": "0"}, {"as_of": before}):
        response = _get(client, role_headers, **params)
        assert response.status_code == 404, params
        assert response.headers["content-type"] == PROBLEM
    assert _get(client, role_headers, "C9", as_of="999").status_code == 404


@pytest.mark.parametrize(
    "as_of", ["yesterday", "-3", "2026-03-10T12:00:00", "99999999999999999999", "x" * 65]
)
def test_an_as_of_that_is_neither_a_position_nor_a_zoned_time_is_refused(
    client, role_headers, as_of
):
    response = _get(client, role_headers, as_of=as_of)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [p["name"] for p in response.json()["invalid_params"]] == ["as_of"]


def test_as_of_reads_the_log_so_min_position_is_refused_with_it(client, role_headers):
    response = _get(client, role_headers, as_of="3", min_position=3)

    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid_params"]] == ["min_position"]
