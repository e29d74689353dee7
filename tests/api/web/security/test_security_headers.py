"""Security headers on every response, CORS closed unless configured, rate limits per key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import build_services
from api.web.app import create_app
from api.web.middleware import API_POLICY, PAGE_POLICY, SECURITY_HEADERS, TokenBuckets
from api.web.problems import PROBLEM_BASE

ORIGIN = "https://desk.example.com"


def _assert_hardened(response, policy=API_POLICY):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert response.headers["content-security-policy"] == policy


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/health", None),  # success, no key
        ("GET", "/log", None),  # 401
        ("GET", "/log", "agent"),  # 403
        ("GET", "/log", "auditor"),  # 200 with data
        ("POST", "/interactions/calls", "agent"),  # 422
        ("GET", "/no/such/path", None),  # 404
        ("GET", "/openapi.json", None),
    ],
)
def test_every_kind_of_answer_carries_the_security_headers(
    client, role_headers, method, path, role
):
    headers = role_headers[role] if role else {}

    response = client.request(method, path, headers=headers, json={} if method == "POST" else None)

    _assert_hardened(response)


def test_the_docs_page_may_load_its_scripts_but_never_be_framed(client):
    response = client.get("/docs")

    assert response.status_code == 200
    _assert_hardened(response, PAGE_POLICY)


def test_a_body_over_the_limit_is_refused_with_the_security_headers_too(client, role_headers):
    headers = role_headers["integrator"] | {"Content-Length": str(10**9)}

    response = client.post("/interactions/batch", headers=headers, content=b"[]")

    assert response.status_code == 413
    _assert_hardened(response)


def test_cors_is_closed_by_default(client, role_headers):
    preflight = client.options(
        "/log",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    simple = client.get("/health", headers={"Origin": ORIGIN})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


@pytest.fixture
def configured(settings, database_url):
    """An app whose settings allow one origin and a tiny rate (1 per second, bursts of 3)."""
    settings = settings.model_copy(
        update={"cors_allow_origins": [ORIGIN], "rate_limit_per_second": 1, "rate_limit_burst": 3}
    )
    services = build_services(settings, database_url)
    try:
        with TestClient(create_app(services)) as client:
            yield client, services
    finally:
        services.close()


def test_cors_admits_only_the_configured_origins_and_the_key_header(configured):
    client, _ = configured
    asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}

    allowed = client.options("/log", headers={"Origin": ORIGIN} | asked)
    other = client.options("/log", headers={"Origin": "https://evil.example"} | asked)

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_a_key_beyond_its_rate_gets_429_with_retry_after_and_other_keys_do_not(configured):
    client, services = configured
    fast = {"X-API-Key": services.keys.create("auditor", "fast")[1]}
    calm = {"X-API-Key": services.keys.create("auditor", "calm")[1]}

    statuses = [client.get("/log", headers=fast).status_code for _ in range(5)]
    refused = client.get("/log", headers=fast)

    assert statuses[:3] == [200, 200, 200]  # the burst
    assert 429 in statuses[3:]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == PROBLEM_BASE + "rate-limited"
    assert int(refused.headers["retry-after"]) >= 1
    _assert_hardened(refused)
    assert client.get("/log", headers=calm).status_code == 200


def test_a_wrong_secret_for_a_key_id_cannot_use_up_that_key_allowance(configured):
    client, services = configured
    principal, key = services.keys.create("auditor", "victim")
    forged = {"X-API-Key": f"tp_{principal.key_id}_wrong-secret"}

    for _ in range(5):
        client.get("/log", headers=forged)

    assert client.get("/log", headers={"X-API-Key": key}).status_code == 200


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_bucket_grants_its_burst_then_one_token_per_interval():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=2, clock=clock)

    granted = [buckets.take(b"k") for _ in range(3)]
    clock.now += 0.5  # one token back at 2 per second
    after_wait = buckets.take(b"k")

    assert granted[:2] == [0.0, 0.0]
    assert granted[2] == pytest.approx(0.5)  # seconds until the next token
    assert after_wait == 0.0


def test_the_number_of_buckets_is_bounded_forgetting_idle_keys_first():
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, clock=clock, max_buckets=3)
    buckets.take(b"busy")
    for key in (b"a", b"b", b"c", b"d"):
        buckets.take(key)
    clock.now += 10  # every bucket refilled: same as absent

    buckets.take(b"e")

    assert len(buckets.buckets) <= 3
    assert buckets.take(b"e") > 0  # e's own bucket was kept: its burst is spent
