"""A scalar query parameter given twice is refused whole, naming it; list parameters repeat."""

from __future__ import annotations

from typing import Annotated

import pytest

from api.web.problems import PROBLEM_BASE
from api.web.query_guard import is_sequence


def _repeated(response, *names: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "invalid-request"
    found = {(p["name"], p["type"]) for p in problem["invalid_params"]}
    assert found == {(name, "repeated") for name in names}


def test_an_erasure_with_two_reasons_is_refused_and_erases_nothing(client, role_headers, log_rows):
    before = log_rows()

    response = client.delete(
        "/customers/C-1001/personal-data?reason=a&reason=b", headers=role_headers["admin"]
    )

    _repeated(response, "reason")
    assert log_rows() == before


@pytest.mark.parametrize(
    ("path", "role", "names"),
    [
        ("/metrics/cost?from=2026-01-01&from=2026-02-01", "analyst", ["from"]),
        (
            "/metrics/cem?at=2026-01-01T00:00:00Z&at=2026-01-02T00:00:00Z&to=2026-01-01&to=2026-01-02",
            "analyst",
            ["at", "to"],
        ),
        ("/log?limit=5&limit=6", "auditor", ["limit"]),
        ("/customers/C1?min_position=1&min_position=2", "agent", ["min_position"]),
    ],
)
def test_a_repeated_scalar_on_a_read_is_refused_naming_each_one(
    client, role_headers, path, role, names
):
    _repeated(client.get(path, headers=role_headers[role]), *names)


def test_a_list_parameter_may_be_repeated(client, role_headers):
    response = client.get(
        "/metrics/cost?from=2026-01-01&to=2026-01-31&group_by=queue&group_by=day",
        headers=role_headers["analyst"],
    )

    assert response.status_code == 200, response.text
    assert response.json()["group_by"] == ["queue", "day"]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, False),
        (int | None, False),
        (list[str], True),
        (list[str] | None, True),
        (Annotated[list[str] | None, "doc"], True),
        (tuple[int, ...], True),
    ],
)
def test_only_sequence_types_count_as_list_parameters(annotation, expected):
    assert is_sequence(annotation) is expected
