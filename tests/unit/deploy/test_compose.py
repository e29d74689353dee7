"""compose.yaml, checked for structure (no Docker engine runs here to start it).

PostgreSQL with a volume and a health check; a one-shot migration once it is healthy;
the API and the projector as separate services once the migration succeeded; every
touchpoint service pointed at the db service with the settings it needs: the migration
as the database's owner, the API and the projector as the runtime role only (issue 12).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "compose.yaml"
TOUCHPOINT_SERVICES = ("migrate", "api", "projector")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _depends(service: dict) -> dict[str, str]:
    """depends_on as {service: condition} (the short list form means service_started)."""
    given = service.get("depends_on", {})
    if isinstance(given, list):
        return dict.fromkeys(given, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in given.items()}


def test_there_are_the_database_the_migration_the_api_and_the_projector(services):
    assert set(services) == {"db", *TOUCHPOINT_SERVICES}


def test_postgresql_keeps_its_data_in_a_named_volume(compose, services):
    db = services["db"]
    assert db["image"].startswith("postgres:")
    mounts = dict(volume.split(":", 1) for volume in db["volumes"])
    assert mounts.get("pgdata") == "/var/lib/postgresql/data"
    assert "pgdata" in compose["volumes"]


def test_postgresql_has_a_health_check_that_asks_the_server(services):
    check = services["db"]["healthcheck"]
    assert "pg_isready" in " ".join(check["test"])
    assert check["retries"] >= 1


def test_the_migration_is_a_one_shot_run_once_the_database_is_healthy(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["touchpoint", "migrate"]
    assert _depends(migrate) == {"db": "service_healthy"}
    assert migrate["restart"] == "no"


@pytest.mark.parametrize("name", ["api", "projector"])
def test_the_api_and_projector_start_after_a_successful_migration(services, name):
    assert _depends(services[name]) == {
        "db": "service_healthy",
        "migrate": "service_completed_successfully",
    }


def test_the_api_serves_without_projectors_and_the_projector_projects(services):
    assert services["api"]["command"][:2] == ["touchpoint", "serve"]
    assert "--no-projectors" in services["api"]["command"]
    assert services["projector"]["command"] == ["touchpoint", "project"]
    assert services["projector"]["restart"] == "on-failure"


def test_the_api_is_published_and_checked_on_its_health_endpoint(services):
    api = services["api"]
    assert "8000:8000" in api["ports"]
    assert "--port" in api["command"]
    assert api["command"][api["command"].index("--port") + 1] == "8000"
    assert "/health" in " ".join(api["healthcheck"]["test"])


def test_every_dependency_names_a_service_and_there_is_no_cycle(services):
    for service in services.values():
        assert set(_depends(service)) <= set(services)
    order: list[str] = []
    while len(order) < len(services):
        ready = [
            n for n, s in services.items() if n not in order and set(_depends(s)) <= set(order)
        ]
        assert ready, f"a dependency cycle among {set(services) - set(order)}"
        order.extend(sorted(ready))
    assert order.index("db") < order.index("migrate") < order.index("api")


@pytest.mark.parametrize("name", TOUCHPOINT_SERVICES)
def test_touchpoint_services_are_built_here(services, name):
    assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_only_the_migration_connects_as_the_databases_owner(services):
    environment = services["migrate"]["environment"]
    url = conninfo_to_dict(environment["TOUCHPOINT_DATABASE_URL"])
    db = services["db"]["environment"]
    assert url["host"] == "db"
    assert (url["user"], url["password"], url["dbname"]) == (
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
        db["POSTGRES_DB"],
    )
    assert "TOUCHPOINT_RUNTIME_URL" not in environment


@pytest.mark.parametrize("name", ["api", "projector"])
def test_the_api_and_projector_run_as_the_runtime_role_with_no_owner_credentials(services, name):
    environment = services[name]["environment"]
    url = conninfo_to_dict(environment["TOUCHPOINT_RUNTIME_URL"])
    db = services["db"]["environment"]
    assert "TOUCHPOINT_DATABASE_URL" not in environment
    assert (url["host"], url["dbname"]) == ("db", db["POSTGRES_DB"])
    # The role `touchpoint migrate` creates (the db service's own user is its superuser).
    runtime_role = environment.get("TOUCHPOINT_RUNTIME_ROLE", Settings().runtime_role)
    assert url["user"] == runtime_role != db["POSTGRES_USER"]
    # Its password is given apart, the same one to the migration that sets it on the role.
    assert "password" not in url
    assert (
        environment["TOUCHPOINT_RUNTIME_PASSWORD"]
        == (services["migrate"]["environment"]["TOUCHPOINT_RUNTIME_PASSWORD"])
    )


def test_the_runtime_roles_password_must_be_given_to_start(services):
    password = services["api"]["environment"]["TOUCHPOINT_RUNTIME_PASSWORD"]
    assert re.fullmatch(r"\$\{TOUCHPOINT_RUNTIME_PASSWORD:\?[^}]+\}", password)


def test_the_api_key_secret_must_be_given_to_start(services):
    secret = services["api"]["environment"]["TOUCHPOINT_API_KEY_SECRET"]
    assert re.fullmatch(r"\$\{TOUCHPOINT_API_KEY_SECRET:\?[^}]+\}", secret)


def test_every_touchpoint_variable_used_or_documented_is_a_setting(services):
    settings = {f"TOUCHPOINT_{name.upper()}" for name in Settings.model_fields}
    documented = set(re.findall(r"^#\s+(TOUCHPOINT_[A-Z_]+)", COMPOSE.read_text(), re.MULTILINE))
    used = {
        name
        for s in services.values()
        for name in s.get("environment", {})
        if name.startswith("TOUCHPOINT_")
    }
    assert used
    assert used <= documented
    assert documented <= settings
