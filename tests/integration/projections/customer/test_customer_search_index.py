"""The customer view's blind index (issue 13): current details only, none once erased."""

from __future__ import annotations

from projections.config import ViewConfig
from projections.customer.search import SearchFilter, find_customers
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b


def project(services, indexer, page_size=100):
    view = CustomerView(ViewConfig(), indexer)
    ProjectionRunner(services.ledger, services.key_pool, [view], page_size=page_size).catch_up(
        "customer"
    )


def rows(services, ref):
    with services.key_pool.connection() as conn:
        return conn.execute(
            "SELECT field, count(*) FROM customer_search WHERE customer_ref = %s "
            "GROUP BY field ORDER BY field",
            (ref,),
        ).fetchall()


def found(services, **tokens):
    with services.key_pool.connection() as conn:
        matches, _ = find_customers(conn, SearchFilter(**tokens), limit=10)
    return [m.customer_ref for m in matches]


def test_a_registration_is_indexed_by_phone_email_and_name(services):
    services.ledger.record(
        b.customer("C1", name="Ada Lovelace", email="ada@example.org", phone="07700 900123"), "t"
    )
    project(services, services.indexer)
    # phone: the number, its 4 endings of 9-12 digits (447700900123); caller: 1;
    # email: 1; name: 2 words + prefixes ada (1) and lov..lovelace (6).
    assert rows(services, "C1") == [("caller", 1), ("email", 1), ("name", 9), ("phone", 5)]


def test_a_late_change_of_details_does_not_replace_a_newer_value(services):
    index = services.index
    services.ledger.record(b.customer("C1", phone="07700 900123"), "t")
    services.ledger.record(
        b.contact_change("C1", "chg-2", phone="07700 900222", occurred_at=b.at(20)), "t"
    )
    # Arrives later in the log, but happened before the change above: it is not current.
    services.ledger.record(
        b.contact_change("C1", "chg-1", phone="07700 900111", occurred_at=b.at(10)), "t"
    )
    project(services, services.indexer, page_size=1)
    assert found(services, phone=[index.token("phone", "+447700900222")]) == ["C1"]
    assert found(services, phone=[index.token("phone", "+447700900111")]) == []
    assert found(services, phone=[index.token("phone", "+447700900123")]) == []


def test_an_erasure_in_the_same_page_as_the_registration_leaves_no_row(services):
    services.ledger.record(b.customer("C1"), "t")
    services.ledger.erase_customer("C1", "admin")
    project(services, services.indexer)
    assert rows(services, "C1") == []


def test_a_view_without_an_indexer_keeps_no_index(services):
    services.ledger.record(b.customer("C1"), "t")
    project(services, None)
    assert rows(services, "C1") == []
