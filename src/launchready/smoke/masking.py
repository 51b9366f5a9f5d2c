"""Keep credentials and session values out of everything a smoke run says.

The runner registers every value that must not be shown — passwords and tokens sent in bodies
or headers, captured values, session cookies — and passes every string it hands out (URLs,
error messages, what an expectation saw) through :meth:`Masker.mask`. Encoded forms a server
may echo (URL-encoded, HTML-escaped, JSON-escaped) are registered too.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, quote_plus

from launchready.config.expand import CREDENTIAL_KEYS

__all__ = ["MASK", "Masker", "is_credential_header", "is_credential_key"]

MASK = "[redacted]"
#: shorter values (ids, flags) are not worth masking and would garble every number shown
MIN_CAPTURED = 6
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key",
                                 "x-auth-token", "x-csrf-token", "x-xsrf-token"})


def is_credential_key(key: str) -> bool:
    """True for body field names holding credentials (``password``, ``api_key``, ...)."""
    return bool(CREDENTIAL_KEYS.search(key))


def is_credential_header(name: str) -> bool:
    """True for request headers that carry credentials."""
    lower = name.lower()
    return lower in _CREDENTIAL_HEADERS or bool(CREDENTIAL_KEYS.search(lower.replace("-", "_")))


class Masker:
    """A growing set of values to hide; :meth:`mask` replaces them (longest first)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None, *, min_length: int = 1) -> None:
        """Hide ``value`` (and its common encodings) from now on."""
        if value is None or len(value) < min_length:
            return
        forms = {value, quote(value, safe=""), quote_plus(value), html.escape(value),
                 json.dumps(value)[1:-1]}
        before = len(self._values)
        self._values.update(f for f in forms if len(f) >= min_length)
        if len(self._values) != before:
            self._pattern = None

    def mask(self, text: str) -> str:
        """``text`` with every registered value replaced by ``[redacted]``."""
        if not self._values:
            return text
        if self._pattern is None:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(MASK, text)

    def __contains__(self, value: object) -> bool:
        return value in self._values
