"""Key-encryption keys (KEKs): customers' data keys are stored only wrapped under one.

Envelope encryption, as key-management services do it: each customer's AES-256
data key is stored in ``customer_keys`` only as AES-256-GCM ciphertext under a
KEK (associated data: the customer's id and the KEK's version, so a wrapped key
cannot be moved to another customer's row or passed off under another version).
The KEKs never enter the database, its WAL or its backups: they live in a
keyring file outside it, one line per version::

    # touchpoint KEK keyring: VERSION BASE64URL(32 random bytes)
    1 3q2-7w...
    2 b0Z9...

The highest version wraps new keys; ``touchpoint keys rotate-kek`` adds a
version, re-wraps every live data key under it and deletes the older versions
from the file. Once a version is gone, nothing it wrapped (erased customers'
keys in dead tuples, WAL, archives, backups, standbys) can be unwrapped.

Where the keyring is (``kek_path``): ``TOUCHPOINT_KEK_FILE`` if set; else, with
the embedded server, ``<data_dir>.kek`` beside (not inside) the server's data
folder, generated on first start (mode 0600) so that a base backup of the data
folder never holds it; else (a database URL and no file) none, and
``touchpoint serve`` refuses to start.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.settings import Settings

__all__ = [
    "KekMissing",
    "KekRetired",
    "Keks",
    "check_kek",
    "create_keyring",
    "kek_path",
    "keks",
    "read_keyring",
    "write_keyring",
]

KEK_BYTES = 32
_NONCE_BYTES = 12
_AAD = b"touchpoint-data-key|"
_HEADER = (
    "# touchpoint KEK keyring: VERSION BASE64URL(32 random bytes); keep it out of the database\n"
)


class KekMissing(RuntimeError):
    """No KEK keyring: a database URL without ``TOUCHPOINT_KEK_FILE``, or no such file."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            (detail or "TOUCHPOINT_KEK_FILE is not set")
            + ": with TOUCHPOINT_DATABASE_URL, every process that reads or writes personal data "
            "needs the keyring of key-encryption keys, kept out of the database. Make one with "
            "`touchpoint keys new-keyring PATH` (or: printf '1 %s\\n' \"$(head -c 32 "
            '/dev/urandom | basenc --base64url)" > PATH; chmod 600 PATH) and set '
            "TOUCHPOINT_KEK_FILE=PATH for every touchpoint process."
        )


class KekRetired(LookupError):
    """A wrapped data key's KEK version is not in the keyring (retired, or another keyring)."""


def kek_path(settings: Settings) -> Path | None:
    """The keyring file of these settings (None: a database URL and no file configured)."""
    if settings.kek_file is not None:
        return settings.kek_file
    return settings.beside_data_dir("kek")


def check_kek(settings: Settings) -> None:
    """Raise ``KekMissing`` at once if there is no keyring (the embedded one is made later)."""
    path = kek_path(settings)
    if path is None:
        raise KekMissing
    if settings.kek_file is not None:
        read_keyring(path)  # a configured file must exist and be well formed


def keks(settings: Settings) -> Keks:
    """The keyring of these settings; the embedded server's is created if it is missing."""
    path = kek_path(settings)
    if path is not None and settings.embedded and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        create_keyring(path)
    return Keks(path)


