"""Signed digests anchored outside the database catch what the chain alone cannot (issue 12).

`touchpoint audit anchor` / `digest --sign` sign the log's state with an Ed25519
key the database never sees; `touchpoint audit verify --digests DIR` checks the
log against every signed digest in a folder, once each signature verifies under
the public key. The intruder works as the database owner with the triggers off.
"""

from __future__ import annotations

import json
import os
import stat
from hashlib import sha256
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli.main import build_app
from domain.chain.hashes import encode_record
from tests import builders as b
from tests.integration.api.audit.support import chain, record_history, tamper

app = build_app()


@pytest.fixture
def keys(tmp_path):
    """The operator's signing key file (made by the first signing) and its public key file."""
    return tmp_path / "keys" / "signing.pem", tmp_path / "public.pem"


@pytest.fixture
def touchpoint(database_url):
    def run(*args: str):
        return CliRunner().invoke(
            app, ["audit", *args], env={"TOUCHPOINT_DATABASE_URL": database_url}
        )

    return run


@pytest.fixture
def anchored(services, touchpoint, keys, tmp_path):
    """A history with two signed digests in a folder (the second at the head); the public key."""
    private, public = keys
    folder = tmp_path / "anchors"
    record_history(services, calls=4)
    first = touchpoint(
        "anchor", "--every", "1s", "--into", str(folder), "--key", str(private), "--count", "1"
    )
    services.ledger.record_batch([b.call(f"later-{i}") for i in range(3)], "test:later")
    second = touchpoint(
        "digest", "--sign", "--key", str(private), "--out", str(folder / "head.json")
    )
    printed = touchpoint("public-key", "--key", str(private))
    assert (first.exit_code, second.exit_code, printed.exit_code) == (0, 0, 0), first.output
    public.write_text(printed.stdout)
    return folder, public


def test_the_signing_key_is_made_0600_and_only_its_public_half_is_needed_to_verify(
    touchpoint, anchored, keys
):
    folder, public = anchored
    private, _ = keys

    result = touchpoint("verify", "--digests", str(folder), "--public-key", str(public))

    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert len(list(folder.glob("*.json"))) == 2
    assert result.exit_code == 0, result.output
    assert "matching 2 of 2 kept digests" in result.stderr


def test_a_truncated_tail_passes_the_chain_alone_but_not_the_signed_digests(
    touchpoint, anchored, database_url
):
    folder, public = anchored
    entries = chain(database_url)
    cut = [position for position, _, _ in entries[-2:]]
    tamper(
        database_url,
        "DELETE FROM touchpoint_chain WHERE position = ANY(%s)",
        "DELETE FROM touchpoint_events WHERE notification_id = ANY(%s)",
        params=(cut,),
    )

    alone = touchpoint("verify")
    against = touchpoint("verify", "--digests", str(folder), "--public-key", str(public))

    assert alone.exit_code == 0
    assert "cannot show a truncated tail" in " ".join(alone.stderr.split())
    assert against.exit_code == 1
    text = " ".join(against.stderr.split())
    assert f"position {cut[-1]}: truncated" in text
    assert "the last 2 entries were removed" in text


def test_a_forged_event_appended_with_a_correct_entry_passes_alone_but_not_the_signed_digests(
    touchpoint, anchored, database_url
):
    folder, public = anchored
    entries = chain(database_url)
    (last, _, _), (_, seq, previous) = entries[-1], entries[-2]
    forged_at = last + 1
    record = (b"\x42" * 16, 1, b"touchpoint:CallRecorded", b'{"forged": true}')
    forged_hash = sha256(previous + encode_record(forged_at, *record)).digest()
    oid, version, topic, state = record
    tamper(
        database_url,
        f"DELETE FROM touchpoint_chain WHERE position = {last}",
        f"DELETE FROM touchpoint_events WHERE notification_id = {last}",
    )
    tamper(
        database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state, "
        "notification_id) VALUES (%s, %s, %s, %s, %s)",
        params=(UUID(bytes=oid), version, topic.decode(), state, forged_at),
    )
    tamper(
        database_url,
        "INSERT INTO touchpoint_chain (position, seq, hash) VALUES (%s, %s, %s)",
        params=(forged_at, seq + 1, forged_hash),
    )

    alone = touchpoint("verify")
    against = touchpoint("verify", "--digests", str(folder), "--public-key", str(public))

    assert alone.exit_code == 0, alone.output
    assert against.exit_code == 1
    assert f"position {last}: entries-missing" in " ".join(against.stderr.split())


def test_a_tampered_or_foreign_signed_digest_is_refused(touchpoint, anchored, tmp_path):
    folder, public = anchored
    head = folder / "head.json"
    document = json.loads(head.read_text())
    document["digest"]["position"] += 1
    head.write_text(json.dumps(document))
    edited = touchpoint("verify", "--digests", str(folder), "--public-key", str(public))

    forger = Ed25519PrivateKey.generate()
    forged_key = tmp_path / "forger.pem"
    forged_key.write_bytes(
        forger.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    head.unlink()
    resigned = touchpoint("digest", "--sign", "--key", str(forged_key), "--out", str(head))
    foreign = touchpoint("verify", "--digests", str(folder), "--public-key", str(public))

    assert edited.exit_code == 1
    assert "signature does not verify" in " ".join(edited.stderr.split())
    assert resigned.exit_code == 0
    assert foreign.exit_code == 1
    assert "head.json" in foreign.stderr
    assert "refused" in foreign.stderr


def test_verify_without_a_key_or_with_an_empty_folder_is_unusable_input(
    touchpoint, services, tmp_path
):
    record_history(services, calls=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "p.pem").write_text("not a key")

    results = [
        touchpoint("verify", "--digests", str(empty)),
        touchpoint("verify", "--digests", str(empty), "--public-key", str(tmp_path / "p.pem")),
        touchpoint("digest", "--sign"),
        touchpoint("anchor", "--every", "soon", "--into", str(empty)),
    ]

    assert [result.exit_code for result in results] == [2, 2, 2, 2], [r.output for r in results]


def test_anchor_writes_a_digest_only_when_the_log_has_moved(services, touchpoint, keys, tmp_path):
    private, _ = keys
    folder = tmp_path / "quiet"
    record_history(services, calls=1)

    result = touchpoint(
        "anchor", "--every", "0.05s", "--into", str(folder), "--key", str(private), "--count", "3"
    )

    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == len(list(folder.glob("*.json"))) == 1
