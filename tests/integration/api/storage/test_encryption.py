"""Personal data is stored only as ciphertext under the customer's key; erasure shreds it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import errors
from domain.reading import ERASED
from tests import builders as b
from tests.integration.sql import query

AUTHOR = "integration-test"
NAME, EMAIL, PHONE = "Zebedee Quux", "zebedee.quux@example.org", "+44 7700 900461"
COMMENT = "Zebedee says the agent was brilliant"
SECRETS = [b"Zebedee", b"zebedee", b"Quux", EMAIL.encode(), PHONE.encode(), b"brilliant"]


@pytest.fixture
def zebedee(services):
    """Zebedee registered, with a call, a mailshot, a survey comment and a contact change."""
    history = [
        b.customer("Z1", name=NAME, email=EMAIL, phone=PHONE),
        b.call(ref="Z1", talk_seconds=300),
        b.campaign(),
        b.sent(ref="Z1", unit_cost="1.25"),
        b.survey(ref="Z1", nps=10, csat=5, effort=1, comment=COMMENT),
        b.contact_change("Z1", phone="+44 7700 900999", email=None),
    ]
    outcomes = services.ledger.record_batch(history, AUTHOR)
    assert {o.status for o in outcomes} == {"recorded"}
    return services.ledger.read_log(0, 100)


def _raw_bytes(url: str, statement: str) -> bytes:
    rows = query(url, statement)
    return b"\x00".join(
        bytes(v) if isinstance(v, bytes) else str(v).encode() for r in rows for v in r
    )


def test_no_row_of_the_log_holds_personal_data_in_clear(services, zebedee):
    raw = _raw_bytes(services.database_url, "SELECT * FROM touchpoint_events")
    # The rows were really read: data that is not personal is there in clear.
    assert b"retail" in raw
    assert b"billing" in raw
    assert [secret for secret in SECRETS if secret in raw] == []


def test_no_idempotency_key_holds_personal_data_in_clear(services, zebedee):
    raw = _raw_bytes(services.database_url, "SELECT * FROM fact_keys")
    assert len(raw) > 0
    assert [secret for secret in SECRETS if secret in raw] == []


def test_reading_with_the_key_reveals_the_personal_data(services, zebedee):
    revealed = {item["kind"]: item["data"] for item in services.ledger.reveal(zebedee)}
    registered = revealed["CustomerRegistered"]
    assert (registered["name"], registered["email"], registered["phone"]) == (NAME, EMAIL, PHONE)
    assert revealed["SurveyReplied"]["comment"] == COMMENT
    assert revealed["ContactDetailsChanged"]["phone"] == "+44 7700 900999"


def test_after_erasure_personal_fields_read_as_erased_and_the_rest_is_intact(services, zebedee):
    services.ledger.erase_customer("Z1", AUTHOR)
    revealed = {item["kind"]: item["data"] for item in services.ledger.reveal(zebedee)}
    registered = revealed["CustomerRegistered"]
    assert [registered[n] for n in ("name", "email", "phone")] == [ERASED] * 3
    assert registered["segment"] == "retail"
    assert revealed["ContactDetailsChanged"]["phone"] == ERASED
    assert revealed["ContactDetailsChanged"]["email"] is None  # never given, nothing to erase
    survey = revealed["SurveyReplied"]
    assert (survey["comment"], survey["nps"], survey["csat"], survey["effort"]) == (
        ERASED,
        10,
        5,
        1,
    )
    assert (revealed["CallRecorded"]["talk_seconds"], revealed["CallRecorded"]["wait_seconds"]) == (
        300,
        12,
    )
    assert revealed["MailshotSent"]["unit_cost"] == Decimal("1.25")


def test_after_erasure_the_customers_key_is_gone(services, zebedee):
    services.ledger.erase_customer("Z1", AUTHOR)
    [(key, destroyed_at)] = query(
        services.database_url,
        "SELECT data_key, destroyed_at FROM customer_keys WHERE customer_ref = %s",
        ("Z1",),
    )
    assert key is None
    assert destroyed_at is not None


def test_erasure_leaves_other_customers_readable(services, zebedee):
    services.ledger.record(b.customer("Y1", name="Yolanda Vex"), AUTHOR)
    services.ledger.erase_customer("Z1", AUTHOR)
    logged = services.ledger.read_log(0, 100, kinds=["CustomerRegistered"])
    names = [item["data"]["name"] for item in services.ledger.reveal(logged)]
    assert names == [ERASED, "Yolanda Vex"]


def test_erasing_twice_is_a_duplicate_of_the_first_erasure(services, zebedee):
    first = services.ledger.erase_customer("Z1", AUTHOR)
    again = services.ledger.erase_customer("Z1", "another-admin", reason="asked again")
    assert (again.status, again.position) == ("duplicate", first.position)
    assert len(services.ledger.read_log(0, 100, kinds=["CustomerErased"])) == 1


def test_an_erased_customer_cannot_be_given_personal_data_again(services, zebedee):
    services.ledger.erase_customer("Z1", AUTHOR)
    with pytest.raises(errors.CustomerErased):
        services.ledger.record(b.contact_change("Z1", source_id="chg-after"), AUTHOR)
    with pytest.raises(errors.CustomerErased):
        services.ledger.record(b.survey("s-after", ref="Z1", about=None, comment="hello"), AUTHOR)


def test_facts_without_personal_data_are_still_recorded_for_an_erased_customer(services, zebedee):
    # The metrics keep their counts: calls from an erased customer still count.
    services.ledger.erase_customer("Z1", AUTHOR)
    outcome = services.ledger.record(b.call("call-after", ref="Z1"), AUTHOR)
    assert outcome.status == "recorded"
