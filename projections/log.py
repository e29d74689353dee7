"""Pages of the log for the projectors: one lean query, each fact decoded once.

``Ledger.read_log`` goes through the eventsourcing library's recorder and mapper: rows
as dicts, a ``Notification`` per row, the topic resolved and the id converter looked up
for every fact, every JSON object passed through a general hook. Rebuilding the views
reads every fact of the log, so that generality was a fixed cost of about half the
rebuild's Python time. ``LogReader`` reads the same rows (same table, same order, same
bounds) as tuples, in binary, and decodes them as the library's mapper does, with what
does not change between facts (the class of a topic, its version, the hook's decoders)
looked up once. A mapper that also deciphers or decompresses is left to the library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

from domain.facts import Fact
from domain.ledger import Ledger
from domain.reading import LoggedFact

__all__ = ["LogReader"]

# The library's own transcodings, decoded by the constructor they call (no type check
# per value: the log was written by the same transcodings).
_FAST: dict[type[Any], Callable[[Any], Any]] = {
    UUIDAsHex: UUID,
    DatetimeAsISO: datetime.fromisoformat,
    DecimalAsStr: Decimal,
}
_Decoder = tuple[type[Any], int, Callable[[Any], Any]]  # class, class_version, id converter


class LogReader:
    """Reads pages of ``ledger``'s log through ``pool``, as ``Ledger.read_log`` would."""

    def __init__(self, ledger: Ledger, pool: ConnectionPool) -> None:
        self.ledger, self.pool = ledger, pool
        mapper = ledger.mapper
        transcoder = mapper.transcoder
        self.fast = (
            mapper.cipher is None
            and mapper.compressor is None
            and isinstance(transcoder, JSONTranscoder)
        )
        recorder = cast(Any, ledger.recorder)
        self._select = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))
        if self.fast:
            names = cast(JSONTranscoder, transcoder).names
            decoders = {n: _FAST.get(type(t), t.decode) for n, t in names.items()}
            hook = partial(_decode_object, decoders)
            # One decoder for the reader's life: json.loads would build one per fact.
            self._decode = json.JSONDecoder(object_hook=hook).raw_decode
        self._classes: dict[str, _Decoder] = {}

    def read(self, after: int, limit: int) -> list[LoggedFact]:
        """Up to ``limit`` facts after position ``after``, in log order."""
        if not self.fast:
            return self.ledger.read_log(after, limit)
        with self.pool.connection() as conn, conn.cursor(binary=True) as cur:
            rows = cur.execute(self._select, (after, limit), prepare=True).fetchall()
        return [LoggedFact(row[0], self._fact(*row[1:])) for row in rows]

    def _fact(self, originator_id: UUID, version: int, topic: str, state: bytes) -> Fact:
        """The fact of one stored row, as ``Mapper.to_domain_event`` makes it."""
        decoder = self._classes.get(topic)
        if decoder is None:
            decoder = self._classes[topic] = _decoder(topic, type(originator_id))
        cls, class_version, convert = decoder
        event_state: dict[str, Any] = self._decode(state.decode("utf8"))[0]
        event_state["originator_id"] = convert(originator_id)
        event_state["originator_version"] = version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:  # upcast an older fact, step by step
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        fact = object.__new__(cls)
        object.__setattr__(fact, "__dict__", event_state)
        return cast(Fact, fact)


def _decoder(topic: str, id_type: type[UUID | str]) -> _Decoder:
    cls = resolve_topic(topic)
    return cls, getattr(cls, "class_version", 1), find_id_convertor(cls, cast(Any, id_type))


def _decode_object(decoders: dict[str, Callable[[Any], Any]], obj: dict[str, Any]) -> Any:
    """A JSON object as the library's transcoder decodes it: ``{"_type_", "_data_"}`` is a
    value of a registered type, any other object a dict."""
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        return decoders[obj["_type_"]](obj["_data_"])
    return obj
