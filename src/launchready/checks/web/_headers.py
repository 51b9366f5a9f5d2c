"""Header values as the web-surface checks read them: lists, ``Cache-Control``, ``Set-Cookie``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, keeping quoted strings whole (RFC 9110 §5.6.1)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [i for i in items if i]


def cache_directives(values: Sequence[str]) -> dict[str, str | None]:
    """``Cache-Control`` values -> {directive: argument}; names lower-cased (RFC 9111 §5.2)."""
    out: dict[str, str | None] = {}
    for item in split_list(",".join(values)):
        name, eq, arg = item.partition("=")
        key = name.strip().lower()
        if key and key not in out:
            out[key] = arg.strip().strip('"') if eq else None
    return out


def seconds(value: str | None) -> int | None:
    """A delta-seconds argument, or None when missing or malformed."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@dataclass(frozen=True, kw_only=True)
class SetCookie:
    """One ``Set-Cookie`` line, split into name, value and lower-cased attributes."""

    name: str
    value: str
    attrs: Mapping[str, str] = field(default_factory=dict)

    @property
    def deletes(self) -> bool:
        """True when the line removes the cookie (``Max-Age=0`` or an expiry in the past)."""
        max_age = self.attrs.get("max-age", "").strip()
        if max_age.lstrip("-").isdigit() and int(max_age) <= 0:
            return True
        expires = self.attrs.get("expires", "")
        return bool(re.search(r"\b19[0-9]{2}\b|\b200[0-9]\b", expires))


def parse_set_cookie(line: str) -> SetCookie | None:
    """Parse one ``Set-Cookie`` value as RFC 6265 §5.2 does; None when it has no name."""
    pair, *rest = line.split(";")
    name, eq, value = pair.partition("=")
    if not eq or not name.strip():
        return None
    attrs: dict[str, str] = {}
    for part in rest:
        key, _, arg = part.partition("=")
        if key.strip():
            attrs[key.strip().lower()] = arg.strip()
    return SetCookie(name=name.strip(), value=value.strip(), attrs=attrs)
