"""`touchpoint audit digest|verify|prove|export|verify-export` on a real database (and none)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli.main import build_app
from tests import builders as b
from tests.integration.api.audit.support import event, record_history, tamper

app = build_app()  # the touchpoint command, as its entry point builds it


DEAD_SERVER = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"


@pytest.fixture
def touchpoint(database_url):
    """``touchpoint(*args)``: run the CLI on the test's database; the result."""

    def run(*args: str, url: str = database_url):
        return CliRunner().invoke(app, ["audit", *args], env={"TOUCHPOINT_DATABASE_URL": url})

    return run


def test_digest_then_verify_from_it_and_from_the_start(services, touchpoint, tmp_path):
    recorded = record_history(services)
    kept = tmp_path / "digest.json"

    taken = touchpoint("digest", "--out", str(kept))
    services.ledger.record(b.call("call-later"), "test:later")
    full = touchpoint("verify")
    onwards = touchpoint("verify", "--from-digest", str(kept))

    assert taken.exit_code == 0, taken.output
    assert json.loads(kept.read_text())["position"] == recorded[-1]
    assert full.exit_code == 0, full.output
    assert (
        f"verified up to position {recorded[-1] + 1} ({len(recorded) + 1} entries)" in full.stderr
    )
    assert onwards.exit_code == 0, onwards.output


def test_verify_exits_1_and_names_the_tampered_position(services, database_url, touchpoint):
    target = record_history(services)[4]
    tamper(database_url, "DELETE FROM touchpoint_events WHERE notification_id = %s",
           params=(target,))  # fmt: skip

    result = touchpoint("verify")

    assert result.exit_code == 1
    assert f"position {target}: event-missing" in " ".join(result.stderr.split())


def test_an_export_and_a_proof_check_out_with_no_database(services, touchpoint, tmp_path):
    recorded = record_history(services)
    digest_file, export_file = tmp_path / "digest.json", tmp_path / "log.ndjson"
    proof_file, consistency_file = tmp_path / "proof.json", tmp_path / "consistency.json"
    touchpoint("digest", "--out", str(digest_file))
    assert touchpoint("export", str(export_file)).exit_code == 0
    assert (
        touchpoint("prove", "--position", str(recorded[3]), "--out", str(proof_file)).exit_code == 0
    )
    services.ledger.record(b.call("call-later"), "test:later")
    assert (
        touchpoint("prove", "--from", str(recorded[-1]), "--out", str(consistency_file)).exit_code
        == 0
    )

    kept = str(digest_file)
    offline = [
        touchpoint("verify-export", str(export_file), "--digest", kept, url=DEAD_SERVER),
        touchpoint("verify-export", str(export_file), "--digest", digest_file.read_text()),
        touchpoint("verify-export", "--proof", str(proof_file), "--digest", kept, url=DEAD_SERVER),
        touchpoint("verify-export", "--proof", str(consistency_file), "--digest", kept),
    ]

    assert [result.exit_code for result in offline] == [0, 0, 0, 0], [r.output for r in offline]
    assert f"export verified up to position {recorded[-1]}" in offline[0].stderr
    assert "proof checks out under the trusted digest" in offline[2].stderr


def test_a_proof_under_another_digest_than_the_kept_one_fails(services, touchpoint, tmp_path):
    recorded = record_history(services)
    digest_file, proof_file = tmp_path / "digest.json", tmp_path / "proof.json"
    touchpoint("digest", "--position", str(recorded[2]), "--out", str(digest_file))
    touchpoint("prove", "--position", str(recorded[1]), "--out", str(proof_file))

    result = touchpoint("verify-export", "--proof", str(proof_file), "--digest", str(digest_file))

    assert result.exit_code == 1
    assert "under another digest than the trusted one" in result.stderr


def test_unusable_input_exits_2(services, touchpoint, tmp_path):
    not_json = tmp_path / "nonsense.json"
    not_json.write_text("{")

    results = [
        touchpoint("verify-export"),
        touchpoint("verify-export", str(tmp_path / "missing.ndjson")),
        touchpoint("verify-export", "--proof", str(not_json)),
        touchpoint("verify", "--from-digest", str(not_json)),
        touchpoint("prove", "--position", "999"),
        touchpoint("prove"),
    ]

    assert [result.exit_code for result in results] == [2] * len(results)


def test_export_of_a_record_tampered_beyond_decoding_names_it_and_writes_the_whole_file(
    services, database_url, touchpoint, tmp_path
):
    recorded = record_history(services)
    state = json.loads(event(database_url, recorded[3])[3]) | {"timestamp": "yesterday"}
    tamper(
        database_url,
        "UPDATE touchpoint_events SET state = %s WHERE notification_id = %s",
        params=(json.dumps(state).encode(), recorded[3]),
    )
    export_file = tmp_path / "log.ndjson"

    exported = touchpoint("export", str(export_file))
    checked = touchpoint("verify-export", str(export_file))

    assert exported.exit_code == 0, exported.output
    assert f"position {recorded[3]}: does not decode" in " ".join(exported.stderr.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.ndjson"]
    assert checked.exit_code == 1
    assert f"position {recorded[3]}" in checked.stderr
