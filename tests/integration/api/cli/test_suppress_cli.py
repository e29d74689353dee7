"""`touchpoint suppress FILE --campaign ID --channel …`: a recipient list decided under the
contact policy, suppressions recorded as facts, verdicts as NDJSON, refusals with exit 2."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from api.cli.main import build_app
from tests import builders as b

app = build_app()
AT = (b.T0 + timedelta(days=1)).isoformat()


@pytest.fixture
def touchpoint(database_url):
    def run(*args: str):
        return CliRunner().invoke(
            app, ["suppress", *args], env={"TOUCHPOINT_DATABASE_URL": database_url}
        )

    return run


@pytest.fixture
def history(services):
    """C1 consents to SMS; C2 too but complained at T0; C3 never consented."""
    ledger = services.ledger
    ledger.record(b.campaign("spring", channel="sms"), "t")
    for ref in ("C1", "C2", "C3"):
        ledger.record(b.customer(ref), "t")
    for ref in ("C1", "C2"):
        grant = b.consent(
            ref, f"g-{ref}", channel="sms", granted=True, occurred_at=b.T0 - timedelta(days=3)
        )
        ledger.record(grant, "t")
    ledger.record(b.call("c-2", "C2", reason="complaint", occurred_at=b.T0), "t")
    services.runner().catch_up_all()


def test_a_list_is_decided_the_suppressions_recorded_and_the_verdicts_written(
    services, touchpoint, history, tmp_path
):
    listing = tmp_path / "list.csv"
    listing.write_text("customer_ref,segment\nC1,retail\nC2,retail\nC3,gold\n")
    out = tmp_path / "verdicts.ndjson"
    head = services.ledger.head_position()

    done = touchpoint(str(listing), "--campaign", "spring", "--at", AT, "--out", str(out))

    assert done.exit_code == 0, done.output
    answers = [json.loads(text) for text in out.read_text().splitlines()]
    assert [(a["customer_ref"], a["send"]) for a in answers] == [
        ("C1", True),
        ("C2", False),
        ("C3", False),
    ]
    assert "blocked by complaint" in done.output
    kinds = [logged.kind for logged in services.ledger.read_log(head, 10)]
    assert kinds == ["ContactSuppressed", "ContactSuppressed"]


def test_a_list_without_a_header_uses_its_first_column(services, touchpoint, history, tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_text("C1\nC3\n")

    done = touchpoint(str(listing), "--campaign", "spring", "--channel", "sms", "--at", AT)

    assert done.exit_code == 0, done.output
    assert "suppress (recorded)" in done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--campaign", "autumn"), "no campaign was planned"),
        (("--campaign", "spring", "--channel", "fax"), "--channel fax"),
        (("--campaign", "spring", "--at", "yesterday"), "--at yesterday"),
    ],
)
@pytest.mark.usefixtures("history")
def test_an_unusable_campaign_channel_or_time_is_exit_2_and_nothing_is_written(
    services, touchpoint, tmp_path, args, message
):
    listing = tmp_path / "list.csv"
    listing.write_text("C1\n")
    head = services.ledger.head_position()

    done = touchpoint(str(listing), *args)

    assert done.exit_code == 2
    assert message in done.output
    assert services.ledger.head_position() == head
