"""API keys over HTTP and on the command line: 401 and 403 problems, revocation, the CLI."""

from __future__ import annotations

import hmac

from rich.console import Console
from typer.testing import CliRunner

from api.cli.keys import ensure_admin_key
from api.cli.main import build_app
from api.web.problems import PROBLEM_BASE
from tests.conftest import TEST_KEY_SECRET

cli = build_app()  # the touchpoint command, as its entry point builds it


def test_no_key_is_a_401_problem_that_says_how_to_authenticate(client):
    response = client.get("/log")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "Bearer" in response.headers["www-authenticate"]
    assert "X-API-Key" in response.headers["www-authenticate"]
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "unauthenticated"
    assert problem["status"] == 401
    assert problem["instance"] == "/log"


def test_an_unknown_or_malformed_key_is_401(client, services):
    _, real = services.keys.create("auditor", "real")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")

    for key in (forged, "tp_nosuchid_secret", "not-a-key", "tp__", ""):
        assert client.get("/log", headers={"X-API-Key": key}).status_code == 401, key


def test_a_key_may_come_as_a_bearer_token(client, services):
    _, key = services.keys.create("auditor", "bearer")

    response = client.get("/log", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200


def test_a_revoked_key_is_refused_on_the_very_next_request(client, services):
    principal, key = services.keys.create("auditor", "soon revoked")
    headers = {"X-API-Key": key}
    assert client.get("/log", headers=headers).status_code == 200

    assert services.keys.revoke(principal.key_id)

    assert client.get("/log", headers=headers).status_code == 401


def test_a_wrong_role_is_a_403_problem_naming_the_roles_allowed(client, role_headers):
    response = client.get("/log", headers=role_headers["agent"])

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "forbidden"
    assert "agent" in problem["detail"]
    assert "auditor" in problem["detail"]


def _cli(database_url: str, *args: str):
    env = {"TOUCHPOINT_DATABASE_URL": database_url, "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET}
    return CliRunner().invoke(cli, ["keys", *args], env=env)


def _stored_digests(services) -> list[bytes]:
    with services.key_pool.connection() as conn:
        return [bytes(row[0]) for row in conn.execute("SELECT secret_sha256 FROM api_keys")]


def test_keys_create_prints_a_working_key_once_and_stores_only_its_hash(
    client, services, database_url
):

    result = _cli(database_url, "create", "--role", "auditor", "--name", "audit team")

    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert client.get("/log", headers={"X-API-Key": key}).status_code == 200
    secret = key.split("_")[2]
    digest = hmac.digest(TEST_KEY_SECRET.encode(), secret.encode(), "sha256")
    assert _stored_digests(services) == [digest]
    listing = _cli(database_url, "list")
    assert secret not in listing.stdout


def test_keys_create_refuses_an_unknown_role(database_url):
    result = _cli(database_url, "create", "--role", "superuser", "--name", "x")

    assert result.exit_code != 0
    assert "roles are" in result.output


def test_keys_list_shows_ids_names_roles_and_revocations(services, database_url):
    kept, _ = services.keys.create("agent", "desk 12")
    gone, _ = services.keys.create("integrator", "old feed")
    services.keys.revoke(gone.key_id)

    result = _cli(database_url, "list")

    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "desk 12" in rows[kept.key_id]
    assert "agent" in rows[kept.key_id]
    assert "old feed" in rows[gone.key_id]
    revoked_cell = rows[gone.key_id].split("│")[5].strip()
    assert revoked_cell.startswith("20")  # a timestamp
    assert rows[kept.key_id].split("│")[5].strip() == ""


def test_keys_revoke_ends_a_key_and_says_so_when_there_is_none(client, services, database_url):
    principal, key = services.keys.create("auditor", "to revoke")

    first = _cli(database_url, "revoke", principal.key_id)
    again = _cli(database_url, "revoke", principal.key_id)

    assert first.exit_code == 0, first.output
    assert client.get("/log", headers={"X-API-Key": key}).status_code == 401
    assert again.exit_code == 1
    assert "no active key" in again.output


def test_serve_makes_a_first_admin_key_only_when_no_admin_key_is_active(client, services):
    console = Console(record=True, width=300)

    key = ensure_admin_key(services.keys, console)
    second = ensure_admin_key(services.keys, console)

    assert key is not None
    assert key in console.export_text()
    assert second is None
    response = client.post("/views/nope/rebuild", headers={"X-API-Key": key})
    assert response.status_code == 404  # an admin's answer: no such view


def test_a_revoked_admin_key_gets_a_new_first_admin_key(services):
    principal, _ = services.keys.create("admin", "former")
    services.keys.revoke(principal.key_id)

    assert ensure_admin_key(services.keys, Console(record=True)) is not None