class Keks:
    """The versioned KEKs of a keyring file; re-read whenever the file changes.

    Long-running processes see a rotation at their next unit of work (one ``stat``
    per keyring use). ``path`` None: no keyring, every use raises ``KekMissing``.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._versions: dict[int, bytes] = {}

    def refresh(self) -> dict[int, bytes]:
        """The keyring's versions as the file now holds them."""
        if self.path is None:
            raise KekMissing
        try:
            st = self.path.stat()
        except FileNotFoundError as missing:
            raise KekMissing(f"the KEK keyring {self.path} does not exist") from missing
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self._stamp:
            self._versions = read_keyring(self.path)
            self._stamp = stamp
        return self._versions

    @property
    def current(self) -> int:
        """The version that wraps new data keys (the highest)."""
        return max(self.refresh())

    def wrap(self, customer_id: UUID, data_key: bytes) -> tuple[int, bytes]:
        """``(version, nonce + ciphertext)`` of ``data_key`` under the current KEK."""
        versions = self.refresh()
        version = max(versions)
        return version, wrap_with(versions[version], version, customer_id, data_key)

    def unwrap(self, customer_id: UUID, version: int, blob: bytes) -> bytes:
        """The data key wrapped in ``blob``; ``KekRetired`` if ``version`` is not in the file."""
        kek = self.refresh().get(version)
        if kek is None:
            msg = f"KEK version {version} is not in the keyring {self.path}"
            raise KekRetired(msg)
        return unwrap_with(kek, version, customer_id, blob)


def wrap_with(kek: bytes, version: int, customer_id: UUID, data_key: bytes) -> bytes:
    """AES-256-GCM of ``data_key`` under ``kek``, bound to the customer and the version."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _aad(version, customer_id))


def unwrap_with(kek: bytes, version: int, customer_id: UUID, blob: bytes) -> bytes:
    """The data key in ``blob`` (``cryptography.exceptions.InvalidTag`` if it is not ``kek``'s)."""
    nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    return AESGCM(kek).decrypt(nonce, sealed, _aad(version, customer_id))


def opens(kek: bytes, version: int, customer_id: UUID, blob: bytes) -> bool:
    """Whether ``blob`` unwraps under ``kek`` (for checks and attacker tests)."""
    try:
        unwrap_with(kek, version, customer_id, blob)
    except (InvalidTag, ValueError):
        return False
    return True


def _aad(version: int, customer_id: UUID) -> bytes:
    return _AAD + version.to_bytes(4, "big") + customer_id.bytes


def read_keyring(path: Path) -> dict[int, bytes]:
    """The versions in a keyring file (``KekMissing`` if absent, ``ValueError`` if malformed)."""
    try:
        text = path.read_text()
    except FileNotFoundError as missing:
        raise KekMissing(f"the KEK keyring {path} does not exist") from missing
    versions: dict[int, bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        versions[_version(path, number, line)] = _kek(path, number, line)
    if not versions:
        raise ValueError(f"the KEK keyring {path} holds no key")
    return versions


def _version(path: Path, number: int, line: str) -> int:
    head = line.split(maxsplit=1)[0]
    if not head.isdigit() or int(head) < 1:
        raise ValueError(f"{path}:{number}: a KEK line is 'VERSION KEY' (VERSION a number >= 1)")
    return int(head)


def _kek(path: Path, number: int, line: str) -> bytes:
    parts = line.split()
    try:
        kek = (
            base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
            if len(parts) == 2
            else b""
        )
    except (binascii.Error, ValueError):
        kek = b""
    if len(kek) != KEK_BYTES:
        raise ValueError(f"{path}:{number}: a KEK is {KEK_BYTES} bytes, base64url-encoded")
    return kek


def write_keyring(path: Path, versions: dict[int, bytes]) -> None:
    """Replace the keyring file whole (mode 0600, synced; a crash leaves old or new)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(_HEADER)
        for version in sorted(versions):
            encoded = base64.urlsafe_b64encode(versions[version]).decode().rstrip("=")
            out.write(f"{version} {encoded}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(draft, path)
    _sync_folder(path.parent)


def create_keyring(path: Path) -> None:
    """A keyring of one new KEK (version 1) at ``path``, unless one is there already."""
    draft = path.with_name(f".{path.name}.new.{os.getpid()}")
    write_keyring(draft, {1: secrets.token_bytes(KEK_BYTES)})
    try:
        # A hard link appears whole or not at all and never replaces a file: of two
        # processes starting at once, one keyring wins and both read it.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
