"""GET /metrics/...: who may ask, what may be asked, read-your-writes, and no personal data."""

from __future__ import annotations

import pytest

from api.web.schemas import metric_params
from tests import builders as b

RANGE = {"from": "2026-03-01", "to": "2026-03-31"}
PATHS = (
    "/metrics/cost",
    "/metrics/cost/agents",
    "/metrics/crm",
    "/metrics/crm/contact-pressure",
    "/metrics/cem",
    "/metrics/cem/detractors",
    "/metrics/insights",
)
GROUPED = [path for path in PATHS if path != "/metrics/crm/contact-pressure"]
PROBLEM = "application/problem+json"


ROLES = {"analyst": 200, "agent": 403, "auditor": 403, "integrator": 403, "admin": 403, None: 401}
SQL_LIKE = [
    "colour",
    "queue;DROP TABLE cost_daily",
    "queue) --",
    "day'",
    'day"',
    "queue desc",
    "1",
    "agent_id",  # a column name, not a breakdown name
]


@pytest.mark.parametrize("path", PATHS)
def test_only_analysts_read_metrics(client, role_headers, path):
    for role, status in ROLES.items():
        response = client.get(path, params=RANGE, headers=role_headers[role] if role else {})

        assert response.status_code == status, role
        if status != 200:
            assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("path", GROUPED)
def test_unknown_breakdowns_are_422_problems_naming_the_allowed_ones(client, role_headers, path):
    for group_by in SQL_LIKE:
        response = client.get(
            path, params=RANGE | {"group_by": f"day,{group_by}"}, headers=role_headers["analyst"]
        )

        assert response.status_code == 422, group_by
        assert response.headers["content-type"] == PROBLEM
        (param,) = response.json()["invalid_params"]
        assert param["name"] == "group_by"
        assert "allowed: day" in param["reason"] or "allowed: campaign" in param["reason"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/metrics/cost", metric_params.CostParams.BREAKDOWNS),
        ("/metrics/crm", metric_params.CrmParams.BREAKDOWNS),
        ("/metrics/cem", metric_params.CemParams.BREAKDOWNS),
    ],
)
def test_every_breakdown_of_a_view_may_be_grouped_by_at_once(client, role_headers, path, allowed):
    response = client.get(
        path, params=RANGE | {"group_by": ",".join(allowed)}, headers=role_headers["analyst"]
    )

    assert response.status_code == 200
    assert response.json()["group_by"] == list(allowed)


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_parameter_is_refused_naming_the_allowed_ones(client, role_headers, path):
    response = client.get(
        path, params=RANGE | {"queeu": "billing"}, headers=role_headers["analyst"]
    )

    assert response.status_code == 422
    (param,) = response.json()["invalid_params"]
    assert param["name"] == "queeu"
    assert "allowed: from, to" in param["reason"]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "2000-01-01", "to": "2026-03-01"}, "to"),
        ({"to": "2026-03-01"}, "from"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
        (RANGE | {"at": "2026-03-01T00:00:00"}, "at"),  # no time zone
        (RANGE | {"at": "9999-12-31T23:59:00-23:59"}, "at"),  # beyond what datetimes hold
        (RANGE | {"segment": "retail\x00"}, "segment"),
        (RANGE | {"channel": "pigeon"}, "channel"),
        (RANGE | {"min_position": -1}, "min_position"),
    ],
)
def test_bad_ranges_and_filter_values_are_422_problems(client, role_headers, params, bad):
    response = client.get("/metrics/crm", params=params, headers=role_headers["analyst"])

    assert response.status_code == 422
    assert bad in [param["name"] for param in response.json()["invalid_params"]]


def test_a_control_character_in_a_filter_is_refused_before_any_sql(client, role_headers):
    for agent in ("a\x00b", "a\nb"):
        response = client.get(
            "/metrics/cost", params=RANGE | {"agent": agent}, headers=role_headers["analyst"]
        )

        assert response.status_code == 422
        assert response.json()["invalid_params"][0]["name"] == "agent"


def test_a_metric_read_with_a_position_sees_that_write(client, services, role_headers, projectors):
    for attempt in range(5):
        position = services.ledger.record(b.call(f"c-{attempt}", ref=f"C{attempt}"), "t").position

        response = client.get(
            "/metrics/cost",
            params=RANGE | {"min_position": position},
            headers=role_headers["analyst"],
        )

        assert response.status_code == 200
        assert response.json()["rows"][0]["offered"] == attempt + 1


def test_a_metric_view_that_lags_answers_503_with_its_position(
    client, services, role_headers, catch_up
):
    services.settings.read_wait_seconds = 0.1
    services.ledger.record(b.call(), "t")
    positions = catch_up()

    response = client.get(
        "/metrics/cem",
        params=RANGE | {"min_position": positions["cem"] + 1},
        headers=role_headers["analyst"],
    )

    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert (response.json()["view"], response.json()["view_position"]) == ("cem", positions["cem"])


PERSONAL = ("Zebedee Quux", "zebedee@example.org", "+44 20 7946 0999", "utterly secret remark")


def test_analysts_never_receive_personal_data(client, services, role_headers, catch_up):
    name, email, phone, comment = PERSONAL
    services.ledger.record(b.customer("C1", name=name, email=email, phone=phone), "t")
    for cmd in (
        b.call(),
        b.survey(nps=2, comment=comment),
        b.campaign("spring"),
        b.sent("m-1"),
        b.responded("m-1"),
        b.contact_change(name=name, email=email),
    ):
        services.ledger.record(cmd, "t")
    catch_up()

    bodies = []
    for path in PATHS:
        for accept in ("application/json", "text/csv"):
            for group_by in (None, "day") if path in GROUPED else (None,):
                params = RANGE | ({"group_by": group_by} if group_by else {})
                headers = role_headers["analyst"] | {"Accept": accept}
                response = client.get(path, params=params, headers=headers)
                assert response.status_code == 200
                bodies.append(response.text)

    assert any("C1" in body for body in bodies)  # the facts are there (the detractor list)
    for body in bodies:
        for secret in PERSONAL:
            assert secret not in body
