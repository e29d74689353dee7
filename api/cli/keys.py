"""``touchpoint keys create|revoke|list``: API keys, and the first admin key of ``serve``;
``keys rotate-kek`` and ``keys new-keyring``: the key-encryption keys of customers' data keys.

A key's plaintext is printed once, when it is made (on stdout alone, so that
``KEY=$(touchpoint keys create ...)`` works); only its HMAC under the server secret
is stored (``api.storage.keys``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import (
    EXIT_FAILED,
    EXIT_UNUSABLE_INPUT,
    check_secret,
    database_errors,
    err,
    fail,
)
from api.cli.names import ROLES

if TYPE_CHECKING:  # the database stack is imported when a command runs (fast --help)
    from api.bootstrap import Services
    from api.settings import Settings
    from api.storage.keys import KeyInfo, KeyStore, Role

FIRST_ADMIN_NAME = "first admin (touchpoint serve)"


@contextmanager
def _services(settings: Settings) -> Iterator[Services]:
    """The services on the database (imported here: `keys --help` need not wait for it)."""
    from api.bootstrap import running  # noqa: PLC0415

    with database_errors(), running(settings) as services:
        yield services


def _role(value: str) -> str:
    if value not in ROLES:
        raise typer.BadParameter(f"{value!r} is not a role; roles are {', '.join(ROLES)}")
    return value


def create(
    role: Annotated[
        str, typer.Option(help=f"One of: {', '.join(ROLES)}.", callback=_role, show_default=False)
    ],
    name: Annotated[str, typer.Option(help="Who or what the key is for.", show_default=False)],
) -> None:
    """Make a key and print it once; it cannot be shown again."""
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    check_secret(settings)
    with _services(settings) as services:
        principal, key = services.keys.create(cast("Role", role), name)
    Console(stderr=True).print(
        f"key {principal.key_id} ({role}, {name}) created; it is shown once, store it now:",
        highlight=False,
    )
    typer.echo(key)


def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key at once (exit 1 if there is no such active key)."""
    from api.settings import Settings  # noqa: PLC0415

    with _services(Settings()) as services:
        revoked = services.keys.revoke(key_id)
    err = Console(stderr=True)
    if not revoked:
        err.print(f"[red]error:[/red] no active key {key_id}", highlight=False)
        raise typer.Exit(1)
    err.print(f"key {key_id} revoked", highlight=False)


def list_keys() -> None:
    """Every key: id, name, role, created, revoked (never a secret)."""
    from api.settings import Settings  # noqa: PLC0415

    with _services(Settings()) as services:
        keys = services.keys.list_keys()
    table, console = keys_table(keys), Console()
    # Never cut a cell (an id or time cut short is useless): as wide as the table needs,
    # which a narrow terminal wraps rather than loses.
    unbounded = console.options.update_width(10_000)
    console.width = max(console.width, console.measure(table, options=unbounded).maximum)
    console.print(table)


def show_demo() -> None:
    """Print the demo's pages and keys again (as kept by `touchpoint demo` in its folder)."""
    from api.cli.demo.pages import banner  # noqa: PLC0415
    from api.demo.kept import read_keys, read_state  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if not settings.embedded:
        raise fail("the demo keeps its keys in its data folder: none with a URL", EXIT_FAILED)
    folder = settings.data_dir.resolve()
    keys, state = read_keys(folder), read_state(folder)
    if not keys:
        message = f"no demo keys kept in {folder}: run `touchpoint demo` first"
        raise fail(message, EXIT_FAILED)
    address = (state.address if state else None) or f"http://{settings.host}:{settings.port}"
    for line in banner(address, keys, folder, False, None):
        typer.echo(line)


def rotate() -> None:
    """Re-wrap every live customer data key under a new KEK and delete the old KEKs.

    Erased customers' keys are not re-wrapped: once the KEK that wrapped them is
    deleted, no copy of them (dead tuples, WAL, backups, standbys) can be unwrapped.
    """
    # The database and crypto stacks, imported only when the command runs (fast --help).
    from api.bootstrap import database_url  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from api.storage.kek import KekMissing, kek_path, keks  # noqa: PLC0415
    from api.storage.migrations import migrate  # noqa: PLC0415
    from api.storage.rewrap import rotate_kek  # noqa: PLC0415

    settings = Settings()
    path = kek_path(settings)
    if path is None:
        raise fail(str(KekMissing()), EXIT_UNUSABLE_INPUT)
    with database_errors(), database_url(settings) as url:
        try:
            migrate(url, keks(settings))
            done = rotate_kek(url, path)
        except (KekMissing, ValueError) as error:
            raise fail(str(error), EXIT_UNUSABLE_INPUT) from error
    retired = ", ".join(map(str, done.retired))
    err().print(
        f"{done.rewrapped} data keys re-wrapped under KEK version {done.version}; "
        f"version(s) {retired} deleted from {path}",
        highlight=False,
    )


def new_keyring(
    path: Annotated[Path, typer.Argument(help="Where to write it (must not exist).")],
) -> None:
    """Write a new KEK keyring file (one random KEK, version 1, mode 0600)."""
    if path.exists():
        raise fail(f"{path} exists: a keyring is never overwritten", EXIT_UNUSABLE_INPUT)
    from api.storage.kek import create_keyring  # noqa: PLC0415

    create_keyring(path)
    err().print(f"KEK keyring written to {path}; set TOUCHPOINT_KEK_FILE={path}", highlight=False)


def keys_table(keys: list[KeyInfo]) -> Table:
    """The keys as a table."""
    table = Table(title="API keys")
    for column in ("id", "name", "role", "created", "revoked"):
        table.add_column(column, no_wrap=True)
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
        created = key.created_at.isoformat(timespec="seconds")
        table.add_row(key.key_id, key.name, key.role, created, revoked)
    return table


def first_admin_key(keys: KeyStore, name: str = FIRST_ADMIN_NAME) -> tuple[str, str] | None:
    """Make an admin key if no active one exists: its id and plaintext (else None)."""
    if keys.has_active("admin"):
        return None
    principal, key = keys.create("admin", name)
    return principal.key_id, key


def ensure_admin_key(keys: KeyStore, console: Console) -> str | None:
    """Make and print (to ``console``) an admin key if no active one exists; return it."""
    made = first_admin_key(keys)
    if made is None:
        return None
    key_id, key = made
    console.print(
        f"no admin key existed: first admin key {key_id} (shown once, store it now; "
        "make others with `touchpoint keys create`):",
        highlight=False,
    )
    console.print(f"TOUCHPOINT_ADMIN_KEY={key}", highlight=False, soft_wrap=True)
    return key


def register(app: typer.Typer) -> None:
    """Add ``keys`` to the ``touchpoint`` command."""
    group = typer.Typer(
        help="API keys: create (shown once), revoke, list, show-demo; KEKs: rotate-kek, "
        "new-keyring.",
        no_args_is_help=True,
    )
    group.command("create")(create)
    group.command("revoke")(revoke)
    group.command("list")(list_keys)
    group.command("show-demo")(show_demo)
    group.command("rotate-kek")(rotate)
    group.command("new-keyring")(new_keyring)
    app.add_typer(group, name="keys")
