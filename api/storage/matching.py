"""How personal values are normalised before they are blind-indexed or searched.

The rules agents expect (issue 13):

- phone: parsed with ``phonenumbers`` (spaces, dashes, dots, brackets, a leading
  ``+`` or ``00``, or a national trunk ``0`` read in the centre's default country)
  and written in E.164 (``+447700900123``); a number is also matched by its last
  9 or more digits (``700900123`` finds ``+447700900123``);
- e-mail: trimmed, compared case-insensitively (``casefold``);
- name: whole words, case- and accent-insensitive, in any order; the last word
  of a query may be a prefix of at least 3 letters;
- reference: case-insensitive (done in SQL, references are not personal data).

Everything here is pure: no key, no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

__all__ = [
    "MIN_PREFIX",
    "MIN_SUFFIX_DIGITS",
    "NameQuery",
    "PhoneQuery",
    "e164",
    "email_key",
    "mask_name",
    "mask_phone",
    "name_prefixes",
    "name_query",
    "name_words",
    "phone_digits",
    "phone_query",
    "phone_suffixes",
]

MIN_PREFIX = 3  # letters of the shortest name prefix searched
MIN_SUFFIX_DIGITS = 9  # digits of the shortest phone-number ending searched
_MAX_DIGITS = 15  # E.164's longest number
_SHOWN = 3  # characters of a masked number shown at each end
_SEPARATORS = re.compile(r"[\s\-./()\[\]]+")
_WORD = re.compile(r"[^\W_]+")


def _plain(text: str) -> str:
    """Case- and accent-free: NFKD, combining marks dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold()


def e164(text: str, country: str) -> str | None:
    """``text`` as an E.164 number (``country`` for national numbers); None if not a number."""
    compact = _SEPARATORS.sub("", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d{3,17}", compact):
        return None
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else country)
    except phonenumbers.NumberParseException:
        return None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:  # not local-only numbers either
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(text: str) -> str:
    """The digits of ``text``, in order (``+44 (0)7700`` gives ``4407700``)."""
    return "".join(ch for ch in text if ch.isdigit())


def phone_suffixes(number: str) -> list[str]:
    """Every ending of at least ``MIN_SUFFIX_DIGITS`` digits of an E.164 number."""
    digits = phone_digits(number)
    return [digits[-n:] for n in range(MIN_SUFFIX_DIGITS, len(digits) + 1)]


@dataclass(frozen=True)
class PhoneQuery:
    """What a searched phone number matches: its E.164 form and/or an ending of digits."""

    number: str | None  # E.164, matched exactly
    ending: str | None  # 9 to 15 digits, matched against stored numbers' endings


def phone_query(text: str, country: str) -> PhoneQuery | None:
    """The match terms of a searched number; None if it has neither (fewer than 9 digits
    and no number in ``country``)."""
    digits = phone_digits(text)
    ending = digits if MIN_SUFFIX_DIGITS <= len(digits) <= _MAX_DIGITS else None
    if ending is not None and ending.startswith("0"):
        ending = None  # a trunk or international prefix: only the parsed number says more
    number = e164(text, country)
    if number is None and ending is None:
        return None
    return PhoneQuery(number, ending)


def email_key(text: str) -> str | None:
    """An e-mail address trimmed and casefolded; None if it has no ``@``."""
    value = text.strip().casefold()
    return value if "@" in value.strip("@") else None


def name_words(text: str) -> list[str]:
    """The words of a name, case- and accent-free, in order, each once."""
    return list(dict.fromkeys(_WORD.findall(_plain(text))))


def name_prefixes(word: str) -> list[str]:
    """The prefixes of ``word`` of at least ``MIN_PREFIX`` letters, the word itself included."""
    return [word[:n] for n in range(MIN_PREFIX, len(word) + 1)]


@dataclass(frozen=True)
class NameQuery:
    """Words that must each be a whole word of the name, and maybe a prefix of one."""

    words: tuple[str, ...]
    prefix: str | None


def name_query(text: str) -> NameQuery | None:
    """The match terms of a searched name; None if it has no word.

    Every word but the last must be a whole word; the last one a whole word or, if
    it has at least ``MIN_PREFIX`` letters, the beginning of one ("okafor marg").
    """
    words = name_words(text)
    if not words:
        return None
    *whole, last = words
    if len(last) >= MIN_PREFIX:
        return NameQuery(tuple(whole), last)
    return NameQuery(tuple(words), None)


def mask_name(name: str) -> str:
    """A name for a result list: each word's first letter, then ``***``."""
    return " ".join(word[0] + "***" for word in name.split() if word)


def mask_phone(number: str, country: str) -> str:
    """A number for a result list: E.164 with all but its first 3 and last 3 characters
    starred (``+44*******123``); a number that does not parse: all but its last 3."""
    full = e164(number, country) or phone_digits(number)
    if len(full) <= _SHOWN * 2:  # too short to show any of it
        return "*" * len(full)
    return full[:_SHOWN] + "*" * (len(full) - 2 * _SHOWN) + full[-_SHOWN:]
