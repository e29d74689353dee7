"""``touchpoint keys create|revoke|list``: API keys, and the first admin key of ``serve``;
``keys rotate-kek`` and ``keys new-keyring``: the key-encryption keys of customers' data keys.

A key's plaintext is printed once, when it is made (on stdout alone, so that
``KEY=$(touchpoint keys create ...)`` works); only its HMAC under the server secret
is stored (``api.storage.keys``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import database_url, running
from api.cli.common import EXIT_UNUSABLE_INPUT, check_secret, database_errors, err, fail
from api.settings import Settings
from api.storage.kek import KekMissing, create_keyring, kek_path, keks
from api.storage.keys import ROLES, KeyInfo, KeyStore, Role
from api.storage.migrations import migrate
from api.storage.rewrap import rotate_kek

FIRST_ADMIN_NAME = "first admin (touchpoint serve)"


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
    settings = Settings()
    check_secret(settings)
    with database_errors(), running(settings) as services:
        principal, key = services.keys.create(cast(Role, role), name)
    Console(stderr=True).print(
        f"key {principal.key_id} ({role}, {name}) created; it is shown once, store it now:",
        highlight=False,
    )
    typer.echo(key)


def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key at once (exit 1 if there is no such active key)."""
    with database_errors(), running(Settings()) as services:
        revoked = services.keys.revoke(key_id)
    err = Console(stderr=True)
    if not revoked:
        err.print(f"[red]error:[/red] no active key {key_id}", highlight=False)
        raise typer.Exit(1)
    err.print(f"key {key_id} revoked", highlight=False)


def list_keys() -> None:
    """Every key: id, name, role, created, revoked (never a secret)."""
    with database_errors(), running(Settings()) as services:
        keys = services.keys.list_keys()
    Console().print(keys_table(keys))


def rotate() -> None:
    """Re-wrap every live customer data key under a new KEK and delete the old KEKs.

    Erased customers' keys are not re-wrapped: once the KEK that wrapped them is
    deleted, no copy of them (dead tuples, WAL, backups, standbys) can be unwrapped.
    """
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
    create_keyring(path)
    err().print(f"KEK keyring written to {path}; set TOUCHPOINT_KEK_FILE={path}", highlight=False)


def keys_table(keys: list[KeyInfo]) -> Table:
    """The keys as a table."""
    table = Table(title="API keys")
    for column in ("id", "name", "role", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
        created = key.created_at.isoformat(timespec="seconds")
        table.add_row(key.key_id, key.name, key.role, created, revoked)
    return table


def ensure_admin_key(keys: KeyStore, console: Console) -> str | None:
    """Make and print (to ``console``) an admin key if no active one exists; return it."""
    if keys.has_active("admin"):
        return None
    principal, key = keys.create("admin", FIRST_ADMIN_NAME)
    console.print(
        f"no admin key existed: first admin key {principal.key_id} (shown once, store it now; "
        "make others with `touchpoint keys create`):",
        highlight=False,
    )
    console.print(f"TOUCHPOINT_ADMIN_KEY={key}", highlight=False, soft_wrap=True)
    return key


def register(app: typer.Typer) -> None:
    """Add ``keys`` to the ``touchpoint`` command."""
    group = typer.Typer(
        help="API keys: create (shown once), revoke, list; KEKs: rotate-kek, new-keyring.",
        no_args_is_help=True,
    )
    group.command("create")(create)
    group.command("revoke")(revoke)
    group.command("list")(list_keys)
    group.command("rotate-kek")(rotate)
    group.command("new-keyring")(new_keyring)
    app.add_typer(group, name="keys")
