"""The hash chain without a database: encoding, recomputation, and naming what was tampered with."""

from __future__ import annotations

from hashlib import sha256
from typing import cast

import pytest

from domain.chain.hashes import (
    GENESIS,
    ChainState,
    Digest,
    Row,
    check_rows,
    encode_record,
    record_to_json,
    row_from_json,
)
from domain.chain.merkle import leaf_hash, node_hash

TOPIC = b"touchpoint:CallRecorded"


def record(position: int, n: int) -> tuple[int, bytes, int, bytes, bytes]:
    return (position, bytes([n]) * 16, 1, TOPIC, f'{{"n":{n}}}'.encode())


def chained(records: list[tuple[int, bytes, int, bytes, bytes]]) -> list[Row]:
    """Rows as an honest append would have stored them."""
    rows: list[Row] = []
    previous = GENESIS
    for seq, rec in enumerate(records):
        previous = sha256(previous + encode_record(*rec)).digest()
        rows.append((*rec, seq, previous))
    return rows


def log(n: int = 6, gap_after: int = 3) -> list[Row]:
    """``n`` rows at positions 1, 2, ... with a gap (a rolled-back append) after one."""
    positions = [i + 1 if i < gap_after else i + 3 for i in range(n)]
    return chained([record(p, i) for i, p in enumerate(positions)])


def verify(rows: list[Row]):
    state = ChainState()
    return state, check_rows(state, iter(rows))


def test_a_record_is_encoded_big_endian_with_lengths_before_the_variable_parts():
    encoded = encode_record(1, b"\x11" * 16, 2, b"t", b"s")

    assert encoded == (
        b"\x00\x00\x00\x00\x00\x00\x00\x01"
        + b"\x11" * 16
        + b"\x00\x00\x00\x00\x00\x00\x00\x02"
        + b"\x00\x00\x00\x01t"
        + b"\x00\x00\x00\x01s"
    )


def test_an_untouched_log_verifies_to_its_head_with_the_hand_computed_digest():
    rows = log(3, gap_after=2)  # positions 1, 2, 5
    h1 = sha256(GENESIS + encode_record(*record(1, 0))).digest()
    h2 = sha256(h1 + encode_record(*record(2, 1))).digest()
    h5 = sha256(h2 + encode_record(*record(5, 2))).digest()

    state, problem = verify(rows)

    assert problem is None
    digest = state.digest()
    assert (digest.position, digest.size, digest.hash) == (5, 3, h5)
    l1, l2, l5 = (leaf_hash(h) for h in (h1, h2, h5))
    assert digest.root == node_hash(node_hash(l1, l2), l5)


def test_changing_one_byte_of_a_state_is_named_as_a_changed_record_at_its_position():
    rows = log()
    position, oid, version, topic, state, seq, stored = rows[2]
    assert state is not None
    rows[2] = (position, oid, version, topic, state[:-1] + b"!", seq, stored)

    state_after, problem = verify(rows)

    assert problem is not None
    assert (problem.position, problem.kind) == (3, "record-changed")
    assert state_after.position == 2


def test_a_deleted_event_row_is_named_at_its_position():
    rows = log()
    position, *_, seq, stored = rows[4]
    rows[4] = (position, None, None, None, None, seq, stored)

    _, problem = verify(rows)

    assert problem is not None
    assert (problem.position, problem.kind) == (rows[4][0], "event-missing")


def test_an_event_without_a_chain_entry_is_named_at_its_position():
    rows = log()
    forged = (*record(99, 42), None, None)

    _, problem = verify([*rows, forged])

    assert problem is not None
    assert (problem.position, problem.kind) == (99, "chain-missing")


def test_an_entry_forged_with_the_wrong_previous_hash_is_named_and_told_apart():
    rows = log()  # positions 1, 2, 3, 6, 7, 8: 4 and 5 were never committed
    fake = record(4, 77)
    forged = (*fake, 3, sha256(b"\x01" * 32 + encode_record(*fake)).digest())

    _, problem = verify([*rows[:3], forged, *rows[3:]])

    assert problem is not None
    assert (problem.position, problem.kind) == (4, "forged-entry")


def test_swapping_two_positions_is_named_at_the_first_as_a_change_of_order():
    rows = log()
    (p2, *rest2), (p5, *rest5) = rows[1], rows[4]
    events2, events5 = rest2[:4], rest5[:4]
    rows[1] = cast(Row, (p2, *events5, *rest2[4:]))
    rows[4] = cast(Row, (p5, *events2, *rest5[4:]))

    _, problem = verify(rows)

    assert problem is not None
    assert (problem.position, problem.kind) == (p2, "order-changed")
    assert f"position {p5}" in problem.detail


def test_a_missing_entry_and_event_together_show_as_a_gap_in_the_chain():
    rows = log()
    del rows[3]

    _, problem = verify(rows)

    assert problem is not None
    assert (problem.position, problem.kind) == (rows[3][0], "entries-missing")


def test_verification_goes_on_from_a_state_reached_before():
    rows = log(8)
    first = ChainState()
    assert check_rows(first, iter(rows[:5])) is None

    assert check_rows(first, iter(rows[5:])) is None

    whole, _ = verify(rows)
    assert first.digest() == whole.digest()


def test_a_digest_survives_json_and_refuses_a_short_hash():
    digest = Digest(8, 6, b"\x01" * 32, b"\x02" * 32)

    assert Digest.from_json(digest.to_json()) == digest
    with pytest.raises(ValueError, match="32 bytes"):
        Digest.from_json(digest.to_json() | {"hash": "abcd"})


def test_a_record_survives_json_with_its_state_as_base64():
    row = log(1)[0]

    data = record_to_json(row)
    stored = row[6]
    assert stored is not None

    assert data["state"] == "eyJuIjowfQ=="  # base64 of {"n":0}
    assert row_from_json(data, row[5], stored.hex()) == row


def test_an_entry_forged_into_a_gap_with_a_place_of_its_own_is_named_as_misplaced():
    rows = log()  # positions 1, 2, 3, 6, 7, 8
    fake = record(4, 77)
    previous = rows[2][6]
    assert previous is not None
    forged = (*fake, len(rows), sha256(previous + encode_record(*fake)).digest())

    _, problem = verify([*rows[:3], forged, *rows[3:]])

    assert problem is not None
    assert (problem.position, problem.kind) == (4, "misplaced-entry")


def test_checking_in_stretches_up_to_given_positions_ends_where_one_pass_does():
    rows = log(8, gap_after=3)  # positions 1, 2, 3, 6, 7, 8, 9, 10
    whole, _ = verify(rows)
    state, stream = ChainState(), iter(rows)

    stops = [check_rows(state, stream, until=until) or (state.position, state.size)
             for until in (2, 4, 5, 9)]  # fmt: skip
    last = check_rows(state, stream)

    assert stops == [(2, 2), (3, 3), (3, 3), (9, 7)]
    assert last is None
    assert (state.position, state.size, state.hash) == (whole.position, whole.size, whole.hash)
    assert state.tree.root() == whole.tree.root()
