"""URLs of the web-surface checks: the canonical page, origins, paths, fingerprinted names."""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import urlsplit


class _AppLike(Protocol):
    @property
    def canonical(self) -> str | None: ...

    @property
    def domain(self) -> str | None: ...


def page_url(app: _AppLike) -> str | None:
    """The canonical page to judge: ``[app] canonical``, else ``https://<domain>/``."""
    if app.canonical:
        url = app.canonical.strip()
        return url if urlsplit(url).path else url + "/"
    if app.domain:
        return f"https://{app.domain.strip().rstrip('.')}/"
    return None


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def same_origin(a: str, b: str) -> bool:
    """True when both URLs share scheme, host and port (RFC 6454 §4)."""
    return origin(a) == origin(b)


def site_url(base: str, path: str) -> str:
    """``path`` (``/x`` or a full URL) resolved against ``base``'s origin."""
    if "://" in path:
        return path
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/{path.lstrip('/')}"


def path_of(url: str) -> str:
    """The path and query of ``url`` (``/`` when empty), for targets and identities."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


_TOKEN_SPLIT = re.compile(r"[.\-_~]")
_HEX = re.compile(r"[0-9a-f]{6,}")
_ALNUM = re.compile(r"[0-9A-Za-z]{8,}")


def _hash_like(token: str) -> bool:
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    if not (has_digit and has_letter):
        return False
    return bool(_HEX.fullmatch(token) or _ALNUM.fullmatch(token))


def is_fingerprinted(url: str) -> bool:
    """True when the file name carries a content hash: ``app.3f9a1c.js``, ``index-BkE3x9Qz.js``.

    Such names change whenever the content does, so they can be cached for a year.
    """
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return any(_hash_like(t) for t in _TOKEN_SPLIT.split(stem))
