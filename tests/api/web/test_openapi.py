"""The OpenAPI document is complete: models, problems, examples and tags for every operation."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from api.web.app import TAGS
from api.web.routes.batch import command_schemas
from domain.commands import AnyCommand
from domain.facts import FACT_TYPES

PROBLEM = "#/components/schemas/Problem"


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def success(operation: dict) -> tuple[str, dict]:
    [(code, response)] = [(c, r) for c, r in operation["responses"].items() if c < "300"][:1]
    return code, response


def has_schema(content: dict) -> bool:
    """A media type describes its body: a schema, or (event streams) a schema per item."""
    return bool(content.get("schema") or content.get("itemSchema"))


def test_every_operation_has_a_response_model_for_its_success_code(spec):
    missing = []
    for method, path, operation in operations(spec):
        code, response = success(operation)
        media = response.get("content", {})
        if not media or not all(has_schema(content) for content in media.values()):
            missing.append((method, path, code))

    assert missing == []


def test_every_operation_with_a_key_lists_401_and_403_as_problems(spec):
    wrong = []
    for method, path, operation in operations(spec):
        if "security" not in operation:
            continue
        for code in ("401", "403"):
            response = operation["responses"].get(code, {})
            schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
            if schema != {"$ref": PROBLEM}:
                wrong.append((method, path, code))

    assert wrong == []


def test_only_health_needs_no_key(spec):
    public = [(m, p) for m, p, operation in operations(spec) if "security" not in operation]

    assert public == [("GET", "/health")]


def test_every_operation_with_input_lists_422(spec):
    missing = [
        (method, path)
        for method, path, operation in operations(spec)
        if (operation.get("parameters") or operation.get("requestBody"))
        and "422" not in operation["responses"]
    ]

    assert missing == []


def test_every_operation_has_a_user_group_tag(spec):
    groups = {tag["name"] for tag in TAGS}

    untagged = [
        (method, path, operation.get("tags"))
        for method, path, operation in operations(spec)
        if not operation.get("tags") or not set(operation["tags"]) <= groups
    ]

    assert untagged == []
    assert {tag["name"] for tag in spec["tags"]} == groups


def test_every_request_body_has_an_example(spec):
    without = [
        (method, path, media)
        for method, path, operation in operations(spec)
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if not (content.get("example") or content.get("examples"))
    ]

    assert without == [], without


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_every_reference_in_the_document_resolves(spec):
    schemas = spec["components"]["schemas"]

    dangling = [
        ref for ref in _refs(spec) if ref.removeprefix("#/components/schemas/") not in schemas
    ]

    assert dangling == []


def test_batch_items_are_described_as_any_fact_by_kind(spec):
    item = spec["components"]["schemas"]["BatchItem"]

    assert item["discriminator"]["propertyName"] == "kind"
    assert set(item["discriminator"]["mapping"]) == set(
        TypeAdapter(AnyCommand).json_schema()["discriminator"]["mapping"]
    )
    assert set(command_schemas()) <= set(spec["components"]["schemas"])


def test_the_docs_page_renders_the_document(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert "/openapi.json" in response.text


def _example_of(spec: dict, content: dict) -> bool:
    if content.get("example") or content.get("examples"):
        return True
    ref = content.get("schema", {}).get("$ref", "")
    component = spec["components"]["schemas"].get(ref.removeprefix("#/components/schemas/"), {})
    return bool(component.get("examples") or component.get("example"))


def test_every_success_response_has_an_example(spec):
    without = []
    for method, path, operation in operations(spec):
        code, response = success(operation)
        for media, content in response.get("content", {}).items():
            if not _example_of(spec, content):
                without.append((method, path, code, media))

    assert without == [], without


def test_a_trusted_digests_hashes_are_declared_as_64_hex_digits(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/audit/verify"]["get"]["parameters"]}

    for name in ("from_hash", "from_root"):
        [declared] = [s for s in parameters[name]["schema"]["anyOf"] if s["type"] == "string"]
        assert declared["pattern"] == "^[0-9a-f]{64}$"


def test_the_logs_types_filter_enumerates_the_fact_kinds(spec):
    [types] = [p for p in spec["paths"]["/log"]["get"]["parameters"] if p["name"] == "types"]

    [array] = [s for s in types["schema"]["anyOf"] if s["type"] == "array"]
    assert array["items"]["enum"] == sorted(FACT_TYPES)


def test_positions_in_queries_and_headers_are_declared_with_their_bounds(spec):
    parameters = {
        (path, p["name"]): p["schema"]
        for path, item in spec["paths"].items()
        for operation in item.values()
        for p in operation.get("parameters", [])
    }

    for key in (("/audit/digest", "position"), ("/log/events", "Last-Event-ID")):
        [integer] = [s for s in parameters[key]["anyOf"] if s["type"] == "integer"]
        assert (integer["minimum"], integer["maximum"]) == (0, 2**63 - 1), key
