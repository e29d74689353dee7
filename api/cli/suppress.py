"""``touchpoint suppress FILE --campaign ID [--channel sms] [--at TIME] [--out FILE]``.

FILE is a campaign's recipient list as CSV: a ``customer_ref`` column (or, without such a
header, the first column). Each recipient is decided by the contact policy in force at
``--at`` (default now), the suppressed ones are recorded as ``ContactSuppressed`` facts
(``api.web.suppression``, as ``POST /campaigns/{id}/suppression``), a progress bar runs on
stderr, the verdicts go to ``--out`` as NDJSON (one line per recipient, then the counts),
and a summary of the rules that suppressed is printed. Exit codes: 0 done, 2 unusable file,
campaign or time (nothing written), 3 database unavailable.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, cast, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import database_errors, err, fail

if TYPE_CHECKING:  # the web and database stacks are imported when the command runs
    from api.bootstrap import Services
    from api.web.suppression import Run
    from domain.commands import Channel

__all__ = ["read_refs", "register", "suppress_file"]


def read_refs(path: Path) -> list[str]:
    """The references of the list: the ``customer_ref`` column, else the first one."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{path}: {getattr(error, 'strerror', None) or error}", 2) from error
    if not rows:
        raise fail(f"{path}: the list is empty", 2)
    header = [name.strip().lower() for name in rows[0]]
    column = header.index("customer_ref") if "customer_ref" in header else 0
    body = rows[1:] if "customer_ref" in header else rows
    refs = [row[column].strip() for row in body if len(row) > column and row[column].strip()]
    if not refs:
        raise fail(f"{path}: no customer reference in the list", 2)
    return refs


def _channel(text: str | None) -> Channel | None:
    from domain.commands import Channel  # noqa: PLC0415

    if text is not None and text not in get_args(Channel):
        raise fail(f"--channel {text}: one of {', '.join(get_args(Channel))}", 2)
    return cast("Channel | None", text)


def _at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError as error:
        raise fail(f"--at {text}: an ISO 8601 time with its zone is needed", 2) from error
    if at.tzinfo is None:
        raise fail(f"--at {text}: an ISO 8601 time with its zone is needed", 2)
    return at


def suppress_file(
    file: Annotated[Path, typer.Argument(help="The recipient list (CSV).")],
    campaign: Annotated[str, typer.Option("--campaign", help="The campaign's id.")],
    channel: Annotated[
        str | None, typer.Option(help="post, email, sms or phone (default: the campaign's).")
    ] = None,
    at: Annotated[str | None, typer.Option(help="The instant asked about (default now).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the verdicts here as NDJSON.")
    ] = None,
) -> None:
    """Decide every recipient of FILE under the contact policy; record the suppressions."""
    from api.bootstrap import running  # noqa: PLC0415
    from api.importers.ndjson import default_author  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from api.web.suppression import Run, campaign_channel  # noqa: PLC0415

    refs, wanted, instant = read_refs(file), _channel(channel), _at(at)
    settings = Settings()
    with database_errors(), running(settings) as services:
        planned = campaign_channel(services, campaign)
        if planned is None:
            raise fail(f"no campaign was planned with the id {campaign}", 2)
        run = Run(campaign, wanted or planned, instant or services.ledger.clock(), default_author())
        counts = _run(services, run, refs, out)
    _summary(counts, len(refs), run)


def _run(services: Services, run: Run, refs: list[str], out: Path | None) -> Counter[str]:
    from api.web.routes.suppression import line  # noqa: PLC0415
    from api.web.suppression import suppress  # noqa: PLC0415

    counts: Counter[str] = Counter()
    columns = (TextColumn("deciding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with (
        Progress(*columns, console=err()) as progress,
        out.open("w", encoding="utf-8") if out else _Discard() as sink,
    ):
        task = progress.add_task("deciding", total=len(refs))
        for chunk in suppress(services, run, refs):
            for verdict in chunk:
                counts["send" if verdict.send else "suppress"] += 1
                counts.update(f"rule:{block.rule}" for block in verdict.decision.blocks)
                sink.write(line(verdict))
            progress.advance(task, len(chunk))
    return counts


class _Discard:
    """A sink that keeps nothing (no ``--out``)."""

    def __enter__(self) -> TextIO:
        return cast(TextIO, self)

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> int:
        return len(text)


def _summary(counts: Counter[str], total: int, run: Run) -> None:
    table = Table(
        title=f"Suppression for {run.campaign_id} on {run.channel} at {run.at:%Y-%m-%d %H:%M %Z}"
    )
    table.add_column("")
    table.add_column("recipients", justify="right")
    table.add_row("in the list", str(total))
    table.add_row("send", str(counts["send"]))
    table.add_row("suppress (recorded)", str(counts["suppress"]))
    for key in sorted(k for k in counts if k.startswith("rule:")):
        table.add_row(f"  blocked by {key.removeprefix('rule:')}", str(counts[key]))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``suppress`` to ``touchpoint``."""
    app.command("suppress")(suppress_file)
