"""Migration 0017 (staffing intervals, histograms, METRICS.md bands): the cost and cem
views cannot be converted in place, so the migration empties them and puts them back at
position 0; the projector rebuilds them from the log, slots and buckets included."""

from __future__ import annotations

from alembic import command
from api.storage.migrations import alembic_config
from tests.integration.projections.cost.support import call, project, record, table


def _positions(url: str) -> dict[str, int]:
    return dict(table(url, "SELECT view_name, position FROM view_tracking"))


def test_upgrading_to_0017_rewinds_the_cost_and_cem_views_which_then_refill(services, database_url):
    record(services, call(), call(customer_ref="C2"))
    project(services)
    assert _positions(database_url)["cost"] > 0
    config = alembic_config(database_url)

    command.downgrade(config, "0016")
    command.upgrade(config, "0017")

    positions = _positions(database_url)
    assert (positions["cost"], positions["cem"]) == (0, 0)
    assert table(database_url, "SELECT count(*) FROM cost_daily") == [(0,)]
    project(services)
    assert table(database_url, "SELECT sum(offered) FROM cost_intervals") == [(2,)]
    assert table(database_url, "SELECT sum(calls) FROM cost_histograms") == [(4,)]
