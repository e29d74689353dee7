"""Exports of the log, checked with no database; who recorded what, and when, in every line."""

from __future__ import annotations

import io
import json

import pytest

from api.audit.export import describe_with, verify_export, write_export, written_whole
from api.audit.store import digest_at
from domain.chain.hashes import Digest
from tests import builders as b
from tests.integration.api.audit.support import event, record_history, tamper


def export(services) -> str:
    out = io.StringIO()
    with services.key_pool.connection() as conn:
        write_export(conn, describe_with(services.ledger), out)
    return out.getvalue()


def kept_digest(services) -> Digest:
    with services.key_pool.connection() as conn:
        return digest_at(conn)


def entries(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()[1:-1]]


def test_an_export_verifies_offline_to_the_servers_digest(services):
    recorded = record_history(services)
    served = kept_digest(services)

    text = export(services)
    report = verify_export(text.splitlines(), trusted=served)

    assert report.ok, (report.problem, report.failures)
    assert report.recomputed.same_log_state(served)
    assert [line["record"]["position"] for line in entries(text)] == recorded


def test_an_export_checks_against_an_older_kept_digest_and_not_against_a_forged_one(services):
    record_history(services, calls=2)
    older = kept_digest(services)
    services.ledger.record_batch([b.call(f"later-{i}") for i in range(4)], "test:later")
    text = export(services)

    assert verify_export(text.splitlines(), trusted=older).ok
    forged = Digest(older.position, older.size, older.hash, bytes(32))
    report = verify_export(text.splitlines(), trusted=forged)
    assert report.problem is None
    assert len(report.failures) == 1
    assert "does not give the trusted digest" in report.failures[0]


def test_every_line_names_the_author_and_recording_time_of_its_fact(services):
    services.ledger.record(b.customer("C1"), "api:k1:integrator")
    services.ledger.record(b.call("call-1"), "import:alice")
    logged = services.ledger.read_log(0, 10)

    lines = entries(export(services))

    assert [(line["kind"], line["author"]) for line in lines] == [
        ("CustomerRegistered", "api:k1:integrator"),
        ("CallRecorded", "import:alice"),
    ]
    assert [line["recorded_at"] for line in lines] == [f.recorded_at.isoformat() for f in logged]


def test_a_changed_state_in_the_export_file_is_named_at_its_position(services):
    recorded = record_history(services)
    lines = export(services).splitlines()
    target = json.loads(lines[5])
    state = target["record"]["state"]
    target["record"]["state"] = state[:8] + ("A" if state[8] != "A" else "B") + state[9:]
    lines[5] = json.dumps(target)

    report = verify_export(lines)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (recorded[4], "record-changed")


def test_an_export_of_a_tampered_log_shows_the_tampering_offline(services, database_url):
    recorded = record_history(services)
    tamper(database_url, "DELETE FROM touchpoint_events WHERE notification_id = %s",
           params=(recorded[6],))  # fmt: skip

    report = verify_export(export(services).splitlines())

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (recorded[6], "event-missing")


def test_an_export_cut_short_says_so(services):
    record_history(services, calls=2)
    lines = export(services).splitlines()

    report = verify_export(lines[:-2])

    assert report.problem is None
    assert report.failures == ["the export has no digest line: it was cut short"]


def _rewrite_state(database_url: str, position: int, **fields) -> None:
    """An intruder's edit of one stored state (valid JSON, fields of the wrong type)."""
    state = json.loads(event(database_url, position)[3]) | fields
    tamper(
        database_url,
        "UPDATE touchpoint_events SET state = %s WHERE notification_id = %s",
        params=(json.dumps(state).encode(), position),
    )


@pytest.mark.parametrize(
    "fields", [{"timestamp": "yesterday"}, {"timestamp": 7}, {"recorded_by": {"who": 1}}]
)
def test_a_record_tampered_beyond_decoding_is_exported_as_stored_and_named(
    services, database_url, fields
):
    recorded = record_history(services)
    _rewrite_state(database_url, recorded[3], **fields)
    describe = describe_with(services.ledger)

    out = io.StringIO()
    with services.key_pool.connection() as conn:
        write_export(conn, describe, out)
    lines = entries(out.getvalue())
    report = verify_export(out.getvalue().splitlines())

    assert [line["record"]["position"] for line in lines] == recorded  # every entry, in full
    [tampered] = [line for line in lines if line["record"]["position"] == recorded[3]]
    assert (tampered["kind"], tampered["author"], tampered["recorded_at"]) == (None, None, None)
    assert [position for position, _ in describe.undecodable] == [recorded[3]]
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (recorded[3], "record-changed")


def test_an_export_that_fails_half_way_leaves_no_file_and_keeps_the_one_there(services, tmp_path):
    record_history(services)
    target = tmp_path / "log.ndjson"
    target.write_text("an older export\n")
    described: list[object] = []

    def failing(row):
        if len(described) == 3:
            raise OSError("the disk is full")
        described.append(row)
        return {"kind": None, "author": None, "recorded_at": None}

    with (
        pytest.raises(OSError, match="disk is full"),
        services.key_pool.connection() as conn,
        written_whole(target) as out,
    ):
        write_export(conn, failing, out)

    assert target.read_text() == "an older export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.ndjson"]
