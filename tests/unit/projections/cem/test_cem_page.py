"""How the cem view splits a page of facts into helper-table rows and triggers (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain import commands as c
from domain.reading import LoggedFact
from projections.cem.view import _Page
from tests.unit.fakes import FakeSession

T = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def _page(*cmds: c.Command, zone: str = "UTC") -> _Page:
    session, page = FakeSession(), _Page(ZoneInfo(zone))
    for position, cmd in enumerate(cmds, start=10):
        page.add(LoggedFact(position, session.record(cmd)))
    return page


def _call(sid: str, **fields) -> c.RecordCall:
    values = {"queue": "q1", "reason": "bill", "wait_seconds": 3, "outcome": "answered"}
    return c.RecordCall(
        occurred_at=T, source="acd", source_id=sid, customer_ref="C1", **(values | fields)
    )


def _fix(sid: str, n: int, **fields) -> c.CorrectCall:
    return c.CorrectCall(
        occurred_at=T + timedelta(days=n), source="fix", source_id=f"{sid}-{n}",
        customer_ref="C1", call=c.Ref(source="acd", source_id=sid), **fields,
    )  # fmt: skip


def test_corrections_of_one_call_in_a_page_merge_with_later_fields_winning():
    page = _page(
        _call("k", talk_seconds=60),
        _fix("k", 1, reason="move", queue="q2"),
        _fix("k", 2, reason="fault"),
    )
    [(call_id, amended)] = page.corrections.items()
    assert call_id == page.calls[0][0]
    assert amended == {"reason": "fault", "queue": "q2"}


def test_only_an_answered_call_is_a_trigger_and_a_reply_carries_its_local_day():
    page = _page(
        _call("answered"),
        _call("abandoned", outcome="abandoned"),
        c.RecordSurveyReply(
            occurred_at=T,
            source="sv",
            source_id="r",
            customer_ref="C1",
            survey_kind="transactional",
            nps=3,
        ),
        zone="Europe/Berlin",
    )
    assert [(kind, who) for kind, who, _, _ in page.triggers] == [("call", "C1")]
    [reply] = page.replies
    assert reply[1] == 12  # log position
    assert reply[4] == datetime(2026, 3, 3).date()  # 23:30 UTC is 00:30 in Berlin


def test_a_registration_is_a_trigger_for_the_customers_segment():
    page = _page(
        c.RegisterCustomer(
            occurred_at=T, source="crm", source_id="C7", customer_ref="C7", segment="gold"
        )
    )
    assert page.customers == [("C7", "gold", 10)]
    assert page.triggers == [("registered", "C7", None, None)]
