"""Blind-index tokens: keyed, tagged by kind, never showing the value or the key."""

from __future__ import annotations

import pytest

from api.settings import Settings
from api.storage.blind_index import BlindIndex, IndexKeyMissing, check_index_key, index_key

KEY = b"k" * 32


def test_the_same_value_under_another_key_gives_another_token():
    assert BlindIndex(KEY, "GB").token("phone", "+447700900123") != BlindIndex(
        b"x" * 32, "GB"
    ).token("phone", "+447700900123")


def test_tokens_of_one_value_differ_by_kind():
    index = BlindIndex(KEY, "GB")
    assert index.token("name-word", "ada") != index.token("name-prefix", "ada")


def test_every_writing_of_a_number_finds_the_indexed_number():
    index = BlindIndex(KEY, "GB")
    stored = {t.token for t in index.terms_of("C1", None, None, "+44 7700 900123")}
    for written in ("07700900123", "0044 7700 900-123", "700900123"):
        assert set(index.phone_tokens(written) or ()) & stored, written


def test_a_name_search_needs_every_word_indexed():
    index = BlindIndex(KEY, "GB")
    stored = {t.token for t in index.terms_of("C1", "Margaret Okafor", None, None)}
    assert set(index.name_tokens("okafor margaret") or ()) <= stored
    assert set(index.name_tokens("OKAFOR marg") or ()) <= stored
    assert not set(index.name_tokens("okafor mark") or ()) <= stored


def test_an_unidentified_callers_reference_shows_no_digit_of_the_number():
    index = BlindIndex(KEY, "GB")
    ref = index.caller_ref("+447700900123")
    assert ref.startswith("U-")
    assert len(ref) == 22
    assert "900123" not in ref
    assert ref == index.caller_ref("+447700900123")


def test_the_repr_never_shows_the_key():
    assert "kkkk" not in repr(BlindIndex(KEY, "GB"))


def test_with_a_database_url_and_no_key_the_search_refuses_to_start():
    settings = Settings(database_url="postgresql://db/x", index_key=None)
    assert index_key(settings) is None
    with pytest.raises(IndexKeyMissing):
        check_index_key(settings)
    with pytest.raises(ValueError, match="at least 32"):
        check_index_key(Settings(database_url="postgresql://db/x", index_key="short"))


def test_the_embedded_server_makes_its_key_once_and_keeps_it(tmp_path):
    settings = Settings(database_url=None, data_dir=tmp_path, index_key=None)
    first = index_key(settings)
    assert first is not None
    assert index_key(settings) == first
    assert (tmp_path / "index_key").stat().st_mode & 0o777 == 0o600
