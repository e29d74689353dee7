"""NDJSON imports of calls given by the caller's number (issue 13, point 2)."""

from __future__ import annotations

import io
import json
import logging

from api.importers.callers import caller_resolver
from api.importers.ndjson import Importer
from api.web.schemas.examples import EXAMPLES
from tests import builders as b


def call(source_id: str, **over) -> bytes:
    body = {"kind": "call_recorded", **EXAMPLES["call_recorded"], "source_id": source_id}
    body.pop("customer_ref")
    return json.dumps(body | over).encode() + b"\n"


def refs_by_source_id(services) -> dict[str, str]:
    services.runner(["customer"]).catch_up_all()
    with services.key_pool.connection() as conn:
        rows = conn.execute("SELECT source_id, customer_ref FROM customer_timeline").fetchall()
    return dict(rows)


def log_bytes(services) -> bytes:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT state FROM touchpoint_events ORDER BY notification_id"
        ).fetchall()
    return b"".join(bytes(row[0]) for row in rows)


def test_ndjson_calls_by_number_go_to_the_one_customer_else_an_unidentified_caller(
    services, caplog
):
    caplog.set_level(logging.DEBUG)
    for ref, phone in (
        ("C-1", "+44 7700 900123"),
        ("C-2", "07700 900777"),
        ("C-3", "+447700900777"),
    ):
        services.ledger.record(b.customer(ref, phone=phone), "t")
    services.runner(["customer"]).catch_up_all()
    lines = b"".join(
        [
            call("one", caller_number="07700 900123"),  # line 1: C-1 alone has it
            call("shared", caller_number="+44 7700 900777"),  # line 2: C-2 and C-3
            call("nobody", caller_number="(07700) 900-555"),  # line 3: no customer
            call("ref-wins", customer_ref="C-3", caller_number="07700 900123"),  # line 4
            call("not-a-number", caller_number="ring ring 42"),  # line 5
        ]
    )
    resolve = caller_resolver(services.key_pool, services.index)
    report = Importer(services.ledger, "test", 100, resolve=resolve).run(io.BytesIO(lines))

    refs = refs_by_source_id(services)
    index = services.index
    assert refs["one"] == "C-1"
    assert refs["shared"] == index.caller_ref("+447700900777")
    assert refs["nobody"] == index.caller_ref("+447700900555")
    assert refs["ref-wins"] == "C-3"
    assert [(r.line, r.reason) for r in report.refused] == [
        (5, "caller_number: not a phone number")
    ]
    assert report.recorded == 4
    logged = log_bytes(services)
    assert b"900777" not in logged
    assert b"900555" not in logged
    assert b"ring ring" not in logged
    assert "900555" not in caplog.text


def test_without_an_index_key_ndjson_calls_by_number_are_refused_line_by_line(services):
    report = Importer(services.ledger, "test", 100).run(
        io.BytesIO(call("x", caller_number="07700 900123"))
    )

    assert [r.line for r in report.refused] == [1]
    assert "TOUCHPOINT_INDEX_KEY" in report.refused[0].reason
    assert services.ledger.head_position() == 0
