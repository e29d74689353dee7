"""``touchpoint audit digest|verify|anchor|prove|export|verify-export``: tamper evidence.

Exit codes: 0 everything checks out; 1 the log, export or proof does not verify
(the first failing position is printed), or a signed digest's signature does
not; 2 unusable input (a missing or malformed file, no key); 3 the database is
unavailable. ``verify-export`` needs no database at all. JSON (digests, proofs)
goes to stdout or ``--out``, messages and progress bars to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.anchoring import (
    KeyOption,
    PublicKeyOption,
    anchor,
    kept_digests,
    private_key,
    public_key_command,
    signed_json,
    verifying_key,
    warn,
)
from api.cli.common import database_errors

if TYPE_CHECKING:  # the audit and database stacks are imported when a command runs
    from api.bootstrap import Services
    from domain.chain.hashes import Digest

EXIT_FAILED = 1
EXIT_UNUSABLE_INPUT = 2
FileArg = Annotated[Path, typer.Argument(help="An NDJSON export file.", dir_okay=False)]
OutOption = Annotated[Path | None, typer.Option(help="Also write the JSON to this file.")]


@contextmanager
def _services() -> Iterator[Services]:
    from api.audit.store import BrokenChain  # noqa: PLC0415
    from api.bootstrap import running  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    with database_errors(), running(Settings()) as services:
        try:
            yield services
        except BrokenChain as error:  # entries missing: verification says where and why
            _err().print(f"[red]error:[/red] {error}", highlight=False)
            raise typer.Exit(EXIT_FAILED) from error


def _err() -> Console:
    return Console(stderr=True)


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; the callback sets how far it got."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_err()) as progress:
        task = progress.add_task(label, total=total or None)
        yield lambda done: progress.update(task, completed=done)


def _emit(data: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(data, indent=2)
    typer.echo(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")


def _load_json(source: str, what: str) -> dict[str, Any]:
    """JSON from a file path, or given inline; exit 2 if neither works."""
    try:
        path = Path(source)
        text = path.read_text(encoding="utf-8") if path.is_file() else source
        data = json.loads(text)
    except (OSError, ValueError) as error:
        raise _unusable(f"{what}: {source!r} is neither a JSON file nor JSON") from error
    if not isinstance(data, dict):
        raise _unusable(f"{what}: {source!r} is not a JSON object")
    return data


def _digest(source: str, public: PublicKeyOption = None) -> Digest:
    """A kept digest: plain JSON, or a signed digest (its signature checked)."""
    from api.audit.anchors import SIGNED, BadSignedDigest, open_signed  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from domain.chain.hashes import Digest  # noqa: PLC0415

    data = _load_json(source, "digest")
    if data.get("type") == SIGNED:
        try:
            return open_signed(data, verifying_key(Settings(), public))
        except BadSignedDigest as error:
            _err().print(f"[red]error:[/red] digest {source}: {error}", highlight=False)
            raise typer.Exit(EXIT_FAILED) from error
    try:
        return Digest.from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        raise _unusable(f"digest: not a touchpoint digest ({error})") from error


def _unusable(message: str) -> typer.Exit:
    _err().print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(EXIT_UNUSABLE_INPUT)


def digest(
    position: Annotated[
        int | None, typer.Option(help="As of this position (default: the head).", min=0)
    ] = None,
    out: OutOption = None,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help="Sign it with the Ed25519 key kept outside the database (root recomputed "
            "from the entries, not the node cache): keep it off this machine.",
        ),
    ] = False,
    key: KeyOption = None,
) -> None:
    """Print the log's digest (position, size, chain hash, Merkle root, time) as JSON."""
    from api.audit.store import digest_at, recomputed_digest  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if sign:
        private_key(settings, key)  # no key: refused before the database is touched
        with _services() as services, services.key_pool.connection() as conn:
            taken = recomputed_digest(conn, position)
        text = signed_json(taken, settings, key)
        typer.echo(text)
        if out is not None:
            out.write_text(text + "\n", encoding="utf-8")
        return
    with _services() as services, services.key_pool.connection() as conn:
        taken = digest_at(conn, position)
    _emit(taken.to_json(), out)


