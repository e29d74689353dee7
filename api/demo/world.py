"""The demo's world: a retail bank's contact centre, its queues, reasons and customers.

Everything here is made from a ``random.Random`` passed in, so the same seed gives
the same world. Names are invented from short lists; e-mail addresses use the
reserved ``example.*`` domains and phone numbers Ofcom's drama ranges (``PhoneBook``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

SOURCE_CRM = "crm"
SOURCE_ACD = "acd"
SOURCE_SURVEYS = "surveys"


@dataclass(frozen=True)
class Reason:
    """Why a customer calls: the queue that takes it, its handling and how often it comes."""

    code: str
    queue: str
    median_talk: int  # seconds; talk times are log-normal around this
    resolved: float  # chance the first answered call resolves it
    weight: int  # share of spontaneous calls (0: only ever triggered by something)


REASONS = (
    Reason("balance-query", "service", 170, 0.93, 18),
    Reason("payment-query", "service", 250, 0.78, 14),
    Reason("direct-debit", "service", 230, 0.84, 8),
    Reason("statement-request", "service", 140, 0.95, 6),
    Reason("address-change", "service", 200, 0.90, 5),
    Reason("complaint", "service", 480, 0.52, 5),
    Reason("card-lost", "cards", 220, 0.93, 7),
    Reason("card-declined", "cards", 270, 0.74, 9),
    Reason("pin-reset", "cards", 160, 0.90, 6),
    Reason("suspicious-transaction", "cards", 340, 0.80, 5),
    Reason("mortgage-rate-switch", "lending", 560, 0.70, 4),
    Reason("loan-enquiry", "lending", 450, 0.66, 4),
    Reason("offer-query", "sales", 300, 0.86, 0),
    Reason("fraud-alert", "cards", 230, 0.97, 0),
    Reason("detractor-callback", "care", 380, 0.85, 0),
)
REASON = {reason.code: reason for reason in REASONS}
QUEUES = ("service", "cards", "lending", "sales", "care")
AGENT_SERIES = {"service": 100, "cards": 200, "lending": 300, "sales": 400, "care": 500}
SEGMENTS = (("everyday", 0.62), ("premier", 0.14), ("student", 0.10), ("business", 0.14))

_FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Lily",
    "Harry",
    "Grace",
    "Jack",
    "Sophia",
    "Charlie",
    "Evie",
    "Muhammad",
    "Rosie",
    "Thomas",
    "Ella",
    "Jacob",
    "Florence",
    "Alfie",
    "Willow",
    "Henry",
    "Priya",
    "Arjun",
    "Aisha",
    "Kwame",
    "Zofia",
    "Mateusz",
    "Siobhan",
    "Declan",
    "Mei",
    "Wei",
    "Chloe",
    "Rhys",
    "Niamh",
    "Callum",
    "Fatima",
    "Yusuf",
    "Ingrid",
    "Lars",
    "Sofia",
    "Marco",
    "Elena",
    "Tomasz",
    "Hannah",
    "Daniel",
    "Ruth",
    "Samuel",
    "Joy",
    "Peter",
]
_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Moore",
    "Ward",
    "Morris",
    "King",
    "Baker",
    "Scott",
    "Adams",
    "Campbell",
    "Okafor",
    "Nowak",
    "Kowalski",
    "Murphy",
    "Kelly",
    "Chen",
    "Singh",
    "Ali",
    "Hussain",
    "Mensah",
    "Lindqvist",
    "Rossi",
]
_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass(slots=True)
class Customer:
    """A customer and what the simulation remembers about them."""

    index: int
    ref: str
    name: str
    email: str
    phone: str
    segment: str
    since: datetime
    calls_per_year: float
    mood: float  # baseline satisfaction, standard normal
    responsiveness: float  # multiplies campaign response chances
    patience: float  # mean seconds a caller waits before hanging up
    consent: dict[str, bool]
    story: bool = False
    sends: list[datetime] = field(default_factory=list)
    answered: dict[str, datetime] = field(default_factory=dict)  # reason -> last answered
    abandoned_at: datetime | None = None

    def pressure(self, at: datetime) -> int:
        """Mailshots sent to this customer in the 30 days up to ``at`` (METRICS.md)."""
        start = at - timedelta(days=30)
        return sum(1 for sent in self.sends if start <= sent <= at)

    def forget_before(self, at: datetime) -> None:
        """Drop sends older than the longest window anything looks back over."""
        horizon = at - timedelta(days=31)
        self.sends = [sent for sent in self.sends if sent >= horizon]


def customer_ref(index: int, total: int) -> str:
    """``C-000042``: zero-padded so refs sort like numbers (wider for millions)."""
    return f"C-{index:0{max(6, len(str(total)))}d}"


# Ofcom's numbers for TV and radio drama (never a subscriber's), 1,000 each: the mobile
# range, and the geographic ones of 14 areas and the "no area" code.
DRAMA_RANGES = (
    "+44 7700 900",
    "+44 113 496 0",
    "+44 114 496 0",
    "+44 115 496 0",
    "+44 116 496 0",
    "+44 117 496 0",
    "+44 118 496 0",
    "+44 121 496 0",
    "+44 131 496 0",
    "+44 141 496 0",
    "+44 151 496 0",
    "+44 161 496 0",
    "+44 191 498 0",
    "+44 20 7946 0",
    "+44 28 9649 6",
    "+44 29 2018 0",
    "+44 1632 960",
)


class PhoneBook:
    """Phone numbers for a run, each handed out once, in an order shuffled by the seed
    (so lookups by number find one customer); only after all 17,000 numbers of the drama
    ranges were given does the book start again (a demo of more customers shares some)."""

    def __init__(self, seed: int, taken: Collection[str] = ()) -> None:
        numbers = [f"{prefix}{n:03d}" for prefix in DRAMA_RANGES for n in range(1000)]
        self._numbers = [number for number in numbers if number not in taken]
        random.Random(f"phones-{seed}").shuffle(self._numbers)  # a str seeds alike anywhere
        self._given = 0

    def next(self) -> str:
        """The next number of the book."""
        number = self._numbers[self._given % len(self._numbers)]
        self._given += 1
        return number


def make_customer(
    rng: random.Random, index: int, total: int, since: datetime, phone: str
) -> Customer:
    """One invented customer joining at ``since``, with the number ``phone``."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    segment = _weighted(rng, SEGMENTS)
    busy = {"business": 1.5, "premier": 1.3, "student": 0.8}.get(segment, 1.0)
    return Customer(
        index=index,
        ref=customer_ref(index, total),
        name=f"{first} {last}",
        email=f"{first}.{last}{index}@{rng.choice(_DOMAINS)}".lower(),
        phone=phone,
        segment=segment,
        since=since,
        calls_per_year=rng.gammavariate(1.4, 3.2 / 1.4) * busy,
        mood=rng.gauss(0.0, 1.0),
        responsiveness=math.exp(rng.gauss(-0.18, 0.6)),
        patience=rng.uniform(90.0, 240.0),
        consent={
            "email": rng.random() < 0.64,
            "sms": rng.random() < 0.46,
            "post": rng.random() < 0.97,
            "phone": rng.random() < 0.35,  # telemarketing: opt-in
        },
    )


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in options]
    return rng.choices(names, weights=[w for _, w in options])[0]


def join_time(rng: random.Random, start: datetime, end: datetime, newcomer: bool) -> datetime:
    """When a customer registered: years before ``start``, or during the history."""
    if newcomer:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=int(rng.uniform(0, span * 0.97)))
    years_before = rng.uniform(0.1, 9.0)
    joined = start - timedelta(days=int(years_before * 365), seconds=rng.randrange(86400))
    return max(joined, datetime(2001, 1, 1, tzinfo=UTC))


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
