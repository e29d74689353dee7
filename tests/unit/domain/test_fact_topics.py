"""Stored topics are stable names, resolvable by a process that only reads."""

from __future__ import annotations

import subprocess
import sys

from domain.facts import FACT_TYPES

# A fresh interpreter: in this one, writing tests may already have cached topics.
_RESOLVE_ALL = """
from eventsourcing.utils import resolve_topic
from domain.facts import FACT_TYPES
assert all(resolve_topic(cls.TOPIC) is cls for cls in FACT_TYPES.values())
print(len(FACT_TYPES))
"""


# The catalogue of DESIGN.md, "Facts (events)".
CATALOGUE = {
    "CustomerRegistered", "ContactDetailsChanged", "MarketingConsentChanged", "CustomerErased",
    "CallRecorded", "CallCorrected", "MailshotSent", "MailshotHeldBack", "MailshotDelivered",
    "MailshotBounced", "MailshotResponded", "MailshotConverted", "SurveyReplied",
    "CampaignPlanned", "CallReasonsPublished", "ContactPolicyPublished",
    "ContactSuppressed",
}  # fmt: skip


def test_every_fact_of_the_catalogue_has_its_own_touchpoint_topic():
    assert set(FACT_TYPES) == CATALOGUE
    assert {name: cls.TOPIC for name, cls in FACT_TYPES.items()} == {
        name: f"touchpoint:{name}" for name in CATALOGUE
    }


def test_a_process_that_never_wrote_a_fact_resolves_every_stored_topic():
    done = subprocess.run(
        [sys.executable, "-c", _RESOLVE_ALL], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(FACT_TYPES))
