"""Call records that name the caller's number instead of a customer (issue 13)."""

from __future__ import annotations

import io

import pytest

from api.importers.csv_files import CsvImporter
from api.importers.mapping import UnusableMapping, load_mapping
from api.storage.callers import resolve_caller
from tests import builders as b

MAPPING = """\
kind = "calls"
source = "cdr"
delimiter = ";"
timezone = "Europe/London"
id = ["Call ID"]
customer_ref = "Customer"
caller_number = "ANI"
queue = "Queue"
reason = "Reason"

[offered]
column = "Start"
format = "%Y-%m-%d %H:%M:%S"

[durations]
wait = "Queue time"
talk = "Talk time"

[outcome]
column = "Result"
values = { answered = ["Handled"], abandoned = ["Abandoned"] }
"""
ROWS = """\
Call ID;Start;Customer;ANI;Queue;Queue time;Talk time;Result;Reason
1;2026-03-02 09:14:05;;07700 900123;billing;0:14;4:21;Handled;bill-query
2;2026-03-02 09:20:00;;+44 7700 900555;billing;0:20;3:00;Handled;card-lost
3;2026-03-02 09:30:00;C-2;07700 900123;billing;0:20;3:00;Handled;card-lost
4;2026-03-02 09:40:00;;;billing;0:20;3:00;Handled;card-lost
5;2026-03-02 09:50:00;;not a number;billing;0:20;3:00;Handled;card-lost
"""


def test_calls_are_recorded_for_the_customer_with_the_number_or_an_unidentified_caller(
    services, tmp_path
):
    services.ledger.record(b.customer("C-1", phone="+44 7700 900123"), "t")
    services.runner().catch_up_all()
    mapping_file = tmp_path / "ani.toml"
    mapping_file.write_text(MAPPING)
    index = services.index
    assert index is not None

    def resolve(number):
        return resolve_caller(services.key_pool, index, number)

    importer = CsvImporter(
        services.ledger, load_mapping(str(mapping_file)), "test", 100, resolve=resolve
    )
    report = importer.run(io.BytesIO(ROWS.encode()))
    services.runner().catch_up_all()

    with services.key_pool.connection() as conn:
        refs = dict(
            conn.execute("SELECT source_id, customer_ref FROM customer_timeline").fetchall()
        )
    assert refs["1"] == "C-1"
    assert refs["2"].startswith("U-")
    assert refs["2"] == index.caller_ref("+447700900555")
    assert refs["3"] == "C-2"  # a reference in the row wins over its number
    assert sorted((r.line, r.reason) for r in report.refused) == [
        (5, "ANI: empty"),
        (6, "ANI: not a phone number"),
    ]


def test_a_call_mapping_needs_a_customer_or_a_number_column(tmp_path):
    mapping_file = tmp_path / "none.toml"
    mapping_file.write_text(
        MAPPING.replace('customer_ref = "Customer"\n', "").replace('caller_number = "ANI"\n', "")
    )
    with pytest.raises(UnusableMapping, match="customer_ref, caller_number"):
        load_mapping(str(mapping_file))
