"""`touchpoint views status`, `touchpoint views rebuild NAME` on a real database."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from api.cli.main import build_app
from projections.config import ViewConfig
from projections.customer.view import CustomerView
from projections.leadership import Leadership
from projections.runner import ProjectionRunner
from tests.integration.histories import mixed_history, record_all, snapshot

app = build_app()  # the touchpoint command, as its entry point builds it


def _invoke(database_url, *args):
    return CliRunner().invoke(app, list(args), env={"TOUCHPOINT_DATABASE_URL": database_url})


def test_views_status_shows_each_view_with_its_lag(services, database_url):
    head = record_all(services.ledger, mixed_history(seed=1, count=60))
    view = CustomerView(ViewConfig())
    ProjectionRunner(services.ledger, services.key_pool, [view]).catch_up("customer")
    result = _invoke(database_url, "views", "status")
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines()]
    table = {row[0]: row[1:] for row in rows if len(row) == 6}
    # customer caught up (lag 0 facts, 0 s); cost never ran: all `head` facts behind.
    assert table["customer"] == [str(head), str(head), "0", "0.0", "none"]
    assert table["cost"][:3] == ["0", str(head), str(head)]
    assert float(table["cost"][3]) > 0


def test_views_status_names_the_projector_leading_a_view(services, database_url):
    leadership = Leadership(database_url, ["cost"], poll_seconds=0)
    try:
        assert leadership.lead() == ["cost"]
        result = _invoke(database_url, "views", "status")
    finally:
        leadership.close()
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines()]
    table = {row[0]: row[-1] for row in rows if len(row) == 6}
    assert re.fullmatch(r"pid \d+", table["cost"])
    assert table["crm"] == "none"


def test_views_rebuild_rebuilds_one_view_to_the_same_rows(services, database_url):
    record_all(services.ledger, mixed_history(seed=2, count=300))
    view = CustomerView(ViewConfig())
    runner = ProjectionRunner(services.ledger, services.key_pool, [view], page_size=17)
    runner.catch_up("customer")
    with services.key_pool.connection() as conn:
        live = snapshot(conn, view.tables)
    result = _invoke(database_url, "views", "rebuild", "customer")
    assert result.exit_code == 0, result.output
    assert f"switched in at position {services.ledger.head_position()}" in result.output
    with services.key_pool.connection() as conn:
        assert snapshot(conn, view.tables) == live
        copies = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'touchpoint\\_rebuild\\_%'"
        ).fetchone()
    assert copies == (0,)  # the copy is dropped once switched in


def test_rebuilding_an_unknown_view_is_a_usage_error(database_url):
    result = _invoke(database_url, "views", "rebuild", "nonsense")
    assert result.exit_code == 2
    assert "unknown view" in result.output
