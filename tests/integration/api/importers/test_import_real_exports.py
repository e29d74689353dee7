"""Real exports through the CLI (issue 14, point 5): the summary grouped by reason, time and
speed, ``--rejects``, ``--dry-run``, the earliest date as a setting, files refused whole
writing nothing, and the two shipped mappings (historical call log, telemarketing)."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

from typer.testing import CliRunner

from api.cli.main import build_app
from api.importers.mapping import BUILT_IN
from api.importers.rows import anonymous_caller
from tests.conftest import TEST_KEY_SECRET

app = build_app()

HEADER = (
    "vru.line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
    "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver"
)


def historical(*rows: str) -> str:
    return HEADER + "\n" + "".join(row.replace(" ", "\t") + "\n" for row in rows)


ANSWERED = (
    "AA0101 33116 9664491 2 PS 990101 0:00:31 0:00:36 5 0:00:36 0:03:09 153 AGENT "
    "0:03:09 0:06:49 220 MICHAL"
)
ABANDONED = (
    "AA0101 33117 0 0 PS 990101 0:34:12 0:34:23 11 0:34:23 0:35:00 37 HANG "
    "0:00:00 0:00:00 0 NO_SERVER"
)
IVR_HANG_UP = (
    "AA0101 33118 0 0 PS 990101 0:40:00 0:40:09 9 0:00:00 0:00:00 0 HANG "
    "0:00:00 0:00:00 0 NO_SERVER"
)
LOG = historical(ANSWERED, ABANDONED, IVR_HANG_UP)


def run(url: str, *args: str, earliest: str | None = None):
    env = {"TOUCHPOINT_DATABASE_URL": url, "TOUCHPOINT_API_KEY_SECRET": TEST_KEY_SECRET}
    if earliest is not None:
        env["TOUCHPOINT_EARLIEST_DATE"] = earliest
    return CliRunner().invoke(app, list(args), env=env)


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def calls_in_log(services):
    return [i.fact for i in services.ledger.read_log(0, 1000) if i.fact.kind == "CallRecorded"]


def test_the_historical_log_is_refused_whole_until_the_server_accepts_its_dates(
    database_url, services, tmp_path
):
    path = write(tmp_path, "log.tsv", LOG)

    refused = run(database_url, "import-calls", path, "--mapping", "calls-historical")

    assert refused.exit_code == 2
    assert "set TOUCHPOINT_EARLIEST_DATE=1998-12-31" in refused.output
    assert services.ledger.head_position() == 0


def test_the_historical_log_imports_once_the_earliest_date_setting_allows_it(
    database_url, services, tmp_path
):
    path = write(tmp_path, "log.tsv", LOG)

    result = run(
        database_url, "import-calls", path, "--mapping", "calls-historical", earliest="1998-12-31"
    )

    assert result.exit_code == 0, result.output
    answered, abandoned = calls_in_log(services)  # the IVR hang-up is skipped
    assert (answered.customer_ref, answered.agent_id, answered.outcome) == (
        "9664491", "MICHAL", "answered"
    )  # fmt: skip
    assert (abandoned.outcome, abandoned.wait_seconds, abandoned.agent_id) == (
        "abandoned",
        37,
        None,
    )
    assert abandoned.customer_ref == anonymous_caller("bank-acd-1999", "990101-AA0101-33117")
    assert answered.occurred_at.year == 1999


def test_the_server_setting_alone_refuses_old_rows_one_by_one_naming_the_date(
    database_url, services, tmp_path
):
    mapping = tmp_path / "m.toml"
    shipped = (BUILT_IN / "calls-historical.toml").read_text()
    mapping.write_text(shipped.replace('earliest = "1999-01-01"\n', ""))  # no `earliest`
    path = write(tmp_path, "log.tsv", LOG)

    result = run(database_url, "import-calls", path, "--mapping", str(mapping))

    assert result.exit_code == 1
    assert re.search(r"│\s+2 │ 2, 3\s+│ occurred-too-long-ago \(offered_at\)", result.output)
    assert "is before 2000-01-01" in result.output
    assert services.ledger.head_position() == 0


TELEMARKETING = (
    "Campaign;Campaign name;Customer;List date;Attempts;Cell;Subscribed;Sale value;Days to answer\n"
    "TM-1;Term deposit;C-1;2026-05-04;3;CALL;yes;1200.00;2\n"
    "TM-1;Term deposit;C-2;2026-05-04;1;CALL;no;;\n"
    "TM-1;Term deposit;C-3;2026-05-04;0;CONTROL;yes;;1\n"
)


def test_a_telemarketing_list_records_dials_hold_backs_and_sales_on_the_phone_channel(
    database_url, services, tmp_path
):
    path = write(tmp_path, "tm.csv", TELEMARKETING)

    result = run(database_url, "import-mailshots", path, "--mapping", "telemarketing")

    assert result.exit_code == 0, result.output
    kinds = [i.fact.kind for i in services.ledger.read_log(0, 100)]
    # 1 plan; C-1: 3 dials + response + sale; C-2: 1 dial; C-3: hold-back + response + sale.
    assert kinds.count("CampaignPlanned") == 1
    assert kinds.count("MailshotSent") == 4
    assert kinds.count("MailshotHeldBack") == 1
    assert kinds.count("MailshotResponded") == 2
    assert kinds.count("MailshotConverted") == 2
    sent = [i.fact for i in services.ledger.read_log(0, 100) if i.fact.kind == "MailshotSent"]
    assert {s.channel for s in sent} == {"phone"}
    assert sum(s.unit_cost for s in sent) == Decimal("1.40")  # 4 dials at 0.35


NOISY = (
    "Site;Call ID;Start;Customer;Queue;Agent;Queue time;Talk time;Hold time;ACW time;Result;"
    "Reason\n"
    + "".join(
        f"LDN;{n};2026-03-02 09:{n:02d}:00;C-{n};billing;a1;0:10;2:00;0;0;Handled;q\n"
        for n in range(1, 4)
    )
    + "".join(
        f"LDN;{n};2026-03-02 10:{n:02d}:00;C-{n};billing;a1;0:10;2:00;0;0;Escalated;q\n"
        for n in range(10, 22)
    )
    + "LDN;30;2026-03-02 11:00:00;C-30;billing;a1;0:10;2:00;0;0;Handled;q;extra\n"
)


def test_refusals_are_grouped_by_reason_with_counts_and_first_lines(
    database_url, services, tmp_path
):
    result = run(
        database_url,
        "import-calls",
        write(tmp_path, "n.csv", NOISY),
        "--mapping",
        "calls-durations",
    )

    assert result.exit_code == 1
    # 12 rows with the same systematic error: one line of the table, not twelve.
    assert re.search(
        r"│\s+12 │ 5, 6, 7, 8, 9, … │ Result: unknown value 'Escalated'", result.output
    )
    assert result.output.count("unknown value 'Escalated'") == 1
    # A row with more fields than the header is refused, not silently cut.
    assert re.search(r"│\s+1 │ 17\s+│ 13 fields, the header has 12", result.output)
    assert re.search(r"facts recorded\s+│\s+3\s+│", result.output)
    assert re.search(r"total time\s+│\s+\d+\.\d\d s\s+│", result.output)
    assert re.search(r"facts per second\s+│\s+\d+\s+│", result.output)
    assert services.ledger.head_position() == 3


def test_rejects_holds_the_refused_rows_as_they_came_with_line_and_reason(
    database_url, services, tmp_path
):
    rejects = tmp_path / "rejects.csv"

    run(
        database_url, "import-calls", write(tmp_path, "n.csv", NOISY),
        "--mapping", "calls-durations", "--rejects", str(rejects),
    )  # fmt: skip

    with rejects.open(newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    assert table[0][-2:] == ["rejected_line", "rejected_reason"]
    assert len(table) == 1 + 12 + 1
    first = table[1]
    assert first[:2] == ["LDN", "10"]
    assert first[-2] == "5"
    assert first[-1].startswith("Result: unknown value 'Escalated'")
    assert table[-1][-3:] == ["extra", "17", "13 fields, the header has 12 (a stray delimiter?)"]


def test_a_dry_run_checks_every_row_against_the_log_and_writes_nothing(
    database_url, services, tmp_path
):
    responses = (
        "Campaign,Customer,Responded,Response channel,Order value\n"
        "TM-1,C-1,2026-05-05,web,\n"  # no such mailshot in the log: refused by the domain
    )
    sends = write(tmp_path, "tm.csv", TELEMARKETING)

    dry = run(database_url, "import-mailshots", sends, "--mapping", "telemarketing", "--dry-run")
    answers = run(
        database_url, "import-mailshots", write(tmp_path, "r.csv", responses),
        "--mapping", "mailshot-responses", "--dry-run",
    )  # fmt: skip

    assert dry.exit_code == 0, dry.output
    assert "nothing was written" in dry.output
    # 1 plan + 4 dials + 1 hold-back + 2 responses + 2 sales, decided in order: the
    # campaign planned on line 2 lets the later rows' sends pass.
    assert re.search(r"facts that would be recorded\s+│\s+10\s+│", dry.output)
    assert answers.exit_code == 1
    assert "unknown-mailshot" in answers.output
    assert services.ledger.head_position() == 0
    with services.key_pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM customer_keys").fetchone() == (0,)


def test_a_dry_run_after_the_import_finds_every_fact_already_recorded(
    database_url, services, tmp_path
):
    sends = write(tmp_path, "tm.csv", TELEMARKETING)
    run(database_url, "import-mailshots", sends, "--mapping", "telemarketing")
    head = services.ledger.head_position()

    dry = run(database_url, "import-mailshots", sends, "--mapping", "telemarketing", "--dry-run")

    assert re.search(r"facts already recorded\s+│\s+10\s+│", dry.output)
    assert services.ledger.head_position() == head


def test_a_file_unreadable_half_way_is_refused_whole_and_nothing_is_written(
    database_url, services, tmp_path
):
    good = NOISY.splitlines(keepends=True)[:4]  # header + 3 good rows
    broken = (
        "".join(good).encode() * 1
        + b"LDN;99;2026-03-02 12:00:00;C-\xff;billing;a1;0:10;2:00;0;0;Handled;q\n"
    )

    result = run(
        database_url,
        "import-calls",
        write(tmp_path, "b.csv", broken),
        "--mapping",
        "calls-durations",
    )

    assert result.exit_code == 2
    assert "unreadable" in result.output
    assert services.ledger.head_position() == 0
