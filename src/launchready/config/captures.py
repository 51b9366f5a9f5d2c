"""Captures: values a smoke step takes from its response for later steps to use as ``${name}``.

A capture is ``SOURCE.WHERE``:

=====================================  ========================================================
capture                                value
=====================================  ========================================================
``json.PATH``                          value at a dotted path of the JSON body (``json.token``,
                                       ``json.items.0.id``); objects and lists as JSON text
``header.NAME``                        first value of a response header (case-insensitive)
``cookie.NAME``                        a cookie the response sets
``html.TAG[ATTR=VALUE].ATTRIBUTE``     attribute of the first ``TAG`` element whose ``ATTR`` is
                                       ``VALUE`` — e.g. a CSRF token from a form field:
                                       ``html.input[name=csrf].value``,
                                       ``html.meta[name=csrf-token].content``
=====================================  ========================================================

Captures are parsed when the config loads (a typo fails then); the smoke runner takes their
values with :func:`launchready.smoke.extract.extract`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CAPTURE_NAME", "Capture", "CaptureError", "parse_capture", "references"]

#: a capture's name, as used in ``${name}``
CAPTURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HTML = re.compile(
    r"^(?P<tag>[A-Za-z][A-Za-z0-9-]*)"
    r"\[(?P<attr>[A-Za-z_:][-A-Za-z0-9_:.]*)=(?P<quote>['\"]?)(?P<value>[^\]'\"]*)(?P=quote)\]"
    r"\.(?P<take>[A-Za-z_:][-A-Za-z0-9_:.]*)$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 §5.6.2 token
_COOKIE_NAME = _HEADER_NAME

Source = Literal["json", "header", "cookie", "html"]


class CaptureError(ValueError):
    """A capture does not parse; the message says what is expected."""


@dataclass(frozen=True, kw_only=True)
class Capture:
    """One parsed capture; ``source`` is the text as written."""

    text: str
    source: Source
    path: str  # json path, lower-cased header name, or cookie name ("" for html)
    tag: str = ""
    attr: str = ""
    attr_value: str = ""
    take: str = ""

    def __str__(self) -> str:
        return self.text


def parse_capture(text: str) -> Capture:
    """Parse ``text``; raise :class:`CaptureError` naming what is wrong."""
    raw = text.strip()
    source, _, where = raw.partition(".")
    if source not in ("json", "header", "cookie", "html") or not where:
        raise CaptureError(f"{raw!r} is not a capture; write json.PATH, header.NAME, "
                           f"cookie.NAME or html.TAG[ATTR=VALUE].ATTRIBUTE "
                           f"(e.g. html.input[name=csrf].value)")
    if source == "json":
        if any(not part for part in where.split(".")):
            raise CaptureError(f"{raw!r}: empty part in the JSON path")
        return Capture(text=raw, source="json", path=where)
    if source == "header":
        if not _HEADER_NAME.match(where):
            raise CaptureError(f"{raw!r}: {where!r} is not a header name")
        return Capture(text=raw, source="header", path=where.lower())
    if source == "cookie":
        if not _COOKIE_NAME.match(where):
            raise CaptureError(f"{raw!r}: {where!r} is not a cookie name")
        return Capture(text=raw, source="cookie", path=where)
    m = _HTML.match(where)
    if not m:
        raise CaptureError(f"{raw!r}: write html.TAG[ATTR=VALUE].ATTRIBUTE, e.g. "
                           f"html.input[name=csrf].value")
    return Capture(text=raw, source="html", path="", tag=m.group("tag").lower(),
                   attr=m.group("attr").lower(), attr_value=m.group("value"),
                   take=m.group("take").lower())


def references(value: Any) -> set[str]:
    """Every ``${name}`` used anywhere in a string, list or mapping."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(_REFERENCE.findall(value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found |= references(key) | references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= references(item)
    return found
