"""What a demo keeps in its data folder between runs: the history it loads, and its keys.

``demo.json`` holds the history's configuration (so a later run, on another day, loads
and serves the same history: its end is not "today" again) and how many of its
commands are recorded, so an interrupted load resumes where it stopped. ``demo-keys.json``
(mode 0600) holds the keys made for the demo's pages, shown again on every start and
by ``touchpoint keys show-demo`` instead of new ones being made each time.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from api.demo.state import DemoConfig
from api.demo.story import CALL_ID, REPLY_ID
from api.demo.world import SOURCE_ACD, SOURCE_SURVEYS
from domain import ids
from domain.ledger import Ledger

__all__ = [
    "KEYS_FILE",
    "STATE_FILE",
    "DemoState",
    "KeptKey",
    "read_keys",
    "read_state",
    "story_in_log",
    "write_keys",
    "write_state",
]

STATE_FILE = "demo.json"
KEYS_FILE = "demo-keys.json"


@dataclass(frozen=True)
class DemoState:
    """The demo history of a data folder, and how far its load got."""

    config: DemoConfig
    loaded: int = 0  # commands of the history handed to the ledger, in order
    complete: bool = False
    address: str | None = None  # http://host:port the demo last served on

    def loading(self, loaded: int) -> DemoState:
        """The same history, ``loaded`` commands in."""
        return replace(self, loaded=loaded)

    def describe(self) -> str:
        """``50 customers, 2026-01-01 to 2026-02-01 (excluded), seed 42``."""
        c = self.config
        return f"{c.customers} customers, {c.start} to {c.end} (excluded), seed {c.seed}"


@dataclass(frozen=True)
class KeptKey:
    """A key made for the demo: its id (to check it is still active) and its plaintext."""

    role: str
    key_id: str
    key: str


def read_state(folder: Path) -> DemoState | None:
    """The folder's demo state, or None if no demo was started there."""
    path = folder / STATE_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    config = data["config"]
    return DemoState(
        config=DemoConfig(
            customers=int(config["customers"]),
            months=int(config["months"]),
            seed=int(config["seed"]),
            end=date.fromisoformat(config["end"]),
        ),
        loaded=int(data["loaded"]),
        complete=bool(data["complete"]),
        address=data.get("address"),
    )


def write_state(folder: Path, state: DemoState) -> None:
    """Write the state (whole, by rename: an interruption leaves the old one or the new)."""
    data = asdict(state)
    data["config"]["end"] = state.config.end.isoformat()
    _write_private(folder / STATE_FILE, json.dumps(data, indent=2))


def read_keys(folder: Path) -> list[KeptKey]:
    """The demo's kept keys (none if there is no file)."""
    path = folder / KEYS_FILE
    if not path.is_file():
        return []
    return [KeptKey(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def write_keys(folder: Path, keys: list[KeptKey]) -> None:
    """Keep the keys, readable by their owner only (0600)."""
    _write_private(folder / KEYS_FILE, json.dumps([asdict(key) for key in keys], indent=2))


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    os.chmod(partial, 0o600)  # also when the file was left by an earlier, laxer run
    partial.replace(path)


def story_in_log(ledger: Ledger, config: DemoConfig) -> bool:
    """Whether the storyline's call and survey reply are in the log (what the demo
    promises to show), e.g. not after a load stopped half-way."""
    call = ids.call_stream_id(SOURCE_ACD, CALL_ID)
    reply = ids.survey_stream_id(SOURCE_SURVEYS, REPLY_ID)
    return all(ledger.read_stream(stream) for stream in (call, reply))
