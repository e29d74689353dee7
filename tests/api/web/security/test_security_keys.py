"""API keys: HMAC under a server secret, where that secret comes from, and who refuses without it.

(Revocation on the very next request, 401/403 and the CLI are in test_auth_keys.py.)
"""

from __future__ import annotations

import hmac
import stat

import pytest
from typer.testing import CliRunner

from api.cli.main import build_app
from api.settings import Settings
from api.storage.keys import KeySecretMissing, KeyStore, key_secret
from tests.conftest import TEST_KEY_SECRET

cli = build_app()  # the touchpoint command, as its entry point builds it


def _stored(services, key_id: str) -> bytes:
    with services.key_pool.connection() as conn:
        row = conn.execute("SELECT secret_sha256 FROM api_keys WHERE key_id = %s", (key_id,))
        return bytes(row.fetchone()[0])


def test_a_key_is_stored_as_an_hmac_under_the_server_secret_and_nothing_else(services):
    principal, key = services.keys.create("agent", "desk")
    secret = key.split("_")[2]

    stored = _stored(services, principal.key_id)

    assert stored == hmac.digest(TEST_KEY_SECRET.encode(), secret.encode(), "sha256")
    with services.key_pool.connection() as conn:
        rows = conn.execute("SELECT * FROM api_keys").fetchall()
    assert secret not in " ".join(str(value) for row in rows for value in row)


def test_the_database_alone_cannot_check_a_key_without_the_server_secret(services):
    _, key = services.keys.create("agent", "desk")
    other_server = KeyStore(services.key_pool, b"another-deployment-secret-0123456789abcdef")

    assert services.keys.authenticate(key) is not None
    assert other_server.authenticate(key) is None


def test_a_store_without_a_server_secret_refuses_to_make_or_check_keys(services):
    keyless = KeyStore(services.key_pool, None)

    with pytest.raises(KeySecretMissing, match="TOUCHPOINT_API_KEY_SECRET"):
        keyless.create("agent", "desk")


def test_the_embedded_server_secret_is_made_once_with_mode_0600_and_reused(tmp_path):
    settings = Settings(database_url=None, data_dir=tmp_path)

    first = key_secret(settings)
    second = key_secret(settings)

    path = tmp_path / "api_key_secret"
    assert first == second
    assert first is not None
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_a_short_one_is_refused(tmp_path):
    configured = Settings(database_url=None, data_dir=tmp_path, api_key_secret="s" * 40)
    short = Settings(database_url="postgresql://x/y", api_key_secret="too-short")

    assert key_secret(configured) == b"s" * 40
    assert not (tmp_path / "api_key_secret").exists()
    with pytest.raises(ValueError, match="at least 32"):
        key_secret(short)


def test_with_a_url_and_no_secret_there_is_none(tmp_path):
    assert key_secret(Settings(database_url="postgresql://x/y", data_dir=tmp_path)) is None
    assert not (tmp_path / "api_key_secret").exists()


@pytest.mark.parametrize(
    "args", [["serve"], ["keys", "create", "--role", "agent", "--name", "x"]], ids=" ".join
)
def test_serve_and_keys_create_refuse_to_start_with_a_url_and_no_secret(database_url, args):
    env = {"TOUCHPOINT_DATABASE_URL": database_url, "TOUCHPOINT_API_KEY_SECRET": None}

    result = CliRunner().invoke(cli, args, env=env)

    assert result.exit_code == 2
    assert "TOUCHPOINT_API_KEY_SECRET is not set" in result.output
