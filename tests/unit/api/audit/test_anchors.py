"""Signed digests without a database: what a signature covers, and what is refused."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.audit.anchors import (
    BadSignedDigest,
    load_or_create_key,
    load_public_key,
    open_signed,
    public_pem,
    read_folder,
    sign_digest,
    signing_key_path,
    write_signed,
)
from api.settings import Settings
from domain.chain.hashes import Digest

DIGEST = Digest.from_json(
    {"position": 42, "size": 40, "hash": "ab" * 32, "root": "cd" * 32,
     "time": "2026-12-05T23:00:00+00:00"}
)  # fmt: skip


def test_a_signed_digest_opens_under_its_public_key_only(tmp_path):
    key = load_or_create_key(tmp_path / "signing.pem")
    document = sign_digest(DIGEST, key)
    (tmp_path / "public.pem").write_text(public_pem(key.public_key()))

    opened = open_signed(document, load_public_key(tmp_path / "public.pem"))

    assert opened.same_log_state(DIGEST)
    assert opened.time == DIGEST.time
    assert stat.S_IMODE(os.stat(tmp_path / "signing.pem").st_mode) == 0o600
    with pytest.raises(BadSignedDigest, match="does not verify"):
        open_signed(document, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    ("field", "value"),
    [("position", 43), ("size", 41), ("hash", "ac" * 32), ("root", "ce" * 32),
     ("time", "2026-12-06T23:00:00+00:00")],
)  # fmt: skip
def test_every_field_of_the_digest_is_covered_by_the_signature(field, value):
    key = Ed25519PrivateKey.generate()
    document = sign_digest(DIGEST, key)
    document["digest"][field] = value

    with pytest.raises(BadSignedDigest, match="does not verify"):
        open_signed(document, key.public_key())


def test_a_folder_with_one_bad_file_is_refused_naming_it(tmp_path):
    key = Ed25519PrivateKey.generate()
    good = write_signed(tmp_path, sign_digest(DIGEST, key))
    bad = tmp_path / "z.json"
    bad.write_text('{"type": "touchpoint-signed-digest", "digest": {}, "signature": "!"}')

    with pytest.raises(BadSignedDigest, match=r"z\.json"):
        read_folder(tmp_path, key.public_key())
    bad.unlink()
    assert [d.position for d in read_folder(tmp_path, key.public_key())] == [42]
    assert good.name.startswith("digest-0000000000000000042-")


def test_the_signing_key_is_the_configured_file_else_beside_the_embedded_data_else_none(
    tmp_path,
):
    embedded = Settings(data_dir=tmp_path / "data", database_url=None)
    configured = Settings(audit_signing_key_file=tmp_path / "k.pem", database_url="postgresql://x")
    remote = Settings(database_url="postgresql://x")

    assert signing_key_path(embedded) == tmp_path / "data.audit-signing-key"
    assert signing_key_path(configured) == tmp_path / "k.pem"
    assert signing_key_path(remote) is None
