"""CallCorrected moves a call's contribution exactly (METRICS.md "Cost view"): "A
CallCorrected replaces the affected fields of that call in every bucket it touched: the
view subtracts the old contribution and adds the new one." """

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from projections.config import ViewConfig
from tests.integration.projections.cost.support import (
    T0,
    call,
    correction,
    metrics,
    project,
    record,
    runner,
    table,
    total,
)

CONFIG = ViewConfig(
    cost_per_handled_second={"billing": Decimal("0.02"), "sales": Decimal("0.03")},
    fixed_cost_per_answered_call=Decimal("0.50"),
)
KEY = ("queue", "agent", "reason")


def by_key(services):
    rows = metrics(services, config=CONFIG, group_by=KEY)
    return {tuple(row[k] for k in KEY): row for row in rows}


@pytest.mark.parametrize("same_page", [False, True], ids=["later-page", "same-page"])
def test_a_correction_moves_a_call_between_buckets_and_changes_its_handled_time(
    services, same_page
):
    """The moved call leaves billing/A1/bill (handled 100 s, cost 100 x 0.02 + 0.50) and
    arrives in sales/A2/tech with its corrected talk time (300 + 20 hold: 320 x 0.03 + 0.50)."""
    stays = call(customer_ref="C1", talk_seconds=40)
    moves = call(customer_ref="C2", talk_seconds=100, hold_seconds=20, transferred=True)
    fix = correction(moves, queue="sales", agent_id="A2", reason="tech", talk_seconds=300)
    record(services, stays, moves, *([fix] if same_page else []))
    project(services, CONFIG)
    if not same_page:
        record(services, fix)
        project(services, CONFIG)
    rows = by_key(services)
    assert set(rows) == {("billing", "A1", "bill"), ("sales", "A2", "tech")}
    old, new = rows["billing", "A1", "bill"], rows["sales", "A2", "tech"]
    assert (old["offered"], old["handled_seconds"], old["transferred"]) == (1, 40, 0)
    assert old["cost"] == 40 * Decimal("0.02") + Decimal("0.50")
    assert (new["offered"], new["handled_seconds"], new["transferred"]) == (1, 320, 1)
    assert new["cost"] == 320 * Decimal("0.03") + Decimal("0.50")
    assert total(services, config=CONFIG)["aht"] == (40 + 320) / 2


def test_a_bucket_emptied_by_a_correction_is_dropped(services, database_url):
    """A rebuild would never have had the old bucket, so the live view drops it."""
    moved = call(customer_ref="C1")
    record(services, moved)
    project(services)
    record(services, correction(moved, agent_id="A9"))
    project(services)
    assert table(database_url, "SELECT queue, agent, reason, offered FROM cost_daily") == [
        ("billing", "A9", "bill", 1)
    ]


def test_corrections_apply_in_log_order_whatever_the_page_size(services):
    """Two corrections of one call: the later one wins where both name a field."""
    first = call(customer_ref="C1", talk_seconds=100)
    record(services, first, correction(first, queue="sales", talk_seconds=200))
    record(services, correction(first, talk_seconds=300, resolved=True))
    for page_size in (1, 100):
        assert _rebuilt(services, page_size) == [("sales", 300, 1)]


def _rebuilt(services, page_size):
    runner(services, page_size=page_size).rebuild("cost")
    with services.key_pool.connection() as conn:
        return conn.execute("SELECT queue, talk_seconds, resolved FROM cost_daily").fetchall()


def test_a_reason_correction_creates_a_repeat(services):
    """B is about 'move' until corrected to 'bill': then it repeats A (same customer,
    same reason, 1 day later) and A is no longer first-contact resolved."""
    a = call(customer_ref="C1", reason="bill", occurred_at=T0)
    b = call(customer_ref="C1", reason="move", occurred_at=T0 + timedelta(days=1))
    record(services, a, b)
    project(services)
    assert (total(services)["repeat_contacts"], total(services)["fcr_resolved"]) == (0, 2)
    record(services, correction(b, reason="bill"))
    project(services)
    row = total(services)
    assert (row["repeat_contacts"], row["fcr_resolved"], row["fcr_eligible"]) == (1, 1, 2)


def test_a_reason_correction_removes_a_repeat(services):
    """Correcting the first call's reason away unlinks its former repeat."""
    a = call(customer_ref="C1", reason="bill", occurred_at=T0)
    b = call(customer_ref="C1", reason="bill", occurred_at=T0 + timedelta(days=1))
    record(services, a, b)
    project(services)
    assert total(services)["repeat_contacts"] == 1
    record(services, correction(a, reason="move"))
    project(services)
    row = total(services)
    assert (row["repeat_contacts"], row["fcr_resolved"], row["fcr_eligible"]) == (0, 2, 2)
    assert {r["reason"]: r["offered"] for r in metrics(services, group_by=("reason",))} == {
        "bill": 1,
        "move": 1,
    }
