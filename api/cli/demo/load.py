"""The demo's load (resumable, with a progress bar) and the views built before serving."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.bootstrap import Services
from api.demo.history import generate_days, load
from api.demo.kept import DemoState, write_state
from api.importers.report import ImportReport

__all__ = ["MAX_REFUSALS_SHOWN", "Interrupted", "load_history", "project"]
MAX_REFUSALS_SHOWN = 10


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM before the demo was served; the message says what is left.

    A ``KeyboardInterrupt``, as Ctrl-C's own: libraries that retry on errors (the
    ledger's writes do) let it through rather than retrying the write it stopped.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "stopped before serving; `touchpoint demo` again carries on from there"
        )


def load_history(
    services: Services,
    state: DemoState,
    folder: Path | None,
    console: Console,
    *,
    keep: Callable[[Path, DemoState], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> DemoState:
    """Load the history of ``state``, skipping what an earlier run recorded; kept in
    ``folder`` after every batch (by ``keep``, ``write_state`` unless given), so that an
    interruption loses at most one batch. ``stop`` is asked after every day and batch:
    true, the load ends there with ``Interrupted``."""
    keep = keep or write_state
    config = state.config
    verb = f"resuming (from command {state.loaded + 1})" if state.loaded else "loading"
    console.print(
        f"demo history: {state.describe()}; {verb}; the same --seed and --end make the "
        "same history",
        highlight=False,
    )
    done = [state]

    def kept(handed: int) -> None:
        done[0] = done[0].loading(handed)
        if folder is not None:
            keep(folder, done[0])
        if stop():
            raise Interrupted

    def day_done(so_far: int) -> None:
        advance(1, so_far)
        if stop():
            raise Interrupted

    try:
        with _bar(console, "generating and loading", config.days + 1) as advance:
            report = load(
                services.ledger,
                generate_days(config),
                batch_size=services.settings.import_batch_size,
                on_day=lambda day, so_far: day_done(so_far.facts),
                skip=state.loaded,
                on_batch=kept,
            )
    except Interrupted:
        left = f"{done[0].loaded} commands of the history are loaded"
        again = "" if folder is not None else f" with the same options and --end {config.end}"
        message = f"{left}; run `touchpoint demo` again{again} to resume the load there"
        raise Interrupted(message) from None
    finished = DemoState(config, done[0].loaded, complete=True)
    if folder is not None:
        write_state(folder, finished)
    _summary(report, console)
    return finished


@contextmanager
def _bar(console: Console, what: str, total: int) -> Iterator[Callable[[int, int], None]]:
    columns = (
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[facts]} facts"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(what, total=total, facts=0)

        def advance(steps: int, facts: int) -> None:
            progress.update(task, advance=steps, facts=facts)

        yield advance


def _summary(report: ImportReport, console: Console) -> None:
    console.print(
        f"recorded {report.recorded} facts, {report.duplicates} already there, "
        f"{len(report.refused)} refused",
        highlight=False,
    )
    for refusal in report.refused[:MAX_REFUSALS_SHOWN]:
        console.print(f"  refused: {refusal.reason}", highlight=False)


def project(services: Services, console: Console) -> None:
    """Bring every view up to the head of the log before serving (with a progress bar)."""
    runner = services.runner()
    head = services.ledger.head_position()
    with _bar(console, "building the views", head) as advance:
        done = [min(runner.position(name) for name in runner.views)]
        advance(done[0], done[0])  # what earlier runs built is already done

        def progress(position: int) -> None:
            advance(max(0, position - done[0]), position)
            done[0] = max(done[0], position)

        runner.catch_up_many(list(runner.views), progress=progress)