def verify(
    from_digest: Annotated[
        list[str] | None,
        typer.Option(help="A digest you kept (a JSON file; plain or signed); repeatable."),
    ] = None,
    digests: Annotated[
        Path | None,
        typer.Option(
            help="A folder of signed digests (`audit anchor`): the log must match every one.",
            file_okay=False,
        ),
    ] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Recompute the hash chain from the start to the head, checking it at every kept digest.

    Every entry is recomputed from the stored records (a kept digest skips
    nothing): a digest fails if what its position recomputes to is not what it says.
    """
    from api.audit.verify import head_position, verify_log  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    kept = [_digest(source, public_key) for source in from_digest or ()]
    if digests is not None:
        kept += kept_digests(Settings(), digests, public_key)
    with _services() as services, services.key_pool.connection() as conn:
        total = head_position(conn)
        with _progress("verifying", total) as advance:
            report = verify_log(conn, kept, advance)
            advance(report.verified.position if report.ok else total)
    _err().print(report.summary(), highlight=False, soft_wrap=True)
    if report.caveat:
        warn(report.caveat)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
    typer.echo(json.dumps(report.verified.to_json(), indent=2))


def prove(
    position: Annotated[
        int | None, typer.Option(help="Prove the entry at this position is in the log.", min=1)
    ] = None,
    from_position: Annotated[
        int | None,
        typer.Option("--from", help="Prove the digest at this position is a prefix.", min=1),
    ] = None,
    digest_position: Annotated[
        int | None, typer.Option(help="Under the digest at this position (default: head).", min=1)
    ] = None,
    out: OutOption = None,
) -> None:
    """An inclusion proof (--position) or a consistency proof (--from), as JSON."""
    from api.audit.store import UnknownEntry, consistency_proof, inclusion_proof  # noqa: PLC0415

    if (position is None) == (from_position is None):
        raise _unusable("give exactly one of --position and --from")
    with _services() as services, services.key_pool.connection() as conn:
        try:
            if position is not None:
                proof: Any = inclusion_proof(conn, position, digest_position)
            else:
                proof = consistency_proof(conn, from_position or 0, digest_position)
        except UnknownEntry as error:
            raise _unusable(str(error)) from error
    _emit(proof.to_json(), out)


def export(file: FileArg) -> None:
    """Write the whole log (records, chain, authors, times) as NDJSON, with its digest.

    The file appears only once complete. A record that does not decode (tampered
    with) is exported as stored and named here; the export goes on (exit 0).
    """
    from api.audit.export import describe_with, write_export, written_whole  # noqa: PLC0415
    from api.audit.verify import head_position  # noqa: PLC0415

    with _services() as services, services.key_pool.connection() as conn:
        total = head_position(conn)
        describe = describe_with(services.ledger)
        with written_whole(file) as out, _progress("exporting", total) as advance:
            taken = write_export(conn, describe, out, advance)
            advance(taken.position)
    for position, reason in describe.undecodable:
        _err().print(f"position {position}: does not decode ({reason}); exported as stored")
    if describe.undecodable:
        _err().print("run `touchpoint audit verify` to see whether the log was changed")
    _err().print(f"exported {taken.size} entries up to position {taken.position} to {file}")
    typer.echo(json.dumps(taken.to_json(), indent=2))


def verify_export_command(
    file: Annotated[Path | None, typer.Argument(help="An export file.", dir_okay=False)] = None,
    digest: Annotated[
        str | None, typer.Option(help="A digest you kept: a JSON file, or the JSON itself.")
    ] = None,
    proof: Annotated[
        Path | None, typer.Option(help="A proof from `audit prove` or GET /audit/proof.")
    ] = None,
) -> None:
    """Check an export and/or a proof with no database: recompute chain and Merkle root."""
    if file is None and proof is None:
        raise _unusable("give an export file, --proof, or both")
    trusted = _digest(digest) if digest else None
    failed = False
    if file is not None:
        failed |= _check_export(file, trusted)
    if proof is not None:
        failed |= _check_proof(proof, trusted)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _check_export(file: Path, trusted: Digest | None) -> bool:
    """Check one export file; print the outcome; whether it failed."""
    from api.audit.export import verify_export  # noqa: PLC0415

    if not file.is_file():
        raise _unusable(f"no file {file}")
    size = file.stat().st_size
    with file.open(encoding="utf-8") as lines, _progress("checking", size) as advance:
        try:
            report = verify_export(_counted(lines, advance), trusted)
        except (ValueError, KeyError, TypeError) as error:
            raise _unusable(f"{file} is not a usable export: {error}") from error
    err, done = _err(), report.recomputed
    if report.problem is not None:
        problem = report.problem
        err.print(f"export verified up to position {done.position}; position {problem.position}:")
        err.print(f"{problem.kind}: {problem.detail}", highlight=False)
    for failure in report.failures:
        err.print(f"[red]{failure}[/red]", highlight=False)
    if report.ok:
        err.print(f"export verified up to position {done.position} ({done.size} entries)")
        typer.echo(json.dumps(done.to_json(), indent=2))
    return not report.ok


def _counted(lines: Iterator[str], advance: Callable[[int], None]) -> Iterator[str]:
    done = 0
    for number, line in enumerate(lines):
        done += len(line)  # exports are ASCII: characters are bytes
        yield line
        if number % 1000 == 0:
            advance(done)
    advance(done)


def _check_proof(file: Path, trusted: Digest | None) -> bool:
    """Check one proof file; print the outcome; whether it failed."""
    from domain.chain.proofs import proof_from_json  # noqa: PLC0415

    try:
        checked = proof_from_json(_load_json(str(file), "proof"))
    except (KeyError, TypeError, ValueError) as error:
        raise _unusable(f"{file} is not a touchpoint proof: {error}") from error
    failures = checked.failures(trusted)
    for failure in failures:
        _err().print(f"[red]proof: {failure}[/red]", highlight=False)
    if not failures:
        under = "the trusted digest" if trusted else "the digest it carries"
        _err().print(f"proof checks out under {under}", highlight=False)
    return bool(failures)


def register(app: typer.Typer) -> None:
    """Add ``audit`` to the ``touchpoint`` command."""
    group = typer.Typer(
        help="Tamper evidence: digests (signed, anchored), verification, proofs, exports.",
        no_args_is_help=True,
    )
    group.command("digest")(digest)
    group.command("verify")(verify)
    group.command("anchor")(anchor)
    group.command("public-key")(public_key_command)
    group.command("prove")(prove)
    group.command("export")(export)
    group.command("verify-export")(verify_export_command)
    app.add_typer(group, name="audit")
