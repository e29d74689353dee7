"""The demo's keys (kept in its folder, made only when missing) and what it prints last."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from api.bootstrap import Services
from api.demo.history import DemoConfig
from api.demo.kept import KEYS_FILE, KeptKey, read_keys, write_keys
from api.demo.story import story_index
from api.demo.world import customer_ref
from api.storage.keys import Role

__all__ = ["DEMO_KEY_NAMES", "banner", "kept_keys"]
DEMO_KEY_NAMES: dict[Role, str] = {
    "agent": "demo agent desktop",
    "analyst": "demo analyst dashboard",
    "admin": "demo admin",
}


def kept_keys(services: Services, folder: Path | None) -> tuple[list[KeptKey], bool]:
    """The demo's keys: those kept in ``folder`` that are still active, plus new ones for
    the roles that have none (an admin key only if no admin key is active at all);
    True if any was made. Without a folder (a configured database) they are made anew."""
    kept = read_keys(folder) if folder is not None else []
    active = {info.key_id for info in services.keys.list_keys() if info.revoked_at is None}
    keys = {key.role: key for key in kept if key.key_id in active}
    made = False
    for role, name in DEMO_KEY_NAMES.items():
        if role in keys or (role == "admin" and services.keys.has_active("admin")):
            continue
        principal, key = services.keys.create(role, name)
        keys[role] = KeptKey(role, principal.key_id, key)
        made = True
    chosen = [keys[role] for role in DEMO_KEY_NAMES if role in keys]
    if folder is not None and made:
        write_keys(folder, chosen)
    return chosen, made


def banner(
    address: str,
    keys: list[KeptKey],
    folder: Path | None,
    made: bool,
    story: DemoConfig | None,
) -> list[str]:
    """The pages, their keys, the storyline (only if its facts are in the log), and where
    the keys are kept."""
    by_role = {key.role: key.key for key in keys}
    lines = [
        f"agent desktop:     {address}/desktop    agent key:   {by_role.get('agent', '-')}",
        f"analyst dashboard: {address}/dashboard  analyst key: {by_role.get('analyst', '-')}",
        f"API documents:     {address}/docs (Swagger UI), {address}/redoc (ReDoc)",
    ]
    if "admin" in by_role:
        lines.append(f"admin key (erasure, rebuilds): {by_role['admin']}")
    if story is not None:
        ref = customer_ref(story_index(story.customers), story.customers)
        lines.append(
            f"try customer {ref}: the fraud-alert SMS of {story.end - timedelta(days=1)}, "
            "her callback, and her 10"
        )
    if folder is not None:
        fresh = "new keys, kept" if made else "the same keys as before, kept"
        lines.append(
            f"{fresh} in {folder / KEYS_FILE} (owner-only); "
            "`touchpoint keys show-demo` prints them again"
        )
    return lines
