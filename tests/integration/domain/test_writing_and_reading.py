"""Writing every kind of fact and reading the log and streams back, on PostgreSQL."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from domain import facts as f
from domain import ids
from tests import builders as b

AUTHOR = "integration-test"


@pytest.fixture
def recorded(services):
    """One fact of every kind, recorded one at a time; their outcomes."""
    return [services.ledger.record(cmd, AUTHOR) for cmd in b.one_of_each()]


def test_every_kind_recorded_returns_a_strictly_increasing_position(services, recorded):
    positions = [outcome.position for outcome in recorded]
    assert {outcome.status for outcome in recorded} == {"recorded"}
    assert all(p > 0 for p in positions)
    assert all(earlier < later for earlier, later in itertools.pairwise(positions))
    assert services.ledger.head_position() == positions[-1]


def test_the_log_holds_each_fact_at_its_position_in_order(services, recorded):
    logged = services.ledger.read_log(0, 100)
    assert [item.position for item in logged] == [o.position for o in recorded]
    assert [item.kind for item in logged] == [cmd.KIND for cmd in b.one_of_each()]
    assert {item.fact.recorded_by for item in logged} == {AUTHOR}


def test_facts_read_back_keep_their_types(services, recorded):
    by_kind = {item.kind: item.fact for item in services.ledger.read_log(0, 100)}
    assert by_kind["CampaignPlanned"].fixed_cost == Decimal("1500.00")
    assert by_kind["MailshotSent"].unit_cost == Decimal("0.85")
    assert by_kind["MailshotConverted"].value == Decimal("120.00")
    assert by_kind["CallRecorded"].occurred_at == b.at(10)
    assert by_kind["SurveyReplied"].about_id == ids.call_stream_id("acd", "call-1")
    assert by_kind["CallCorrected"].resolved is False


def test_an_erasure_is_recorded_after_everything_else(services, recorded):
    outcome = services.ledger.erase_customer("C1", AUTHOR, reason="asked to be forgotten")
    assert outcome.status == "recorded"
    assert outcome.position > recorded[-1].position
    [erased] = services.ledger.read_log(recorded[-1].position, 10)
    assert isinstance(erased.fact, f.CustomerErased)
    assert erased.fact.reason == "asked to be forgotten"


def test_pages_of_the_log_follow_one_another_without_loss_or_overlap(services, recorded):
    pages, after = [], 0
    while page := services.ledger.read_log(after, 5):
        pages.append(page)
        after = page[-1].position
    assert [len(page) for page in pages] == [5, 5, 4]
    assert [item.position for page in pages for item in page] == [o.position for o in recorded]


def test_reading_after_a_position_starts_just_past_it(services, recorded):
    positions = [o.position for o in recorded]
    page = services.ledger.read_log(positions[3], 2)
    assert [item.position for item in page] == positions[4:6]
    assert services.ledger.read_log(positions[-1], 10) == []


def test_reading_by_kind_returns_only_those_kinds_in_order(services, recorded):
    kinds = ["CallRecorded", "CallCorrected", "MailshotSent"]
    wanted = [
        o.position for o, cmd in zip(recorded, b.one_of_each(), strict=True) if cmd.KIND in kinds
    ]
    logged = services.ledger.read_log(0, 100, kinds=kinds)
    assert [item.position for item in logged] == wanted
    assert [item.kind for item in logged] == [
        "CallRecorded",
        "CallCorrected",
        "MailshotSent",
        "MailshotSent",
    ]


def test_reading_by_kind_pages_by_position_too(services, recorded):
    first = services.ledger.read_log(0, 1, kinds=["MailshotSent"])
    second = services.ledger.read_log(first[0].position, 1, kinds=["MailshotSent"])
    assert [first[0].fact.source_id, second[0].fact.source_id] == ["m-1", "m-2"]
    assert services.ledger.read_log(second[0].position, 1, kinds=["MailshotSent"]) == []


def test_a_stream_holds_a_call_and_its_correction_in_order(services, recorded):
    logged = services.ledger.read_stream(ids.call_stream_id("acd", "call-1"))
    assert [(item.kind, item.version) for item in logged] == [
        ("CallRecorded", 1),
        ("CallCorrected", 2),
    ]
    assert [item.position for item in logged] == [recorded[4].position, recorded[5].position]


def test_a_mailshot_stream_holds_its_send_and_follow_ups(services, recorded):
    logged = services.ledger.read_stream(ids.mailshot_stream_id("print-house", "m-1"))
    assert [item.kind for item in logged] == [
        "MailshotSent", "MailshotDelivered", "MailshotResponded", "MailshotConverted",
    ]  # fmt: skip
    assert [item.version for item in logged] == [1, 2, 3, 4]


def test_an_unknown_stream_is_empty(services, recorded):
    assert services.ledger.read_stream(ids.call_stream_id("acd", "no-such-call")) == []
