"""The canonical page as a browser reaches it, and what its HTML references and declares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from launchready.probes.http import HttpProbe, HttpResponse

#: the most assets of one page a family fetches (big SPAs reference dozens of chunks)
MAX_ASSETS = 24


@dataclass(frozen=True, kw_only=True)
class PageRefs:
    """What the canonical page's HTML references and declares."""

    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    meta_csp: tuple[str, ...] = ()
    meta_referrer: str | None = None

    def assets(self) -> tuple[str, ...]:
        """Scripts then styles, de-duplicated, in page order."""
        return tuple(dict.fromkeys((*self.scripts, *self.styles)))


class _RefParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.meta_csp: list[str] = []
        self.meta_referrer: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            kind = a.get("as", "").lower()
            if "stylesheet" in rel or ("preload" in rel and kind == "style"):
                self.styles.append(a["href"])
            elif "modulepreload" in rel or ("preload" in rel and kind == "script"):
                self.scripts.append(a["href"])
        elif tag == "meta":
            equiv = a.get("http-equiv", "").lower()
            if equiv == "content-security-policy" and a.get("content"):
                self.meta_csp.append(a["content"])
            elif a.get("name", "").lower() == "referrer" and a.get("content"):
                self.meta_referrer = a["content"]


def parse_page(html: str, url: str) -> PageRefs:
    """Scripts, stylesheets and meta policies of ``html`` served at ``url`` (absolute URLs)."""
    parser = _RefParser()
    try:
        parser.feed(html)
        parser.close()
    except (ValueError, AssertionError):
        pass  # a broken page still yields what was read before the break
    base = urljoin(url, parser.base) if parser.base else url

    def absolute(refs: Iterable[str]) -> tuple[str, ...]:
        out = []
        for ref in refs:
            full = urljoin(base, ref.strip())
            if urlsplit(full).scheme in ("http", "https"):
                out.append(full.split("#", 1)[0])
        return tuple(dict.fromkeys(out))

    return PageRefs(scripts=absolute(parser.scripts), styles=absolute(parser.styles),
                    meta_csp=tuple(parser.meta_csp), meta_referrer=parser.meta_referrer)


def is_html(resp: HttpResponse) -> bool:
    """True for an HTML response (by type, or by a sniffed doctype/``<html``)."""
    ctype = (resp.header("content-type") or "").lower()
    if "html" in ctype:
        return True
    head = resp.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


@dataclass(frozen=True, kw_only=True)
class Page:
    """The canonical page as a browser reaches it: every hop, then the final response."""

    start: str
    hops: tuple[HttpResponse, ...]

    @property
    def final(self) -> HttpResponse:
        """The last response of the chain."""
        return self.hops[-1]

    @property
    def url(self) -> str:
        """The URL that produced the final response."""
        return self.final.url

    @property
    def ok(self) -> bool:
        """True when the final hop answered with a status (any status)."""
        return self.final.status is not None

    def refs(self) -> PageRefs:
        """Scripts and styles of the final page (empty for a non-HTML answer)."""
        if not self.ok or not is_html(self.final):
            return PageRefs()
        return parse_page(self.final.text, self.url)


async def fetch_page(probe: HttpProbe, url: str,
                     headers: Mapping[str, str] | None = None) -> Page:
    """Follow ``url``'s redirects the way a browser would and return every hop."""
    chain = await probe.follow(url, headers=headers)
    return Page(start=url, hops=chain.hops)


def failure_reason(resp: HttpResponse) -> str:
    """Why a request produced no answer, for an ``errors`` entry."""
    return f"{resp.url}: {resp.error or 'no response'}"
