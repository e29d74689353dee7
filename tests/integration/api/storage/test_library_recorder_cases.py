"""The eventsourcing library's own application-recorder test cases, on touchpoint's recorder.

``eventsourcing.tests.persistence`` is the contract every recorder of the library
keeps (a conflicting insert raises the library's ``IntegrityError``, notifications
are selected by position, topics and bounds, positions of one append are not
interleaved with another's, subscriptions follow the log). They run here unchanged
against ``TouchpointRecorder`` as the ledger builds it, on a freshly migrated
database (the log's triggers, chain and fact keys in place). Left out: the cases
that only time the recorder (``bench/`` measures it) and the one that appends
100,000 events from ten threads (``tests/faults`` races writers on the ledger).
"""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from api.bootstrap import Services
from api.storage.recorder import FactCollision, TouchpointRecorder
from domain.ports import WriteCollision


class _OnTheLedgersRecorder:
    """Each case gets the recorder of a ledger on its own migrated database."""

    services: Services

    @pytest.fixture(autouse=True)
    def _services(self, services: Services) -> None:
        self.services = services

    def create_recorder(self) -> TouchpointRecorder:
        recorder = self.services.ledger.recorder
        assert isinstance(recorder, TouchpointRecorder)
        return recorder


class TestApplicationRecorderCases(_OnTheLedgersRecorder, ApplicationRecorderTestCase):
    """Every application-recorder case: insert/select, concurrency, throughput, subscription."""

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_performance(self) -> None:
        self.skipTest("only times inserts and asserts nothing: bench/ingest.py measures them")


class TestNonInterleavingPositions(_OnTheLedgersRecorder, NonInterleavingNotificationIDsBaseCase):
    """Two appends of 1,000 events at once: each append's positions form one run."""


def test_a_collision_is_the_librarys_integrity_error_and_the_ports_write_collision():
    assert issubclass(FactCollision, IntegrityError)
    assert issubclass(FactCollision, WriteCollision)
