"""The one wiring point: every long-lived object of a process, built from ``Settings``.

``running(settings)`` gives a migrated database (the configured URL, else the
embedded server) and the ``Services`` on it, connected as the runtime role (two
roles: the owner migrates, see ``api.storage.roles``); ``build_services`` does the
same on a URL a test or benchmark already has. Everything else receives what is built
here: the web app, the CLI commands and the projectors never build their own
pools, vaults or ledgers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from api.settings import Settings
from api.storage.blind_index import BlindIndex, SearchIndexer, index_key
from api.storage.embedded import embedded_server
from api.storage.kek import Keks, keks
from api.storage.keys import KeyStore, key_secret
from api.storage.migrations import check_current, migrate
from api.storage.roles import RuntimeRoleError, prepare_runtime_role, runtime_conninfo
from api.storage.vault import PostgresKeyVault
from domain.ledger import Ledger
from projections.config import ViewConfig
from projections.leadership import Leadership
from projections.projector import ProjectorHandle, follow_in_background
from projections.registry import VIEW_NAMES, build_views
from projections.runner import ProjectionRunner

__all__ = [
    "Services",
    "blind_index",
    "build_services",
    "connection_options",
    "database_url",
    "eventsourcing_env",
    "prepare_database",
    "read_pool",
    "running",
    "runtime_url",
    "start_projectors",
    "view_config",
]


@dataclass
class Services:
    """Long-lived objects of one process, closed together."""

    settings: Settings
    database_url: str
    ledger: Ledger
    key_pool: ConnectionPool
    keys: KeyStore
    keks: Keks
    index: BlindIndex | None = None  # the customer search's (None: no index key)
    read_pool: ConnectionPool | None = None  # a standby's (None: reads on the primary)

    def close(self) -> None:
        """Close the ledger's and the services' pools."""
        self.ledger.close()
        self.key_pool.close()
        if self.read_pool is not None:
            self.read_pool.close()

    @property
    def reads(self) -> ConnectionPool:
        """The pool of the read endpoints: the standby's if there is one, else the primary's.

        Views and their tracking rows reach a standby in the same WAL records, so a
        position read there covers the rows read there (``min_position`` holds).
        """
        return self.key_pool if self.read_pool is None else self.read_pool

    def check_database(self) -> None:
        """Raise at once (within ``database_wait_seconds``) if the database does not answer.

        The library retries every read and write ten times on a lost connection,
        each retry waiting for the pool, so an outage would take tens of seconds to
        surface; API requests check with one plain query first and answer 503.
        """
        wait = self.settings.database_wait_seconds
        with self.key_pool.connection(timeout=wait) as conn:
            conn.execute("SELECT 1")

    @property
    def view_config(self) -> ViewConfig:
        """The views' thresholds and rates, as the projectors use them."""
        return view_config(self.settings)

    def runner(self, names: Sequence[str] = VIEW_NAMES) -> ProjectionRunner:
        """A runner for the views named, on the services' pool (one-off catch-ups, status)."""
        views = build_views(self.view_config, names, indexer=self.indexer)
        return ProjectionRunner(
            self.ledger, self.key_pool, views, page_size=self.settings.projection_page_size
        )

    @property
    def indexer(self) -> SearchIndexer | None:
        """What keeps the customer view's search index (reads keys with the ledger's vault)."""
        return None if self.index is None else SearchIndexer(self.index, self.ledger.vault)


def blind_index(settings: Settings) -> BlindIndex | None:
    """The customer search's blind index, if there is an index key."""
    key = index_key(settings)
    return None if key is None else BlindIndex(key, settings.default_country)


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


def build_services(settings: Settings, url: str, kek_ring: Keks | None = None) -> Services:
    """Ledger, vault and key store on an already migrated database at ``url``.

    ``kek_ring``: the KEKs that wrap customers' data keys (default: the settings' keyring).
    """
    kek_ring = kek_ring if kek_ring is not None else keks(settings)
    options = connection_options(settings)
    key_pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max(2, settings.pool_size),
        timeout=settings.connect_timeout,
        kwargs={"options": options} if options else None,
        open=True,
    )
    ledger = Ledger(
        eventsourcing_env(settings, url),
        PostgresKeyVault(key_pool, kek_ring),
        earliest=settings.earliest,
    )
    _limit_statements(ledger, options)
    store = KeyStore(key_pool, key_secret(settings))
    services = Services(settings, url, ledger, key_pool, store, kek_ring, blind_index(settings))
    services.read_pool = read_pool(settings)
    return services


