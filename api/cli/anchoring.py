"""Signed digests from a shell: the key they are signed with, and ``touchpoint audit anchor``.

The private key never enters the database: ``--key FILE``, else
``TOUCHPOINT_AUDIT_SIGNING_KEY_FILE``, else (embedded server) a file beside its data
folder, generated on first use. Verifying needs only the public key
(``--public-key FILE``, which ``touchpoint audit public-key`` prints).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import (
    EXIT_FAILED,
    EXIT_UNUSABLE_INPUT,
    database_errors,
    err,
    fail,
    stop_on_signals,
)

if TYPE_CHECKING:  # cryptography and the database stack are imported when a command runs
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from api.settings import Settings
    from domain.chain.hashes import Digest

__all__ = [
    "KeyOption",
    "PublicKeyOption",
    "anchor",
    "kept_digests",
    "private_key",
    "public_key_command",
    "signed_json",
    "verifying_key",
    "warn",
]

KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Ed25519 private key file (PEM) to sign with (default: the configured one).",
        dir_okay=False,
    ),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        help="Public key (PEM) the signed digests must verify under (default: the one of "
        "the configured signing key).",
        dir_okay=False,
    ),
]
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def private_key(settings: Settings, key: Path | None) -> Ed25519PrivateKey:
    """The signing key (made if the configured file does not exist yet); exit 2 if none."""
    from api.audit.anchors import SigningKeyMissing, load_or_create_key, signing_key_path  # noqa: PLC0415

    path = key or signing_key_path(settings)
    try:
        if path is None:
            raise SigningKeyMissing
        return load_or_create_key(path)
    except (SigningKeyMissing, OSError, ValueError) as error:
        raise fail(f"signing key: {error}", EXIT_UNUSABLE_INPUT) from error


def verifying_key(settings: Settings, given: Path | None) -> Ed25519PublicKey:
    """The key signed digests must verify under; exit 2 if there is none."""
    from api.audit.anchors import load_public_key, signing_key_path  # noqa: PLC0415

    path = given or signing_key_path(settings)
    if path is None or not path.is_file():
        where = f" ({path} does not exist)" if path else ""
        message = f"no key to check signed digests with{where}: give --public-key FILE"
        raise fail(message, EXIT_UNUSABLE_INPUT)
    try:
        return load_public_key(path)
    except (OSError, ValueError) as error:
        raise fail(f"public key {path}: {error}", EXIT_UNUSABLE_INPUT) from error


def kept_digests(settings: Settings, folder: Path, given: Path | None) -> list[Digest]:
    """Every signed digest in ``folder``, each signature checked; a bad one ends the command."""
    from api.audit.anchors import BadSignedDigest, read_folder  # noqa: PLC0415

    if not folder.is_dir():
        raise fail(f"no folder {folder}", EXIT_UNUSABLE_INPUT)
    key = verifying_key(settings, given)
    try:
        return read_folder(folder, key)
    except BadSignedDigest as error:
        raise fail(f"signed digest {error}", EXIT_FAILED) from error
    except ValueError as error:
        raise fail(str(error), EXIT_UNUSABLE_INPUT) from error


def interval_seconds(text: str) -> float:
    """``90``, ``45s``, ``30m``, ``1h``, ``1d`` as seconds."""
    match = _INTERVAL.match(text.strip())
    if match is None or float(match[1]) <= 0:
        message = f"--every {text!r}: give a positive interval such as 30s, 15m, 1h or 1d"
        raise fail(message, EXIT_UNUSABLE_INPUT)
    return float(match[1]) * _UNITS[match[2]]


def anchor(
    every: Annotated[str, typer.Option(help="How often: 30s, 15m, 1h, 1d.")] = "1h",
    into: Annotated[
        Path, typer.Option(help="Folder the signed digests are written to.", file_okay=False)
    ] = Path("digests"),
    key: KeyOption = None,
    count: Annotated[
        int | None, typer.Option(help="Stop after this many rounds (default: run on).", min=1)
    ] = None,
) -> None:
    """Sign the log's digest every interval into a folder, for shipping off the machine.

    A digest is written when the log moved since the last one (and on the first
    round); each file's path is printed. Stops on SIGINT or SIGTERM.
    """
    from api.audit.anchors import sign_digest, write_signed  # noqa: PLC0415
    from api.audit.store import recomputed_digest  # noqa: PLC0415
    from api.bootstrap import running  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    seconds, settings = interval_seconds(every), Settings()
    signer = private_key(settings, key)
    stop = threading.Event()
    stop_on_signals(stop.set)
    last: Digest | None = None
    rounds = 0
    with database_errors(), running(settings) as services:
        while not stop.is_set():
            with services.key_pool.connection() as conn:
                taken = recomputed_digest(conn)
            if last is None or not taken.same_log_state(last):
                typer.echo(str(write_signed(into, sign_digest(taken, signer))))
            last, rounds = taken, rounds + 1
            if (count is not None and rounds >= count) or stop.wait(seconds):
                break


def public_key_command(key: KeyOption = None) -> None:
    """Print the signing key's public key (PEM): what auditors check signed digests with."""
    from api.audit.anchors import public_pem  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    typer.echo(public_pem(private_key(Settings(), key).public_key()), nl=False)


def signed_json(digest: Digest, settings: Settings, key: Path | None) -> str:
    """``digest`` signed, as the JSON text of a signed-digest file."""
    from api.audit.anchors import sign_digest  # noqa: PLC0415

    return json.dumps(sign_digest(digest, private_key(settings, key)), indent=2)


def warn(message: str) -> None:
    """A caveat on stderr, in yellow."""
    err().print(f"[yellow]note:[/yellow] {message}", highlight=False, soft_wrap=True)
