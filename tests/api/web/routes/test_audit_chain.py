"""GET /audit/digest|verify|proof|consistency: auditors only; answers that check out offline."""

from __future__ import annotations

import pytest

from api.audit.store import digest_at
from domain.chain.hashes import Digest
from domain.chain.proofs import proof_from_json
from tests import builders as b
from tests.integration.api.audit.support import record_history, tamper

ENDPOINTS = [
    "/audit/digest",
    "/audit/verify",
    "/audit/proof?position=1",
    "/audit/consistency?from=1",
]


@pytest.fixture
def auditor(client, key_for):
    client.headers.update(key_for("auditor"))
    return client


@pytest.mark.parametrize("role", ["agent", "analyst", "integrator", "admin"])
def test_only_auditors_may_read_the_chain(client, key_for, services, role):
    services.ledger.record(b.customer(), "test")

    statuses = {client.get(url, headers=key_for(role)).status_code for url in ENDPOINTS}
    anonymous = {client.get(url).status_code for url in ENDPOINTS}

    assert statuses == {403}
    assert anonymous == {401}


def test_the_digest_is_the_stored_heads_and_can_be_asked_as_of_a_position(auditor, services):
    recorded = record_history(services)
    with services.key_pool.connection() as conn:
        head, older = digest_at(conn), digest_at(conn, recorded[4])

    now = Digest.from_json(auditor.get("/audit/digest").json())
    then = Digest.from_json(auditor.get("/audit/digest", params={"position": recorded[4]}).json())

    assert now.same_log_state(head)
    assert then.same_log_state(older)


def test_verify_reports_how_far_the_log_checks_out_from_the_start_or_a_digest(auditor, services):
    recorded = record_history(services)
    kept = auditor.get("/audit/digest", params={"position": recorded[5]}).json()

    full = auditor.get("/audit/verify").json()
    onwards = auditor.get(
        "/audit/verify",
        params={f"from_{name}": kept[name] for name in ("position", "size", "hash", "root")},
    ).json()

    assert full["ok"] is True
    assert full["summary"] == f"verified up to position {recorded[-1]} ({len(recorded)} entries)"
    # Issue 12: from a kept digest every entry is recomputed too (none taken on trust).
    assert (onwards["ok"], onwards["checked"]) == (True, len(recorded))
    assert onwards["trusted"]["position"] == recorded[5]
    assert onwards["matched"] == 1
    assert "cannot show a truncated tail" in full["caveat"]
    assert onwards["caveat"] is None


def test_verify_names_the_first_tampered_position(auditor, services, database_url):
    target = record_history(services)[6]
    tamper(
        database_url,
        "UPDATE touchpoint_events SET state = set_byte(state, 5, get_byte(state, 5) # 2) "
        "WHERE notification_id = %s",
        params=(target,),
    )

    report = auditor.get("/audit/verify").json()

    assert report["ok"] is False
    assert report["problem"]["position"] == target
    assert report["problem"]["kind"] == "record-changed"


def test_a_proof_and_a_consistency_proof_check_out_under_the_digest_kept(auditor, services):
    recorded = record_history(services)
    kept = auditor.get("/audit/digest").json()
    services.ledger.record(b.call("call-later"), "test:later")

    proof = auditor.get("/audit/proof", params={"position": recorded[2]})
    old_proof = auditor.get(
        "/audit/proof", params={"position": recorded[2], "digest_position": kept["position"]}
    )
    consistency = auditor.get("/audit/consistency", params={"from": kept["position"]})

    assert proof.status_code == old_proof.status_code == consistency.status_code == 200
    trusted = Digest.from_json(kept)
    assert proof_from_json(proof.json()).failures() == []
    assert proof_from_json(old_proof.json()).failures(trusted) == []
    assert proof_from_json(consistency.json()).failures(trusted) == []
    assert len(proof.content) < 2048


def test_unknown_positions_are_404_problems_and_half_a_digest_is_a_422(auditor, services):
    recorded = record_history(services, calls=1)

    missing = auditor.get("/audit/proof", params={"position": recorded[-1] + 10})
    partial = auditor.get("/audit/verify", params={"from_position": 3})
    not_hex = auditor.get(
        "/audit/verify",
        params={"from_position": 1, "from_size": 1, "from_hash": "zz" * 32, "from_root": "00"},
    )

    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown-entry"
    assert (partial.status_code, not_hex.status_code) == (422, 422)


def test_a_chain_missing_entries_is_a_409_for_digests_while_verify_names_the_place(
    auditor, services, database_url
):
    recorded = record_history(services)
    kept = auditor.get("/audit/digest").json()
    tamper(database_url, f"DELETE FROM touchpoint_chain WHERE position = {recorded[3]}")
    tamper(database_url, "DELETE FROM touchpoint_merkle_nodes")

    digest = auditor.get("/audit/digest")
    report = auditor.get("/audit/verify").json()
    onwards = auditor.get(
        "/audit/verify",
        params={f"from_{name}": kept[name] for name in ("position", "size", "hash", "root")},
    ).json()

    assert (digest.status_code, digest.json()["code"]) == (409, "broken-chain")
    assert (report["problem"]["position"], report["problem"]["kind"]) == (
        recorded[3],
        "chain-missing",
    )
    # Issue 12: the run from the kept digest recomputes the entries before it too, so it
    # names the missing entry itself rather than the digest's position.
    assert (onwards["problem"]["position"], onwards["problem"]["kind"]) == (
        recorded[3],
        "chain-missing",
    )


@pytest.mark.parametrize("params", [{"from": "AFTER"}, {"from": 1, "to": "AFTER"}])
def test_a_consistency_proof_from_or_to_past_the_head_is_a_404_problem(auditor, services, params):
    head = record_history(services, calls=1)[-1]
    asked = {name: head + 5 if value == "AFTER" else value for name, value in params.items()}

    response = auditor.get("/audit/consistency", params=asked)

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unknown-entry"
    assert "past the head" in response.json()["detail"]


def test_an_inclusion_proof_under_a_digest_past_the_head_is_a_404_problem(auditor, services):
    recorded = record_history(services, calls=1)

    response = auditor.get(
        "/audit/proof", params={"position": recorded[0], "digest_position": recorded[-1] + 5}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "unknown-entry"


def test_a_proof_up_to_the_head_itself_is_still_given(auditor, services):
    recorded = record_history(services, calls=1)

    response = auditor.get("/audit/consistency", params={"from": recorded[2], "to": recorded[-1]})

    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0.0", "1.0", "+1", " 1", "1_0", "1e0", "0x1", "\u0661"])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/audit/digest", "position"),
        ("/audit/proof", "position"),
        ("/audit/consistency", "from"),
        ("/log", "after"),
        ("/log", "limit"),
    ],
)
def test_a_position_that_is_not_plain_digits_is_a_422_problem(auditor, services, path, name, value):
    services.ledger.record(b.customer(), "test")

    response = auditor.get(path, params={name: value})

    assert response.status_code == 422, response.text
    assert [p["name"] for p in response.json()["invalid_params"]] == [name]
