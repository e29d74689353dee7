"""Customers' data keys are stored only wrapped under a KEK kept outside the database.

Each test has its own keyring file (rotations must not touch the run's shared one).
"""

from __future__ import annotations

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alembic import command
from api.bootstrap import build_services
from api.storage.kek import (
    KekMissing,
    Keks,
    create_keyring,
    read_keyring,
    unwrap_with,
    wrap_with,
)
from api.storage.migrations import alembic_config, migrate
from api.storage.rewrap import rotate_kek
from api.storage.vault import AesKeyring, PostgresKeyVault
from domain.ids import customer_stream_id
from domain.reading import ERASED
from tests import builders as b
from tests.integration.sql import query

AUTHOR = "integration-test"


@pytest.fixture
def keyring(tmp_path):
    path = tmp_path / "keyring"
    create_keyring(path)
    return path


@pytest.fixture
def own(settings, database_url, keyring):
    """Services whose KEKs are the test's own keyring file."""
    built = build_services(settings.model_copy(update={"kek_file": keyring}), database_url)
    yield built
    built.close()


def _row(url, ref):
    [row] = query(
        url,
        "SELECT data_key, wrapped_key, kek_version, destroyed_at FROM customer_keys "
        "WHERE customer_ref = %s",
        (ref,),
    )
    return row


def _names(services):
    logged = services.ledger.read_log(0, 100, kinds=["CustomerRegistered"])
    return [item["data"]["name"] for item in services.ledger.reveal(logged)]


def test_a_customers_key_is_stored_only_wrapped_and_the_kek_opens_it(own, keyring):
    own.ledger.record(b.customer("Z1", name="Zebedee Quux"), AUTHOR)
    plain, wrapped, version, destroyed_at = _row(own.database_url, "Z1")
    assert (plain, version, destroyed_at) == (None, 1, None)
    key = unwrap_with(read_keyring(keyring)[1], 1, customer_stream_id("Z1"), bytes(wrapped))
    assert len(key) == 32
    assert key not in bytes(wrapped)
    assert _names(own) == ["Zebedee Quux"]


def test_the_wrapped_key_without_the_kek_opens_nothing(own):
    # The attacker of the finding 1 with the whole row: every 32-byte
    # window of it tried as the AES key of the customer's sealed name.
    own.ledger.record(b.customer("Z1", name="Zebedee Quux"), AUTHOR)
    [(row,)] = query(own.database_url, "SELECT customer_keys::text FROM customer_keys")
    [(state,)] = query(own.database_url, "SELECT state FROM touchpoint_events")
    sealed = _sealed_name(own, "Z1")
    raw = bytes(row, "utf-8") + b"".join(bytes(v or b"") for v in _row(own.database_url, "Z1")[:2])
    opened = [i for i in range(len(raw) - 31) if _opens(raw[i : i + 32], sealed)]
    assert opened == []
    assert state  # the sealed fact is there to attack


def _sealed_name(services, ref):
    [logged] = services.ledger.read_log(0, 100, kinds=["CustomerRegistered"])
    sealed = logged.fact.name  # the stored form: ciphertext under the data key
    assert sealed.startswith("tp1.")
    return sealed


def _opens(candidate, sealed):
    try:
        AesKeyring({"Z1": candidate}).open("Z1", sealed)
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return False
    return True


def test_no_statement_may_store_a_plain_data_key(own):
    with pytest.raises(psycopg.errors.RaiseException, match="only wrapped"):
        query(
            own.database_url,
            "INSERT INTO customer_keys (customer_id, customer_ref, data_key) "
            "VALUES (gen_random_uuid(), 'X', %s)",
            (bytes(32),),
        )


def test_erasure_removes_the_wrapped_key_and_keeps_a_marker_so_reads_say_erased(own):
    own.ledger.record(b.customer("Z1", name="Zebedee Quux"), AUTHOR)
    own.ledger.erase_customer("Z1", AUTHOR)
    plain, wrapped, version, destroyed_at = _row(own.database_url, "Z1")
    assert (plain, wrapped, version) == (None, None, None)
    assert destroyed_at is not None
    assert _names(own) == [ERASED]


