"""Built frontend bundles: build directories on disk and the pages a live site serves.

A bundle file is scanned whole (a 300 KB single-line minified file is one line: the scanner's
windows keep that linear). A ``.map`` file is parsed and each ``sourcesContent`` entry scanned
as its own source, so a finding names the original file and line (``config.ts:7``) inside
the map. On a live site the page, its inline scripts (``__NEXT_DATA__``, ``window.__ENV``
blobs), its same-origin scripts, their ``sourceMappingURL`` targets and a probed ``<js>.map``
are fetched through the HTTP probe, each body capped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from launchready.secrets.scanner import Match, Scanner
from launchready.secrets.tree import Skipped, read_capped, walk

if TYPE_CHECKING:
    from launchready.probes.http import HttpProbe, HttpResponse

DEFAULT_BUNDLE_DIRS = ("dist", "build", ".next/static", "out", ".output/public",
                       ".svelte-kit/output", "public/build")
MAX_BUNDLE_BYTES = 50 << 20
#: a live script or source map is read up to this; a longer one makes the scan incomplete
MAX_REMOTE_BYTES = 32 << 20
MAX_SCRIPTS = 40
_SCRIPT_SRC = re.compile(rb"<script\b[^>]{0,2000}?\bsrc\s*=\s*[\"']([^\"'>]{1,2000})[\"']", re.I)
_MAP_URL = re.compile(rb"[#@]\s*sourceMappingURL=([^\s'\"*]{1,2000})")


@dataclass(frozen=True, kw_only=True)
class BundleHit:
    """A secret in a bundle: ``where`` is the file or URL, ``source`` the map's source name."""

    where: str
    match: Match
    source: str | None = None

    @property
    def location(self) -> str:
        """Human-readable place, e.g. ``dist/app.js:1`` or ``app.js.map -> src/config.ts:7``."""
        if self.source is not None:
            return f"{self.where} -> {self.source}:{self.match.line}"
        return f"{self.where}:{self.match.line}"


@dataclass(frozen=True, kw_only=True)
class BundleScan:
    """Everything found in bundles, what was skipped and what could not be fetched."""

    hits: tuple[BundleHit, ...]
    skipped: tuple[Skipped, ...] = ()
    errors: tuple[str, ...] = ()
    scanned: int = 0
    #: bodies cut at :data:`MAX_REMOTE_BYTES`: only their beginning was scanned
    incomplete: tuple[str, ...] = ()


def scan_map(data: bytes, where: str, scanner: Scanner) -> list[BundleHit] | None:
    """Hits inside a source map's ``sourcesContent``; None when ``data`` is not a source map."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("sourcesContent"), list):
        return None
    raw_sources = doc.get("sources")
    sources: list[object] = raw_sources if isinstance(raw_sources, list) else []
    hits = []
    for i, content in enumerate(doc["sourcesContent"]):
        if not isinstance(content, str):
            continue
        name = str(sources[i]) if i < len(sources) else f"source #{i}"
        for m in scanner.scan(content.encode("utf-8", "surrogatepass")):
            hits.append(BundleHit(where=where, match=m, source=name))
    return hits


def scan_blob(data: bytes, where: str, scanner: Scanner) -> list[BundleHit]:
    """Hits in one bundle file or response body (a map is read through its sources)."""
    if where.endswith(".map") or (data[:1] == b"{" and b'"sourcesContent"' in data[:4096]):
        mapped = scan_map(data, where, scanner)
        if mapped is not None:
            return mapped
    return [BundleHit(where=where, match=m) for m in scanner.scan(data)]


def scan_bundle_dirs(dirs: list[Path], scanner: Scanner) -> BundleScan:
    """Scan every file under the build directories (ignore files do not apply to builds)."""
    hits: list[BundleHit] = []
    skipped: list[Skipped] = []
    scanned = 0
    for d in dirs:
        if not d.exists():
            skipped.append(Skipped(path=str(d), reason="not found"))
            continue
        files = [d] if d.is_file() else list(walk(d))
        for f in files:
            shown = str(f)
            data = read_capped(f, root=d if d.is_dir() else d.parent,
                               max_bytes=MAX_BUNDLE_BYTES)
            if isinstance(data, Skipped):
                skipped.append(Skipped(path=shown, reason=data.reason))
                continue
            scanned += 1
            hits.extend(scan_blob(data, shown, scanner))
    return BundleScan(hits=tuple(hits), skipped=tuple(skipped), scanned=scanned)


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _cut(resp: HttpResponse) -> str | None:
    if not resp.truncated:
        return None
    return (f"{resp.url}: over the {MAX_REMOTE_BYTES >> 20} MiB cap; only its first "
            f"{MAX_REMOTE_BYTES >> 20} MiB were scanned")


async def crawl(http: HttpProbe, url: str, scanner: Scanner) -> BundleScan:
    """Fetch a page, its same-origin scripts and their source maps; scan each body."""
    hits: list[BundleHit] = []
    errors: list[str] = []
    cut: list[str] = []
    page = await http.fetch(url, max_body=MAX_REMOTE_BYTES)
    if page.status is None or page.status >= 400:
        return BundleScan(hits=(), errors=(f"{url}: {page.error or f'HTTP {page.status}'}",))
    base = page.url or url
    hits.extend(scan_blob(page.body, base, scanner))
    cut.extend(c for c in [_cut(page)] if c)
    scripts: list[str] = []
    for m in _SCRIPT_SRC.finditer(page.body):
        src = urljoin(base, m.group(1).decode("utf-8", "replace").strip())
        if _same_origin(base, src) and src not in scripts:
            scripts.append(src)
    scanned = 1
    maps_done: set[str] = set()
    for src in scripts[:MAX_SCRIPTS]:
        resp = await http.fetch(src, max_body=MAX_REMOTE_BYTES)
        if resp.status != 200:
            errors.append(f"{src}: {resp.error or f'HTTP {resp.status}'}")
            continue
        scanned += 1
        hits.extend(scan_blob(resp.body, src, scanner))
        cut.extend(c for c in [_cut(resp)] if c)
        found = _MAP_URL.findall(resp.body[-4096:])
        candidates = [urljoin(src, found[-1].decode("utf-8", "replace"))] if found else []
        candidates.append(src.split("?", 1)[0] + ".map")
        for map_url in candidates:
            if map_url in maps_done or not _same_origin(base, map_url) \
                    or map_url.startswith("data:"):
                continue
            maps_done.add(map_url)
            mresp = await http.fetch(map_url, max_body=MAX_REMOTE_BYTES)
            if mresp.status == 200:
                scanned += 1
                # a cut map is not JSON: it is scanned as text, and reported incomplete
                hits.extend(scan_blob(mresp.body, map_url, scanner) if mresp.truncated
                            else scan_map(mresp.body, map_url, scanner) or [])
                cut.extend(c for c in [_cut(mresp)] if c)
                break
    return BundleScan(hits=tuple(hits), errors=tuple(errors), scanned=scanned,
                      incomplete=tuple(cut))
