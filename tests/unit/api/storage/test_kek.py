"""The KEK keyring: a versioned file outside the database; wrapped keys bound to their customer."""

from __future__ import annotations

import stat
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from api.settings import Settings
from api.storage.kek import (
    KekMissing,
    KekRetired,
    Keks,
    check_kek,
    create_keyring,
    kek_path,
    keks,
    read_keyring,
    write_keyring,
)

KEY = bytes(range(32))


@pytest.fixture
def keyring(tmp_path: Path) -> Path:
    path = tmp_path / "keyring"
    create_keyring(path)
    return path


def test_a_new_keyring_holds_one_32_byte_kek_version_1_readable_by_its_owner_only(keyring):
    assert list(read_keyring(keyring)) == [1]
    assert len(read_keyring(keyring)[1]) == 32
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600


def test_creating_a_keyring_never_replaces_an_existing_one(keyring):
    before = read_keyring(keyring)
    create_keyring(keyring)
    assert read_keyring(keyring) == before


def test_a_wrapped_key_unwraps_to_itself_and_does_not_contain_it(keyring):
    customer = uuid4()
    version, blob = Keks(keyring).wrap(customer, KEY)
    assert version == 1
    assert KEY not in blob
    assert Keks(keyring).unwrap(customer, version, blob) == KEY


def test_a_wrapped_key_moved_to_another_customer_or_version_does_not_unwrap(keyring):
    customer = uuid4()
    version, blob = Keks(keyring).wrap(customer, KEY)
    with pytest.raises(InvalidTag):
        Keks(keyring).unwrap(uuid4(), version, blob)
    write_keyring(keyring, read_keyring(keyring) | {2: read_keyring(keyring)[1]})
    with pytest.raises(InvalidTag):
        Keks(keyring).unwrap(customer, 2, blob)  # same KEK bytes, other version: refused


def test_a_key_wrapped_under_a_version_no_longer_in_the_file_cannot_be_unwrapped(keyring):
    ring = Keks(keyring)
    customer = uuid4()
    version, blob = ring.wrap(customer, KEY)
    write_keyring(keyring, {2: bytes(32)})
    with pytest.raises(KekRetired):
        ring.unwrap(customer, version, blob)  # the same object sees the file change


def test_new_keys_are_wrapped_under_the_highest_version(keyring):
    write_keyring(keyring, read_keyring(keyring) | {7: bytes(32)})
    version, _ = Keks(keyring).wrap(uuid4(), KEY)
    assert version == 7


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "1\n", "x AAAA\n", "0 " + "A" * 43 + "\n", "1 c2hvcnQ\n", "1 !!!\n"],
)
def test_a_malformed_keyring_is_refused_with_a_reason(tmp_path, text):
    path = tmp_path / "keyring"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"KEK|keyring"):
        read_keyring(path)


def test_with_a_url_and_no_keyring_file_there_is_no_kek_and_using_one_says_so():
    settings = Settings(database_url="postgresql://db/x", kek_file=None)
    assert kek_path(settings) is None
    with pytest.raises(KekMissing, match="TOUCHPOINT_KEK_FILE"):
        check_kek(settings)
    with pytest.raises(KekMissing):
        keks(settings).wrap(uuid4(), KEY)


def test_a_configured_keyring_file_that_does_not_exist_is_refused(tmp_path):
    settings = Settings(database_url="postgresql://db/x", kek_file=tmp_path / "nowhere")
    with pytest.raises(KekMissing, match="does not exist"):
        check_kek(settings)


def test_the_embedded_servers_keyring_is_made_beside_its_data_folder_not_inside_it(tmp_path):
    # Not inside: a base backup of the data folder copies every file in it.
    folder = tmp_path / "data"
    ring = keks(Settings(database_url=None, data_dir=folder, kek_file=None))
    assert ring.path is not None
    assert ring.path == folder.parent / "data.kek"
    assert ring.path.exists()
    assert not ring.path.resolve().is_relative_to(folder.resolve())
    assert ring.current == 1
