"""Personal data in logs (SEC007): e-mail addresses, phone numbers, bearer tokens, session ids.

Patterns are RE2-compatible and run over bounded blocks, so they are linear in the log size.
Phone numbers need 8-15 digits (E.164 §6.1 allows at most 15) so timestamps and versions do
not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from launchready.secrets.redact import mask_pii

try:  # pragma: no branch
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover
    _re2 = None

PII_PATTERNS: tuple[tuple[str, bytes, int], ...] = (
    ("email", rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
              rb"\.[A-Za-z]{2,24}", 0),
    ("phone", rb"\+[1-9][0-9 ().-]{6,20}[0-9]|\(\d{3}\) ?\d{3}[-. ]\d{4}|"
              rb"\b\d{3}[-.]\d{3}[-.]\d{4}\b", 0),
    ("bearer-token", rb"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)", 1),
    ("session-id", rb"(?i)\b(?:session[_-]?id|sessionid|sid|phpsessid|jsessionid|connect\.sid|"
                   rb"_session)[\"']?\s{0,3}[=:]\s{0,3}[\"']?([A-Za-z0-9%._-]{16,})", 1),
)

PII_LABELS = {"email": "e-mail address", "phone": "phone number",
              "bearer-token": "bearer token", "session-id": "session id"}
PII_PLURALS = {"email": "e-mail addresses", "phone": "phone numbers",
               "bearer-token": "bearer tokens", "session-id": "session ids"}


@dataclass(frozen=True, kw_only=True)
class PiiMatch:
    """One personal-data value; ``value`` never leaves (``repr`` hides it)."""

    kind: str
    value: bytes = field(repr=False)
    start: int
    end: int

    @property
    def masked(self) -> str:
        """A masked form that shows the kind of value, not the value."""
        return mask_pii(self.value.decode("utf-8", "replace"), self.kind)


def _compile(p: bytes) -> Any:
    return _re2.compile(p) if _re2 is not None else re.compile(p)


_COMPILED = tuple((kind, _compile(p), g) for kind, p, g in PII_PATTERNS)


#: bytes that end a URL's authority: a "user@host" after one of them is not in a URL
_AUTHORITY_END = frozenset(b" \t\r\n/\"'<>`()[]{}")


def in_url_userinfo(data: bytes, start: int) -> bool:
    """True when ``data[start:]`` sits in the ``user:password@`` part of a URL.

    ``https://deploy:Tq9Z...@registry.example/`` holds no e-mail address: the password and
    the host only look like one (and masking it as one would show the password's first
    character).
    """
    scheme = data.rfind(b"://", max(0, start - 512), start)
    return scheme != -1 and not any(c in _AUTHORITY_END for c in data[scheme + 3:start])


def find_pii(data: bytes) -> Iterator[PiiMatch]:
    """Every personal-data value in ``data``."""
    for kind, regex, group in _COMPILED:
        for m in regex.finditer(data):
            s, e = m.span(group)
            value = data[s:e]
            if kind == "phone" and not 8 <= sum(48 <= c <= 57 for c in value) <= 15:
                continue
            if kind == "email" and in_url_userinfo(data, s):
                continue  # a credential URL: SEC005 reports it, masked as a secret
            yield PiiMatch(kind=kind, value=value, start=s, end=e)