def test_rotation_rewraps_live_keys_under_a_new_version_and_deletes_the_old_kek(own, keyring):
    own.ledger.record_batch([b.customer("Y1", name="Yolanda Vex"), b.customer("Z1")], AUTHOR)
    own.ledger.erase_customer("Z1", AUTHOR)
    old = read_keyring(keyring)[1]

    done = rotate_kek(own.database_url, keyring)

    assert (done.version, done.rewrapped, done.retired) == (2, 1, [1])
    assert list(read_keyring(keyring)) == [2]
    assert old not in read_keyring(keyring).values()
    rows = query(own.database_url, "SELECT customer_ref, kek_version FROM customer_keys")
    assert sorted(rows) == [("Y1", 2), ("Z1", None)]  # the erased key was not re-wrapped
    assert _names(own) == ["Yolanda Vex", ERASED]  # the running services follow the file
    own.ledger.record(b.customer("X1", name="Xavier New"), AUTHOR)
    assert _row(own.database_url, "X1")[2] == 2


def test_after_rotation_no_writer_may_store_a_key_under_a_retired_version(own, keyring):
    rotate_kek(own.database_url, keyring)
    with pytest.raises(psycopg.Error, match="retired") as refused:
        query(
            own.database_url,
            "INSERT INTO customer_keys (customer_id, customer_ref, wrapped_key, kek_version) "
            "VALUES (gen_random_uuid(), 'X', %s, 1)",
            (bytes(60),),
        )
    assert refused.value.sqlstate == "TPK01"


def test_rotating_with_a_keyring_missing_the_version_of_a_stored_key_changes_nothing(own, tmp_path):
    own.ledger.record(b.customer("Y1", name="Yolanda Vex"), AUTHOR)
    other = tmp_path / "other"
    create_keyring(other)  # version 1 too, but not the KEK that wrapped Y1's key
    with pytest.raises(InvalidTag):
        rotate_kek(own.database_url, other)
    assert _row(own.database_url, "Y1")[2] == 1
    assert _names(own) == ["Yolanda Vex"]


def _legacy_database(url):
    """The database as touchpoint before 0011 left it: one customer's plain key, a sealed name."""
    config = alembic_config(url)
    command.downgrade(config, "0010")
    key = AESGCM.generate_key(256)
    query(
        url,
        "INSERT INTO customer_keys (customer_id, customer_ref, data_key) VALUES (%s, 'L1', %s)",
        (customer_stream_id("L1"), key),
    )
    return key


def test_migrating_a_database_with_plain_keys_wraps_them_and_leaves_none(database_url, keyring):
    key = _legacy_database(database_url)
    sealed = AesKeyring({"L1": key}).seal("L1", "Lorna Legacy")

    migrate(database_url, Keks(keyring))

    plain, wrapped, version, _ = _row(database_url, "L1")
    assert (plain, version) == (None, 1)
    ring = Keks(keyring)
    assert ring.unwrap(customer_stream_id("L1"), 1, bytes(wrapped)) == key
    assert AesKeyring({"L1": key}).open("L1", sealed) == "Lorna Legacy"
    # The table's file on disk (rewritten) holds no plain key any more.
    query(database_url, "CHECKPOINT")
    [(path,)] = query(database_url, "SELECT pg_relation_filepath('customer_keys')")
    [(heap,)] = query(database_url, "SELECT pg_read_binary_file(%s)", (path,))
    assert bytes(wrapped) in bytes(heap)
    assert key not in bytes(heap)


def test_migrating_plain_keys_without_a_keyring_refuses_and_changes_nothing(database_url):
    key = _legacy_database(database_url)
    with pytest.raises(KekMissing):
        migrate(database_url, None)
    assert bytes(_row(database_url, "L1")[0]) == key


class _StaleOnce(Keks):
    """A writer that read the keyring just before a rotation: its first wrap uses version 1."""

    def __init__(self, path, old_kek):
        super().__init__(path)
        self.old_kek = old_kek

    def wrap(self, customer_id, data_key):
        if self.old_kek is None:
            return super().wrap(customer_id, data_key)
        old, self.old_kek = self.old_kek, None
        return 1, wrap_with(old, 1, customer_id, data_key)


def test_a_writer_that_wrapped_under_a_just_retired_kek_is_refused_and_wraps_again(own, keyring):
    stale = _StaleOnce(keyring, read_keyring(keyring)[1])
    rotate_kek(own.database_url, keyring)

    made = PostgresKeyVault(own.key_pool, stale).keyring(["N1"], create=True)

    assert stale.old_kek is None  # the stale wrap was tried, and refused
    assert _row(own.database_url, "N1")[2] == 2
    assert made.open("N1", made.seal("N1", "Nina New")) == "Nina New"
    assert (
        own.ledger.vault.keyring(["N1"], create=False).open("N1", made.seal("N1", "Nina New"))
        == "Nina New"
    )
