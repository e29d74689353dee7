"""Ctrl-C while ``touchpoint serve`` migrates and starts: exit 130, saying so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import typer

from api.cli.serving import INTERRUPTED_START, interruptible_start


@contextmanager
def _interrupted_while_opening() -> Iterator[str]:
    raise KeyboardInterrupt  # what the signal handler raises mid-migration
    yield "never"


@contextmanager
def _opens(closed: list[str]) -> Iterator[str]:
    try:
        yield "services"
    finally:
        closed.append("services")


def test_ctrl_c_while_the_services_open_exits_130_with_the_reason(capsys):
    with pytest.raises(typer.Exit) as exited, interruptible_start(_interrupted_while_opening()):
        pytest.fail("nothing is served after an interrupted start")

    assert exited.value.exit_code == 130
    assert capsys.readouterr().err == f"error: {INTERRUPTED_START}\n"


def test_a_start_that_completes_yields_the_services_and_closes_them_after():
    closed: list[str] = []

    with interruptible_start(_opens(closed)) as services:
        assert (services, closed) == ("services", [])

    assert closed == ["services"]
