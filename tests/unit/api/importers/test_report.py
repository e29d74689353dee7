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
