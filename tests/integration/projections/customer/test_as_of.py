"""One customer's view as of a past position or recording time, rebuilt from the log.

The live customer view is captured at position N (every customer, at a fixed
``at``); more facts are recorded (call corrections, mailshot follow-ups, late
survey replies and calls, contact and consent changes, an erasure); the view
rebuilt as of N must equal what was captured, except that an erased customer's
personal fields read as erased (their key is gone).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from projections.config import ViewConfig
from projections.customer.as_of import AsOf, customer_as_of, parse_as_of
from projections.customer.queries import customer_profile
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b
from tests.integration.histories import mixed_history, record_all, snapshot

CONFIG = ViewConfig()
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
REFS = [f"C{i}" for i in range(8)]
SPLIT = 260  # commands recorded before N (the rest after)
ERASED = "C3"
PERSONAL = ("Customer C3", "c3@example.org")


def _project(services) -> None:
    runner = ProjectionRunner(services.ledger, services.key_pool, [CustomerView(CONFIG)], 37)
    runner.catch_up("customer")


def _live(services, ref: str, at: datetime = AT):
    with services.key_pool.connection() as conn:
        return customer_profile(conn, services.ledger.vault, ref, CONFIG, at)


def _as_of(services, ref: str, as_of: AsOf, at: datetime | None = AT):
    with services.key_pool.connection() as conn:
        return customer_as_of(
            conn, services.ledger, services.ledger.vault, ref, CONFIG, as_of=as_of, at=at
        )


def _history() -> list:
    """Eight customers with many facts each; C3 registered with known personal data."""
    cmds = mixed_history(seed=11, count=520, customers=len(REFS))
    registration = b.customer(ERASED, occurred_at=b.T0 - timedelta(days=90))
    extra = [
        registration,
        b.contact_change(ERASED, "chg-c3", occurred_at=b.T0, email=None, phone="+1 555"),
    ]
    others = [
        cmd for cmd in cmds if getattr(cmd, "customer_ref", None) != ERASED or not _is_reg(cmd)
    ]
    return extra + others


def _is_reg(cmd) -> bool:
    return type(cmd).__name__ in {"RegisterCustomer", "ChangeContactDetails"}


@pytest.fixture
def history(services):
    """Live profiles captured at N; then the rest of the history and C3's erasure."""
    cmds = _history()
    n = record_all(services.ledger, cmds[:SPLIT])
    _project(services)
    captured = {ref: _live(services, ref) for ref in REFS}
    record_all(services.ledger, cmds[SPLIT:])
    services.ledger.erase_customer(ERASED, "test")
    _project(services)
    return n, captured


def test_the_view_as_of_a_position_equals_the_live_view_captured_at_that_position(
    services, history
):
    n, captured = history
    for ref in REFS:
        if ref == ERASED:
            continue
        assert _live(services, ref) != captured[ref]  # the facts since changed something
        assert _as_of(services, ref, AsOf(position=n)) == captured[ref], ref
    assert captured["C1"].view_position == n


def test_an_erasure_after_the_position_blanks_personal_fields_of_the_as_of_view(services, history):
    n, captured = history
    before = captured[ERASED]
    assert (before.personal_data, before.name) == ("visible", "Customer C3")

    rebuilt = _as_of(services, ERASED, AsOf(position=n))

    assert rebuilt is not None
    assert rebuilt.erased_at is None  # not erased yet at N...
    assert rebuilt.personal_data == "erased"  # ...but the key is gone now
    assert (rebuilt.name, rebuilt.email, rebuilt.phone) == (None, None, None)
    assert not [value for value in PERSONAL if value in rebuilt.model_dump_json()]
    personal = {"name", "email", "phone", "personal_data", "recent_interactions", "why_calling"}
    assert rebuilt.model_dump(exclude=personal) == before.model_dump(exclude=personal)
    assert len(rebuilt.recent_interactions) == len(before.recent_interactions)