def read_pool(settings: Settings) -> ConnectionPool | None:
    """A pool on ``read_database_url`` (a standby), if set; it connects in the background
    (a standby that is down fails only the reads sent to it, with 503, never the start)."""
    if not settings.read_database_url:
        return None
    url, password = settings.read_database_url, _runtime_password(settings)
    if password and not conninfo_to_dict(url).get("password"):
        url = make_conninfo(url, password=password)
    options = connection_options(settings)
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max(2, settings.pool_size),
        timeout=settings.database_wait_seconds,  # then 503, as when the primary is away
        kwargs={"options": options} if options else None,
        check=ConnectionPool.check_connection,
        open=True,
    )


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


def eventsourcing_env(settings: Settings, url: str) -> dict[str, str]:
    """The library's environment, built explicitly from settings and the URL."""
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "api.storage.recorder:TouchpointRecorder",
        "CREATE_TABLE": "n",  # alembic owns every table
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.connect_timeout),
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout),
    }


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The owner's URL: the configured server's, or an embedded server's for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    if settings.runtime_url:
        msg = "only the runtime role's URL is set: migrating needs TOUCHPOINT_DATABASE_URL"
        raise RuntimeRoleError(msg)
    with embedded_server(settings.data_dir) as url:
        yield url


def prepare_database(settings: Settings, owner_url: str, kek_ring: Keks | None = None) -> None:
    """As the owner: the latest schema, then the runtime role made or checked, and granted."""
    migrate(owner_url, kek_ring)
    prepare_runtime_role(owner_url, settings.runtime_role, _runtime_password(settings))


def runtime_url(settings: Settings, owner_url: str | None) -> str:
    """Where the services connect, as the runtime role: ``runtime_url``, else the owner's
    URL with the runtime role's name and password."""
    password = _runtime_password(settings)
    if settings.runtime_url:
        given = conninfo_to_dict(settings.runtime_url)
        if password and not given.get("password"):
            return make_conninfo(settings.runtime_url, password=password)
        return settings.runtime_url
    if owner_url is None:
        msg = "no database: set TOUCHPOINT_DATABASE_URL or TOUCHPOINT_RUNTIME_URL"
        raise RuntimeRoleError(msg)
    return runtime_conninfo(owner_url, settings.runtime_role, password)


def _runtime_password(settings: Settings) -> str | None:
    secret = settings.runtime_password
    return (secret.get_secret_value() or None) if secret is not None else None


@contextmanager
def _owner_url(settings: Settings) -> Iterator[str | None]:
    """The owner's URL (embedded if nothing is configured); None if only the runtime's is."""
    if settings.runtime_url and not settings.database_url:
        yield None
        return
    with database_url(settings) as url:
        yield url


@contextmanager
def running(settings: Settings, *, apply_migrations: bool = True) -> Iterator[Services]:
    """Database (embedded if no URL), migrated, with services; all closed on exit.

    Migrations and the runtime role's grants run as the owner (``database_url``);
    the services connect as the runtime role. A process given only ``runtime_url``
    cannot migrate: it checks that the database is at the latest schema instead.
    """
    with _owner_url(settings) as owner:
        kek_ring = keks(settings)
        if owner is not None and apply_migrations:
            prepare_database(settings, owner, kek_ring)
        url = runtime_url(settings, owner)
        if owner is None:
            check_current(url)
        services = build_services(settings, url, kek_ring)
        try:
            yield services
        finally:
            services.close()


def start_projectors(
    services: Services, names: Sequence[str] = VIEW_NAMES, poll_seconds: float = 1.0
) -> ProjectorHandle:
    """The views named followed in a daemon thread of this process; ``handle.stop()`` ends it.

    The projectors get a connection pool of their own (one connection per view, as views
    are applied concurrently), so that they never starve the API of connections. Of the
    processes projecting a view, one leads it and applies it, the others stand by and
    take over within ``poll_seconds`` of its end (``projections.leadership``).
    """
    views = build_views(services.view_config, names, indexer=services.indexer)
    pool = ConnectionPool(
        services.database_url,
        min_size=1,
        max_size=len(views) + 1,
        # Checked when taken: after a database restart, each stale connection would
        # otherwise fail once and double the runner's back-off (up to 30 s of lag).
        check=ConnectionPool.check_connection,
        open=True,
    )
    page_size = services.settings.projection_page_size
    runner = ProjectionRunner(services.ledger, pool, views, page_size=page_size)
    leadership = Leadership(services.database_url, [view.name for view in views], poll_seconds)
    return follow_in_background(runner, poll_seconds, leadership)
