"""Random but valid histories of every fact kind, and snapshots of view tables.

Shared by the runner, rebuild and crash tests: facts happen over two months in
random order (log order is not occurred_at order), follow-ups only after what
they follow, so the ledger accepts every command.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import commands as c
from projections.runner import ProjectionRunner
from tests import builders as b

BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SPAN_MINUTES = 60 * 24 * 60
CAMPAIGNS = (("spring", "post"), ("summer", "email"), ("flash", "sms"))


class _History:
    def __init__(self, seed: int, customers: int) -> None:
        self.rng = random.Random(seed)
        self.customers = customers
        self.cmds: list[c.Command] = [
            b.campaign(cid, channel=channel, occurred_at=BASE - timedelta(days=1))
            for cid, channel in CAMPAIGNS
        ]
        self.calls: list[tuple[str, str, datetime]] = []  # (source_id, ref, occurred_at)
        self.mailshots: list[tuple[str, str, datetime, bool]] = []  # (..., sent)
        self.registered: set[str] = set()

    def when(self) -> datetime:
        return BASE + timedelta(minutes=self.rng.randrange(SPAN_MINUTES))

    def ref(self) -> str:
        return f"C{self.rng.randrange(self.customers)}"

    def sid(self, prefix: str) -> str:
        return f"{prefix}-{len(self.cmds)}"

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.35:
            self.call()
        elif roll < 0.40 and self.calls:
            self.correction()
        elif roll < 0.60:
            self.mailshot()
        elif roll < 0.72 and self.mailshots:
            self.follow_up()
        elif roll < 0.84:
            self.survey()
        elif roll < 0.90:
            self.cmds.append(
                b.consent(
                    self.ref(),
                    self.sid("k"),
                    occurred_at=self.when(),
                    channel=self.rng.choice(["post", "email", "sms", "phone"]),
                    granted=self.rng.random() < 0.5,
                )
            )
        else:
            self.customer()

    def call(self) -> None:
        sid, ref, at = self.sid("call"), self.ref(), self.when()
        answered = self.rng.random() < 0.85
        durations = (
            {"talk_seconds": self.rng.randrange(30, 900), "hold_seconds": self.rng.randrange(60)}
            | {"after_call_work_seconds": self.rng.randrange(120)}
            if answered
            else {"talk_seconds": 0, "hold_seconds": 0, "after_call_work_seconds": 0}
        )
        self.cmds.append(
            b.call(
                sid,
                ref,
                occurred_at=at,
                queue=self.rng.choice(["billing", "sales", "support"]),
                agent_id=self.rng.choice(["a1", "a2", "a3", None]),
                reason=self.rng.choice(["bill", "move", "fault"]),
                wait_seconds=self.rng.randrange(0, 120),
                outcome="answered" if answered else "abandoned",
                resolved=answered and self.rng.random() < 0.7,
                transferred=answered and self.rng.random() < 0.1,
                **durations,
            )
        )
        self.calls.append((sid, ref, at))

    def correction(self) -> None:
        sid, ref, at = self.rng.choice(self.calls)
        fields: dict[str, Any] = {"resolved": self.rng.random() < 0.5}
        if self.rng.random() < 0.5:
            fields["reason"] = self.rng.choice(["bill", "move", "fault"])
        if self.rng.random() < 0.3:
            fields["queue"] = self.rng.choice(["billing", "sales", "support"])
        late = at + timedelta(minutes=self.rng.randrange(1, 600))
        self.cmds.append(
            b.correction(sid, self.sid("fix"), customer_ref=ref, occurred_at=late, **fields)
        )

    def mailshot(self) -> None:
        sid, ref, at = self.sid("m"), self.ref(), self.when()
        campaign, channel = self.rng.choice(CAMPAIGNS)
        held = self.rng.random() < 0.1
        if held:
            cmd: c.Command = b.held_back(sid, campaign, ref, occurred_at=at, channel=channel)
        else:
            cost = f"{self.rng.randrange(5, 120) / 100:.2f}"
            cmd = b.sent(sid, campaign, ref, occurred_at=at, channel=channel, unit_cost=cost)
        self.cmds.append(cmd)
        self.mailshots.append((sid, ref, at, not held))

    def follow_up(self) -> None:
        sid, ref, at, sent = self.rng.choice(self.mailshots)
        later = at + timedelta(hours=self.rng.randrange(0, 24 * 40))
        common = {"customer_ref": ref, "occurred_at": later}
        roll = self.rng.random()
        if sent and roll < 0.4:
            self.cmds.append(b.delivered(sid, self.sid("dl"), **common))
        elif sent and roll < 0.5:
            self.cmds.append(b.bounced(sid, self.sid("bn"), **common))
        elif roll < 0.85:
            how = self.rng.choice(["web", "phone", "store"])
            self.cmds.append(b.responded(sid, self.sid("rs"), how=how, **common))
        else:
            value = f"{self.rng.randrange(1, 50000) / 100:.2f}"
            self.cmds.append(b.converted(sid, self.sid("cv"), value=value, **common))

    def survey(self) -> None:
        about = None
        ref, at = self.ref(), self.when()
        if self.calls and self.rng.random() < 0.6:
            call_id, ref, call_at = self.rng.choice(self.calls)
            about = {"kind": "call", "source": b.ACD, "source_id": call_id}
            at = call_at + timedelta(minutes=self.rng.randrange(1, 3000))
        scores = {
            "nps": self.rng.choice([None, *range(11)]),
            "csat": self.rng.choice([None, 1, 2, 3, 4, 5]),
            "effort": self.rng.choice([None, 1, 4, 7]),
        }
        if all(v is None for v in scores.values()):
            scores["nps"] = self.rng.randrange(11)
        comment = "fine" if self.rng.random() < 0.2 else None
        self.cmds.append(
            b.survey(
                self.sid("s"),
                ref,
                occurred_at=at,
                survey_kind=self.rng.choice(["transactional", "relationship"]),
                comment=comment,
                about=about,
                **scores,
            )
        )

    def customer(self) -> None:
        ref = self.ref()
        if ref in self.registered:
            self.cmds.append(b.contact_change(ref, self.sid("chg"), occurred_at=self.when()))
            return
        segment = self.rng.choice(["retail", "gold", None])
        self.cmds.append(b.customer(ref, occurred_at=self.when(), segment=segment))
        self.registered.add(ref)


def mixed_history(seed: int, count: int, customers: int = 40) -> list[c.Command]:
    """About ``count`` valid commands of every kind, in a random valid order."""
    history = _History(seed, customers)
    while len(history.cmds) < count:
        history.step()
    return history.cmds


def record_all(ledger: Any, cmds: list[c.Command], batch: int = 200) -> int:
    """Record ``cmds`` in batches; every one must be accepted. Returns the head position."""
    for start in range(0, len(cmds), batch):
        outcomes = ledger.record_batch(cmds[start : start + batch], "test")
        refused = [o.reason for o in outcomes if o.error is not None]
        assert refused == [], refused
    return int(ledger.head_position())


def snapshot(conn: Any, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``, in a stable order, for comparing two builds of a view."""
    rows = {}
    for table in tables:
        fetched = conn.execute(f"SELECT * FROM {table}").fetchall()
        rows[table] = sorted(fetched, key=repr)
    return rows


def views_unlike_a_clean_rebuild(services: Any, views: Any) -> list[str]:
    """The names of ``views`` whose rows differ from a rebuild from scratch (done here)."""
    with services.key_pool.connection() as conn:
        survived = {view.name: snapshot(conn, view.tables) for view in views}
    runner = ProjectionRunner(services.ledger, services.key_pool, views)
    differing = []
    for view in views:
        runner.rebuild(view.name)
        with services.key_pool.connection() as conn:
            if snapshot(conn, view.tables) != survived[view.name]:
                differing.append(view.name)
    return differing
