"""The input models: shapes refused at the boundary, content hashes and fact ids."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from uuid import UUID, uuid5

import pytest
from pydantic import TypeAdapter, ValidationError

from domain import commands as c
from domain import ids
from tests import builders as b

ANY_COMMAND: TypeAdapter[c.Command] = TypeAdapter(c.AnyCommand)
MEGABYTE = "x" * 1_000_000


def _plain(customer_ref: str | None, plaintext: str) -> str:
    return hashlib.sha256(f"{customer_ref}|{plaintext}".encode()).hexdigest()


def test_a_naive_occurred_at_is_refused():
    with pytest.raises(ValidationError, match="timezone"):
        b.call(occurred_at=datetime(2026, 3, 2, 9, 0))


def test_a_naive_offered_at_is_refused():
    with pytest.raises(ValidationError, match="timezone"):
        b.call(offered_at="2026-03-02T09:00:00")


def test_an_iso_timestamp_with_an_offset_is_accepted_as_the_same_instant():
    cmd = b.call(occurred_at="2026-03-02T10:10:00+01:00")
    assert cmd.occurred_at == b.at(10)


@pytest.mark.parametrize("build", [b.call, b.customer, b.survey, b.sent, b.campaign])
def test_unknown_fields_are_refused(build):
    with pytest.raises(ValidationError, match="extra"):
        build(colour="blue")


def test_an_unknown_field_inside_a_reference_is_refused():
    with pytest.raises(ValidationError):
        b.correction(call={"source": "acd", "source_id": "call-1", "kind": "call"})


@pytest.mark.parametrize("bad", ["a\x00b", "line\nbreak", "bell\x07", "tab\there", "del\x7f"])
def test_control_characters_in_short_text_are_refused(bad):
    with pytest.raises(ValidationError):
        b.call(source_id=bad)


def test_a_nul_in_free_text_is_refused():
    with pytest.raises(ValidationError):
        b.survey(comment="fine\x00really")
    with pytest.raises(ValidationError):
        b.customer(name="Zebedee\x00Quux")


def test_free_text_may_span_lines():
    assert b.survey(comment="Line one\nLine two").comment == "Line one\nLine two"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (b.call, "queue"),
        (b.call, "source_id"),
        (b.customer, "name"),
        (b.customer, "email"),
        (b.survey, "comment"),
        (b.responded, "how"),
    ],
)
def test_a_megabyte_string_is_refused(build, field):
    with pytest.raises(ValidationError, match="at most"):
        build(**{field: MEGABYTE})


def test_an_empty_source_id_is_refused():
    with pytest.raises(ValidationError):
        b.call(source_id="")


def test_money_with_too_many_decimal_places_is_refused():
    with pytest.raises(ValidationError):
        b.sent(unit_cost="0.123456")


def test_a_kind_picks_the_command_and_an_unknown_kind_is_refused():
    cmd = ANY_COMMAND.validate_python(b.call().model_dump(mode="json"))
    assert isinstance(cmd, c.RecordCall)
    with pytest.raises(ValidationError):
        ANY_COMMAND.validate_python(b.call().model_dump(mode="json") | {"kind": "call_deleted"})


def test_every_kind_a_caller_sends_survives_a_json_round_trip():
    for cmd in b.one_of_each():
        assert ANY_COMMAND.validate_json(cmd.model_dump_json()) == cmd


def test_equal_content_has_an_equal_hash():
    assert b.call().content_hash(_plain) == b.call().content_hash(_plain)
    assert b.customer().content_hash(_plain) == b.customer().content_hash(_plain)


@pytest.mark.parametrize(
    "change", [{"talk_seconds": 241}, {"resolved": False}, {"agent_id": None}, {"queue": "sales"}]
)
def test_different_content_has_a_different_hash(change):
    assert b.call(**change).content_hash(_plain) != b.call().content_hash(_plain)


def test_personal_fields_enter_the_hash_through_the_keyed_fingerprint():
    cmd = b.customer(name="Zebedee Quux")
    other_key = lambda ref, text: _plain(ref, text + "-other-key")  # noqa: E731
    assert cmd.content_hash(_plain) != cmd.content_hash(other_key)
    assert b.customer(name="Zebedee Quuz").content_hash(_plain) != cmd.content_hash(_plain)


def test_erasing_again_later_for_another_reason_is_the_same_content():
    first = c.EraseCustomer(
        occurred_at=b.at(1), source="touchpoint", source_id="C1", customer_ref="C1"
    )
    again = c.EraseCustomer(
        occurred_at=b.at(99),
        source="touchpoint",
        source_id="C1",
        customer_ref="C1",
        reason="asked twice",
    )
    assert first.content_hash(_plain) == again.content_hash(_plain)


def _uuid5(*parts: str) -> UUID:
    return uuid5(ids.NAMESPACE, "\x1f".join(parts))


@pytest.mark.parametrize(
    ("cmd", "kind", "source", "source_id"),
    [
        (b.customer(), "CustomerRegistered", "crm", "reg-C1"),
        (b.correction(), "CallCorrected", "acd", "fix-1"),
        (b.delivered(), "MailshotDelivered", "print-house", "dlv-1"),
        (b.campaign(), "CampaignPlanned", "crm", "plan-spring"),
    ],
)
def test_a_fact_id_is_the_uuid5_of_kind_source_and_source_id(cmd, kind, source, source_id):
    assert cmd.fact_id() == _uuid5(kind, source, source_id)


def test_opening_facts_share_their_stream_id():
    assert b.call().fact_id() == b.call().stream_id() == _uuid5("call", "acd", "call-1")
    mailshot = _uuid5("mailshot", "print-house", "m-1")
    assert b.sent().fact_id() == b.held_back().fact_id() == mailshot
    assert b.survey().fact_id() == _uuid5("survey", "survey-tool", "s-1")


def test_a_fact_id_depends_on_source_as_well_as_source_id():
    assert b.call(source="acd-2").fact_id() != b.call().fact_id()
    assert b.correction(source_id="fix-2").fact_id() != b.correction().fact_id()


def test_the_separator_keeps_source_and_source_id_apart():
    assert ids.derive_id("k", "a\x1fb", "c") == ids.derive_id(
        "k", "a", "b\x1fc"
    )  # why input refuses \x1f
    with pytest.raises(ValidationError):
        b.call(source="a\x1fb")


def test_follow_ups_and_corrections_belong_to_the_stream_they_name():
    assert b.correction().stream_id() == b.call().stream_id()
    assert b.delivered().stream_id() == b.sent().stream_id()
    assert (
        b.contact_change().stream_id()
        == b.customer().stream_id()
        == _uuid5("customer", "touchpoint", "C1")
    )


@pytest.mark.parametrize("value", [True, 1.5, "12"])
def test_a_duration_must_be_a_json_integer_not_a_boolean_float_or_string(value):
    data = b.call().model_dump(mode="json") | {"wait_seconds": value}
    with pytest.raises(ValidationError):
        c.RecordCall.model_validate(data)


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", "1", 1.0])
@pytest.mark.parametrize(
    ("build", "field"),
    [(b.call, "transferred"), (b.call, "resolved"), (b.consent, "granted")],
)
def test_a_yes_no_field_takes_only_true_or_false(build, field, value):
    sent = build().model_dump(mode="json") | {field: value}

    with pytest.raises(ValidationError):
        ANY_COMMAND.validate_json(json.dumps(sent))
    with pytest.raises(ValidationError):
        ANY_COMMAND.validate_python(sent)


def test_a_correction_s_yes_no_fields_take_only_true_false_or_nothing():
    correction = b.correction().model_dump(mode="json")

    for value in (True, False, None):
        ANY_COMMAND.validate_json(json.dumps(correction | {"transferred": value}))
    with pytest.raises(ValidationError):
        ANY_COMMAND.validate_json(json.dumps(correction | {"transferred": 0}))
