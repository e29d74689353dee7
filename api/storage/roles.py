"""Two roles: the owner migrates; the runtime role appends and reads, never rewrites.

The append-only triggers bind every role but the tables' owner (and superusers),
who may disable or drop them. So the owner only migrates (``touchpoint migrate``),
and everything that runs (the API, the projectors, the other commands) connects as
a runtime role that:

- may only SELECT and INSERT the log: the tables carrying the append-only trigger
  (``touchpoint_refuse_rewrite``); it SELECTs the hash chain, whose entries the
  events' own INSERT writes (a trigger running as the owner, migration 0010), and
  takes the log's append lock through ``touchpoint_lock_log()``;
- does not own them, so it can neither ALTER, DISABLE nor DROP their triggers;
- reads and writes the other tables (views, their tracking, API keys, the replay
  registry), owns ``customer_keys`` (see ``OWNED``), and may create schemas in the
  database (CONNECT, TEMPORARY, CREATE on it): replays and rebuilds build their copies
  in schemas it then owns;
- is no superuser and can create no roles or databases, bypass no row security.

``prepare_runtime_role`` creates the role (when the owner may create roles) or
checks an existing one, and grants all of the above; ``touchpoint migrate`` runs it
after the migrations, every time, so tables added later get their grants.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import Connection, errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.sql import SQL, Identifier, Literal

__all__ = [
    "Grant",
    "RuntimeRoleError",
    "planned_grants",
    "prepare_runtime_role",
    "runtime_conninfo",
]

APPEND_ONLY_FUNCTION = "touchpoint_refuse_rewrite"
LOG = ("SELECT", "INSERT")
WRITABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
SPECIAL: dict[str, tuple[str, ...]] = {
    "touchpoint_chain": ("SELECT",),  # written by the events' INSERT itself (0010)
    "alembic_version": ("SELECT",),  # the runtime checks the schema, never changes it
}
OWNED = ("customer_keys",)
"""Tables the runtime role owns: erasure and KEK rotation VACUUM the wrapped data keys'
table so that no dead copy of an erased key stays in its files, and before PostgreSQL 17
(its MAINTAIN privilege) only a table's owner may. Not the log: owning it gives no power
over any other table."""
_UNSAFE_ATTRIBUTES = {
    "rolsuper": "superuser",
    "rolcreaterole": "createrole",
    "rolcreatedb": "createdb",
    "rolreplication": "replication",
    "rolbypassrls": "bypassrls",
}


class RuntimeRoleError(RuntimeError):
    """The runtime role cannot be made, or is not safe to run the service as."""


@dataclass(frozen=True)
class Grant:
    """Privileges of the runtime role on one relation of the ``public`` schema."""

    relation: str
    privileges: tuple[str, ...]


def runtime_conninfo(url: str, role: str, password: str | None) -> str:
    """``url`` with the runtime role's name and password in place of the owner's."""
    params: dict[str, Any] = {k: v for k, v in conninfo_to_dict(url).items() if k != "password"}
    params["user"] = role
    if password:
        params["password"] = password
    return make_conninfo("", **params)


def prepare_runtime_role(owner_url: str, role: str, password: str | None) -> None:
    """Create or check the runtime ``role`` and grant it exactly what the service needs."""
    with psycopg.connect(owner_url, autocommit=True, options="-c search_path=public") as conn:
        _create_or_check(conn, role, password)
        with conn.transaction():
            _grant(conn, role)


def planned_grants(conn: Connection[Any]) -> list[Grant]:
    """The runtime role's privileges on every table, sequence and SQL view of ``public``."""
    rows = conn.execute(
        "SELECT c.relname, c.relkind, EXISTS (SELECT 1 FROM pg_trigger t "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = c.oid AND p.proname = %s) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY 1",
        (APPEND_ONLY_FUNCTION,),
    ).fetchall()
    return [Grant(name, _privileges(name, kind, append_only)) for name, kind, append_only in rows]


def _privileges(name: str, kind: str, append_only: bool) -> tuple[str, ...]:
    if kind == "S":
        return ("USAGE", "SELECT")  # nextval for positions; never setval (UPDATE)
    if kind in ("v", "m"):
        return ("SELECT",)
    if name in SPECIAL:
        return SPECIAL[name]
    return LOG if append_only else WRITABLE


