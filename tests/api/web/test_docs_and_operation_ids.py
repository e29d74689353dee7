"""The API's documents work offline (no CDN, no web fonts), and every operation has a
readable, unique operation id for generated clients (issue 17)."""

from __future__ import annotations

import re

import pytest

from api.web.openapi.operation_ids import OPERATION_IDS

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
ORIGIN = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_has_an_operation_id(spec):
    missing = [
        f"{method} {path}" for method, path, op in _operations(spec) if not op.get("operationId")
    ]

    assert missing == []


def test_operation_ids_are_unique_and_camel_case(spec):
    ids = [op["operationId"] for _, _, op in _operations(spec)]

    assert len(ids) == len(set(ids))
    assert [name for name in ids if not CAMEL_CASE.match(name)] == []


def test_every_operation_is_named_in_the_table_not_made_up(spec):
    unnamed = [f"{m} {p}" for m, p, _ in _operations(spec) if (m, p) not in OPERATION_IDS]

    assert unnamed == []


def test_the_operations_read_as_method_names(spec):
    by_route = {(m, p): op["operationId"] for m, p, op in _operations(spec)}

    assert by_route[("GET", "/customers/{ref}")] == "getCustomer"
    assert by_route[("POST", "/interactions/calls")] == "recordCall"
    assert by_route[("GET", "/metrics/cost")] == "getCostMetrics"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documents_reference_no_other_origin(client, page):
    html = client.get(page).text

    assert ORIGIN.findall(html) == []
    assert "fonts.googleapis" not in html


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_script_and_style_of_the_documents_is_served_by_the_app(client, page):
    html = client.get(page).text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assets += re.findall(r"""url: ?['"]([^'"]+)['"]""", html)

    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset


def test_the_swagger_ui_script_loaded_is_the_packaged_one_not_a_stub(client):
    script = client.get("/docs-assets/swagger-ui-bundle.js")

    assert script.status_code == 200
    assert len(script.content) > 500_000  # the whole bundle, not a loader of a CDN copy


def test_an_operation_missing_from_the_table_still_gets_a_camel_case_id():
    from fastapi.routing import APIRoute  # noqa: PLC0415

    from api.web.openapi.operation_ids import operation_id  # noqa: PLC0415

    def endpoint() -> None: ...

    route = APIRoute("/queues/{queue_id}/wall-board", endpoint, methods=["GET"])

    assert operation_id(route) == "getQueuesByQueueIdWallBoard"
