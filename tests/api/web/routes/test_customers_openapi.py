"""The OpenAPI document of the customer reads: tags, errors, examples that match the models."""

from __future__ import annotations

from api.web.routes.customers.profile import TimelineResponse
from api.web.schemas import read_examples
from projections.customer.models import CustomerProfile


def test_customer_reads_are_documented_for_agents_with_their_errors(client):
    paths = client.get("/openapi.json").json()["paths"]

    for path in ("/customers/{ref}", "/customers/{ref}/timeline"):
        operation = paths[path]["get"]
        assert operation["tags"] == ["agents"]
        assert {"200", "401", "403", "404", "422", "503"} <= set(operation["responses"])
        assert "example" in operation["responses"]["200"]["content"]["application/json"]
        assert "min_position" in [p["name"] for p in operation["parameters"]]
    timeline = paths["/customers/{ref}/timeline"]["get"]
    assert "newest first" in timeline["description"]
    assert {"after", "before", "limit"} <= {p["name"] for p in timeline["parameters"]}


def test_the_503_of_a_lagging_view_is_documented_with_its_position(client):
    document = client.get("/openapi.json").json()

    lagging = document["components"]["schemas"]["ViewBehindProblem"]
    assert {"view", "view_position", "min_position"} <= set(lagging["required"])
    answer = document["paths"]["/customers/{ref}"]["get"]["responses"]["503"]
    assert "Retry-After" in answer["headers"]


def test_the_customer_examples_are_valid_answers():
    profile = CustomerProfile.model_validate(read_examples.profile())
    page = TimelineResponse.model_validate(read_examples.timeline())

    assert profile.customer_ref == page.customer_ref
    assert page.next_after == page.items[-1].position


def test_the_search_and_the_screen_pop_are_documented_for_agents(client):
    paths = client.get("/openapi.json").json()["paths"]
    search = paths["/customers"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {
        "phone",
        "email",
        "name",
        "ref",
        "limit",
        "offset",
    }
    assert search["tags"] == ["agents"]
    lookup = paths["/customers/lookup"]["get"]
    assert set(lookup["responses"]) >= {"200", "300", "404", "422"}
    several = lookup["responses"]["300"]["content"]["application/problem+json"]
    assert several["example"]["customers"] == ["C-000007", "C-000010"]
    body = paths["/interactions/calls"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/RecordCallBody")
