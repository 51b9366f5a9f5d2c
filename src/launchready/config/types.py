"""Value rules the config models share: one duration grammar and one http(s) URL rule.

Durations are written ``500ms``, ``30s``, ``2m``, ``1h`` or ``30d`` everywhere in the file (the
expectation language's ``time < 500`` keeps its own milliseconds default, see ``expect``).
A URL key accepts only ``http://`` and ``https://`` with a host, in any letter case; the
scheme is stored in lower case so later comparisons need not care.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_HTTP_URL = re.compile(r"^(https?)://[^/\s]+", re.IGNORECASE)


def parse_duration(value: str) -> float:
    """``"500ms"``/``"30s"``/``"2m"``/``"1h"``/``"30d"`` -> seconds; ValueError otherwise."""
    m = _DURATION.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a duration; write e.g. 500ms, 30s, 2m, 1h or 30d")
    return float(m.group(1)) * _SECONDS[m.group(2)]


def http_url(value: str, what: str) -> str:
    """``value`` when it is an http(s) URL with a host (scheme lower-cased); ValueError naming
    ``what`` otherwise. SPEC §8: file:, gopher:, ftp:, data:, javascript: never load."""
    m = _HTTP_URL.match(value)
    if m:
        try:
            urlsplit(value).port  # noqa: B018 - raises for "[::1" or a port out of range
        except ValueError as exc:
            raise ValueError(f"{what} is not a valid URL ({exc})") from None
        return m.group(1).lower() + value[len(m.group(1)):]
    scheme = value.split(":", 1)[0] if ":" in value else ""
    if scheme and scheme.lower() not in ("http", "https"):
        raise ValueError(f"{what}: only http:// and https:// URLs are allowed, got scheme "
                         f"{scheme!r}")
    raise ValueError(f"{what} must be a URL such as https://app.example.com")
