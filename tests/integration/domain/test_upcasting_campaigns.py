"""A v1 CampaignPlanned, stored before ``purpose`` existed, reads back as a marketing plan."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from domain import facts as f
from domain import ids
from domain.errors import FactConflict
from tests import builders as b
from tests.integration.sql import query
from tests.unit.fakes import FakeSession


def _v1_state(ledger) -> bytes:
    """The state the library's JSON transcoder wrote for a v1 CampaignPlanned (no
    ``purpose``, no ``class_version``)."""
    v2 = FakeSession().record(b.campaign("old"))
    state = asdict(v2)
    for name in ("originator_id", "originator_version", "purpose"):
        del state[name]
    return ledger.mapper.transcoder.encode(state)


def _store_v1(services) -> None:
    query(
        services.database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'touchpoint:CampaignPlanned', %s)",
        (ids.campaign_stream_id("old"), _v1_state(services.ledger)),
    )


def test_a_stored_v1_campaign_reads_back_planned_for_marketing(services):
    assert b"purpose" not in _v1_state(services.ledger)
    _store_v1(services)
    [logged] = services.ledger.read_log(0, 10, kinds=["CampaignPlanned"])
    assert isinstance(logged.fact, f.CampaignPlanned)
    assert (logged.fact.campaign_id, logged.fact.purpose) == ("old", "marketing")


def test_a_plan_sent_again_with_another_purpose_is_refused_not_a_duplicate(services):
    first = services.ledger.record(b.campaign("spring"), "test")
    same = services.ledger.record(b.campaign("spring", purpose="marketing"), "test")
    assert (first.status, same.status, same.position) == ("recorded", "duplicate", first.position)
    with pytest.raises(FactConflict, match="other content"):
        services.ledger.record(b.campaign("spring", purpose="alert"), "test")
