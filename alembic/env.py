"""Alembic environment: runs migrations on a psycopg 3 connection."""

from __future__ import annotations

import os

import psycopg
from sqlalchemy import create_engine, text

from alembic import context

LOCK_ID = 7_316_220  # advisory lock: two processes never migrate at once


def _engine_url() -> str:
    url = context.config.attributes.get("database_url") or os.environ.get("TOUCHPOINT_DATABASE_URL")
    if not url:
        raise SystemExit("no database: set TOUCHPOINT_DATABASE_URL or use `touchpoint migrate`")
    return str(url)


def run_migrations_online() -> None:
    url = _engine_url()
    # Names resolve in public only: the runtime role may create schemas (replays), and
    # one named after the owner would otherwise come first on the owner's search_path.
    engine = create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(url, options="-c search_path=public"),
    )
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
        try:
            context.configure(connection=connection, target_metadata=None)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
            connection.commit()
    engine.dispose()


run_migrations_online()
