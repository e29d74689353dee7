"""`touchpoint import FILE`: NDJSON facts in batches, bad lines reported, safe to repeat."""

from __future__ import annotations

import io
import json
import re

import psycopg
import pytest
from typer.testing import CliRunner, Result

from api.cli.main import build_app
from api.importers.ndjson import MAX_LINE_BYTES, Importer, default_author

app = build_app()  # the touchpoint command, as its entry point builds it


def _line(**fields) -> bytes:
    return json.dumps(fields).encode()


WHEN = "2026-01-05T09:00:00+00:00"
CALL = {
    "kind": "call_recorded",
    "occurred_at": WHEN,
    "source": "acd",
    "source_id": "1",
    "customer_ref": "C1",
    "queue": "billing",
    "reason": "bill",
    "wait_seconds": 12,
    "outcome": "answered",
    "talk_seconds": 200,
}
GOOD = {
    1: _line(
        kind="campaign_planned",
        occurred_at=WHEN,
        source="crm",
        source_id="spring",
        campaign_id="SPRING",
        name="Spring offer",
        channel="post",
        fixed_cost="1500.00",
    ),
    2: _line(
        kind="customer_registered",
        occurred_at=WHEN,
        source="crm",
        source_id="C1",
        customer_ref="C1",
        name="Zebedee Quux",
        email="z@example.org",
    ),
    3: _line(**CALL),
    4: _line(
        kind="mailshot_sent",
        occurred_at=WHEN,
        source="print",
        source_id="m1",
        customer_ref="C1",
        campaign_id="SPRING",
        channel="post",
        unit_cost=0.85,
    ),
    5: _line(
        kind="survey_replied",
        occurred_at=WHEN,
        source="survey",
        source_id="s1",
        customer_ref="C1",
        survey_kind="transactional",
        nps=9,
        about={"kind": "call", "source": "acd", "source_id": "1"},
    ),
}
LATIN1 = b'{"kind": "call_recorded", "queue": "caf\xe9"}'
WITH_NUL = b'{"kind": "call_recorded",\x00 "queue": "x"}'
BAD = {
    6: (b'{"kind": "call_recorded", "source": ', "invalid JSON: EOF while parsing a value"),
    7: (LATIN1, f"invalid UTF-8 at byte {LATIN1.index(0xE9) + 1}"),
    8: (WITH_NUL, f"NUL byte at byte {WITH_NUL.index(0) + 1}"),
    9: (
        _line(**{k: v for k, v in CALL.items() if k != "outcome"} | {"source_id": "9"}),
        "call_recorded.outcome: Field required",
    ),
    10: (_line(**CALL | {"kind": "phone_call"}), "Input tag 'phone_call'"),
    11: (
        _line(**CALL | {"source_id": "11", "wait_seconds": -5}),
        "negative-duration (wait_seconds)",
    ),
    13: (
        _line(
            kind="mailshot_sent",
            occurred_at=WHEN,
            source="print",
            source_id="m2",
            customer_ref="C1",
            campaign_id="AUTUMN",
            channel="post",
        ),
        "unknown-campaign (campaign_id)",
    ),
    15: (_line(**CALL | {"talk_seconds": 999}), "fact-conflict (source_id): this source_id was"),
    16: (b"[1, 2]", "a line must be a JSON object, not list"),
}
BLANK, REPEAT = 12, 14  # a blank line; line 3 again, unchanged


def _ndjson() -> bytes:
    lines = dict(GOOD) | {n: raw for n, (raw, _) in BAD.items()}
    lines |= {BLANK: b"   ", REPEAT: GOOD[3]}
    return b"\n".join(lines[n] for n in sorted(lines)) + b"\n"


@pytest.fixture
def ndjson(tmp_path):
    path = tmp_path / "facts.ndjson"
    path.write_bytes(_ndjson())
    return path


def _invoke(database_url: str, *args: object) -> Result:
    env = {"TOUCHPOINT_DATABASE_URL": database_url, "COLUMNS": "250"}
    return CliRunner().invoke(app, ["import", *map(str, args)], env=env)


def _count(output: str, outcome: str) -> int:
    match = re.search(rf"{outcome}\W+(\d+)", output)
    assert match, output
    return int(match.group(1))


