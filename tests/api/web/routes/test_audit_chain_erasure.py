"""Erasure keeps the proof (issue 5, point 7), and who recorded what, when (point 8).

A customer with distinctive personal data is recorded, a digest and a proof are
kept, the customer is erased. Then the chain still verifies end to end and from
the kept digest, the kept proof and new proofs check, an export checks offline,
and nothing anyone can read (endpoints, the export with its states decoded, CLI
output, every table of the database) holds that customer's name, email, phone
or survey comment.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from api.audit.export import describe_with, verify_export, write_export
from api.cli.main import build_app
from api.web.schemas.examples import EXAMPLES
from domain import ids
from domain.chain.hashes import Digest
from domain.chain.proofs import proof_from_json
from tests import builders as b
from tests.integration.api.audit.support import chain
from tests.integration.sql import query

app = build_app()  # the touchpoint command, as its entry point builds it

REF = "C-ERASE-7"
NAME, EMAIL, PHONE = "Philippa Thistlewaite", "p.thistlewaite@example.org", "+44 7700 900777"
COMMENT = "the hold music sounded like a kazoo quartet"
PERSONAL = (NAME, EMAIL, PHONE, COMMENT)


def history() -> list:
    return [
        b.customer(REF, name=NAME, email=EMAIL, phone=PHONE),
        b.contact_change(REF, source_id="chg-7", email=EMAIL, phone=PHONE),
        b.call("call-7", ref=REF),
        b.survey(
            "s-7",
            ref=REF,
            comment=COMMENT,
            about={"kind": "call", "source": b.ACD, "source_id": "call-7"},
        ),
    ]


def leaks(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


def decoded_states(export_text: str) -> str:
    lines = [json.loads(line) for line in export_text.splitlines()[1:-1]]
    return "\n".join(
        base64.b64decode(line["record"]["state"]).decode("utf-8", "replace") for line in lines
    )


def every_table_as_text(url: str) -> str:
    tables = query(
        url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return "\n".join(
        str(row) for (table,) in tables for row in query(url, f'SELECT t::text FROM "{table}" t')
    )


@pytest.fixture
def erased(client, services, key_for, catch_up):
    """The customer recorded, a digest and a proof kept, then erased over HTTP."""
    auditor = key_for("auditor")
    registered = [services.ledger.record(cmd, "test:crm-sync").position for cmd in history()]
    catch_up()
    kept = client.get("/audit/digest", headers=auditor).json()
    proof = client.get("/audit/proof", params={"position": registered[0]}, headers=auditor).json()
    before = chain(services.database_url)
    seen = client.get(f"/customers/{REF}", headers=key_for("agent")).text
    assert leaks(seen) == list(PERSONAL)  # the search finds them while they are readable
    response = client.delete(f"/customers/{REF}/personal-data", headers=key_for("admin"))
    assert response.status_code == 200
    catch_up()
    return {"kept": kept, "proof": proof, "registered": registered, "chain": before}


def test_after_erasure_the_chain_verifies_end_to_end_and_from_the_kept_digest(
    client, key_for, services, erased
):
    auditor = key_for("auditor")
    kept = erased["kept"]

    full = client.get("/audit/verify", headers=auditor).json()
    onwards = client.get(
        "/audit/verify",
        params={f"from_{k}": kept[k] for k in ("position", "size", "hash", "root")},
        headers=auditor,
    ).json()

    assert (full["ok"], onwards["ok"]) == (True, True)
    assert full["verified"]["size"] == len(erased["registered"]) + 1  # + CustomerErased
    assert chain(services.database_url)[: len(erased["chain"])] == erased["chain"]


def test_after_erasure_the_kept_proof_and_new_proofs_and_an_export_check_out(
    client, key_for, services, erased
):
    auditor, trusted = key_for("auditor"), Digest.from_json(erased["kept"])
    position = erased["registered"][0]
    new = client.get("/audit/proof", params={"position": position}, headers=auditor).json()
    step = client.get(
        "/audit/consistency", params={"from": trusted.position}, headers=auditor
    ).json()
    out = io.StringIO()
    with services.key_pool.connection() as conn:
        write_export(conn, describe_with(services.ledger), out)

    assert proof_from_json(erased["proof"]).failures(trusted) == []
    assert proof_from_json(new).failures() == []
    assert proof_from_json(step).failures(trusted) == []
    assert new["record"] == erased["proof"]["record"]  # the ciphertext is unchanged
    assert verify_export(out.getvalue().splitlines(), trusted).ok


def test_no_output_nor_table_holds_the_erased_customers_personal_data(
    client, key_for, database_url, erased, tmp_path
):
    auditor, agent = key_for("auditor"), key_for("agent")
    streams = [ids.customer_stream_id(REF), ids.call_stream_id(b.ACD, "call-7")]
    answers = [
        client.get("/log", params={"limit": 1000}, headers=auditor).text,
        *(client.get(f"/streams/{s}", headers=auditor).text for s in streams),
        client.get(f"/customers/{REF}", headers=agent).text,
        client.get(f"/customers/{REF}/timeline", headers=agent).text,
        *(
            client.get("/audit/proof", params={"position": p}, headers=auditor).text
            for p in erased["registered"]
        ),
    ]
    export_file = tmp_path / "log.ndjson"
    env = {"TOUCHPOINT_DATABASE_URL": database_url}
    runs = [
        CliRunner().invoke(app, ["audit", *args], env=env)
        for args in (["export", str(export_file)], ["verify"], ["digest"])
    ]
    exported = export_file.read_text()

    assert [run.exit_code for run in runs] == [0, 0, 0]
    assert leaks("\n".join(answers)) == []
    assert leaks(exported + decoded_states(exported)) == []
    assert leaks("\n".join(run.output for run in runs)) == []
    assert leaks(every_table_as_text(database_url)) == []


def test_every_fact_names_its_author_and_recording_time_in_the_log_streams_and_export(
    client, key_for, services
):

    integrator = key_for("integrator")
    principal = services.keys.authenticate(integrator["X-API-Key"])
    posted = client.post("/customers", json=EXAMPLES["customer_registered"], headers=integrator)
    assert posted.status_code == 201
    services.ledger.record(b.call("call-9", ref="C-9"), "import:alice")
    auditor = key_for("auditor")

    log = client.get("/log", headers=auditor).json()["facts"]
    streams = [
        client.get(f"/streams/{fact['stream_id']}", headers=auditor).json()["facts"][0]
        for fact in log
    ]
    out = io.StringIO()
    with services.key_pool.connection() as conn:
        write_export(conn, describe_with(services.ledger), out)
    exported = [json.loads(line) for line in out.getvalue().splitlines()[1:-1]]

    expected = [principal.author, "import:alice"]
    assert [fact["author"] for fact in log] == expected
    assert [fact["author"] for fact in streams] == expected
    assert [line["author"] for line in exported] == expected
    times = [fact["recorded_at"] for fact in log]
    assert [fact["recorded_at"] for fact in streams] == times
    assert [_instant(line["recorded_at"]) for line in exported] == [_instant(t) for t in times]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
