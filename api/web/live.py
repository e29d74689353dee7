"""Following the log live: one LISTEN connection per process wakes every open stream.

The recorder NOTIFYs ``touchpoint_events`` in the transaction of every append.
``LogSignal`` listens on a connection of its own while at least one stream is
open, and wakes all of them on each notification; a stream then reads the log
after its last position. A stream also reads every ``poll_seconds`` whatever
happens, so a lost notification or a lost listener only delays it. Positions
follow commit order (the recorder locks the table), so reading "after the last
position seen" never skips a fact committed later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import psycopg
from fastapi.concurrency import run_in_threadpool
from psycopg.sql import SQL, Identifier

from domain.ledger import Ledger
from domain.reading import LoggedFact
from projections.runner import CHANNEL

log = logging.getLogger(__name__)
PAGE = 500
_FIRST_RETRY, _LONGEST_RETRY = 0.5, 30.0

Reader = Callable[[int], tuple[int, list[Any], bool]]
"""Reads after a position: (new position, items to send, whether the page was full)."""


class LogSignal:
    """Wakes subscribed streams when the log grows (one listener per event loop)."""

    def __init__(self, conninfo: str, connect_timeout: int) -> None:
        self.conninfo = conninfo
        self.connect_timeout = connect_timeout
        self.waiters: set[asyncio.Event] = set()
        self.listening = False
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Event]:
        """An event set whenever a fact may have been recorded; the listener runs meanwhile."""
        wake = asyncio.Event()
        self.waiters.add(wake)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="touchpoint-log-signal")
        try:
            yield wake
        finally:
            self.waiters.discard(wake)
            if not self.waiters:
                await self._stop()

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # Shielded: the stream ending is often itself being cancelled (client gone),
        # and the listener's connection should be closed, not left to the collector.
        with (
            anyio.CancelScope(shield=True),
            anyio.move_on_after(5.0),
            contextlib.suppress(asyncio.CancelledError),
        ):
            await task

    @property
    def running(self) -> bool:
        """Whether the listener task is alive (it is while any stream is open)."""
        return self._task is not None and not self._task.done()

    def _wake_all(self) -> None:
        for wake in self.waiters:
            wake.set()

    async def _listen(self) -> None:
        delay = _FIRST_RETRY
        while True:
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as error:
                log.warning("live updates: listener lost (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(_LONGEST_RETRY, delay * 2)

    async def _listen_once(self) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True, connect_timeout=self.connect_timeout
        )
        async with conn:
            await conn.execute(SQL("LISTEN {}").format(Identifier(CHANNEL)))
            self.listening = True
            try:
                self._wake_all()  # whatever was recorded while (re)connecting
                async for _ in conn.notifies():
                    self._wake_all()
            finally:
                self.listening = False


def signal_for(state: Any, conninfo: str, connect_timeout: int) -> LogSignal:
    """The ``LogSignal`` of the running event loop, kept on ``state`` (the app's state)."""
    signals: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LogSignal]
    signals = getattr(state, "log_signals", None) or weakref.WeakKeyDictionary()
    state.log_signals = signals
    loop = asyncio.get_running_loop()
    if loop not in signals:
        signals[loop] = LogSignal(conninfo, connect_timeout)
    return signals[loop]


async def follow(
    signal: LogSignal, reader: Reader, after: int, poll_seconds: float
) -> AsyncIterator[tuple[int, list[Any]]]:
    """``(position read up to, items)`` after ``after``, as the log grows, until cancelled.

    Items may be empty: the log was read up to the position and nothing matched
    (the caller may send the position as a resume point).
    """
    async with signal.subscribe() as wake:
        while True:
            wake.clear()  # before reading: a fact recorded during the read wakes us again
            after, items, full = await run_in_threadpool(reader, after)
            yield after, items
            if not full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poll_seconds)


def page_after(ledger: Ledger, after: int) -> tuple[int, list[LoggedFact], bool]:
    """The next page of the log after ``after``: (its last position, facts, full page)."""
    page = ledger.read_log(after, PAGE)
    return (page[-1].position if page else after), page, len(page) == PAGE
