"""A follow-up fact must concern the customer of the fact it follows."""

from __future__ import annotations

import pytest

from domain import errors
from tests import builders as b
from tests.unit.fakes import FakeSession


@pytest.fixture
def session() -> FakeSession:
    session = FakeSession()
    session.record(b.campaign(), b.sent(), b.call())
    return session


def test_a_mailshot_response_for_another_customer_is_refused(session):
    with pytest.raises(errors.CustomerMismatch) as refused:
        session.record(b.responded(customer_ref="C2"))
    assert refused.value.field == "customer_ref"


def test_a_correction_naming_another_customer_is_refused(session):
    with pytest.raises(errors.CustomerMismatch):
        session.record(b.correction(customer_ref="C2", reason="fraud"))


def test_a_survey_about_another_customers_call_is_refused(session):
    with pytest.raises(errors.CustomerMismatch):
        session.record(b.survey(ref="C2"))


def test_follow_ups_for_the_same_customer_are_accepted(session):
    fact = session.record(b.responded(), b.correction(reason="fraud"), b.survey())
    assert fact.customer_ref == "C1"
