"""Real exports through the mapping file alone (issue 14, point 5): hand-made rows, facts
computed by hand. No database: the mapping, the reader and the row builders."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.importers.csv_files import rows
from api.importers.fields import BadRow
from api.importers.mapping import UnusableMapping, check_floor, load_mapping
from api.importers.moments import When, moment
from api.importers.rows import anonymous_caller, builder
from domain import commands as c

JERUSALEM = ZoneInfo("Asia/Jerusalem")
LONDON = ZoneInfo("Europe/London")
Y2K = datetime(2000, 1, 1, tzinfo=UTC)
HISTORICAL = (
    "vru.line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
    "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver\n"
    "AA0101\t33116\t9664491\t2\tPS\t990101\t0:00:31\t0:00:36\t5\t0:00:36\t0:03:09\t153\tAGENT\t0:03:09\t0:06:49\t220\tMICHAL\n"
    "AA0101\t33117\t0\t0\tPS\t990101\t0:34:12\t0:34:23\t11\t0:34:23\t0:35:00\t37\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER\n"
    "AA0101\t33118\t0\t0\tPS\t990101\t0:40:00\t0:40:09\t9\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER\n"
    "AA0101\t33119\t0\t0\tNE\t990101\t0:41:00\t0:41:05\t5\t0:41:05\t0:41:06\t1\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER\n"
    "AA0102\t1\t0\t0\tPS\t990101\t0:50:00\t0:50:01\t1\t0:00:00\t0:00:00\t0\tPHANTOM\t0:00:00\t0:00:00\t0\tNO_SERVER\n"
)  # fmt: skip


def built(mapping, text: str) -> list[tuple[int, Any]]:
    """Each row's line and its commands, or the reason it was refused (typed loosely: each
    test knows which rows it refused)."""
    build = builder(mapping)
    found: list[tuple[int, Any]] = []
    for line, row in rows(io.BytesIO(text.encode()), mapping):
        try:
            found.append((line, build(row)))
        except BadRow as bad:
            found.append((line, bad.reason))
    return found


def mapping_from(tmp_path, toml: str):
    path = tmp_path / "m.toml"
    path.write_text(toml)
    return load_mapping(str(path))


# --- computed values, explicit "no agent" / "unknown customer" ----------------------


def test_the_historical_log_computes_outcomes_from_two_columns_and_skips_ivr_hang_ups():
    found = dict(built(load_mapping("calls-historical"), HISTORICAL))

    (answered,) = found[2]
    assert isinstance(answered, c.RecordCall)
    assert answered.outcome == "answered"
    assert answered.occurred_at == datetime(1999, 1, 1, 0, 0, 36, tzinfo=JERUSALEM)  # vru_exit
    assert (answered.wait_seconds, answered.talk_seconds) == (153, 220)
    assert (answered.customer_ref, answered.agent_id, answered.queue) == ("9664491", "MICHAL", "PS")
    (abandoned,) = found[3]  # HANG after 37 s in the queue
    assert isinstance(abandoned, c.RecordCall)
    assert (abandoned.outcome, abandoned.wait_seconds, abandoned.agent_id) == (
        "abandoned",
        37,
        None,
    )
    assert found[4] == []  # HANG with q_time 0: hung up in the voice-response unit
    assert found[6] == []  # PHANTOM


def test_customer_zero_is_an_unidentified_caller_of_each_call_not_one_customer():
    found = dict(built(load_mapping("calls-historical"), HISTORICAL))

    first, second = found[3][0], found[5][0]
    assert isinstance(first, c.RecordCall)
    assert isinstance(second, c.RecordCall)
    assert first.customer_ref == anonymous_caller("bank-acd-1999", "990101-AA0101-33117")
    assert second.customer_ref == anonymous_caller("bank-acd-1999", "990101-AA0101-33119")
    assert first.customer_ref != second.customer_ref
    assert first.customer_ref.startswith("U-")
    assert len(first.customer_ref) == 22
    # The same row again names the same caller: importing twice records nothing new.
    assert dict(built(load_mapping("calls-historical"), HISTORICAL))[3][0] == first


CALLS_WITH_CONSTANTS = """\
kind = "calls"
source = "pbx"
id = ["Id"]
customer_ref = "Customer"
queue = { const = "sales" }
agent_id = "Agent"
no_agent = ["-", "n/a"]
reason = { const = "inbound" }

[offered]
date_column = "Day"
column = "At"