def _refused_rows(output: str) -> dict[int, str]:
    """Line -> reason, from the table of refusals grouped by reason (count, lines, reason)."""
    table = output.split("Refused lines, by reason")[1]
    rows = re.findall(r"^│\s*(\d+)\s*│\s*([\d, ]+?)\s*│\s*(.+?)\s*│$", table, re.M)
    return {int(line): reason for _, lines, reason in rows for line in lines.split(", ")}


def _events(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM touchpoint_events").fetchone()
    assert row is not None
    return int(row[0])


def test_good_lines_are_recorded_and_each_bad_line_is_reported_with_its_reason(
    database_url, ndjson
):

    result = _invoke(database_url, ndjson)

    assert result.exit_code == 1, result.output
    assert _count(result.stdout, "recorded") == len(GOOD)
    assert _count(result.stdout, "duplicates") == 1  # line 14 repeats line 3
    assert _count(result.stdout, "refused") == len(BAD)
    rows = _refused_rows(result.stdout)
    assert sorted(rows) == sorted(BAD)
    for line, (_, reason) in BAD.items():
        assert reason in rows[line], (line, rows[line])
    assert _events(database_url) == len(GOOD)


def test_importing_the_same_file_again_records_nothing_new(database_url, ndjson):
    _invoke(database_url, ndjson)
    before = _events(database_url)

    again = _invoke(database_url, ndjson)

    assert _count(again.stdout, "recorded") == 0
    assert _count(again.stdout, "duplicates") == len(GOOD) + 1
    assert sorted(_refused_rows(again.stdout)) == sorted(BAD)
    assert _events(database_url) == before == len(GOOD)


def test_a_file_without_bad_lines_exits_zero_in_small_batches(database_url, tmp_path):
    path = tmp_path / "good.ndjson"
    path.write_bytes(b"\n".join(GOOD[n] for n in sorted(GOOD)))  # no final newline

    result = _invoke(database_url, path, "--batch-size", 2)

    assert result.exit_code == 0, result.output
    assert _count(result.stdout, "recorded") == len(GOOD)
    assert "Refused lines" not in result.stdout
    assert _events(database_url) == len(GOOD)


def test_a_missing_file_is_unusable_input(database_url, tmp_path):
    result = _invoke(database_url, tmp_path / "nowhere.ndjson")

    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_a_directory_is_unusable_input(database_url, tmp_path):
    result = _invoke(database_url, tmp_path)

    assert result.exit_code == 2
    assert str(tmp_path) in result.stderr


def test_the_importer_reports_progress_up_to_every_byte_and_records_its_author(services):
    data = _ndjson()
    progressed: list[int] = []

    report = Importer(services.ledger, default_author(), 3, progressed.append).run(io.BytesIO(data))

    assert sum(progressed) == len(data)
    assert len(progressed) > 1  # one call per batch of 3
    assert [r.line for r in report.refused] == sorted(BAD)
    authors = {logged.fact.recorded_by for logged in services.ledger.read_log(0, 100)}
    assert authors == {default_author()}
    assert default_author().startswith("import:")


def test_an_overlong_line_is_refused_and_the_next_line_still_read(services):
    data = b'{"kind": "' + b"x" * MAX_LINE_BYTES + b'"}\n' + GOOD[1] + b"\n"

    report = Importer(services.ledger, "import:test", 10).run(io.BytesIO(data))

    assert [(r.line, r.reason) for r in report.refused] == [
        (1, f"line longer than {MAX_LINE_BYTES} bytes")
    ]
    assert report.recorded == 1


def test_a_nesting_bomb_and_a_huge_number_are_refused_lines_not_crashes(database_url, tmp_path):
    """Hostile lines are reported with their number; the good line is still recorded."""
    bomb = b"[" * 100_000 + b"]" * 100_000
    huge = b'{"kind": "call_recorded", "wait_seconds": ' + b"9" * 5000 + b"}"
    path = tmp_path / "hostile.ndjson"
    path.write_bytes(b"\n".join([bomb, huge, GOOD[3]]) + b"\n")
    result = _invoke(database_url, path)
    assert result.exit_code == 1, result.output
    assert _count(result.stdout, "recorded") == 1
    assert sorted(_refused_rows(result.stdout)) == [1, 2]
