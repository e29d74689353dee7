"""Loading a demo history through the ledger, and ``touchpoint demo`` without serving."""

from __future__ import annotations

from datetime import UTC, date, datetime

from typer.testing import CliRunner

from api.bootstrap import view_config
from api.cli.demo.command import _config
from api.cli.main import build_app
from api.demo.history import DemoConfig, generate, generate_days, load
from api.demo.story import ALERT_ID, REPLY_ID, story_index
from api.demo.world import customer_ref
from domain import commands as c
from projections.cost.queries import cost_metrics
from projections.customer.queries import customer_profile
from projections.query import MetricQuery
from tests.conftest import TEST_KEY_SECRET

app = build_app()  # the touchpoint command, as its entry point builds it


SMALL = DemoConfig(customers=80, months=2, seed=3, end=date(2026, 4, 1))


def test_a_demo_history_is_recorded_without_a_single_refusal(services):
    report = load(services.ledger, generate_days(SMALL), batch_size=500)

    assert report.refused == []
    assert report.recorded == len(list(generate(SMALL)))
    assert services.ledger.head_position() == report.recorded


def test_loading_the_same_history_again_records_nothing_new(services):
    first = load(services.ledger, generate_days(SMALL), batch_size=500)
    again = load(services.ledger, generate_days(SMALL), batch_size=300)

    assert again.recorded == 0
    assert again.duplicates == first.recorded
    assert services.ledger.head_position() == first.recorded


def test_the_views_show_the_loaded_history_and_the_storyline(services):
    load(services.ledger, generate_days(SMALL))
    services.runner().catch_up_all()
    calls = [cmd for cmd in generate(SMALL) if isinstance(cmd, c.RecordCall)]
    config = view_config(services.settings)
    story = customer_ref(story_index(SMALL.customers), SMALL.customers)
    query = MetricQuery(date(2000, 1, 1), SMALL.end, at=SMALL.end_at)

    with services.key_pool.connection() as conn:
        totals = cost_metrics(conn, query, config)[0]
        profile = customer_profile(conn, None, story, config, at=SMALL.end_at)

    assert totals["offered"] == len(calls)
    assert totals["answered"] == sum(call.outcome == "answered" for call in calls)
    assert profile is not None
    assert profile.latest_nps is not None
    assert profile.latest_nps.score == 10
    assert any(item.source_id == REPLY_ID for item in profile.recent_interactions)
    # The fraud alert of the last morning ranks first (an alert asks for an urgent reply).
    first = profile.why_calling[0]
    assert first.interaction is not None
    assert first.interaction.mailshot is not None
    assert (first.because, first.interaction.source_id) == ("recent_outbound", ALERT_ID)
    assert first.sentence.startswith("Alert SMS “Fraud alerts” sent yesterday at 09:12 UTC")
    assert "They already replied (callback) yesterday at 09:31 UTC." in first.sentence
    assert first.interaction.mailshot.campaign_name == "Fraud alerts"
    assert len(profile.why_calling) <= 5


def _demo(url: str, *args: str):
    env = {"TOUCHPOINT_DATABASE_URL": url, "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET}
    return CliRunner().invoke(app, ["demo", "--no-serve", *args], env=env)


def test_the_demo_command_loads_then_builds_the_views(database_url, services):
    result = _demo(database_url, "--customers", "40", "--months", "1", "--end", "2026-02-01")

    assert result.exit_code == 0, result.output
    expected = len(list(generate(DemoConfig(customers=40, months=1, end=date(2026, 2, 1)))))
    assert services.ledger.head_position() == expected
    runner = services.runner()
    assert all(runner.position(name) == expected for name in runner.views)


def test_the_demo_command_serves_a_database_with_facts_as_it_is(database_url, services):
    _demo(database_url, "--customers", "30", "--months", "1", "--end", "2026-02-01")
    head = services.ledger.head_position()

    again = _demo(database_url, "--customers", "30", "--months", "1", "--seed", "9")

    assert again.exit_code == 0, again.output
    assert "already holds" in again.output
    assert services.ledger.head_position() == head


def test_a_bad_end_date_is_refused_before_anything_starts(database_url):
    result = _demo(database_url, "--end", "not-a-day")

    assert result.exit_code == 2
    assert "--end" in result.output


def test_without_an_end_the_history_ends_today():
    config = _config(10, 1, 42, None)

    assert config.end == datetime.now(UTC).date()