[durations]
wait = "Wait"
talk = "Talk"

[outcome]
const = "answered"
"""


def test_any_field_may_be_a_constant_and_a_placeholder_agent_is_no_agent(tmp_path):
    mapping = mapping_from(tmp_path, CALLS_WITH_CONSTANTS)
    text = "Id,Customer,Agent,Day,At,Wait,Talk\n1,C-1,N/A,2026-03-02,09:00:00,5,60\n"

    ((_line, (call,)),) = built(mapping, text)

    assert isinstance(call, c.RecordCall)
    assert (call.queue, call.reason, call.outcome, call.agent_id) == (
        "sales", "inbound", "answered", None
    )  # fmt: skip
    assert call.occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- dates: the right column, ambiguity, offsets, the earliest date ------------------


def test_an_impossible_date_is_blamed_on_the_date_column_not_the_clock_column(tmp_path):
    mapping = mapping_from(tmp_path, CALLS_WITH_CONSTANTS)
    text = (
        "Id,Customer,Agent,Day,At,Wait,Talk\n"
        "1,C-1,a1,2026-02-30,09:00:00,5,60\n"
        "2,C-1,a1,2026-02-27,9h00,5,60\n"
    )

    (_, day), (_, clock) = built(mapping, text)

    assert isinstance(day, str)
    assert day.startswith("Day: unreadable date '2026-02-30'")
    assert isinstance(clock, str)
    assert clock.startswith("At: unreadable clock time '9h00'")


def test_a_day_month_date_without_a_stated_format_is_refused_and_with_one_read(tmp_path):
    ambiguous = mapping_from(tmp_path, CALLS_WITH_CONSTANTS)
    stated = mapping_from(
        tmp_path,
        CALLS_WITH_CONSTANTS.replace('column = "At"', 'column = "At"\ndate_format = "%d/%m/%Y"'),
    )
    text = "Id,Customer,Agent,Day,At,Wait,Talk\n1,C-1,a1,02/03/2026,09:00:00,5,60\n"

    ((_, reason),) = built(ambiguous, text)
    ((_, (call,)),) = built(stated, text)

    assert isinstance(reason, str)
    assert reason.startswith("Day: '02/03/2026' is ambiguous (day/month or month/day?)")
    assert call.occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 2 March, as stated


def test_rows_before_the_earliest_date_are_refused_against_their_date_column():
    mapping = load_mapping("calls-historical")  # earliest = 1999-01-01 (in Jerusalem)
    old = (
        HISTORICAL.splitlines()[0]
        + "\n"
        + HISTORICAL.splitlines()[1].replace("990101", "981231")
        + "\n"
    )

    ((_, reason),) = built(mapping, old)

    assert isinstance(reason, str)
    assert reason.startswith("date: 1998-12-31 is before the earliest accepted date 1999-01-01")


def test_a_mapping_asking_for_earlier_dates_than_the_server_accepts_is_refused_whole():
    historical = load_mapping("calls-historical")  # 1999-01-01 00:00 in Jerusalem (UTC+2)

    with pytest.raises(UnusableMapping, match="set TOUCHPOINT_EARLIEST_DATE=1998-12-31"):
        check_floor(historical, Y2K)
    with pytest.raises(UnusableMapping):
        check_floor(historical, datetime(1999, 1, 1, tzinfo=UTC))  # 2 hours too late
    check_floor(historical, datetime(1998, 12, 31, tzinfo=UTC))
    check_floor(load_mapping("mailshots"), Y2K)  # no `earliest`: the server's alone


# --- one row, several facts -----------------------------------------------------------

TELEMARKETING = (
    "Campaign;Campaign name;Customer;List date;Attempts;Cell;Subscribed;Sale value;Days to answer\n"
    "TM-1;Term deposit;C-1;2026-05-04;3;CALL;yes;1200.00;2\n"
    "TM-1;Term deposit;C-2;2026-05-04;1;CALL;no;;\n"
    "TM-1;Term deposit;C-3;2026-05-04;0;CONTROL;yes;;1\n"
    "TM-1;Term deposit;C-4;2026-05-04;0;CALL;no;;\n"
    "TM-1;Term deposit;C-5;2026-05-04;2;DNC;no;;\n"
)


def test_a_telemarketing_row_is_one_send_per_dial_and_a_sale_answers_the_last_dial():
    found = dict(built(load_mapping("telemarketing"), TELEMARKETING))

    plan, *dials, response, sale = found[2]
    assert isinstance(plan, c.PlanCampaign)
    assert (plan.campaign_id, plan.name, plan.channel) == ("TM-1", "Term deposit", "phone")
    assert [type(d) for d in dials] == [c.RecordMailshotSent] * 3
    assert [d.source_id for d in dials] == ["TM-1-C-1-1", "TM-1-C-1-2", "TM-1-C-1-3"]
    assert {(d.channel, d.unit_cost) for d in dials} == {("phone", Decimal("0.35"))}
    assert isinstance(response, c.RecordMailshotResponded)
    assert isinstance(sale, c.RecordMailshotConverted)
    assert response.mailshot == sale.mailshot == c.Ref(source="dialler", source_id="TM-1-C-1-3")
    # List date + "Days to answer" (2 days), midnight in London (BST: 23:00 UTC the day before).
    assert response.occurred_at == datetime(2026, 5, 6, tzinfo=LONDON)
    assert (response.how, sale.value) == ("phone", Decimal("1200.00"))
    (one_dial,) = found[3]  # "no": a send, no answer
    assert one_dial.source_id == "TM-1-C-2-1"


def test_a_control_customer_who_took_the_offer_anyway_is_a_control_response():
    found = dict(built(load_mapping("telemarketing"), TELEMARKETING))

    held, response, conversion = found[4]  # the campaign was planned on line 2
    assert isinstance(held, c.RecordMailshotHeldBack)
    assert held.source_id == "TM-1-C-3"
    assert isinstance(conversion, c.RecordMailshotConverted)
    assert conversion.value == Decimal(0)  # converted, no value given
    assert response.mailshot.source_id == "TM-1-C-3"
    assert found[5] == []  # 0 dials, no answer: nothing happened
    assert found[6] == []  # DNC: not on the list


HILLSTROM = """\
kind = "mailshots"
source = "hillstrom"
id = ["customer"]
customer_ref = "customer"
channel = { const = "email" }
sent = { const = "2008-03-01", format = "%Y-%m-%d" }
held_back_in = ["MENS", "WOMENS"]
responded = { column = "visit", values = { true = ["1"], false = ["0"] } }
responded_at = { const = "2008-03-15", format = "%Y-%m-%d" }
conversion_value = "spend"
earliest = "2008-01-01"

