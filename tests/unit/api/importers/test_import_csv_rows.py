"""CSV rows -> commands through the shipped mappings (no database: builders and the reader)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from api.importers.csv_files import rows
from api.importers.fields import BadRow
from api.importers.mapping import UnusableMapping, load_mapping
from api.importers.ndjson import UnusableInput
from api.importers.rows import builder
from domain import commands as c

LONDON = ZoneInfo("Europe/London")
TIMESTAMPS_HEADER = (
    "CallDate,CallId,Account,Queue,AgentLogin,QueueEntry,QueueExit,ServiceStart,ServiceEnd,"
    "HoldSecs,WrapSecs,Disposition,WrapCode,Transferred,Resolved"
)


def _row(header: str, line: str, delimiter: str = ",") -> dict[str, str]:
    return dict(zip(header.split(delimiter), line.split(delimiter), strict=True))


def _call(line: str) -> list[c.Command]:
    return builder(load_mapping("calls-timestamps"))(_row(TIMESTAMPS_HEADER, line))


def test_an_answered_call_s_wait_and_talk_come_from_its_timestamps():
    (call,) = _call(
        "02/03/2026,1881,C-1001,billing,a17,09:14:05,09:14:19,09:14:19,09:18:40,30,45,ANSWERED,bill-query,N,Y"
    )

    assert isinstance(call, c.RecordCall)
    assert call.source_id == "02/03/2026-1881"  # ids restart daily: date + id
    assert call.occurred_at == datetime(2026, 3, 2, 9, 14, 5, tzinfo=LONDON)
    assert call.wait_seconds == 14  # 09:14:19 - 09:14:05
    assert call.talk_seconds == 261 - 30  # 09:18:40 - 09:14:19, less the hold
    assert (call.hold_seconds, call.after_call_work_seconds) == (30, 45)
    assert (call.outcome, call.resolved, call.transferred) == ("answered", True, False)
    assert (call.agent_id, call.reason) == ("a17", "bill-query")


def test_an_abandoned_call_waits_until_it_left_the_queue():
    (call,) = _call("02/03/2026,1882,C-1002,billing,,09:20:00,09:21:10,,,,,ABANDONED,,N,N")

    assert isinstance(call, c.RecordCall)
    assert call.outcome == "abandoned"
    assert call.wait_seconds == 70
    assert (call.talk_seconds, call.hold_seconds, call.after_call_work_seconds) == (0, 0, 0)
    assert call.agent_id is None
    assert call.reason == "unknown"  # the mapping's default for an empty wrap code


def test_a_call_across_midnight_ends_the_next_day():
    (call,) = _call(
        "02/03/2026,1999,C-1003,billing,a17,23:59:50,00:00:10,00:00:10,00:05:10,0,20,ANSWERED,x,N,Y"
    )

    assert isinstance(call, c.RecordCall)
    assert call.wait_seconds == 20
    assert call.talk_seconds == 300


@pytest.mark.parametrize("code", ["TEST", "phantom"])
def test_test_and_phantom_calls_are_skipped(code):
    assert (
        _call(f"02/03/2026,1,C-1,billing,a1,09:00:00,09:00:01,09:00:01,09:00:02,0,0,{code},,N,N")
        == []
    )


GOOD = {
    "CallDate": "02/03/2026", "CallId": "7", "Account": "C-1", "Queue": "billing",
    "AgentLogin": "a1", "QueueEntry": "09:14:00", "QueueExit": "09:14:19",
    "ServiceStart": "09:14:19", "ServiceEnd": "09:16:00", "HoldSecs": "0", "WrapSecs": "0",
    "Disposition": "ANSWERED", "WrapCode": "x", "Transferred": "N", "Resolved": "Y",
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"QueueEntry": "09:14:19", "ServiceStart": "09:14:00"}, "wait: negative"),
        ({"QueueEntry": "9h14"}, "QueueEntry: unreadable clock time '9h14'"),
        ({"CallDate": "31/02/2026"}, "CallDate: unreadable date '31/02/2026'"),  # not the clock
        ({"Disposition": "ESCALATED"}, "Disposition: unknown value 'ESCALATED'"),
        ({"HoldSecs": "200"}, "talk: negative"),
        ({"CallId": ""}, "CallId: empty"),
        ({"HoldSecs": "x"}, "HoldSecs: unreadable"),
        ({"Transferred": "maybe"}, "Transferred: unknown value"),
    ],
)
def test_bad_rows_say_why(changes, reason):
    with pytest.raises(BadRow) as bad:
        builder(load_mapping("calls-timestamps"))(GOOD | changes)

    assert reason in bad.value.reason


def test_durations_are_taken_as_given_in_the_durations_shape():
    header = (
        "Site;Call ID;Start;Customer;Queue;Agent;Queue time;Talk time;Hold time;ACW time;Result;"
        "Reason"
    )
    build = builder(load_mapping("calls-durations"))
    row = _row(
        header,
        "LDN;88121;2026-03-02 09:14:05;C-1001;billing;a17;0:14;4:21;30;0:00:45;Handled;q",
        ";",
    )

    (call,) = build(row)

    assert isinstance(call, c.RecordCall)
    assert call.source_id == "LDN-88121"
    assert (
        call.wait_seconds,
        call.talk_seconds,
        call.hold_seconds,
        call.after_call_work_seconds,
    ) == (14, 261, 30, 45)
    hung_up = _row(
        header, "LDN;88122;2026-03-02 09:15:00;C-1002;billing;;1:05;;;;Caller hung up;", ";"
    )
    (abandoned,) = build(hung_up)
    assert isinstance(abandoned, c.RecordCall)
    assert (abandoned.outcome, abandoned.wait_seconds) == ("abandoned", 65)
    assert (
        build(_row(header, "LDN;1;2026-03-02 09:15:00;C-1;billing;;0;0;0;0;Test call;", ";")) == []
    )


def test_a_post_call_survey_names_its_call_and_a_relationship_survey_none():
    header = (
        "Response ID,Submitted,Customer Number,Survey,NPS,CSAT,Effort,Comments,Call Date,Call ID"
    )
    build = builder(load_mapping("surveys"))

    (reply,) = build(
        _row(header, "R-1,2026-03-02T11:02:00Z,C-1001,Post-call,9,5,,Quick,02/03/2026,1881")
    )
    (annual,) = build(_row(header, "R-2,2026-03-05 10:00:00,C-1002,Annual,3,,,,,"))

    assert isinstance(reply, c.RecordSurveyReply)
    assert reply.about == c.InteractionRef(kind="call", source="acd", source_id="02/03/2026-1881")
    assert (reply.nps, reply.csat, reply.effort, reply.comment) == (9, 5, None, "Quick")
    assert reply.occurred_at == datetime(2026, 3, 2, 11, 2, tzinfo=UTC)
    assert isinstance(annual, c.RecordSurveyReply)
    assert (annual.survey_kind, annual.about) == ("relationship", None)
    assert annual.occurred_at == datetime(2026, 3, 5, 10, 0, tzinfo=LONDON)
    with pytest.raises(BadRow, match="NPS: not a whole number"):
        build(_row(header, "R-3,2026-03-05T10:00:00Z,C-1,Annual,nine,,,,,"))


def test_a_send_list_mails_or_holds_back_and_plans_each_campaign_once():
    header = "Campaign,Campaign name,Customer,Channel,Sent,Cell,Unit cost"
    build = builder(load_mapping("mailshots"))

    first = build(_row(header, "SPRING26,Spring savings,C-1,EMAIL,2026-03-02,MAIL,0.003"))
    second = build(_row(header, "SPRING26,Spring savings,C-2,EMAIL,2026-03-02,CONTROL,"))

    plan, sent = first
    assert isinstance(plan, c.PlanCampaign)
    assert (plan.campaign_id, plan.name, plan.channel) == ("SPRING26", "Spring savings", "email")
    assert isinstance(sent, c.RecordMailshotSent)
    assert (sent.source_id, sent.unit_cost) == ("SPRING26-C-1", Decimal("0.003"))
    (held,) = second
    assert isinstance(held, c.RecordMailshotHeldBack)
    assert build(_row(header, "SPRING26,Spring savings,C-3,EMAIL,2026-03-02,SUPPRESSED,")) == []
    with pytest.raises(BadRow, match="Cell: unknown value 'SEED'"):
        build(_row(header, "SPRING26,Spring savings,C-4,EMAIL,2026-03-02,SEED,"))


def test_a_response_with_an_order_value_is_also_a_conversion():
    header = "Campaign,Customer,Responded,Response channel,Order value"
    build = builder(load_mapping("mailshot-responses"))

    responded, converted = build(_row(header, "SPRING26,C-1,2026-03-04,web,250.00"))
    (only,) = build(_row(header, "SPRING26,C-2,2026-03-05,,"))

    assert isinstance(responded, c.RecordMailshotResponded)
    assert isinstance(converted, c.RecordMailshotConverted)
    assert responded.mailshot == c.Ref(source="crm", source_id="SPRING26-C-1")
    assert (responded.how, converted.value) == ("web", Decimal("250.00"))
    assert isinstance(only, c.RecordMailshotResponded)
    assert only.how == "response"


def test_the_reader_numbers_records_by_their_first_line_and_skips_blank_lines():
    mapping = load_mapping("mailshot-responses")
    text = (
        "\ufeffCampaign,Customer,Responded,Response channel,Order value\r\n"
        '\r\nS,C-1,2026-03-04,"web\nform",1\r\nS,C-2,2026-03-04,web,\r\n'
    )

    found = list(rows(io.BytesIO(text.encode()), mapping))

    assert [line for line, _ in found] == [3, 5]
    assert found[0][1]["Response channel"] == "web\nform"


def test_a_header_without_the_mapped_columns_is_unusable():
    mapping = load_mapping("mailshot-responses")

    with pytest.raises(UnusableInput, match="Order value, Responded"):
        list(rows(io.BytesIO(b"Campaign,Customer,Response channel\nS,C-1,web\n"), mapping))


def test_a_mapping_with_an_unknown_key_or_zone_is_refused(tmp_path):
    path = tmp_path / "m.toml"
    base = (load_mapping.__globals__["BUILT_IN"] / "mailshot-responses.toml").read_text()

    path.write_text(base.replace('value = "Order value"', 'valeu = "Order value"'))
    with pytest.raises(UnusableMapping, match="valeu"):
        load_mapping(str(path))
    path.write_text(base.replace("Europe/London", "Mars/Olympus"))
    with pytest.raises(UnusableMapping, match="unknown time zone"):
        load_mapping(str(path))
    with pytest.raises(UnusableMapping, match="built in: calls-durations"):
        load_mapping("no-such-mapping")
