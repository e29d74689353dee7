"""Errors as RFC 9457 problem+json: a stable type per domain error, the right status."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app
from api.web.problems import PROBLEM_BASE
from domain import errors


def _all_domain_errors() -> list[type[errors.DomainError]]:
    found, todo = [], [errors.DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _instance(cls: type[errors.DomainError]) -> errors.DomainError:
    if cls is errors.FactConflict:
        return errors.FactConflict("recorded with other content", original_position=41)
    return cls(f"refused by {cls.__name__}", field="some_field")


def _app_raising(services, error: Exception, *, raise_server_exceptions: bool = True):
    app = create_app(services)

    def fail() -> None:
        raise error

    app.add_api_route("/fail", fail)
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


def test_every_domain_error_code_is_distinct():
    codes = [cls.code for cls in _all_domain_errors()]

    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", _all_domain_errors(), ids=lambda cls: cls.__name__)
def test_a_domain_error_becomes_a_problem_with_its_own_type(services, cls):
    client = _app_raising(services, _instance(cls))

    response = client.get("/fail")

    conflict = cls in (errors.FactConflict, errors.WriteContention)
    assert response.status_code == (409 if conflict else 422)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + cls.code
    assert problem["code"] == cls.code
    assert problem["status"] == response.status_code
    assert problem["instance"] == "/fail"
    assert problem["detail"] == str(_instance(cls))


def test_a_conflict_names_the_original_position_and_the_field(services):
    client = _app_raising(services, _instance(errors.FactConflict))

    problem = client.get("/fail").json()

    assert problem["original_position"] == 41
    assert problem["field"] == "source_id"


def test_write_contention_tells_the_client_when_to_retry(services):
    client = _app_raising(services, errors.WriteContention("collided"))

    response = client.get("/fail")

    assert response.status_code == 409
    assert int(response.headers["retry-after"]) > 0


def test_an_unexpected_error_is_a_500_problem_without_a_stack_trace(services):
    client = _app_raising(
        services, RuntimeError("secret detail in SELECT * FROM x"), raise_server_exceptions=False
    )

    response = client.get("/fail")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM_BASE + "internal-error"
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text


def test_an_unknown_path_is_a_404_problem(client):
    response = client.get("/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not Found"


def test_the_openapi_document_describes_problems_for_the_log(client):
    spec = client.get("/openapi.json").json()

    responses = spec["paths"]["/log"]["get"]["responses"]
    assert {"200", "422", "503"} <= set(responses)
    assert "application/problem+json" in responses["422"]["content"]
    assert "Problem" in spec["components"]["schemas"]
