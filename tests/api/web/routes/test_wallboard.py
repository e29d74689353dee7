"""The pages' display settings and the wallboard's live stream of today's queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import builders as b
from tests.api.web.routes.test_live import Event, stream


def _today(minutes_ago: int) -> datetime:
    # Minutes before now, but never before today's midnight (UTC, the test centre's zone).
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - timedelta(minutes=minutes_ago), midnight + timedelta(seconds=1))


def _call(n: int, wait: int, outcome: str = "answered", queue: str = "billing"):
    if outcome == "abandoned":
        return b.call(
            f"w-{n}", occurred_at=_today(5 + n), queue=queue, wait_seconds=wait,
            outcome="abandoned", agent_id=None, talk_seconds=0, hold_seconds=0,
            after_call_work_seconds=0, resolved=False,
        )  # fmt: skip
    return b.call(f"w-{n}", occurred_at=_today(5 + n), queue=queue, wait_seconds=wait)


def _board(events, offered: int) -> Event:
    """The next board whose total shows ``offered`` calls (skipping pings and older boards)."""
    while True:
        event = events.next()
        if event.event == "board" and event.data["total"]["offered"] == offered:
            return event


def test_the_display_settings_are_the_centre_s_not_the_browser_s(client, services, role_headers):
    services.settings.locale = "fr-FR"
    services.settings.currency = "EUR"
    services.settings.service_level_target = 0.9

    for role in ("agent", "analyst"):
        answer = client.get("/display", headers=role_headers[role])
        assert answer.status_code == 200
        assert answer.json() == {
            "locale": "fr-FR", "currency": "EUR", "timezone": "UTC",
            "service_level_seconds": 20, "service_level_target": 0.9,
        }  # fmt: skip


def test_a_wallboard_shows_today_s_queues_and_a_new_board_when_calls_are_recorded(
    client, services, role_headers, projectors
):
    """METRICS.md, "Cost view": service level = answered within T (20 s) / (offered - short
    abandons); here 1 of 3 (12 s answered; 40 s answered; abandoned after 70 s, not short)."""
    services.ledger.record(_call(1, 12), "t")
    with stream(client, "/wallboard/events", role_headers["analyst"]) as events:
        first = _board(events, 1)
        services.ledger.record(_call(2, 40), "t")
        services.ledger.record(_call(3, 70, "abandoned"), "t")
        services.ledger.record(_call(4, 3, queue="cards"), "t")
        later = _board(events, 4)

    assert first.data["queues"] == [
        {"queue": "billing", "offered": 1, "answered": 1, "abandoned": 0,
         "service_level": 1.0, "longest_wait_seconds": 12},
    ]  # fmt: skip
    billing, cards = later.data["queues"]
    assert billing == {
        "queue": "billing", "offered": 3, "answered": 2, "abandoned": 1,
        "service_level": 1 / 3, "longest_wait_seconds": 70,
    }  # fmt: skip
    assert cards["queue"] == "cards"
    assert later.data["total"]["longest_wait_seconds"] == 70
    assert later.data["total"]["queue"] is None
    assert later.data["day"] == datetime.now(UTC).date().isoformat()
    assert later.data["display"]["service_level_target"] == 0.8
    assert later.id is not None
    assert first.id is not None
    assert int(later.id) > int(first.id)


def test_a_day_without_calls_gives_an_empty_board_at_once(client, role_headers, projectors):
    with stream(client, "/wallboard/events", role_headers["analyst"]) as events:
        board = _board(events, 0)

    assert board.data["queues"] == []
    assert board.data["total"] == {
        "queue": None, "offered": 0, "answered": 0, "abandoned": 0,
        "service_level": None, "longest_wait_seconds": None,
    }  # fmt: skip


def test_a_wallboard_stream_ends_when_its_key_is_revoked(client, services):
    principal, key = services.keys.create("analyst", "wall screen")
    services.settings.live_revocation_seconds = 0.2

    with stream(client, "/wallboard/events", {"X-API-Key": key}) as events:
        events.next()
        services.keys.revoke(principal.key_id)
        rest = events.rest()

    assert rest[-1].event == "revoked"
    assert rest[-1].data["status"] == 401


def test_an_agent_key_cannot_open_the_wallboard(client, role_headers):
    answer = client.get("/wallboard/events", headers=role_headers["agent"])

    assert answer.status_code == 403
