"""Campaigns carry a purpose (alert, service, marketing, newsletter), marketing by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain import facts as f
from tests import builders as b
from tests.unit.fakes import FakeSession


def test_a_plan_without_a_purpose_is_for_marketing():
    assert b.campaign().purpose == "marketing"
    fact = FakeSession().record(b.campaign())
    assert isinstance(fact, f.CampaignPlanned)
    assert fact.purpose == "marketing"


def test_the_purpose_given_is_recorded():
    fact = FakeSession().record(b.campaign(purpose="alert"))
    assert isinstance(fact, f.CampaignPlanned)
    assert fact.purpose == "alert"


def test_an_unknown_purpose_is_refused():
    with pytest.raises(ValidationError, match="purpose"):
        b.campaign(purpose="spam")


def test_the_default_purpose_leaves_the_content_hash_as_before_purposes_existed():
    # A plan recorded before ``purpose`` existed hashed its content without it: sent again
    # now (purpose defaults to marketing) it must hash the same, to be its duplicate.
    plan = b.campaign()
    assert "purpose" not in plan.hashed_content()
    assert plan.hashed_content() == plan.model_dump(mode="json", exclude={"purpose"})
    assert b.campaign(purpose="alert").hashed_content()["purpose"] == "alert"
