"""TLS008 — mixed content, and the page facts the matrix compares (pure functions).

What: the canonical page's HTML (the final page the canonical URL lands on, over HTTPS) is parsed
with the standard library's ``html.parser``; every subresource it loads over ``http://`` is
reported: ``script``/``img``/``iframe``/``frame``/``audio``/``video``/``source``/``track``/
``embed``/``input type=image`` ``src``, ``img``/``source`` ``srcset``, ``object`` ``data``,
``link`` ``href`` for stylesheets, icons, preloads and manifests, and ``form`` ``action`` (a
form posting over plain HTTP sends the buyer's input in clear). ``<a href>`` and
``<link rel=canonical>`` are navigation, not subresources, and are not counted.

Why: browsers block mixed scripts, stylesheets and frames outright (the page renders broken in
front of the buyer) and mark the page "Not secure" for mixed images; a form posting to
``http://`` shows a full warning before submitting.

Fix: load every resource over ``https://`` (or a relative ``/path``); as a safety net send
``Content-Security-Policy: upgrade-insecure-requests``.

Pass: ``<script src="/static/app.js">``. Fail: ``<script src="http://cdn.example/app.js">``.

The module also extracts the page ``<title>`` and recognises well-known default and parking
pages, which WEB010 uses to tell whether a subdomain serves the app.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

# (tag, attribute) pairs whose URL the browser fetches as part of the page
_SRC_TAGS = frozenset({"script", "img", "iframe", "frame", "audio", "video", "source", "track",
                       "embed"})
_LINK_RELS = frozenset({"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload",
                        "modulepreload", "prefetch", "manifest", "mask-icon"})
_MAX_TITLE = 200


@dataclass(frozen=True, kw_only=True)
class Subresource:
    """One insecure subresource reference."""

    tag: str
    attribute: str
    url: str


@dataclass(frozen=True, kw_only=True)
class PageFacts:
    """What the matrix needs from one HTML page."""

    title: str | None
    insecure: tuple[Subresource, ...]


def _title_text(parts: list[str]) -> str:
    # RCDATA still decodes character references (&amp; -> &)
    return " ".join(html.unescape("".join(parts)).split())[:_MAX_TITLE]


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self._in_title = False
        self.title_parts: list[str] = []
        self.insecure: list[Subresource] = []

    def _check(self, tag: str, attribute: str, value: str | None) -> None:
        if value is not None and value.strip().lower().startswith("http://"):
            self.insecure.append(Subresource(tag=tag, attribute=attribute, url=value.strip()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v for k, v in attrs}
        if tag == "title" and self.title is None:
            self._in_title = True
            # HTML §13.2.6.2: <title> is RCDATA — markup inside it is text (browsers show
            # "<script>" in the tab); the stdlib parser would otherwise read it as tags
            self.set_cdata_mode("title")
        if tag in _SRC_TAGS:
            self._check(tag, "src", values.get("src"))
        if tag in ("img", "source") and values.get("srcset"):
            for candidate in (values.get("srcset") or "").split(","):
                self._check(tag, "srcset", candidate.strip().split(" ")[0] or None)
        if tag == "video":
            self._check(tag, "poster", values.get("poster"))
        if tag == "object":
            self._check(tag, "data", values.get("data"))
        if tag == "input" and (values.get("type") or "").lower() == "image":
            self._check(tag, "src", values.get("src"))
        if tag == "form":
            self._check(tag, "action", values.get("action"))
        if tag == "link":
            rels = set((values.get("rel") or "").lower().split())
            if rels & _LINK_RELS:
                self._check(tag, "href", values.get("href"))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = _title_text(self.title_parts)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)


def page_facts(html: str) -> PageFacts:
    """Title and insecure subresources of an HTML document; never raises on bad markup."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    title = parser.title
    # keep the order of appearance, once per URL
    unique = {s.url: s for s in reversed(parser.insecure)}
    ordered = sorted(unique.values(), key=parser.insecure.index)
    return PageFacts(title=title, insecure=tuple(ordered))


# Titles (or body phrases) of pages that mean "nothing deployed here": web server defaults,
# parking pages and hosting platforms' "no such site" pages.
DEFAULT_PAGE_MARKERS: tuple[tuple[str, str], ...] = (
    ("welcome to nginx!", "nginx default page"),
    ("apache2 ubuntu default page", "Apache default page"),
    ("apache2 debian default page", "Apache default page"),
    ("test page for the apache http server", "Apache test page"),
    ("it works!", "web server default page"),
    ("iis windows server", "IIS default page"),
    ("welcome to caddy", "Caddy default page"),
    ("domain is parked", "parking page"),
    ("this domain is for sale", "parking page"),
    ("domain for sale", "parking page"),
    ("there isn't a github pages site here", "GitHub Pages: no site"),
    ("heroku | no such app", "Heroku: no such app"),
    ("no such app", "hosting platform: no such app"),
    ("deployment_not_found", "Vercel: deployment not found"),
    ("site not found", "hosting platform: site not found"),
    ("the specified bucket does not exist", "storage bucket missing"),
    ("nosuchbucket", "storage bucket missing"),
)


def default_page(title: str | None, body: str) -> str | None:
    """The kind of default/parking page this is, or None."""
    haystack_title = (title or "").lower()
    head = body[:4096].lower()
    for marker, kind in DEFAULT_PAGE_MARKERS:
        if marker in haystack_title or marker in head:
            return kind
    return None
