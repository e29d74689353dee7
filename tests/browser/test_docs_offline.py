"""The API's documents in headless Chromium with every other origin refused: Swagger UI
and ReDoc render from the app's own packaged files (no CDN, no web fonts; issue 17)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect

from api.web.app import create_app
from tests.browser.conftest import _free_port


@pytest.fixture
def docs_site(services) -> Iterator[str]:
    """The app on an empty database, served on a free loopback port."""
    port = _free_port()
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="docs-test-server", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@dataclass
class Tab:
    """A tab whose requests to other origins are refused and noted, with its console errors."""

    page: Any
    elsewhere: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def tab(browser, docs_site) -> Iterator[Tab]:
    # Not the package's ``page`` fixture, which fails on any console error: here the
    # page's policy refusing ReDoc's CDN logo is expected, and checked below.
    opened = Tab(browser.new_page())

    def only_the_app(route) -> None:
        if route.request.url.startswith(docs_site):
            route.continue_()
        else:
            opened.elsewhere.append(route.request.url)
            route.abort()

    opened.page.route("**/*", only_the_app)
    opened.page.on("pageerror", lambda error: opened.errors.append(str(error)))

    def on_console(message: Any) -> None:
        if message.type == "error":
            opened.errors.append(message.text)

    opened.page.on("console", on_console)
    yield opened
    opened.page.close()


def test_swagger_ui_renders_every_operation_without_the_internet(tab, docs_site):
    tab.page.goto(f"{docs_site}/docs")

    expect(tab.page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(tab.page.locator("#operations-agents-getCustomer")).to_have_count(1)
    assert tab.elsewhere == []
    assert tab.errors == []


def test_redoc_renders_the_operations_without_the_internet(tab, docs_site):
    tab.page.goto(f"{docs_site}/redoc")

    # ReDoc anchors each operation by its operation id.
    expect(tab.page.locator('[id="operation/getCustomer"]')).to_be_attached(timeout=15_000)
    assert tab.elsewhere == []
    # Its sidebar's "API docs by Redocly" logo is on a CDN: the page's policy refuses it
    # before any request leaves (the link stays, without its image); nothing else is.
    assert all("cdn.redoc.ly/redoc/logo-mini.svg" in error for error in tab.errors), tab.errors