def test_as_of_a_recording_time_is_as_of_the_last_position_recorded_by_then(services, history):
    n, _ = history
    (last,) = services.ledger.read_log(n - 1, 1)
    (following,) = services.ledger.read_log(n, 1)
    between = last.recorded_at + (following.recorded_at - last.recorded_at) / 2
    by_position = _as_of(services, "C1", AsOf(position=n))

    assert _as_of(services, "C1", AsOf(time=last.recorded_at)) == by_position
    assert _as_of(services, "C1", AsOf(time=between)) == by_position
    assert _as_of(services, "C1", AsOf(time=following.recorded_at)) != by_position


def test_without_at_the_windows_are_as_of_the_point_itself(services, history):
    n, _ = history
    (last,) = services.ledger.read_log(n - 1, 1)

    later = last.recorded_at + timedelta(microseconds=1)

    assert _as_of(services, "C1", AsOf(position=n), at=None).at == last.recorded_at
    assert _as_of(services, "C1", AsOf(time=later), at=None).at == later


def test_as_of_beyond_the_head_equals_the_live_view_now(services, history):
    head = services.ledger.head_position()
    for ref in ("C0", "C1", ERASED):
        assert _as_of(services, ref, AsOf(position=head + 1000)) == _live(services, ref)
    assert _live(services, "C1").view_position == head


def test_a_customer_no_fact_named_by_then_has_no_as_of_view(services, history):
    (first,) = services.ledger.read_log(0, 1)

    assert _as_of(services, "C1", AsOf(position=0)) is None
    assert _as_of(services, "nobody", AsOf(position=10**6)) is None
    assert _as_of(services, "C1", AsOf(time=first.recorded_at - timedelta(seconds=1))) is None


def test_rebuilding_as_of_writes_nothing_and_leaves_prepared_statements_right(services, history):
    n, captured = history
    tables = (*CustomerView.tables, "view_tracking")
    with services.key_pool.connection() as conn:
        before = snapshot(conn, tables)
        # Past psycopg's prepare threshold: the live statements are prepared on this
        # connection; the as-of reads must still see the copies, and then the live again.
        live = [customer_profile(conn, services.ledger.vault, "C1", CONFIG, AT) for _ in range(7)]
        rebuilt = customer_as_of(
            conn,
            services.ledger,
            services.ledger.vault,
            "C1",
            CONFIG,
            as_of=AsOf(position=n),
            at=AT,
        )
        again = customer_profile(conn, services.ledger.vault, "C1", CONFIG, AT)
        after = snapshot(conn, tables)
    assert rebuilt == captured["C1"]
    assert again == live[-1] != rebuilt
    assert after == before


def test_a_reference_with_quotes_and_non_ascii_letters_is_found_in_the_log(services):
    ref = 'Zoë "the" \\ Ø'
    first = services.ledger.record(b.call("q-1", ref), "test").position
    services.ledger.record(b.call("q-2", ref, occurred_at=b.at(60)), "test")
    services.ledger.record(b.call("q-3", "Zoë"), "test")

    profile = _as_of(services, ref, AsOf(position=first + 1))

    assert profile is not None
    assert profile.counts.phone == 2
    assert _as_of(services, ref, AsOf(position=first)).counts.phone == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", AsOf(position=1200)),
        (" 7 ", AsOf(position=7)),
        ("2026-03-10T12:00:00Z", AsOf(time=datetime(2026, 3, 10, 12, tzinfo=UTC))),
        ("2026-03-10T13:00:00+01:00", AsOf(time=datetime(2026, 3, 10, 12, tzinfo=UTC))),
    ],
)
def test_as_of_is_a_position_or_a_time_with_its_zone(text, expected):
    assert parse_as_of(text) == expected


@pytest.mark.parametrize(
    "text", ["", "-1", "12a", "2026-03-10T12:00:00", "0001-01-01T00:00:00Z", "9" * 20, "١٢"]
)
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match=r"position|time"):
        parse_as_of(text)
