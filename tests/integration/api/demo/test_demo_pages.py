"""The pages over HTTP: served without a key, from api/static only, nothing from elsewhere."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app
from api.web.routes.pages import STATIC

PAGES = ("/desktop", "/dashboard", "/wallboard")


@pytest.fixture
def client(services):
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.mark.parametrize("page", ["/desktop", "/dashboard", "/wallboard"])
def test_the_pages_load_without_a_key_and_ask_for_one(client, page):
    response = client.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="key-dialog"' in response.text


@pytest.mark.parametrize(
    "page", ["desktop/desktop.html", "dashboard/dashboard.html", "wallboard/wallboard.html"]
)
def test_every_script_and_style_of_a_page_is_served_from_the_app(client, page):
    html = (STATIC / page).read_text()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)

    assert assets
    for asset in assets:
        if asset.startswith("data:") or asset in PAGES:
            continue  # inline, or a link to another page of the app
        assert asset.startswith("/static/"), asset  # no CDN, no other host
        assert client.get(asset).status_code == 200, asset


def test_the_charting_library_is_vendored_with_its_licence():
    vendor = STATIC / "vendor"
    assert (vendor / "chart.umd.min.js").read_text().startswith("/*!\n * Chart.js v4")
    assert "MIT License" in (vendor / "chart.js.LICENSE.md").read_text()


def test_scripts_are_served_as_javascript(client):
    response = client.get("/static/desktop/desktop.js")

    assert response.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    ["/static/../app.py", "/static/%2e%2e/app.py", "/static/vendor/../../settings.py",
     "/static/nothing.js", "/static/vendor/README.md"],
)  # fmt: skip
def test_nothing_outside_the_static_files_is_served(client, path):
    response = client.get(path)

    assert response.status_code == 404


def test_the_pages_are_not_in_the_api_description(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert not set(PAGES) & set(paths)
