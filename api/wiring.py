"""The one place that wires settings, database, vault and ledger together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from psycopg_pool import ConnectionPool, PoolTimeout

from api.auth import KeyStore, key_secret
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
    options = connection_options(settings)
    key_pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max(2, settings.pool_size),
        timeout=settings.connect_timeout,
        kwargs={"options": options} if options else None,
        open=True,
    )
    ledger = Ledger(eventsourcing_env(settings, url), PostgresKeyVault(key_pool))
    _limit_statements(ledger, options)
    return Services(settings, url, ledger, key_pool, KeyStore(key_pool, key_secret(settings)))


def connection_options(settings: Settings) -> str:
    """libpq ``options`` of every connection of the services: the statement timeout.

    A slow query (or one stuck behind a lock) is cancelled after
    ``statement_timeout_seconds`` instead of holding a connection, and with it a
    share of the service, for as long as it takes; the request answers 503.
    """
    milliseconds = round(settings.statement_timeout_seconds * 1000)
    return f"-c statement_timeout={milliseconds}" if milliseconds else ""


def _limit_statements(ledger: Ledger, options: str) -> None:
    """The same options on the library's own pool (it takes no libpq options itself)."""
    pool = getattr(getattr(ledger.recorder, "datastore", None), "pool", None)
    if not options or not isinstance(pool, ConnectionPool):
        return
    assert isinstance(pool.kwargs, dict)
    pool.kwargs["options"] = options  # for every connection made from now on
    with suppress(PoolTimeout):  # an unreachable database: no connection to replace
        pool.wait(timeout=pool.timeout)  # the ones being opened meanwhile, done
    pool.drain()  # and replaced, with every other made before the options were set


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
