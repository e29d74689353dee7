from datetime import UTC, datetime

from domain import commands as c


def test_a_recorded_call_is_read_back_at_its_position(services):
    cmd = c.RecordCall(
        occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC), source="acd", source_id="1",
        customer_ref="C1", queue="billing", reason="bill", wait_seconds=12,
        outcome="answered", talk_seconds=200,
    )
    outcome = services.ledger.record(cmd, "test")
    [logged] = services.ledger.read_log(0, 10)
    assert logged.position == outcome.position
    assert logged.fact.talk_seconds == 200
