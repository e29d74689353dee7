"""A call's wrap-up, decided without a database: notes (personal) and the reason list."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import commands as c
from domain import errors, ids, rules
from domain import facts as f
from domain.reading import LoggedFact
from domain.reasons import STARTER, ReasonList, in_force
from tests import builders as b
from tests.unit.fakes import NOW, FakeSession, ReversingKeyring

# --- notes ------------------------------------------------------------------------


def call_fact(session: FakeSession, cmd: c.RecordCall) -> f.CallRecorded:
    fact = session.record(cmd)
    assert isinstance(fact, f.CallRecorded)
    return fact


def test_notes_are_trimmed_and_sealed_under_the_customers_key():
    fact = call_fact(FakeSession(), b.call(notes="  Card blocked; new one sent.\n"))

    assert isinstance(fact, f.CallRecorded)
    assert fact.notes == ".tnes eno wen ;dekcolb draC"  # the fake keyring seals by reversing


def test_a_call_without_notes_or_with_only_blanks_has_none():
    assert call_fact(FakeSession(), b.call()).notes is None
    assert b.call(notes=" \n\t ").notes is None


def test_notes_of_2000_characters_are_taken_and_2001_refused_naming_notes():
    assert b.call(notes="é" * 2000).notes == "é" * 2000
    assert b.call(notes=" " + "x" * 2000 + "\n").notes == "x" * 2000  # counted once trimmed

    with pytest.raises(ValidationError) as refused:
        b.call(notes="x" * 2001)

    assert [e["loc"] for e in refused.value.errors()] == [("notes",)]


def test_notes_keep_their_lines_but_refuse_a_nul_character():
    assert b.call(notes="line one\nline two").notes == "line one\nline two"
    with pytest.raises(ValidationError):
        b.call(notes="before\x00after")


def test_a_customer_whose_key_is_gone_gets_no_call_notes_but_still_gets_calls():
    session = FakeSession(keyring=ReversingKeyring(erased={"C1"}))

    assert call_fact(session, b.call("without")).notes is None
    with pytest.raises(errors.CustomerErased):
        session.record(b.call("with", notes="asked about the card"))


def test_the_same_call_with_other_notes_has_another_content_hash():
    keyring = ReversingKeyring()
    plain = b.call().content_hash(keyring.fingerprint)
    noted = b.call(notes="a").content_hash(keyring.fingerprint)
    other = b.call(notes="b").content_hash(keyring.fingerprint)

    assert len({plain, noted, other}) == 3
    assert b.call(notes=" a ").content_hash(keyring.fingerprint) == noted


def test_a_call_recorded_before_notes_existed_reads_as_having_none():
    state = {"occurred_at": NOW, "offered_at": NOW, "queue": "billing"}

    f.CallRecorded.upcast_v2_v3(state)

    assert state["notes"] is None
    assert f.CallRecorded.class_version == 3
    assert f.CallRecorded.PERSONAL == ("notes",)


# --- the reason list -----------------------------------------------------------------


def publish(*reasons: tuple[str, str], free_text: bool = False, **over) -> c.PublishCallReasons:
    return c.PublishCallReasons.model_validate(
        {
            "occurred_at": NOW,
            "source": "touchpoint",
            "source_id": "list-1",
            "reasons": [{"code": code, "label": label} for code, label in reasons],
            "free_text_allowed": free_text,
        }
        | over
    )


def test_a_published_list_is_one_fact_in_the_reasons_stream():
    fact = FakeSession().record(publish(("card-lost", " Card lost or stolen ")))

    assert isinstance(fact, f.CallReasonsPublished)
    assert fact.originator_id == ids.call_reasons_stream_id()
    assert fact.reasons == [{"code": "card-lost", "label": "Card lost or stolen"}]
    assert fact.free_text_allowed is False


def test_each_publication_is_the_next_version_of_the_one_stream():
    session = FakeSession()
    session.record(publish(("a", "A")))

    second = session.record(publish(("b", "B"), source_id="list-2"))

    assert second.originator_version == 2


@pytest.mark.parametrize(
    ("reason", "field"),
    [
        ({"code": "Card-Lost", "label": "x"}, "reasons.0.code"),
        ({"code": "card lost", "label": "x"}, "reasons.0.code"),
        ({"code": "", "label": "x"}, "reasons.0.code"),
        ({"code": "a" * 41, "label": "x"}, "reasons.0.code"),
        ({"code": "carte-perdue-é", "label": "x"}, "reasons.0.code"),
        ({"code": "ok", "label": ""}, "reasons.0.label"),
        ({"code": "ok", "label": "   "}, "reasons.0.label"),
        ({"code": "ok", "label": "x" * 81}, "reasons.0.label"),
        ({"code": "ok", "label": "two\nlines"}, "reasons.0.label"),
        ({"code": "ok"}, "reasons.0.label"),
        ({"code": "ok", "label": "x", "colour": "red"}, "reasons.0.colour"),
    ],
)
def test_a_bad_code_or_label_is_refused_naming_it(reason, field):
    with pytest.raises(ValidationError) as refused:
        c.PublishCallReasons.model_validate(
            {
                "occurred_at": NOW,
                "source": "touchpoint",
                "source_id": "l",
                "reasons": [reason],
                "free_text_allowed": True,
            }
        )

    names = {".".join(map(str, e["loc"])) for e in refused.value.errors()}
    assert names == {field}


def test_200_reasons_are_a_list_and_201_are_refused():
    many = [(f"r-{n}", f"Reason {n}") for n in range(201)]
    assert len(publish(*many[:200]).reasons) == 200

    with pytest.raises(ValidationError) as refused:
        publish(*many)

    assert [e["loc"] for e in refused.value.errors()] == [("reasons",)]


def test_a_code_twice_is_refused_naming_the_second():
    with pytest.raises(errors.DuplicateReasonCode) as refused:
        FakeSession().record(publish(("a", "A"), ("b", "B"), ("a", "Again")))

    assert refused.value.field == "reasons.2.code"


def test_an_empty_list_needs_free_text():
    fact = FakeSession().record(publish(free_text=True))
    assert isinstance(fact, f.CallReasonsPublished)
    assert fact.reasons == []
    with pytest.raises(errors.NoReasonAllowed) as refused:
        FakeSession().record(publish(free_text=False))
    assert refused.value.field == "reasons"


@given(st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=40))
def test_every_lowercase_slug_up_to_40_characters_is_a_code(code):
    assert publish((code, "Label")).reasons[0].code == code


def logged(position: int, *reasons: tuple[str, str], free_text: bool) -> LoggedFact:
    fact = FakeSession().record(publish(*reasons, free_text=free_text))
    return LoggedFact(position, fact)


def test_the_list_in_force_is_the_last_published_and_else_the_starter_list():
    first = logged(7, ("a", "A"), free_text=True)
    second = logged(19, ("b", "B"), ("c", "C"), free_text=False)

    assert in_force([]) == STARTER
    assert in_force([first]) == ReasonList((("a", "A"),), True, 7)
    assert in_force([first, second]) == ReasonList((("b", "B"), ("c", "C")), False, 19)


def test_the_starter_list_allows_free_text_and_has_unique_slugs():
    assert STARTER.free_text_allowed is True
    assert STARTER.position is None
    assert len(set(STARTER.codes)) == len(STARTER.codes) == 15
    publish(*STARTER.reasons)  # every code and label passes the list's own validation


def test_a_listed_reason_passes_and_an_unlisted_one_is_refused_unless_free_text():
    closed = ReasonList((("card-lost", "Card lost"),), free_text_allowed=False)
    open_ = ReasonList((("card-lost", "Card lost"),), free_text_allowed=True)

    closed.check("card-lost")
    open_.check("my own words")
    with pytest.raises(errors.UnlistedReason) as refused:
        closed.check("card-stolen")
    assert refused.value.field == "reason"


def test_an_agent_id_other_than_the_keys_name_is_refused():
    rules.check_agent_is_key(None, "a-17")
    rules.check_agent_is_key("a-17", "a-17")
    with pytest.raises(errors.AgentMismatch) as refused:
        rules.check_agent_is_key("a-18", "a-17")
    assert refused.value.field == "agent_id"
