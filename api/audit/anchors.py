"""Signed digests: the log's state anchored outside the database, with an Ed25519 key.

A digest kept in the database proves nothing against whoever can write the
database: they rewrite it with the log. One signed with a key the database never
sees, and copied off the machine, does: nobody without the key can make one
that matches a rewritten, truncated or extended log. ``touchpoint audit digest
--sign`` writes one; ``touchpoint audit anchor`` writes one periodically;
``touchpoint audit verify --digests DIR`` checks the log against every one in a
folder, after checking each one's signature under the public key (never the key
a file carries: a forger would carry their own).

A signed digest is JSON::

    {"type": "touchpoint-signed-digest", "digest": {...}, "key_id": "...",
     "public_key": "<hex>", "signature": "<base64 of Ed25519(MESSAGE_TAG || canonical digest)>"}

Where the private key is (``signing_key_path``): ``TOUCHPOINT_AUDIT_SIGNING_KEY_FILE``
if set; else, with the embedded server, ``<data_dir>.audit-signing-key`` beside (not
inside) its data folder, generated on first use (mode 0600, PKCS#8 PEM); else none.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.settings import Settings
from domain.chain.hashes import Digest

SIGNED = "touchpoint-signed-digest"
MESSAGE_TAG = b"touchpoint-signed-digest-v1\n"
"""Signed before the digest: a signature over a digest is never valid for anything else."""


class SigningKeyMissing(LookupError):
    """No signing key configured (a database URL and no key file)."""

    def __str__(self) -> str:
        return (
            "no audit signing key: set TOUCHPOINT_AUDIT_SIGNING_KEY_FILE (or --key) to a file "
            "outside the database"
        )


class BadSignedDigest(ValueError):
    """A signed digest that is malformed or whose signature does not verify."""


def signing_key_path(settings: Settings) -> Path | None:
    """The private key's file, per the module docstring (None: there is none)."""
    if settings.audit_signing_key_file is not None:
        return settings.audit_signing_key_file
    return settings.beside_data_dir("audit-signing-key")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The private key in ``path``, generated (mode 0600) if the file does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(draft, path)  # whole or not at all, never over another process's key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return load_private_key(path)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (``ValueError`` if it is not one)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path} does not hold an Ed25519 private key"
        raise ValueError(msg)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file holding it or its private key."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        msg = f"{path} does not hold an Ed25519 public key"
        raise ValueError(msg)
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    """The public key as PEM (what an auditor is given to check signed digests)."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return sha256(_raw(key)).hexdigest()[:16]


def sign_digest(digest: Digest, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed-digest document of ``digest``."""
    public = key.public_key()
    return {
        "type": SIGNED,
        "digest": digest.to_json(),
        "key_id": key_id(public),
        "public_key": _raw(public).hex(),
        "signature": base64.b64encode(key.sign(_message(digest.to_json()))).decode(),
    }


def open_signed(data: Any, public: Ed25519PublicKey) -> Digest:
    """The digest of a signed-digest document, once its signature verifies under ``public``."""
    if not isinstance(data, dict) or data.get("type") != SIGNED:
        raise BadSignedDigest(f"not a {SIGNED}")
    body = data.get("digest")
    try:
        signature = base64.b64decode(str(data.get("signature", "")), validate=True)
        if not isinstance(body, dict):
            raise TypeError("no digest")
        digest = Digest.from_json(body)
    except (binascii.Error, KeyError, TypeError, ValueError) as error:
        raise BadSignedDigest(f"malformed {SIGNED}: {error}") from error
    try:
        public.verify(signature, _message(body))
    except InvalidSignature as error:
        msg = f"the signature does not verify under key {key_id(public)}: refused"
        raise BadSignedDigest(msg) from error
    return digest


def read_folder(folder: Path, public: Ed25519PublicKey) -> list[Digest]:
    """Every signed digest in ``folder`` (``*.json``), each checked; ``BadSignedDigest``
    naming the first file that does not verify (``ValueError``: no file at all)."""
    files = sorted(folder.glob("*.json"))
    if not files:
        msg = f"no signed digests (*.json) in {folder}"
        raise ValueError(msg)
    digests = []
    for file in files:
        try:
            digests.append(open_signed(json.loads(file.read_text(encoding="utf-8")), public))
        except (OSError, ValueError) as error:
            raise BadSignedDigest(f"{file}: {error}") from error
    return digests


def write_signed(folder: Path, document: dict[str, Any]) -> Path:
    """Write a signed digest into ``folder`` (atomically); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = document["digest"]
    stamp = datetime.fromisoformat(digest["time"]).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"digest-{int(digest['position']):019d}-{stamp}.json"
    draft = folder / f".{path.name}.{os.getpid()}"
    draft.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    draft.replace(path)
    return path


def _message(body: dict[str, Any]) -> bytes:
    canonical = {name: body.get(name) for name in ("position", "size", "hash", "root", "time")}
    return MESSAGE_TAG + json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
