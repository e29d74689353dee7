"""The OpenAPI document of the metrics: analysts' tag, errors, CSV, examples that validate."""

from __future__ import annotations

import pytest

from api.web.routes import metrics as routes_metrics
from api.web.schemas import read_examples


def test_every_metric_endpoint_is_documented_for_analysts_as_json_and_csv(client):
    paths = client.get("/openapi.json").json()["paths"]
    metric_paths = [path for path in paths if path.startswith("/metrics/")]  # not Prometheus

    assert len(metric_paths) == 8
    for path in metric_paths:
        operation = paths[path]["get"]
        assert operation["tags"] == ["analysts"]
        assert {"200", "401", "403", "422", "503"} <= set(operation["responses"])
        content = operation["responses"]["200"]["content"]
        assert {"application/json", "text/csv"} <= set(content)
        assert content["application/json"]["example"]["rows"]
        assert {"from", "to", "at"} <= {p["name"] for p in operation["parameters"]}


@pytest.mark.parametrize(
    ("example", "report"),
    [
        (read_examples.cost_report, routes_metrics.CostReport),
        (read_examples.agents_report, routes_metrics.AgentReport),
        (read_examples.distribution_report, routes_metrics.DistributionReport),
        (read_examples.crm_report, routes_metrics.CrmReport),
        (read_examples.pressure_report, routes_metrics.PressureReport),
        (read_examples.cem_report, routes_metrics.CemReport),
        (read_examples.detractor_report, routes_metrics.DetractorReport),
        (read_examples.insight_report, routes_metrics.InsightReport),
    ],
)
def test_the_metric_examples_are_valid_reports(example, report):
    parsed = report.model_validate(example())

    assert parsed.rows


def test_the_cem_example_uses_the_reference_nps_check():
    """METRICS.md reference check: 500 promoters, 300 passives, 200 detractors -> NPS 30.0,
    margin ±4.8."""
    (row,) = read_examples.cem_report()["rows"]

    n = row["promoters"] + row["passives"] + row["detractors"]
    assert row["nps"] == pytest.approx(100 * (row["promoters"] - row["detractors"]) / n)
    p, d = row["promoters"] / n, row["detractors"] / n
    assert row["nps_margin"] == pytest.approx(
        1.96 * 100 * ((p + d - (p - d) ** 2) / n) ** 0.5, abs=0.05
    )
