"""The one place that wires settings, database, vault and ledger together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from api.auth import KeyStore
from api.database import database_url, eventsourcing_env
from api.migrations import migrate
from api.settings import Settings
from api.vault import PostgresKeyVault
from domain.ledger import Ledger


@dataclass
class Services:
    """Long-lived objects of one process, closed together."""

    settings: Settings
    database_url: str
    ledger: Ledger
    key_pool: ConnectionPool
    keys: KeyStore

    def close(self) -> None:
        self.ledger.close()
        self.key_pool.close()

    def check_database(self) -> None:
        """Raise at once (within ``database_wait_seconds``) if the database does not answer.

        The library retries every read and write ten times on a lost connection,
        each retry waiting for the pool, so an outage would take tens of seconds to
        surface; API requests check with one plain query first and answer 503.
        """
        wait = self.settings.database_wait_seconds
        with self.key_pool.connection(timeout=wait) as conn:
            conn.execute("SELECT 1")


def build_services(settings: Settings, url: str) -> Services:
    """Ledger and vault on an already migrated database at ``url``."""
    key_pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max(2, settings.pool_size),
        timeout=settings.connect_timeout,
        open=True,
    )
    ledger = Ledger(eventsourcing_env(settings, url), PostgresKeyVault(key_pool))
    return Services(settings, url, ledger, key_pool, KeyStore(key_pool))


@contextmanager
def running(settings: Settings, *, apply_migrations: bool = True) -> Iterator[Services]:
    """Database (embedded if no URL), migrated, with services; all closed on exit."""
    with database_url(settings) as url:
        if apply_migrations:
            migrate(url)
        services = build_services(settings, url)
        try:
            yield services
        finally:
            services.close()
