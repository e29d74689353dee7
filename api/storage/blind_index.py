"""Blind indexes: finding customers by personal values that stay encrypted.

A token is HMAC-SHA256, under a server-wide index key, of a normalised value
(``api.storage.matching``) tagged with what it is (``phone``, ``phone-end``,
``email``, ``name-word``, ``name-prefix``, ``caller``): equal values give equal
tokens, so the customer view can match a searched value without holding it, and a
copy of the database alone (without the key) cannot test a guessed phone number or
name against the index. Tokens live only in the customer view's ``customer_search``
table (never in the log), are rebuilt from the log with the key, and are deleted on
erasure (a rebuild makes none either: the customer's data key is destroyed).

Where the index key comes from (``index_key``), as for the API keys' server secret:
``TOUCHPOINT_INDEX_KEY`` if set; else, with the embedded server, a key generated on
first start into ``data_dir/index_key`` (mode 0600); else (a database URL and no
key) none: the search, the screen pop and calls recorded by number answer 503
``search-unavailable``, and the projectors keep no index (set the key, then rebuild
the customer view). ``check_index_key`` says so before anything starts, for the
commands that choose to refuse.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from api.settings import Settings
from api.storage.keys import MIN_SECRET_LENGTH, load_or_create_secret
from api.storage.matching import (
    e164,
    email_key,
    name_prefixes,
    name_query,
    name_words,
    phone_query,
    phone_suffixes,
)
from domain.ports import Keyring, KeyVault
from projections.customer.index import CurrentDetails, SearchTerm

__all__ = [
    "INDEX_KEY_FILE",
    "BlindIndex",
    "IndexKeyMissing",
    "SearchIndexer",
    "check_index_key",
    "index_key",
]

INDEX_KEY_FILE = "index_key"
CALLER_PREFIX = "U-"  # the reference of an unidentified caller
_CALLER_BYTES = 10  # 80 bits of the caller token name an unidentified caller


class IndexKeyMissing(RuntimeError):
    """No index key for the customer search (a database URL without ``index_key``)."""

    def __init__(self) -> None:
        super().__init__(
            "TOUCHPOINT_INDEX_KEY is not set: with TOUCHPOINT_DATABASE_URL, every API and "
            "projector process must share one key for the customer search's blind indexes. "
            "Generate one (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), "
            "keep it out of the database, and set it for `touchpoint serve` and `project`."
        )


def index_key(settings: Settings) -> bytes | None:
    """The index key, per the module docstring (None: there is none)."""
    value = settings.index_key.get_secret_value() if settings.index_key is not None else ""
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            msg = f"TOUCHPOINT_INDEX_KEY must be at least {MIN_SECRET_LENGTH} characters"
            raise ValueError(msg)
        return value.encode()
    if settings.embedded:
        return load_or_create_secret(settings.data_dir / INDEX_KEY_FILE)
    return None


def check_index_key(settings: Settings) -> None:
    """Raise ``IndexKeyMissing`` if the customer search would have no key (``ValueError``
    if the one configured is too short), before anything starts."""
    configured = settings.index_key is not None and settings.index_key.get_secret_value()
    if not settings.embedded and not configured:
        raise IndexKeyMissing
    if configured:
        index_key(settings)


class BlindIndex:
    """Tokens of normalised values under the index key (``repr`` never shows the key)."""

    def __init__(self, key: bytes, country: str) -> None:
        self._key = key
        self.country = country

    def __repr__(self) -> str:
        return f"BlindIndex(country={self.country!r})"

    def token(self, tag: str, value: str) -> bytes:
        """HMAC-SHA256 of ``tag`` and ``value`` (tags keep kinds of value apart)."""
        return hmac.digest(self._key, f"{tag}\x00{value}".encode(), "sha256")

    def caller_ref(self, number: str) -> str:
        """The reference of an unidentified caller with the E.164 ``number``: derived from
        a token of its own (not the search token), never the number in clear."""
        return CALLER_PREFIX + self.token("caller", number)[:_CALLER_BYTES].hex().upper()

    def phone_number(self, text: str) -> str | None:
        """``text`` as an E.164 number in the centre's default country, if it is one."""
        return e164(text, self.country)

    def terms_of(
        self, ref: str, name: str | None, email: str | None, phone: str | None
    ) -> list[SearchTerm]:
        """The search terms of one customer's (plaintext) current details."""
        terms: list[SearchTerm] = []
        number = e164(phone, self.country) if phone else None
        if number is not None:
            terms.append(SearchTerm(ref, "phone", self.token("phone", number)))
            terms += [
                SearchTerm(ref, "phone", self.token("phone-end", d)) for d in phone_suffixes(number)
            ]
            terms.append(SearchTerm(ref, "caller", self.token("caller", number)[:_CALLER_BYTES]))
        address = email_key(email) if email else None
        if address is not None:
            terms.append(SearchTerm(ref, "email", self.token("email", address)))
        for word in name_words(name or ""):
            terms.append(SearchTerm(ref, "name", self.token("name-word", word)))
            terms += [
                SearchTerm(ref, "name", self.token("name-prefix", p)) for p in name_prefixes(word)
            ]
        return terms

    def phone_tokens(self, text: str) -> tuple[bytes, ...] | None:
        """Tokens of which any one matches the searched number (None: not a number)."""
        query = phone_query(text, self.country)
        if query is None:
            return None
        found = [self.token("phone", query.number)] if query.number else []
        return (*found, *([self.token("phone-end", query.ending)] if query.ending else []))

    def email_tokens(self, text: str) -> tuple[bytes, ...] | None:
        """The one token of a searched address (None: not an address)."""
        address = email_key(text)
        return None if address is None else (self.token("email", address),)

    def name_tokens(self, text: str) -> tuple[bytes, ...] | None:
        """Tokens that must all match (None: no word in ``text``)."""
        query = name_query(text)
        if query is None:
            return None
        words = [self.token("name-word", word) for word in query.words]
        return (*words, *([self.token("name-prefix", query.prefix)] if query.prefix else []))


class SearchIndexer:
    """The customer view's ``Indexer``: opens current details with the customers' keys
    (``vault``, read-only) and returns their blind-index terms."""

    def __init__(self, index: BlindIndex, vault: KeyVault) -> None:
        self.index = index
        self.vault = vault

    def terms(self, details: Sequence[CurrentDetails]) -> list[SearchTerm]:
        """Terms of each customer whose key still exists (an erased one has none)."""
        if not details:
            return []
        keyring = self.vault.keyring([d.customer_ref for d in details], create=False)
        terms: list[SearchTerm] = []
        for row in details:
            opened = [_open(keyring, row.customer_ref, v) for v in (row.name, row.email, row.phone)]
            if any(value is not None for value in opened):
                terms += self.index.terms_of(row.customer_ref, *opened)
        return terms


def _open(keyring: Keyring, ref: str, sealed: str | None) -> str | None:
    return None if sealed is None else keyring.open(ref, sealed)
