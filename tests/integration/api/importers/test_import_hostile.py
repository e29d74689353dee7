"""Hypothesis on the importer: files mixing good facts with hostile lines, imported twice.

Each example is a file of good call facts (some repeated) and bad lines of every
sort (invalid UTF-8, NUL bytes, broken JSON, unknown fields, values a domain rule
refuses), in random order, imported in batches of random size. Then:

- every bad line is reported with its own line number, and only those;
- every distinct good fact is recorded once (a repeat within the file is a duplicate);
- importing the same file again records nothing, reports every good line as a
  duplicate and the same bad lines.

(Fixed cases of the importer are in test_import.py.)
"""

from __future__ import annotations

import io
import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from api.importers.ndjson import Importer
from tests import builders as b

_examples = itertools.count()


def _good(example: int, n: int) -> bytes:
    command = b.call(f"hostile-{example}-{n}", ref=f"H{example}")
    return command.model_dump_json().encode()


BAD_LINES = [
    b'{"kind": "call_recorded", "source": "ac\xffd"}',
    b'{"kind": "call\x00_recorded"}',
    b'{"kind": "call_recorded", ',
    b"[" * 3000,
    b"not json at all",
    b'"a string"',
    b"42",
    b'{"kind": "no_such_fact"}',
]


def _rule_breaking(example: int, n: int) -> bytes:
    """Valid JSON and fields, refused by a domain rule (a negative duration)."""
    body = json.loads(_good(example, n)) | {"source_id": f"bad-{example}-{n}", "wait_seconds": -5}
    return json.dumps(body).encode()


def _unknown_field(example: int, n: int) -> bytes:
    return json.dumps(json.loads(_good(example, n)) | {"colour": "red"}).encode()


@st.composite
def files(draw):
    """(lines, numbers of the bad lines, distinct good lines, good lines in all)."""
    example = next(_examples)
    kinds = draw(st.lists(st.sampled_from(["good", "again", "bad", "rule", "field"]), max_size=40))
    lines: list[bytes] = []
    bad: set[int] = set()
    good: list[bytes] = []
    for number, kind in enumerate(kinds, 1):
        if kind == "again" and good:
            lines.append(draw(st.sampled_from(good)))
            continue
        if kind in ("good", "again"):
            line = _good(example, number)
            good.append(line)
        else:
            bad.add(number)
            line = {
                "bad": draw(st.sampled_from(BAD_LINES)),
                "rule": _rule_breaking(example, number),
                "field": _unknown_field(example, number),
            }[kind]
        lines.append(line)
    good_lines = sum(1 for line in lines if line in good)
    return lines, bad, len(set(good)), good_lines


@settings(max_examples=20)
@given(file=files(), batch_size=st.integers(min_value=1, max_value=7))
def test_bad_lines_are_reported_by_number_good_ones_recorded_once_and_rerun_is_idempotent(
    services, file, batch_size
):
    lines, bad, distinct_good, good_lines = file
    data = b"\n".join(lines) + b"\n"

    first = Importer(services.ledger, "import:test", batch_size).run(io.BytesIO(data))
    again = Importer(services.ledger, "import:test", batch_size).run(io.BytesIO(data))

    assert {refusal.line for refusal in first.refused} == bad
    assert all(refusal.reason for refusal in first.refused)
    assert first.recorded == distinct_good
    assert first.duplicates == good_lines - distinct_good
    assert (again.recorded, again.duplicates) == (0, good_lines)
    assert [r.line for r in again.refused] == [r.line for r in first.refused]
