"""Read a message's top-level headers: with policy.default where that is safe, and by compat32's
plain split-and-decode where the default policy raises or would be slow on a huge value.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from intake.parse.shape import MAX_DEFAULT_HEADER
from intake.parse.text import unsurrogate

_FOLD = re.compile(r"\r?\n[ \t]")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; a value naming an unknown charset stays as it is."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # unknown charset or a malformed encoded word
        return value


def tidy(text: str) -> str:
    # A NUL stands for nothing in a header, and PostgreSQL refuses it in a text column (capture
    # would answer 451 for ever): shown as the replacement character, as bad bytes are.
    return " ".join(unsurrogate(text).replace("\x00", "\ufffd").split())


class HeaderReader:
    """Reads the first occurrence of each top-level header. With `use_default`, values go through
    policy.default's parsers; a value that makes them raise is read again the compat32 way and
    the fallback is noted. Values over MAX_DEFAULT_HEADER characters are cut before decoding."""

    def __init__(self, message: Message, *, use_default: bool) -> None:
        self.message = message
        self.use_default = use_default
        self.defects: list[str] = []
        self._first: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        for name, value in message.raw_items():
            self._first.setdefault(str(name).lower(), str(value))
            self._counts[str(name).lower()] = self._counts.get(str(name).lower(), 0) + 1

    def count(self, name: str) -> int:
        """How many times the header occurs (RFC 5322 allows one From; a second is a sign)."""
        return self._counts.get(name.lower(), 0)

    def raw(self, name: str) -> str | None:
        """The header's undecoded value, unfolded."""
        value = self._first.get(name.lower())
        return None if value is None else _FOLD.sub(" ", value)

    def all_raw(self, name: str) -> list[str]:
        """Every occurrence of a header, top first, undecoded and unfolded (each cut to
        MAX_DEFAULT_HEADER characters)."""
        wanted = name.lower()
        return [
            tidy(_FOLD.sub(" ", str(value))[:MAX_DEFAULT_HEADER])
            for key, value in self.message.raw_items()
            if str(key).lower() == wanted
        ]

    def _default_is_safe(self, name: str, raw: str) -> bool:
        if len(raw) > MAX_DEFAULT_HEADER:
            self.defects.append(f"header {name} of {len(raw)} characters: cut")
            return False
        return self.use_default

    def _fallen_back(self, name: str, exc: Exception) -> None:
        self.defects.append(f"header {name} unreadable ({type(exc).__name__}): read with compat32")

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        if raw is None:
            return None
        if self._default_is_safe(name, raw):
            try:
                return tidy(str(self.message.get(name)))
            except Exception as exc:  # the default policy's parsers raise on some hostile values
                self._fallen_back(name, exc)
        return tidy(decode_words(raw[:MAX_DEFAULT_HEADER]))

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased addr-spec) for each address in the header."""
        raw = self.raw(name)
        if raw is None:
            return []
        found: list[tuple[str, str]] | None = None
        if self._default_is_safe(name, raw):
            try:
                header = self.message.get(name)
                found = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
            except Exception as exc:  # e.g. a group with a trailing comment in 3.11
                self._fallen_back(name, exc)
        if found is None:
            # Split before decoding: a decoded display name may hold a comma ("Smith, Jane").
            pairs = getaddresses([raw[:MAX_DEFAULT_HEADER]])
            found = [(decode_words(display), address) for display, address in pairs]
        return [
            (tidy(display), tidy(address).lower())
            for display, address in found
            if address and address.strip() and address.strip() != "<>"
        ]

    def date(self) -> datetime | None:
        raw = self.raw("Date")
        if raw is None:
            return None
        if self._default_is_safe("Date", raw):
            try:
                return getattr(self.message.get("Date"), "datetime", None)
            except Exception as exc:  # a date the default policy's parser chokes on
                self._fallen_back("Date", exc)
        try:
            return parsedate_to_datetime(raw[:200])
        except Exception:  # a date no parser understands is simply absent
            return None
