"""The one import report: what NDJSON imports, CSV imports and the demo load say they did."""

from __future__ import annotations

from api.importers.report import ImportReport, Refusal
from domain import errors
from domain.outcomes import Outcome


def test_outcomes_are_tallied_and_a_refusal_keeps_its_line_and_reason():
    report = ImportReport()
    refused = errors.InvalidFact("must not be empty", field="queue")

    report.count(1, Outcome(0, "recorded", position=7))
    report.count(2, Outcome(1, "duplicate", position=7))
    report.count(3, Outcome(2, "refused", error=refused))

    assert (report.recorded, report.duplicates, report.facts) == (1, 1, 3)
    assert report.refused == [Refusal(3, "invalid-fact (queue): must not be empty")]
    assert report.exit_code == 1


def test_a_report_with_nothing_refused_exits_zero_whatever_was_skipped():
    report = ImportReport(rows=4, recorded=3, skipped=1)

    assert report.exit_code == 0
    assert report.facts == 3


def test_alike_refusals_are_grouped_with_their_count_and_first_lines_most_frequent_first():
    report = ImportReport()
    for line in (9, 2, 4, 5, 7, 8, 3):
        report.refuse(line, f"Result: unknown value 'X{line}'", "Result: unknown value")
    report.refuse(6, "Start: empty")
    report.refuse(6, "Start: empty")  # a row of two facts refused twice counts once

    systematic, single = report.grouped(first=5)

    assert (systematic.kind, systematic.items) == ("Result: unknown value", 7)
    assert systematic.first_lines == (2, 3, 4, 5, 7)
    assert systematic.example == "Result: unknown value 'X9'"  # the first one met, in full
    assert (single.kind, single.items, single.first_lines) == ("Start: empty", 1, (6,))


def test_speed_is_facts_per_second_of_the_run():
    report = ImportReport(recorded=90, duplicates=10, seconds=4.0)

    assert report.facts_per_second == 25.0
    assert ImportReport().facts_per_second == 0.0
