"""Value rules the config models share: one duration grammar, one http(s) URL rule, upper-case
HTTP methods and unique names in a list of tables.

Durations are written ``500ms``, ``30s``, ``2m``, ``1h`` or ``30d`` everywhere in the file (the
expectation language's ``time < 500`` keeps its own milliseconds default, see ``expect``).
A URL key accepts only ``http://`` and ``https://`` with a host, in any letter case; the
scheme is stored in lower case so later comparisons need not care.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_HTTP_URL = re.compile(r"^(https?)://[^/\s]+", re.IGNORECASE)


#: no configured duration is longer than ten years (longer ones overflow date arithmetic)
MAX_DURATION_S = 3650 * 86400.0


def parse_duration(value: str) -> float:
    """``"500ms"``/``"30s"``/``"2m"``/``"1h"``/``"30d"`` -> seconds; ValueError otherwise."""
    m = _DURATION.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a duration; write e.g. 500ms, 30s, 2m, 1h or 30d")
    seconds = float(m.group(1)) * _SECONDS[m.group(2)]
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{value!r} is longer than 3650 days")
    return seconds


def parse_resolver(spec: str) -> tuple[str, int]:
    """``ADDR[:PORT]`` or ``[v6]:PORT`` -> (address, port); port defaults to 53.

    ``ValueError`` when ADDR is not an IP address or PORT not a number in 1-65535.
    """
    text = spec.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ("53" if not rest else "x")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "53"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{spec!r} is not ADDR[:PORT] with an IP address "
                         "(e.g. 127.0.0.1:5353 or [::1]:53)") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{spec!r}: the port must be a number from 1 to 65535")
    return host, int(port)


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


def upper(value: Any) -> Any:
    """A method written ``get`` is ``GET``; anything else is left for the field to judge."""
    return value.upper() if isinstance(value, str) else value


def unique_names(names: Iterable[str], what: str, why: str = "") -> None:
    """ValueError ``"<what> must be unique<why>; repeated: a, b"`` when a name repeats."""
    dupes = sorted(n for n, seen in Counter(names).items() if seen > 1)
    if dupes:
        raise ValueError(f"{what} must be unique{why}; repeated: {', '.join(dupes)}")
