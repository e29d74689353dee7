"""Hypothesis on the domain and the importer's line parser with hostile input.

Whatever arrives, the outcome is one of the designed ones: a validation error or
a command; a command is decided into a fact or refused with a ``DomainError``;
an NDJSON line is a command or a ``BadLine`` with a reason. Never another
exception (which the API would turn into a 500, and the importer into a crash).
"""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from api.importers.ndjson import BadLine, LineParser, read_lines
from domain import commands as c
from domain import errors
from domain.facts import Fact
from tests import builders as b
from tests.unit.fakes import FakeSession

ADAPTER: TypeAdapter[c.Command] = TypeAdapter(c.AnyCommand)
VALID = [command.model_dump(mode="json") for command in b.one_of_each()]
KINDS = sorted({body["kind"] for body in VALID})
FIELDS = sorted({name for body in VALID for name in body} | {"about", "call", "colour"})

HOSTILE_TEXT = st.sampled_from(
    ["", " ", "\x00", "\ud800", "'; DROP TABLE x; --", "é" * 300, "9" * 400, "\n", "null"]
) | st.text(max_size=30)
HOSTILE_TIME = st.sampled_from(
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "2026-03-02T09:00:00",
        "2026-02-30T09:00:00Z",
        "1999-12-31T23:59:59-23:59",
        "2026-03-02T09:00:00+25:00",
    ]
)
HOSTILE_NUMBER = st.sampled_from([-1, 0, 11, 2**31, -(2**63), 2**64, 1e308, float("nan")]) | (
    st.integers() | st.floats(allow_nan=True)
)
LEAF = st.none() | st.booleans() | HOSTILE_NUMBER | HOSTILE_TEXT | HOSTILE_TIME
JSON = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=8,
)


def _outcome(body: Any) -> str:
    """What the domain makes of ``body``: 'invalid', 'refused' or 'decided'."""
    try:
        command = ADAPTER.validate_python(body)
    except ValidationError:
        return "invalid"
    try:
        fact = FakeSession().record(command)
    except errors.DomainError:
        return "refused"
    assert isinstance(fact, Fact)
    assert fact.source_id == command.source_id
    return "decided"


@settings(max_examples=300)
@given(kind=st.sampled_from(KINDS), body=st.dictionaries(st.sampled_from(FIELDS), JSON))
def test_any_object_of_any_kind_is_refused_or_decided_never_a_crash(kind, body):
    assert _outcome({**body, "kind": kind}) in {"invalid", "refused", "decided"}


@settings(max_examples=400)
@given(
    valid=st.sampled_from(VALID),
    field=st.sampled_from(FIELDS),
    value=JSON,
)
def test_a_valid_fact_with_one_hostile_field_is_refused_or_decided_never_a_crash(
    valid, field, value
):
    assert _outcome({**valid, field: value}) in {"invalid", "refused", "decided"}


@settings(max_examples=200)
@given(
    valid=st.sampled_from(VALID),
    field=st.sampled_from(["nps", "csat", "effort", "wait_seconds", "talk_seconds"]),
    value=st.integers(min_value=-(2**70), max_value=2**70),
)
def test_out_of_range_scores_and_durations_never_become_facts(valid, field, value):
    body = {**valid, field: value}
    if field not in valid:
        return  # the field is not one of this kind's
    outcome = _outcome(body)
    bounds = {"nps": (0, 10), "csat": (1, 5), "effort": (1, 7)}
    low, high = bounds.get(field, (0, 366 * 24 * 3600))
    if not low <= value <= high:
        assert outcome in {"invalid", "refused"}


@settings(max_examples=300)
@given(raw=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_any_line_is_a_command_or_a_bad_line_with_a_reason(raw):
    command, reason = _parse(raw)

    if command is None:
        assert reason
        assert len(reason) < 2000  # a reason, never the whole input
    else:
        assert isinstance(command, c.Command)


def _parse(raw: bytes) -> tuple[c.Command | None, str | None]:
    try:
        return LineParser().parse(raw), None
    except BadLine as bad:
        return None, bad.reason


@settings(max_examples=200)
@given(data=st.binary(max_size=2000))
def test_reading_lines_accounts_for_every_byte_and_numbers_lines_from_one(data):
    lines = list(read_lines(io.BytesIO(data)))

    assert sum(consumed for _, _, consumed in lines) == len(data)
    assert [number for number, _, _ in lines] == list(range(1, len(lines) + 1))
    assert b"".join(raw for _, raw, _ in lines if raw is not None) == data
