"""`touchpoint replay --until N --into SCHEMA` on a real database."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli.main import build_app
from tests.integration.histories import mixed_history, record_all
from tests.integration.sql import query

app = build_app()  # the touchpoint command, as its entry point builds it


def _replay(database_url, *args):
    env = {"TOUCHPOINT_DATABASE_URL": database_url, "COLUMNS": "200"}
    return CliRunner().invoke(app, ["replay", *args], env=env)


def _positions(url: str, schema: str) -> dict[str, int]:
    rows = query(url, f"SELECT view_name, position FROM {schema}.view_tracking")
    return {name: int(position) for name, position in rows}


def test_replay_builds_every_view_up_to_the_position_and_says_so(services, database_url):
    record_all(services.ledger, mixed_history(seed=7, count=120))

    result = _replay(database_url, "--until", "80", "--into", "report_march")

    assert result.exit_code == 0, result.output
    assert "replayed up to position 80 into schema report_march" in result.stderr
    assert _positions(database_url, "report_march") == dict.fromkeys(
        ("customer", "cost", "crm", "cem"), 80
    )
    [(author, views, done)] = query(
        database_url,
        "SELECT created_by, views, completed_at IS NOT NULL FROM replay_schemas "
        "WHERE schema_name = 'report_march'",
    )
    assert author.startswith("cli:")
    assert (sorted(views), done) == (["cem", "cost", "crm", "customer"], True)


def test_replay_refuses_an_existing_schema_unless_told_to_replace_it(services, database_url):
    record_all(services.ledger, mixed_history(seed=8, count=60))
    assert _replay(database_url, "--until", "20", "--into", "again").exit_code == 0

    refused = _replay(database_url, "--until", "40", "--into", "again")
    replaced = _replay(database_url, "--until", "40", "--into", "again", "--replace")

    assert refused.exit_code == 1
    assert "--replace" in refused.stderr
    assert replaced.exit_code == 0, replaced.output
    assert set(_positions(database_url, "again").values()) == {40}


def test_replay_of_chosen_views_builds_only_those(services, database_url):
    record_all(services.ledger, mixed_history(seed=9, count=60))

    result = _replay(database_url, "--until", "30", "--into", "costs", "--view", "cost")

    assert result.exit_code == 0, result.output
    assert _positions(database_url, "costs") == {"cost": 30}
    assert query(database_url, "SELECT to_regclass('costs.crm_daily')") == [(None,)]


def test_a_position_after_the_head_replays_up_to_the_head(services, database_url):
    head = record_all(services.ledger, mixed_history(seed=10, count=30))

    result = _replay(database_url, "--until", str(head + 100), "--into", "ahead")

    assert result.exit_code == 0, result.output
    assert f"after the log's head: replayed up to {head}" in result.stderr
    assert set(_positions(database_url, "ahead").values()) == {head}


def test_bad_names_are_usage_errors(database_url):
    for args in (["--into", "public"], ["--into", "Not-A-Name"], ["--into", "ok", "--view", "x"]):
        result = _replay(database_url, "--until", "1", *args)
        assert result.exit_code == 2, (args, result.output)
