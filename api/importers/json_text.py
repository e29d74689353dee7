"""JSON checked byte by byte before any parsing, with precise reasons (bodies and NDJSON).

``parse_json`` gives precise reasons for what ``json.loads`` would get wrong or
answer vaguely: NUL bytes, invalid UTF-8 (with the byte offset), nesting bombs
(``json.loads`` raises ``RecursionError``), trailing garbage (line and column).
"""

from __future__ import annotations

from typing import Any

import pydantic_core

__all__ = ["BadJson", "check_text", "parse_json"]


class BadJson(Exception):
    """Bytes that are not one JSON value; ``code`` is stable, ``reason`` says where."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_text(raw: bytes) -> str:
    """``raw`` as UTF-8 text without NUL bytes, else ``BadJson`` naming the byte (from 1)."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise BadJson("nul-byte", f"NUL byte at byte {nul + 1}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadJson("invalid-utf8", f"invalid UTF-8 at byte {error.start + 1}") from error


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or ``BadJson`` with a code and the place of the error."""
    check_text(raw)
    try:
        # pydantic-core's parser refuses nesting deeper than 200 levels with a
        # ValueError (json.loads would raise RecursionError) and is faster.
        return pydantic_core.from_json(raw)
    except ValueError as error:
        reason = str(error)
        if "recursion limit" in reason:
            raise BadJson("json-too-deep", f"JSON nested too deeply: {reason}") from error
        raise BadJson("invalid-json", f"invalid JSON: {reason}") from error
