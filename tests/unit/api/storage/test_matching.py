"""Normalisation of searched and indexed personal values (issue 13), cases written by hand."""

from __future__ import annotations

import pytest

from api.storage.matching import (
    NameQuery,
    PhoneQuery,
    e164,
    email_key,
    mask_name,
    mask_phone,
    name_prefixes,
    name_query,
    name_words,
    phone_query,
    phone_suffixes,
)


@pytest.mark.parametrize(
    "written",
    [
        "+447700900123",
        "+44 7700 900123",
        "+44 (0)7700 900-123",  # the "(0)" trunk a British number is often written with
        "0044 7700 900123",
        "07700 900123",  # national, read in the default country GB
        "(07700) 900.123",
        " 07700-900-123 ",
    ],
)
def test_every_usual_writing_of_a_number_gives_the_same_e164(written):
    assert e164(written, "GB") == "+447700900123"


def test_a_national_number_is_read_in_the_centres_default_country():
    assert e164("0612345678", "FR") == "+33612345678"
    assert e164("0612345678", "GB") != "+33612345678"


@pytest.mark.parametrize("text", ["", "hello", "12", "+", "+44 77a0 900123", "555-CALL-NOW"])
def test_text_that_is_no_phone_number_has_no_e164(text):
    assert e164(text, "GB") is None


def test_a_number_is_indexed_by_every_ending_of_9_digits_or_more():
    # +447700900123 has 12 digits: endings of 9, 10, 11 and 12 digits.
    assert phone_suffixes("+447700900123") == [
        "700900123",
        "7700900123",
        "47700900123",
        "447700900123",
    ]


def test_a_searched_number_matches_by_e164_and_by_its_last_digits():
    assert phone_query("07700 900123", "GB") == PhoneQuery("+447700900123", None)
    assert phone_query("+44 7700 900123", "GB") == PhoneQuery("+447700900123", "447700900123")
    # 9 digits with no country: GB reads no valid number, the ending still matches.
    assert phone_query("700 900 123", "GB") == PhoneQuery(e164("700900123", "GB"), "700900123")


def test_fewer_than_9_digits_that_are_no_possible_number_are_no_phone_query():
    assert phone_query("1234", "GB") is None
    assert phone_query("12", "GB") is None
    assert phone_query("call me", "GB") is None


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("  ada@example.org\t", "ada@example.org"),
        ("ADA@EXAMPLE.ORG ", "ada@example.org"),
    ],
)
def test_an_email_address_is_trimmed_and_caseless(written, key):
    assert email_key(written) == key


@pytest.mark.parametrize("text", ["", "ada", "@", "ada@", "@example.org", "   "])
def test_text_without_a_local_part_and_domain_is_no_address(text):
    assert email_key(text) is None


def test_name_words_drop_case_accents_and_punctuation():
    assert name_words("Margaret OKAFOR") == ["margaret", "okafor"]
    assert name_words("Zoë Brontë-Núñez") == ["zoe", "bronte", "nunez"]
    assert name_words("  José   José ") == ["jose"]
    assert name_words("---") == []


def test_prefixes_have_at_least_3_letters_and_end_with_the_word():
    assert name_prefixes("okafor") == ["oka", "okaf", "okafo", "okafor"]
    assert name_prefixes("li") == []


def test_a_searched_name_needs_whole_words_and_a_prefix_of_3_letters_at_the_end():
    assert name_query("okafor margaret") == NameQuery(("okafor",), "margaret")
    assert name_query("Okafor Mar") == NameQuery(("okafor",), "mar")
    # Two letters are too few for a prefix: "ma" must be a whole word.
    assert name_query("okafor ma") == NameQuery(("okafor", "ma"), None)
    assert name_query("Éloïse") == NameQuery((), "eloise")
    assert name_query(" - ") is None


def test_masks_show_initials_and_the_ends_of_a_number_only():
    assert mask_name("Margaret Okafor") == "M*** O***"
    assert mask_phone("07700 900123", "GB") == "+44*******123"
    assert mask_phone("12", "GB") == "**"
