"""`touchpoint keys rotate-kek` and `keys new-keyring`; no KEK keyring, no serving with a URL."""

from __future__ import annotations

import stat

import pytest
from typer.testing import CliRunner

from alembic import command
from api.cli.main import build_app
from api.storage.kek import create_keyring, read_keyring
from api.storage.migrations import alembic_config
from tests.conftest import TEST_KEY_SECRET
from tests.integration.sql import query

app = build_app()


@pytest.fixture
def keyring(tmp_path):
    path = tmp_path / "keyring"
    create_keyring(path)
    return path


def _run(url, keyring, *args):
    env = {"TOUCHPOINT_DATABASE_URL": url, "TOUCHPOINT_KEK_FILE": keyring and str(keyring)}
    return CliRunner().invoke(app, list(args), env=env)


def test_rotate_kek_rewraps_the_keys_and_leaves_only_the_new_version(database_url, keyring):
    query(
        database_url,
        "INSERT INTO customer_keys (customer_id, customer_ref, destroyed_at) "
        "VALUES (gen_random_uuid(), 'gone', now())",
    )
    result = _run(database_url, keyring, "keys", "rotate-kek")
    assert result.exit_code == 0, result.output
    assert "0 data keys re-wrapped under KEK version 2" in result.output
    assert list(read_keyring(keyring)) == [2]
    assert query(database_url, "SELECT retired_below FROM customer_key_kek") == [(2,)]


def test_rotate_kek_without_a_keyring_exits_2_and_changes_nothing(database_url):
    result = _run(database_url, None, "keys", "rotate-kek")
    assert result.exit_code == 2
    assert "TOUCHPOINT_KEK_FILE" in result.output
    assert query(database_url, "SELECT retired_below FROM customer_key_kek") == [(0,)]


def test_serve_with_a_url_and_no_keyring_refuses_to_start(database_url):
    env = {
        "TOUCHPOINT_DATABASE_URL": database_url,
        "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET,
        "TOUCHPOINT_KEK_FILE": None,
    }
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2
    assert "TOUCHPOINT_KEK_FILE is not set" in result.output


def test_migrate_with_plain_keys_and_no_keyring_exits_2(database_url):
    command.downgrade(alembic_config(database_url), "0010")
    query(
        database_url,
        "INSERT INTO customer_keys (customer_id, customer_ref, data_key) "
        "VALUES (gen_random_uuid(), 'L1', %s)",
        (bytes(32),),
    )
    result = _run(database_url, None, "migrate")
    assert result.exit_code == 2
    assert "plain data keys" in result.output


def test_new_keyring_writes_one_kek_readable_by_its_owner_only_and_never_overwrites(tmp_path):
    path = tmp_path / "made"
    assert CliRunner().invoke(app, ["keys", "new-keyring", str(path)]).exit_code == 0
    assert list(read_keyring(path)) == [1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = CliRunner().invoke(app, ["keys", "new-keyring", str(path)])
    assert again.exit_code == 2


def test_migrate_makes_a_missing_keyring_for_a_database_with_no_wrapped_key(database_url, tmp_path):
    path = tmp_path / "kek" / "keyring"
    result = _run(database_url, path, "migrate")
    assert result.exit_code == 0, result.output
    assert list(read_keyring(path)) == [1]


def test_migrate_never_makes_a_keyring_when_wrapped_keys_need_the_lost_one(database_url, tmp_path):
    query(
        database_url,
        "INSERT INTO customer_keys (customer_id, customer_ref, wrapped_key, kek_version) "
        "VALUES (gen_random_uuid(), 'W1', %s, 1)",
        (bytes(60),),
    )
    lost = tmp_path / "misnamed"
    result = _run(database_url, lost, "migrate")
    assert result.exit_code == 2
    assert "1 data keys need it" in result.output
    assert not lost.exists()
