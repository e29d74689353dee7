"""Any CSV row, through any shipped mapping, is facts or a bad row with a reason: never a crash.

Values are drawn both from anything at all and from the shapes real exports use
(dates, clock times, durations, codes), so that rows get past the first column and
reach the later rules (negative durations, unknown codes, scores out of range).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.importers.fields import BadRow
from api.importers.mapping import load_mapping
from api.importers.rows import builder
from domain import commands as c

MAPPINGS = [
    "calls-timestamps", "calls-durations", "calls-historical", "surveys", "mailshots",
    "mailshot-responses", "telemarketing",
]  # fmt: skip
PLAUSIBLE = st.sampled_from(
    ["", "0", "7", "-5", "10", "11", "0:14", "4:21", "1:02:03", "09:14:00", "23:59:59",
     "02/03/2026", "2026-03-02", "2026-03-02 09:14:05", "2026-03-02T09:14:05+01:00",
     "ANSWERED", "ABANDONED", "Handled", "Caller hung up", "Test call", "Y", "N", "yes",
     "mailed", "control", "email", "sms", "post", "C-1", "12.50", "-3.00", "1e400", "NaN",
     "990101", "0:00:36", "AGENT", "HANG", "PHANTOM", "NO_SERVER", "CALL", "CONTROL", "yes",
     "no", "3", "1e9"]
)  # fmt: skip
ANY_TEXT = st.text(max_size=40)


def _rows(name: str) -> st.SearchStrategy[dict[str, str]]:
    columns = sorted(load_mapping(name).columns())
    cell = st.one_of(PLAUSIBLE, ANY_TEXT)
    return st.fixed_dictionaries(dict.fromkeys(columns, cell))


@pytest.mark.parametrize("name", MAPPINGS)
@given(data=st.data())
def test_any_row_becomes_facts_or_a_bad_row_with_a_reason(name, data):
    build = builder(load_mapping(name))
    row = data.draw(_rows(name))

    outcome = _outcome(build, row)

    assert outcome is not None, row


def _outcome(build, row) -> object:
    """The facts built, or the reason given; any other exception escapes (and fails)."""
    try:
        commands = build(row)
    except BadRow as bad:
        return bad.reason.strip() or None
    except ValidationError as invalid:
        return invalid.errors() or None
    return commands if all(isinstance(cmd, c.Command) for cmd in commands) else None