def _create_or_check(conn: Connection[Any], role: str, password: str | None) -> None:
    me = conn.execute(
        "SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert me is not None
    owner, may_alter_roles = str(me[0]), bool(me[1])
    if role == owner:
        raise RuntimeRoleError(f"the runtime role {role!r} is the role migrating: name another")
    if not _exists(conn, role):
        if not may_alter_roles:
            msg = (
                f"the runtime role {role!r} does not exist and {owner!r} may not create roles: "
                f"create it (CREATE ROLE {role} LOGIN PASSWORD '...') and migrate again"
            )
            raise RuntimeRoleError(msg)
        _create(conn, role)
    _check_safe(conn, role, owner)
    if may_alter_roles:
        _settle(conn, role, password)


def _exists(conn: Connection[Any], role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def _create(conn: Connection[Any], role: str) -> None:
    statement = SQL(
        "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    ).format(Identifier(role))
    # Another process may make it meanwhile (roles are shared by the whole server).
    with suppress(errors.DuplicateObject, errors.UniqueViolation):
        conn.execute(statement)


def _check_safe(conn: Connection[Any], role: str, owner: str) -> None:
    columns = ", ".join(_UNSAFE_ATTRIBUTES)
    row = conn.execute(
        f"SELECT rolcanlogin, {columns}, pg_has_role(%s, %s, 'MEMBER') "
        "FROM pg_roles WHERE rolname = %s",
        (role, owner, role),
    ).fetchone()
    assert row is not None
    if not row[0]:
        raise RuntimeRoleError(f"the runtime role {role!r} cannot log in (ALTER ROLE … LOGIN)")
    powers = _UNSAFE_ATTRIBUTES.values()
    unsafe = [power for power, value in zip(powers, row[1:-1], strict=True) if value]
    if unsafe:
        msg = (
            f"the runtime role {role!r} must not have {', '.join(unsafe)}: it could rewrite the log"
        )
        raise RuntimeRoleError(msg)
    if row[-1]:
        msg = f"the runtime role {role!r} is a member of {owner!r}, which owns the log"
        raise RuntimeRoleError(msg)


def _settle(conn: Connection[Any], role: str, password: str | None) -> None:
    """Password (when one is configured) and search_path of the role, set as the owner can."""
    statements = [SQL("ALTER ROLE {} SET search_path = public").format(Identifier(role))]
    if password:
        statements.append(
            SQL("ALTER ROLE {} PASSWORD {}").format(Identifier(role), Literal(password))
        )
    for statement in statements:
        for attempt in range(5):  # several processes may settle the shared role at once
            try:
                conn.execute(statement)
                break
            except errors.InternalError_:  # "tuple concurrently updated"
                if attempt == 4:
                    raise


def _grant(conn: Connection[Any], role: str) -> None:
    who = Identifier(role)
    public = conn.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", (role,)).fetchone()
    if public and public[0]:
        msg = (
            f"the runtime role {role!r} may create objects in schema public (where the log is): "
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC (the default since PostgreSQL 15)"
        )
        raise RuntimeRoleError(msg)
    database = Identifier(_current_database(conn))
    conn.execute(SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(database, who))
    conn.execute(SQL("GRANT USAGE ON SCHEMA public TO {}").format(who))
    conn.execute(SQL("GRANT EXECUTE ON FUNCTION public.touchpoint_lock_log() TO {}").format(who))
    for grant in planned_grants(conn):
        if grant.relation in OWNED:
            continue
        target = SQL("SEQUENCE ") if "USAGE" in grant.privileges else SQL("TABLE ")
        relation = Identifier("public", grant.relation)
        conn.execute(SQL("REVOKE ALL ON {}{} FROM {}").format(target, relation, who))
        conn.execute(
            SQL("GRANT {} ON {}{} TO {}").format(
                SQL(", ").join(SQL(p) for p in grant.privileges),
                target,
                relation,
                who,
            )
        )
    _hand_over(conn, role)
    _share_replay_schemas(conn, role)


def _hand_over(conn: Connection[Any], role: str) -> None:
    """The ``OWNED`` tables made the runtime role's (the owner must be able to SET ROLE to it)."""
    for table in OWNED:
        row = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(%s)",
            (f"public.{table}",),
        ).fetchone()
        if row is None or row[0] == role:
            continue
        try:
            with conn.transaction():
                conn.execute(
                    SQL("ALTER TABLE {} OWNER TO {}").format(
                        Identifier("public", table), Identifier(role)
                    )
                )
        except errors.InsufficientPrivilege as refused:
            msg = (
                f"the owner cannot give {table} to the runtime role {role!r} (erasure vacuums "
                f"it, which only its owner may): GRANT {role} TO {row[0]}, then migrate again"
            )
            raise RuntimeRoleError(msg) from refused


def _current_database(conn: Connection[Any]) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _share_replay_schemas(conn: Connection[Any], role: str) -> None:
    """Replay schemas the owner made before the runtime role did them: readable by it."""
    rows = conn.execute(
        "SELECT r.schema_name FROM public.replay_schemas r "
        "JOIN pg_namespace n ON n.nspname = r.schema_name "
        "WHERE pg_get_userbyid(n.nspowner) = current_user"
    ).fetchall()
    for (schema,) in rows:
        conn.execute(
            SQL("GRANT USAGE ON SCHEMA {} TO {}").format(Identifier(schema), Identifier(role))
        )
        conn.execute(
            SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                Identifier(schema), Identifier(role)
            )
        )
