"""The exceptions that mean "the database did not answer", whichever layer raised them."""

from __future__ import annotations

import psycopg
import psycopg_pool
from eventsourcing import persistence

__all__ = ["DATABASE_UNAVAILABLE"]

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,  # psycopg_pool.PoolTimeout is one of these
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
)
"""Exceptions that mean "the database did not answer": 503 or exit code 3, try again later."""
