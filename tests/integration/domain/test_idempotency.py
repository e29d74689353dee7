"""The same fact twice is one fact; the same ids with other content is a conflict."""

from __future__ import annotations

import pytest

from domain import errors
from tests import builders as b
from tests.integration.sql import count

AUTHOR = "integration-test"


def _rows(url: str) -> tuple[int, int]:
    return count(url, "touchpoint_events"), count(url, "fact_keys")


def test_every_kind_sent_again_is_a_duplicate_at_its_original_position(services):
    ledger = services.ledger
    first = [ledger.record(cmd, AUTHOR) for cmd in b.one_of_each()]
    before = _rows(services.database_url)
    again = [ledger.record(cmd, "another-author") for cmd in b.one_of_each()]
    assert [o.status for o in again] == ["duplicate"] * len(first)
    assert [o.position for o in again] == [o.position for o in first]
    assert [o.stream_id for o in again] == [o.stream_id for o in first]
    assert _rows(services.database_url) == before == (len(first), len(first))


def test_a_duplicate_sent_in_a_later_batch_returns_the_original_position(services):
    [call] = services.ledger.record_batch([b.call()], AUTHOR)
    services.ledger.record(b.call("call-2"), AUTHOR)
    [again] = services.ledger.record_batch([b.call()], AUTHOR)
    assert (again.status, again.position) == ("duplicate", call.position)
    assert count(services.database_url, "touchpoint_events") == 2


def test_a_registration_sent_again_is_a_duplicate_although_its_ciphertext_would_differ(services):
    # Sealing uses a fresh nonce each time; duplicates are found by keyed fingerprint.
    first = services.ledger.record(b.customer(name="Zebedee Quux"), AUTHOR)
    again = services.ledger.record(b.customer(name="Zebedee Quux"), AUTHOR)
    assert (again.status, again.position) == ("duplicate", first.position)


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        (b.call(), b.call(talk_seconds=241)),
        (b.customer(), b.customer(name="Somebody Else")),
        (b.survey(about=None), b.survey(about=None, nps=3)),
        (b.campaign(), b.campaign(fixed_cost="1600")),
    ],
)
def test_the_same_ids_with_other_content_is_a_conflict_naming_the_original(
    services, original, changed
):
    first = services.ledger.record(original, AUTHOR)
    with pytest.raises(errors.FactConflict) as conflict:
        services.ledger.record(changed, AUTHOR)
    assert conflict.value.original_position == first.position
    assert conflict.value.code == "fact-conflict"
    assert _rows(services.database_url) == (1, 1)


def test_a_mailshot_sent_and_held_back_under_the_same_ids_conflict(services):
    services.ledger.record(b.campaign(), AUTHOR)
    sent = services.ledger.record(b.sent(), AUTHOR)
    with pytest.raises(errors.FactConflict) as conflict:
        services.ledger.record(b.held_back(), AUTHOR)
    assert conflict.value.original_position == sent.position
    assert [item.kind for item in services.ledger.read_log(0, 10)] == [
        "CampaignPlanned",
        "MailshotSent",
    ]


def test_a_held_back_mailshot_later_reported_as_sent_conflicts(services):
    services.ledger.record(b.campaign(), AUTHOR)
    held = services.ledger.record(b.held_back(), AUTHOR)
    with pytest.raises(errors.FactConflict) as conflict:
        services.ledger.record(b.sent(), AUTHOR)
    assert conflict.value.original_position == held.position
    assert _rows(services.database_url) == (2, 2)


def test_the_same_source_id_from_another_source_is_another_fact(services):
    first = services.ledger.record(b.call(), AUTHOR)
    other = services.ledger.record(b.call(source="acd-north"), AUTHOR)
    assert other.status == "recorded"
    assert other.position > first.position
    assert other.stream_id != first.stream_id
