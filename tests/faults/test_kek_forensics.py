"""The attacker of issue 12's finding 1, on the embedded server's own files.

A cluster of the test's own (the embedded server's binaries) holds two customers;
one is erased, then the KEK is rotated. The attacker has every file of the data
directory (heap files, pg_wal: what a stolen disk, a backup or a standby holds)
but not the KEK keyring, which lives outside it. Checked:

- a customer's plain data key never reaches the disk, at any time: not in a heap
  file, not in the WAL (the test knows it by unwrapping the stored key first);
- before the rotation, the wrapped key alone opens nothing: the KEK is nowhere in
  the data directory, and the issue's attack (every 32-byte window of the key
  table's file tried as the key of the customer's sealed name) finds nothing;
- after the rotation, the erased customer's wrapped key is still on disk (in the
  WAL at least) and the retired KEK would open it, but no KEK left in the keyring
  does: the erasure cannot be undone from any copy of the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from cryptography.exceptions import InvalidTag

from api.storage.kek import Keks, create_keyring, opens, read_keyring, unwrap_with
from api.storage.rewrap import rotate_kek
from api.storage.vault import AesKeyring
from domain.facts import CustomerRegistered
from domain.ids import customer_stream_id
from domain.reading import ERASED
from tests import builders as b
from tests.faults.support import Cluster, services_on, throwaway_cluster

AUTHOR = "forensics-test"
VICTIM, SURVIVOR = "V1", "S1"
WRAPPED_BYTES = 60  # nonce 12 + key 32 + tag 16


@dataclass
class Disk:
    """Every file of the data directory, and the key table's own heap file."""

    files: dict[Path, bytes]
    heap: bytes

    def holding(self, needle: bytes) -> list[Path]:
        return [path for path, data in self.files.items() if needle in data]


@dataclass
class Story:
    victim_id: UUID
    plain: dict[str, bytes]  # each customer's data key, learnt by unwrapping
    wrapped: bytes  # the victim's wrapped key as stored before erasure
    sealed: str  # the victim's name, sealed under its data key
    old_kek: bytes
    before: Disk  # after the erasure, before the rotation
    after: Disk  # after the rotation
    keyring: dict[int, bytes]  # what is left in the keyring file
    names_after: list[str]


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Iterator[Story]:
    keyring = tmp_path_factory.mktemp("kek") / "keyring"
    create_keyring(keyring)
    with throwaway_cluster() as cluster, services_on(cluster.url, kek_file=keyring) as services:
        ledger = services.ledger
        ledger.record_batch(
            [b.customer(VICTIM, name="Vera Victim"), b.customer(SURVIVOR, name="Sam Stays")],
            AUTHOR,
        )
        plain, wrapped = _keys(cluster.url, Keks(keyring))
        [registered] = [
            item
            for item in ledger.read_log(0, 10, kinds=["CustomerRegistered"])
            if item.customer_ref == VICTIM
        ]
        assert isinstance(registered.fact, CustomerRegistered)
        assert registered.fact.name is not None
        old_kek = read_keyring(keyring)[1]
        ledger.erase_customer(VICTIM, AUTHOR)
        before = _disk(cluster)
        rotate_kek(cluster.url, keyring)
        after = _disk(cluster)
        logged = ledger.read_log(0, 10, kinds=["CustomerRegistered"])
        names = [item["data"]["name"] for item in ledger.reveal(logged)]
        yield Story(
            customer_stream_id(VICTIM),
            plain,
            wrapped[VICTIM],
            registered.fact.name,
            old_kek,
            before,
            after,
            read_keyring(keyring),
            names,
        )


def _keys(url: str, keks: Keks) -> tuple[dict[str, bytes], dict[str, bytes]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT customer_ref, customer_id, kek_version, wrapped_key FROM customer_keys"
        ).fetchall()
    plain = {ref: keks.unwrap(cid, version, bytes(blob)) for ref, cid, version, blob in rows}
    return plain, {ref: bytes(blob) for ref, _, _, blob in rows}


def _disk(cluster: Cluster) -> Disk:
    """The data directory as an attacker copies it, with every page written out first."""
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        [(relative,)] = conn.execute("SELECT pg_relation_filepath('customer_keys')").fetchall()
    pgdata = cluster.folder / "pg"
    files = {path: path.read_bytes() for path in pgdata.rglob("*") if path.is_file()}
    return Disk(files, files[pgdata / relative])


def _windows(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(len(data) - size + 1))


def _opens_sealed(candidate: bytes, sealed: str) -> bool:
    try:
        AesKeyring({VICTIM: candidate}).open(VICTIM, sealed)
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return False
    return True


def test_no_plain_data_key_ever_reaches_the_disk(story):
    assert len(story.before.files) > 100  # the whole data directory was read
    assert any("pg_wal" in path.parts for path in story.before.files)
    for disk in (story.before, story.after):
        for ref, key in story.plain.items():
            assert disk.holding(key) == [], ref


def test_before_rotation_the_wrapped_key_without_the_kek_opens_nothing(story):
    assert story.before.holding(story.wrapped) != []  # the attacker has the wrapped key
    assert story.before.holding(story.old_kek) == []  # but not the KEK: it is not on disk
    found = [w for w in _windows(story.before.heap, 32) if _opens_sealed(w, story.sealed)]
    assert found == []


def test_after_erasure_and_rotation_no_kek_left_unwraps_the_erased_key(story):
    assert story.names_after == [ERASED, "Sam Stays"]
    assert sorted(story.keyring) == [2]  # version 1 retired, only the new one kept
    assert story.old_kek not in story.keyring.values()
    # The erased key's wrapped copy is still on disk, and the retired KEK would open it:
    where = story.after.holding(story.wrapped)
    assert where != []
    assert opens(story.old_kek, 1, story.victim_id, story.wrapped)
    # No KEK still in the keyring opens it, nor any 60 bytes of the key table's file.
    assert not any(
        opens(kek, version, story.victim_id, story.wrapped)
        for version, kek in story.keyring.items()
    )
    blobs = list(_windows(story.after.heap, WRAPPED_BYTES))
    victim = [
        blob
        for blob in blobs
        for version, kek in story.keyring.items()
        if opens(kek, version, story.victim_id, blob)
    ]
    assert victim == []
    # The same scan does find the survivor's key: it would have found the victim's.
    survivor = customer_stream_id(SURVIVOR)
    found = {
        unwrap_with(kek, version, survivor, blob)
        for blob in blobs
        for version, kek in story.keyring.items()
        if opens(kek, version, survivor, blob)
    }  # a set: a vacuumed page keeps stale copies of moved tuples in its free space
    assert found == {story.plain[SURVIVOR]}


def test_after_rotation_the_issues_attack_on_the_key_table_finds_nothing(story):
    found = [w for w in _windows(story.after.heap, 32) if _opens_sealed(w, story.sealed)]
    assert found == []
