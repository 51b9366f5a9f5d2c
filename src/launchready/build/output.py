"""Facts about a build's public output: source maps, local or preview URLs, debug flags, and
the size of each entry file. Files are read, never executed."""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

MAX_FILE_BYTES = 20 << 20
TEXT_EXT = (".js", ".mjs", ".cjs", ".css", ".html", ".htm", ".json", ".txt", ".xml",
            ".webmanifest", ".svg")
ENTRY_EXT = (".js", ".mjs", ".css")

_URL = re.compile(rb"""(?i)\bhttps?://(?:[a-z0-9_.~%!$&'()*+,;=:-]+@)?"""
                  rb"""(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::\d{1,5})?""")
_LOCAL = re.compile(r"(?i)^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|0\.0\.0\.0|\[::1?\]|"
                    r"[a-z0-9-]+\.(?:local|localhost|internal|test))$")
_PREVIEW = re.compile(r"(?i)^(?:[a-z0-9-]+-git-[a-z0-9-]+|[a-z0-9-]+-[a-z0-9]{9}-[a-z0-9-]+)"
                      r"\.vercel\.app$|^deploy-preview-\d+--[a-z0-9-]+\.netlify\.app$|"
                      r"^[a-z0-9-]+--[a-z0-9-]+\.netlify\.app$|^pr-\d+[.-].+$")
_STAGING = re.compile(r"(?i)^(?:[a-z0-9-]+[.-])?(?:staging|stage|stg|preview|uat)"
                      r"(?:[.-][a-z0-9-]+)*\.[a-z]{2,}$"
                      r"|^(?:[a-z0-9-]+\.)?dev\.[a-z0-9-]+\.[a-z]{2,}$")
_DEBUG = re.compile(
    rb"""(?<![A-Za-z0-9_$.])["']?((?:[A-Z0-9_]*_)?DEBUG|debug(?:Mode)?|__DEV__|enableDebug)"""
    rb"""["']?\s*[:=]\s*(!0|true|"true"|'true'|"1"|'1')(?![A-Za-z0-9_])"""
    rb"""|\bNODE_ENV["']?\s*[:=]\s*["']development["']""")
_MAP_INLINE = re.compile(rb"[#@]\s*sourceMappingURL=data:application/json")


@dataclass(frozen=True, kw_only=True)
class Shipped:
    """Something in the output that should not be public: kind, what, and where."""

    kind: str  # "source map", "local URL", "preview URL", "staging URL", "debug flag"
    value: str
    files: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EntrySize:
    """One JavaScript or CSS file of the output, with its raw and gzip size."""

    path: str
    bytes: int
    gzip_bytes: int


@dataclass(frozen=True, kw_only=True)
class OutputFacts:
    """What the output directory holds."""

    root: str
    files: int
    shipped: tuple[Shipped, ...]
    entries: tuple[EntrySize, ...]


def url_kind(host: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """``local URL``/``preview URL``/``staging URL`` for a host that should not ship, else None."""
    host = host.lower().rstrip(".")
    if host in allowed:
        return None
    if _LOCAL.match(host):
        return "local URL"
    if _PREVIEW.match(host):
        return "preview URL"
    if _STAGING.match(host):
        return "staging URL"
    return None


def _clean_url(raw: bytes) -> str:
    text = raw.decode("ascii", "replace")
    parts = urlsplit(text)
    # a URL's user:password never reaches a finding
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}"


def scan_output(root: Path, *, allowed_hosts: frozenset[str] = frozenset()) -> OutputFacts:
    """Walk ``root`` and collect what should not be public and the entry sizes."""
    found: dict[tuple[str, str], list[str]] = {}
    entries: list[EntrySize] = []
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            count += 1
            if name.endswith(".map"):
                found.setdefault(("source map", "*.map files"), []).append(rel)
                continue
            if path.is_symlink() or not name.endswith(TEXT_EXT):
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if name.endswith(ENTRY_EXT):
                entries.append(EntrySize(path=rel, bytes=len(data),
                                         gzip_bytes=len(gzip.compress(data, 6))))
            if _MAP_INLINE.search(data):
                found.setdefault(("source map", "inline sourceMappingURL"), []).append(rel)
            for m in _URL.finditer(data):
                kind = url_kind(m.group(1).decode("ascii", "replace"), allowed_hosts)
                if kind is not None:
                    found.setdefault((kind, _clean_url(m.group(0))), []).append(rel)
            for m in _DEBUG.finditer(data):
                shown = re.sub(r"\s+", "", m.group(0).decode("utf-8", "replace"))[:60]
                found.setdefault(("debug flag", shown), []).append(rel)
    shipped = tuple(Shipped(kind=k, value=v, files=tuple(dict.fromkeys(f)))
                    for (k, v), f in sorted(found.items()))
    entries.sort(key=lambda e: (-e.bytes, e.path))
    return OutputFacts(root=str(root), files=count, shipped=shipped, entries=tuple(entries))
