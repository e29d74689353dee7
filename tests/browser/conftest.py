"""Browser tests: the real app, served by uvicorn on a loopback port, driven in headless Chromium.

One demo history for the whole package is loaded into a fresh database made from this run's
migrated template, the views are caught up, and the API (with its projectors, so
live updates reach the pages) serves it from a thread. Chromium is Debian's
``/usr/bin/chromium`` driven by the ``playwright`` package (never a downloaded
browser). Without Chromium the tests are skipped, unless
``TOUCHPOINT_REQUIRE_BROWSER=1`` (CI) makes that a failure.

Screenshots go to ``test-artifacts/``; with ``TOUCHPOINT_DOC_SCREENSHOTS=1`` the ones
the README shows are also written to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psycopg
import pytest
import uvicorn
from psycopg.conninfo import make_conninfo

from api.bootstrap import Services, build_services, start_projectors
from api.demo.history import DemoConfig, generate_days, load
from api.settings import Settings
from api.web.app import create_app
from tests.conftest import TEST_INDEX_KEY, TEST_KEY_SECRET

if TYPE_CHECKING:  # Playwright is optional (see above): only its types, for mypy
    from playwright.sync_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip (or, when required, fail) the browser tests if Chromium or Playwright is missing."""
    missing = _missing()
    if not missing:
        return
    if os.environ.get("TOUCHPOINT_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests required but {missing}")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=missing))


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401, PLC0415  (optional: its absence is reported)
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Site:
    """The served app: its address, a key per role and the services behind it."""

    url: str
    agent_key: str
    analyst_key: str
    services: Services
    config: DemoConfig


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="package")
def site_database(server_url: str, template_db: str) -> Iterator[str]:
    name = f"{template_db.removesuffix('_template')}_browser_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="package")
def site(site_database: str) -> Iterator[Site]:
    """A demo history (ending today, so the storyline is yesterday's) served on a free port."""
    settings = Settings(
        database_url=site_database,
        api_key_secret=TEST_KEY_SECRET,
        index_key=TEST_INDEX_KEY,
        pool_size=6,
    )
    services = build_services(settings, site_database)
    config = DemoConfig(customers=3000, months=4, seed=42, end=datetime.now(UTC).date())
    load(services.ledger, generate_days(config))
    services.runner().catch_up_all()
    projectors = start_projectors(services)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services), host="127.0.0.1", port=port, log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, name="browser-test-server", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    _, agent_key = services.keys.create("agent", "browser test agent")
    _, analyst_key = services.keys.create("analyst", "browser test analyst")
    yield Site(f"http://127.0.0.1:{port}", agent_key, analyst_key, services, config)
    server.should_exit = True
    thread.join(10)
    projectors.stop()
    services.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (optional, see above)

    profile = Path(tempfile.mkdtemp(prefix="touchpoint-chromium-"))
    with sync_playwright() as playwright:
        # A new, empty profile (user data dir) for every run.
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
            viewport=VIEWPORT, accept_downloads=True,
        )  # fmt: skip
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh tab (empty sessionStorage); fails the test on any script error in the page."""
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message) -> None:
        if _script_error(message):
            errors.append(message.text)

    tab.on("console", on_console)
    yield tab
    tab.close()
    assert errors == [], f"errors in the page: {errors}"


def _script_error(message) -> bool:
    # Refused requests (a wrong key, on purpose) are logged as failed loads: not script errors.
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def enter_key(tab, key: str) -> None:
    """Answer the page's key dialog."""
    tab.locator("#key-input").fill(key)
    tab.locator("#key-dialog button[type=submit]").click()


def open_desktop(tab, site: Site, query: str = "") -> None:
    """The agent desktop at ``/desktop{query}``, the agent key entered, the page started."""
    from playwright.sync_api import expect  # noqa: PLC0415  (optional, see above)

    tab.goto(f"{site.url}/desktop{query}")
    enter_key(tab, site.agent_key)
    expect(tab.locator("body")).to_have_attribute("data-ready", "true")


@dataclass(frozen=True)
class Callers:
    """Customers registered for the search and screen-pop tests, with numbers of Ofcom's
    drama range that no demo customer has: two customers share ``shared_phone``."""

    alone: str  # the only customer with ``alone_phone``
    alone_phone: str
    alone_name: str
    shared: tuple[str, str]
    shared_phone: str
    nobody_phone: str
    stranger_phone: str  # nobody's either: the wrap-up test records a call from it


@pytest.fixture(scope="package")
def callers(site: Site) -> Callers:
    """Registers the customers of :class:`Callers` and waits until the search finds them."""
    alone_phone, shared_phone, nobody_phone, stranger_phone = _free_numbers(site, 4)
    people = [
        ("C-900001", "Ysolde Quennell", alone_phone),
        ("C-900002", "Thaddeus Amberley", shared_phone),
        ("C-900003", "Philippa Amberley", shared_phone),
    ]
    position = max(_register(site, *person) for person in people)
    found = httpx.get(
        f"{site.url}/customers",
        params={"phone": shared_phone, "min_position": position},
        headers=_agent(site),
        timeout=30,
    )
    assert found.status_code == 200, found.text
    return Callers(
        "C-900001", alone_phone, "Ysolde Quennell", ("C-900002", "C-900003"), shared_phone,
        nobody_phone, stranger_phone,
    )  # fmt: skip


def _free_numbers(site: Site, count: int) -> list[str]:
    """``count`` numbers of the drama range of Leeds that no customer has (the demo gives
    out numbers of every drama range, so the test asks the screen pop which are free)."""
    free: list[str] = []
    for n in range(1000):
        number = f"+44 113 496 0{n:03d}"
        answer = httpx.get(
            f"{site.url}/customers/lookup", params={"phone": number}, headers=_agent(site)
        )
        if answer.status_code == 404:
            free.append(number)
        if len(free) == count:
            return free
    raise AssertionError("the demo gave out every number of the range")


def _register(site: Site, ref: str, name: str, phone: str) -> int:
    body = {
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "browser-test",
        "source_id": f"register-{ref}",
        "customer_ref": ref,
        "name": name,
        "phone": phone,
        "segment": "retail",
    }
    answer = httpx.post(f"{site.url}/customers", json=body, headers=_agent(site))
    assert answer.status_code in (200, 201), answer.text
    return int(answer.json()["position"])


def _agent(site: Site) -> dict[str, str]:
    return {"X-API-Key": site.agent_key}


def screenshot(tab, name: str, *, for_docs: bool = False) -> Path:
    """Save a full-page screenshot to test-artifacts/ (and docs/screenshots/ when asked)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    if for_docs and os.environ.get("TOUCHPOINT_DOC_SCREENSHOTS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOTS / f"{name}.png")
    return path
