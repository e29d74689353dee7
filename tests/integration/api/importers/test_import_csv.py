"""touchpoint import-calls|import-surveys|import-mailshots on messy files, into a real database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from typer.testing import CliRunner

from api.bootstrap import view_config
from api.cli.main import build_app
from projections.crm.queries import crm_metrics
from projections.query import MetricQuery
from tests.conftest import TEST_KEY_SECRET

app = build_app()  # the touchpoint command, as its entry point builds it

CALLS = """\
CallDate,CallId,Account,Queue,AgentLogin,QueueEntry,QueueExit,ServiceStart,ServiceEnd,HoldSecs,WrapSecs,Disposition,WrapCode,Transferred,Resolved
02/03/2026,1881,C-1001,billing,a17,09:14:05,09:14:19,09:14:19,09:18:40,30,45,ANSWERED,bill-query,N,Y
02/03/2026,1882,C-1002,billing,,09:20:00,09:21:10,,,,,ABANDONED,,N,N
02/03/2026,1883,C-1003,billing,a17,09:30:00,09:30:00,09:30:00,09:30:01,0,0,TEST,,N,N
02/03/2026,1884,C-1004,billing,a18,09:40:19,09:40:00,09:40:00,09:44:00,0,10,ANSWERED,x,N,Y
02/03/2026,1885,C-1005,billing,a18,09:50:00,09:50:30,09:50:30,09:55:00,0,10,ESCALATED,x,N,Y
03/03/2026,1881,C-1001,billing,a17,10:00:00,10:00:05,10:00:05,10:03:00,0,20,ANSWERED,bill-query,N,Y
"""
SURVEYS = """\
Response ID,Submitted,Customer Number,Survey,NPS,CSAT,Effort,Comments,Call Date,Call ID
R-1,2026-03-02T11:02:00Z,C-1001,Post-call,9,5,6,Quick and friendly,02/03/2026,1881
R-2,2026-03-02T12:00:00Z,C-1004,Post-call,4,2,,,02/03/2026,1884
R-3,2026-03-05T10:00:00Z,C-1002,Annual,7,,,,,
R-4,2026-03-05T10:00:00Z,C-1002,Annual,,,,,,
"""
SENDS = """\
Campaign,Campaign name,Customer,Channel,Sent,Cell,Unit cost
SPRING26,Spring savings,C-1001,EMAIL,2026-03-02,MAIL,0.003
SPRING26,Spring savings,C-1002,EMAIL,2026-03-02,MAIL,0.003
SPRING26,Spring savings,C-1003,EMAIL,2026-03-02,CONTROL,
SPRING26,Spring savings,C-1004,FAX,2026-03-02,MAIL,0.003
"""
RESPONSES = """\
Campaign,Customer,Responded,Response channel,Order value
SPRING26,C-1001,2026-03-04,web,250.00
SPRING26,C-1003,2026-03-06,phone,
SPRING26,C-9999,2026-03-06,phone,
"""


def _run(url: str, command: str, path, mapping: str):
    env = {"TOUCHPOINT_DATABASE_URL": url, "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET}
    return CliRunner().invoke(app, [command, str(path), "--mapping", mapping], env=env)


def refused(output: str, line: int, reason: str) -> bool:
    """Whether the summary's table of refusals lists ``line`` with a reason starting so."""
    lines = r"[\d, …]*"
    pattern = rf"│\s*\d+\s*│\s*{lines}\b{line}\b{lines}\s*│ {re.escape(reason)}"
    return re.search(pattern, output) is not None


def counted(output: str, label: str, count: int) -> bool:
    """Whether the summary's counts table says ``label``: ``count``."""
    return re.search(rf"{re.escape(label)}\s*│\s*{count}\s*│", output) is not None


def _file(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_calls_are_recorded_and_bad_rows_reported_by_line(database_url, services, tmp_path):
    result = _run(database_url, "import-calls", _file(tmp_path, "c.csv", CALLS), "calls-timestamps")

    assert result.exit_code == 1, result.output  # some rows refused, the rest recorded
    assert services.ledger.head_position() == 3  # two of 02/03, and 1881 again on 03/03
    assert counted(result.output, "rows skipped by the mapping", 1)
    assert refused(result.output, 5, "wait: negative")
    assert refused(result.output, 6, "Disposition: unknown value 'ESCALATED'")


def test_running_the_same_file_again_records_nothing_new(database_url, services, tmp_path):
    path = _file(tmp_path, "c.csv", CALLS)
    _run(database_url, "import-calls", path, "calls-timestamps")

    again = _run(database_url, "import-calls", path, "calls-timestamps")

    assert services.ledger.head_position() == 3
    assert counted(again.output, "facts already recorded", 3)


def test_survey_replies_name_the_imported_calls(database_url, services, tmp_path):
    _run(database_url, "import-calls", _file(tmp_path, "c.csv", CALLS), "calls-timestamps")

    result = _run(database_url, "import-surveys", _file(tmp_path, "s.csv", SURVEYS), "surveys")

    replies = [i for i in services.ledger.read_log(3, 10) if i.fact.kind == "SurveyReplied"]
    assert len(replies) == 2  # R-2 is about a call that was refused, R-4 has no score
    assert refused(result.output, 3, "unknown-interaction")
    assert refused(result.output, 5, "no-score-given")
    assert replies[0].fact.about_kind == "call"


def test_send_lists_and_responses_feed_the_crm_view_with_its_control_group(
    database_url, services, tmp_path
):
    sends = _run(database_url, "import-mailshots", _file(tmp_path, "m.csv", SENDS), "mailshots")
    answers = _run(
        database_url,
        "import-mailshots",
        _file(tmp_path, "r.csv", RESPONSES),
        "mailshot-responses",
    )

    assert refused(sends.output, 5, "Channel: unknown value 'FAX'")
    assert refused(answers.output, 4, "unknown-mailshot")
    services.runner().catch_up_all()
    query = MetricQuery(date(2026, 3, 1), date(2026, 3, 31), at=datetime(2026, 4, 1, tzinfo=UTC))
    with services.key_pool.connection() as conn:
        (row,) = crm_metrics(conn, query, view_config(services.settings))
    assert (row["sent"], row["control_held_back"]) == (2, 1)
    assert (row["responses"], row["conversions"], row["control_responses"]) == (1, 1, 1)


def test_a_file_without_the_mapped_columns_or_the_wrong_mapping_is_unusable(
    database_url, services, tmp_path
):

    no_columns = _file(tmp_path, "x.csv", "CallDate,CallId\n02/03/2026,1\n")
    calls = _file(tmp_path, "c.csv", CALLS)

    missing = _run(database_url, "import-calls", no_columns, "calls-timestamps")
    wrong = _run(database_url, "import-calls", calls, "surveys")

    assert missing.exit_code == 2
    assert "the header lacks column(s)" in missing.output
    assert wrong.exit_code == 2
    assert "import-calls needs calls" in wrong.output
    assert services.ledger.head_position() == 0