[campaign_id]
column = "segment"
values = { MENS = ["Mens E-Mail"], WOMENS = ["Womens E-Mail"] }

[group]
column = "segment"
values = { mailed = ["Mens E-Mail", "Womens E-Mail"], control = ["No E-Mail"] }
"""


def test_a_control_row_is_held_back_in_several_campaigns_and_its_visit_answers_each(tmp_path):
    mapping = mapping_from(tmp_path, HILLSTROM)
    text = (
        "customer,segment,visit,conversion,spend\n"
        "h1,Mens E-Mail,1,1,29.99\n"
        "h2,No E-Mail,1,0,0\n"
        "h3,Womens E-Mail,0,0,0\n"
    )

    found = dict(built(mapping, text))

    sent, visit, bought = found[2]
    assert isinstance(sent, c.RecordMailshotSent)
    assert (sent.campaign_id, sent.channel, sent.source_id) == ("MENS", "email", "h1")
    assert sent.occurred_at == datetime(2008, 3, 1, tzinfo=UTC)  # the constant send date
    assert visit.occurred_at == datetime(2008, 3, 15, tzinfo=UTC)
    assert isinstance(bought, c.RecordMailshotConverted)
    assert bought.value == Decimal("29.99")
    held_mens, held_womens, visit_mens, visit_womens = found[3]
    assert [h.campaign_id for h in (held_mens, held_womens)] == ["MENS", "WOMENS"]
    assert [h.source_id for h in (held_mens, held_womens)] == ["h2-MENS", "h2-WOMENS"]
    assert [v.mailshot.source_id for v in (visit_mens, visit_womens)] == ["h2-MENS", "h2-WOMENS"]
    assert all(isinstance(v, c.RecordMailshotResponded) for v in (visit_mens, visit_womens))
    (only_sent,) = found[4]  # no visit, spend 0: no answer
    assert only_sent.campaign_id == "WOMENS"


def test_a_row_that_made_no_contact_yet_answered_is_refused():
    bad = TELEMARKETING.splitlines()[0] + "\nTM-1;T;C-9;2026-05-04;0;CALL;yes;10;1\n"

    ((_, reason),) = built(load_mapping("telemarketing"), bad)

    assert reason == "Attempts: 0 contacts, yet an answer"


@pytest.mark.parametrize("attempts", ["-1", "2.5", "1001", "many"])
def test_a_contact_count_must_be_a_whole_number_within_reason(attempts):
    bad = TELEMARKETING.splitlines()[0] + f"\nTM-1;T;C-9;2026-05-04;{attempts};CALL;no;;\n"

    ((_, reason),) = built(load_mapping("telemarketing"), bad)

    assert isinstance(reason, str)
    assert reason.startswith("Attempts:")


def test_a_response_offset_is_added_in_its_unit():
    text = TELEMARKETING.splitlines()[0] + "\nTM-1;T;C-9;2026-05-04;1;CALL;yes;5;1.5\n"

    ((_, (_, _, response, _)),) = built(load_mapping("telemarketing"), text)

    assert response.occurred_at - datetime(2026, 5, 4, tzinfo=LONDON) == timedelta(hours=36)


# --- the mapping stays declarative and strict -----------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('queue = { const = "sales" }', 'queue = { const = "sales", column = "Q" }'),
        ('[outcome]\nconst = "answered"', '[outcome]\nvalues = { answered = ["A"] }'),
    ],
)
def test_a_value_given_two_ways_or_none_is_refused_when_the_mapping_loads(
    tmp_path, change, message
):
    with pytest.raises(UnusableMapping):
        mapping_from(tmp_path, CALLS_WITH_CONSTANTS.replace(change, message))


def test_answers_without_a_time_are_refused_when_the_mapping_loads(tmp_path):
    with pytest.raises(UnusableMapping, match="responded_at"):
        mapping_from(
            tmp_path,
            HILLSTROM.replace('responded_at = { const = "2008-03-15", format = "%Y-%m-%d" }\n', ""),
        )


@pytest.mark.parametrize("written", ["02/03/2026 09:00", "2.3.2026", "02-03-26"])
def test_a_one_column_moment_in_day_month_order_is_refused_without_a_format(written):
    when = When(column="Start")

    with pytest.raises(BadRow, match=r"Start: .* is ambiguous \(day/month or month/day\?\)"):
        moment({"Start": written}, when, UTC)


def test_a_one_column_moment_is_read_with_the_format_the_mapping_states():
    when = When(column="Start", format="%m/%d/%Y %H:%M")  # a US export

    assert moment({"Start": "02/03/2026 09:00"}, when, UTC) == datetime(2026, 2, 3, 9, tzinfo=UTC)


def test_a_converted_flag_with_a_constant_value_records_that_value(tmp_path):
    mapping = mapping_from(
        tmp_path,
        HILLSTROM.replace(
            'conversion_value = "spend"',
            'conversion_value = { const = "25.00" }\n'
            'converted = { column = "conversion", values = { true = ["1"], false = ["0"] } }',
        ),
    )
    text = "customer,segment,visit,conversion,spend\nh1,Mens E-Mail,0,1,\nh2,Mens E-Mail,1,0,\n"

    found = dict(built(mapping, text))

    _, conversion = found[2]  # converted without a visit: a conversion alone
    assert isinstance(conversion, c.RecordMailshotConverted)
    assert conversion.value == Decimal("25.00")
    _, visit = found[3]  # a visit, not converted: the constant value does not convert it
    assert isinstance(visit, c.RecordMailshotResponded)


@given(dials=st.integers(min_value=1, max_value=60), took=st.booleans())
def test_any_dial_count_makes_that_many_sends_and_an_answer_only_on_the_last(dials, took):
    header = TELEMARKETING.splitlines()[0]
    answer = "yes;99;1" if took else "no;;"
    text = f"{header}\nTM-1;T;C-1;2026-05-04;{dials};CALL;{answer}\n"

    ((_, commands),) = built(load_mapping("telemarketing"), text)

    assert not isinstance(commands, str)
    sends = [cmd for cmd in commands if isinstance(cmd, c.RecordMailshotSent)]
    answers = [cmd for cmd in commands if isinstance(cmd, c.MailshotFollowUp)]
    assert [s.source_id for s in sends] == [f"TM-1-C-1-{k}" for k in range(1, dials + 1)]
    assert len(answers) == (2 if took else 0)
    assert {a.mailshot.source_id for a in answers} <= {f"TM-1-C-1-{dials}"}
