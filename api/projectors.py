"""Projector wiring from settings: the view config, and running the projectors alone."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from types import FrameType

from api.settings import Settings
from api.wiring import Services, running
from projections.config import ViewConfig
from projections.runner import ProjectionRunner
from projections.service import VIEW_NAMES, ProjectorHandle, build_runner, start_projectors


def view_config(settings: Settings) -> ViewConfig:
    """The views' thresholds and rates, from settings."""
    return ViewConfig(
        timezone=settings.timezone,
        service_level_seconds=settings.service_level_seconds,
        short_abandon_seconds=settings.short_abandon_seconds,
        repeat_window_days=settings.repeat_window_days,
        cost_per_handled_second=dict(settings.cost_per_handled_second),
        default_cost_per_handled_second=settings.default_cost_per_handled_second,
        fixed_cost_per_answered_call=settings.fixed_cost_per_answered_call,
        pressure_cap=settings.pressure_cap,
        closed_loop_hours=settings.closed_loop_hours,
    )


def runner_for(services: Services, names: Sequence[str] = VIEW_NAMES) -> ProjectionRunner:
    """A runner for the views named, configured from the services' settings."""
    settings = services.settings
    return build_runner(services, view_config(settings), settings.projection_page_size, names)


def start_in_background(services: Services) -> ProjectorHandle:
    """All views followed in a daemon thread of this process (``touchpoint serve``)."""
    settings = services.settings
    return start_projectors(services, view_config(settings), settings.projection_page_size)


def project_until_stopped(settings: Settings, names: Sequence[str] = VIEW_NAMES) -> None:
    """Run the projectors in this thread until SIGINT or SIGTERM (``touchpoint project``)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    with running(settings) as services:
        handle = start_projectors(
            services, view_config(settings), settings.projection_page_size, names
        )
        while not stop.wait(1.0) and handle.running:
            pass
        handle.stop()
