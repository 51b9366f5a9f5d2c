"""WEB005 and WEB006 — caching that makes the demo fast, and caching that leaks accounts.

What: WEB005 (low): the canonical page is fetched with ``Accept-Encoding: gzip, br`` (``gzip`` alone
when this install cannot decode Brotli) and so are the same-origin scripts and stylesheets it
references (at most 24).

* A fingerprinted asset — a name carrying a content hash such as ``app.3f9a1c.js`` or
  ``index-BkE3x9Qz.js`` — must be cacheable for at least 30 days: ``Cache-Control`` with
  ``immutable`` or ``max-age`` ≥ 2592000 (RFC 9111 §5.2.2.1; RFC 8246 for ``immutable``), and
  no ``no-store``/``no-cache``. Its name changes whenever its content does, so a long lifetime is
  free; without it every page view re-downloads or revalidates the bundle.
* A text response (HTML, JS, CSS, JSON, SVG, XML) of 1 KiB or more must come back with a
  ``Content-Encoding`` (gzip, br or zstd) since the request offered one (RFC 9110 §12.5.3).

One finding per kind (uncached assets, uncompressed responses) per page, listing up to five
URLs; the fingerprint does not depend on the hashes in file names, so a redeploy does not
reopen a baselined finding.

WEB006 (high): each authenticated path (``[web] auth_paths``, else the smoke flow's GET steps
after its login) is fetched with the session — a ``[web] auth_header``/``auth_cookie``, or the
cookie the smoke login step returns. A 2xx answer may be stored by a shared cache (CDN, company
proxy) and served to the next user unless (RFC 9111 §3, §3.5, §4.1):

* ``Cache-Control`` has ``no-store``, or ``private`` without field names; or
* ``Vary`` names the credential (``Cookie`` for a cookie session, ``Authorization`` for a
  header one) or is ``*``; or
* the credential is an ``Authorization`` header and neither ``public``, ``s-maxage`` nor
  ``must-revalidate`` is present (shared caches then refuse to store it, §3.5).

Why: WEB005 is seconds of load time on a sales call over hotel Wi-Fi; WEB006 is one customer's
dashboard served from a CDN to another customer — the kind of incident that ends a pilot.

Fix: nginx ``location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"
always; }`` and ``gzip on; gzip_types text/css application/javascript application/json;``;
authenticated API responses ``Cache-Control: private, no-store`` and ``Vary: Cookie``.

Pass: ``/static/js/app.3f9a1c.js`` with ``Cache-Control: public, max-age=31536000, immutable``
and ``Content-Encoding: gzip``; ``GET /api/dashboard`` with ``Cache-Control: private, no-store``.
Fail: the same bundle with ``Cache-Control: no-cache``; ``GET /api/dashboard`` with
``Cache-Control: public, max-age=300`` and no ``Vary: Cookie``.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._headers import cache_directives, seconds
from launchready.checks.web._html import MAX_ASSETS, Page, failure_reason, fetch_page
from launchready.checks.web._session import SessionOptions
from launchready.checks.web._urls import is_fingerprinted, page_url, path_of, same_origin, site_url
from launchready.model import Finding
from launchready.probes.http import HttpResponse

#: RFC 9111 §5.2.2.1 max-age; 30 days is the floor for a content-hashed file
LONG_LIVED = 30 * 24 * 3600
#: bodies under this gain little from compression (and servers rightly skip them)
COMPRESS_MIN = 1024
COMPRESSED = frozenset({"gzip", "br", "zstd", "deflate", "x-gzip"})
_TEXT_TYPES = ("text/", "javascript", "json", "xml", "svg", "ecmascript")


def accept_encoding() -> str:
    """What the probe offers: ``gzip, br`` when this install can decode Brotli, else ``gzip``."""
    brotli = any(importlib.util.find_spec(m) is not None for m in ("brotli", "brotlicffi"))
    return "gzip, br" if brotli else "gzip"


# --- WEB005 --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class AssetObs:
    """The canonical page and its same-origin assets, fetched with compression offered."""

    page: Page
    assets: tuple[HttpResponse, ...] = ()
    accept_encoding: str = "gzip, br"


def cache_problem(resp: HttpResponse) -> str | None:
    """Why a fingerprinted asset is not cached long enough, or None when it is."""
    values = resp.header_all("cache-control")
    cc = cache_directives(values)
    shown_cc = f"Cache-Control: {shown(', '.join(values))}" if values else "no Cache-Control"
    if "no-store" in cc or "no-cache" in cc:
        return shown_cc
    if "immutable" in cc:
        return None
    age = seconds(cc.get("max-age"))
    if age is not None and age >= LONG_LIVED:
        return None
    return shown_cc


def is_text(resp: HttpResponse) -> bool:
    """True for a textual response type worth compressing."""
    ctype = (resp.header("content-type") or "").lower()
    return any(t in ctype for t in _TEXT_TYPES)


def compression_problem(resp: HttpResponse) -> str | None:
    """Why a text response should have been compressed, or None."""
    if resp.status is None or not 200 <= resp.status < 300 or not is_text(resp):
        return None
    if len(resp.body) < COMPRESS_MIN:
        return None
    encodings = {e.strip().lower() for v in resp.header_all("content-encoding")
                 for e in v.split(",")}
    if encodings & COMPRESSED:
        return None
    size = f"{len(resp.body) // 1024}+ KiB" if resp.truncated else f"{len(resp.body)} bytes"
    ctype = shown((resp.header("content-type") or "").split(";")[0], 40)
    return f"{ctype}, {size}, no Content-Encoding"


def _listed(items: Sequence[str]) -> str:
    head = "; ".join(items[:5])
    return head + (f"; and {len(items) - 5} more" if len(items) > 5 else "")


def asset_findings(obs: AssetObs) -> list[Finding]:
    """WEB005 findings for one page and its assets."""
    rule = meta("WEB005")
    out: list[Finding] = []
    uncached = []
    for resp in obs.assets:
        if resp.status is None or not 200 <= resp.status < 300 or not is_fingerprinted(resp.url):
            continue
        problem = cache_problem(resp)
        if problem is not None:
            uncached.append(f"{path_of(resp.url)} ({problem})")
    if uncached:
        n = len(uncached)
        out.append(make_finding(
            rule, target=obs.page.url, identity="cache:fingerprinted",
            title="Fingerprinted assets without long-lived caching",
            evidence=f"{n} fingerprinted asset{'s' if n != 1 else ''}: {_listed(uncached)}",
            impact=("Every page view re-downloads or revalidates the bundles, adding round "
                    "trips and seconds on slow connections."),
            fix=fixes(
                lead=("Serve content-hashed files for a year; their names change on every "
                      "build, so users never see stale code"),
                nginx=('`location ~* "\\.[0-9a-f]{6,}\\.(js|css)$" { add_header '
                       'Cache-Control "public, max-age=31536000, immutable" always; }` (the '
                       "quotes are needed around a regex with braces)"),
                caddy=('`@assets path /assets/* /static/*` and `header @assets Cache-Control '
                       '"public, max-age=31536000, immutable"` (hashed files only)'),
                cloudflare=("Caching → Cache Rules: match the assets path, Edge and Browser "
                            "TTL 1 year (Transform Rule to set Cache-Control)"),
                vercel=('`{"headers": [{"source": "/assets/(.*)", "headers": [{"key": '
                        '"Cache-Control", "value": "public, max-age=31536000, immutable"}]}]}`'),
                netlify="`/assets/*` then `  Cache-Control: public, max-age=31536000, immutable`",
                python=("WhiteNoise (`STORAGES` with CompressedManifestStaticFilesStorage) "
                        "does it for Django; Starlette: set the header in a middleware for "
                        "/static/"))))
    uncompressed = []
    for resp in (obs.page.final, *obs.assets):
        problem = compression_problem(resp)
        if problem is not None:
            uncompressed.append(f"{path_of(resp.url)} ({problem})")
    if uncompressed:
        out.append(make_finding(
            rule, target=obs.page.url, identity="compression",
            title="Text responses not compressed",
            evidence=(f"requested with Accept-Encoding: {obs.accept_encoding}; "
                      f"{_listed(uncompressed)}"),
            impact=("Pages and bundles travel 3–5 times larger than needed, slowing the first "
                    "load on mobile and hotel networks."),
            fix=fixes(
                nginx=("`gzip on; gzip_types text/css application/javascript application/json "
                       "image/svg+xml; gzip_min_length 1024;` (plus `brotli on;` with the brotli "
                       "module)"),
                caddy="`encode zstd gzip` in the site block",
                cloudflare="Speed → Optimization → Content Optimization: Brotli on (default)",
                vercel="compression is automatic; check that no rewrite proxies an "
                       "uncompressed upstream",
                netlify="compression is automatic for text; check proxied paths",
                python=("Starlette/FastAPI `app.add_middleware(GZipMiddleware, "
                        "minimum_size=1024)`; Django `django.middleware.gzip.GZipMiddleware`"))))
    return out


class AssetCachingChecks(CheckFamily[AssetObs]):
    """WEB005 on the canonical page and its same-origin scripts and stylesheets."""

    rule_ids = ("WEB005",)

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    async def gather(self, ctx: Context) -> AssetObs:
        url = page_url(ctx.config.app) or ""
        offer = accept_encoding()
        headers = {"Accept-Encoding": offer}
        page = await fetch_page(ctx.probes.http, url, headers=headers)
        if not page.ok:
            return AssetObs(page=page, accept_encoding=offer)
        assets = [a for a in page.refs().assets() if same_origin(a, page.url)][:MAX_ASSETS]
        fetched = await asyncio.gather(
            *(ctx.probes.http.fetch(a, headers=headers) for a in assets))
        return AssetObs(page=page, assets=tuple(fetched), accept_encoding=offer)

    def evaluate(self, obs: AssetObs, ctx: Context) -> Outcome:
        if not obs.page.ok:
            return Outcome(errors={"WEB005": f"could not fetch the page: "
                                             f"{failure_reason(obs.page.final)}"})
        return Outcome(findings=tuple(asset_findings(obs)))


# --- WEB006 --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class AuthObs:
    """Authenticated responses, and how the session was obtained."""

    credential: str  # "cookie" or "header"
    responses: tuple[HttpResponse, ...] = ()
    login_error: str | None = None


def shared_cache_problem(resp: HttpResponse, *, credential: str) -> str | None:
    """Why a shared cache may store this authenticated response, or None when it may not."""
    values = resp.header_all("cache-control")
    cc = cache_directives(values)
    vary = {v.strip().lower() for line in resp.header_all("vary") for v in line.split(",")}
    # RFC 9111 §5.2.2.5 / §5.2.2.7: no-store forbids storing; an unqualified private forbids
    # shared caches (private="Set-Cookie" only keeps those fields out)
    if "no-store" in cc or ("private" in cc and not cc["private"]):
        return None
    # RFC 9111 §4.1: a stored response is only reused for requests with matching Vary fields
    if "*" in vary or ("cookie" in vary and credential == "cookie") or (
            "authorization" in vary and credential == "header"):
        return None
    # RFC 9111 §3.5: responses to requests with Authorization are not stored by shared caches
    # unless the response explicitly allows it
    if credential == "header" and not ({"public", "s-maxage", "must-revalidate"} & cc.keys()):
        return None
    seen = f"Cache-Control: {shown(', '.join(values))}" if values else "no Cache-Control"
    wanted = "Cookie" if credential == "cookie" else "Authorization"
    return f"{seen}; no Vary: {wanted}"


def _credential_kind(headers: Mapping[str, str]) -> str:
    return "cookie" if any(k.lower() == "cookie" for k in headers) else "header"


def auth_findings(obs: AuthObs) -> list[Finding]:
    """WEB006 findings, one per authenticated path a shared cache could store."""
    rule = meta("WEB006")
    out: list[Finding] = []
    for resp in obs.responses:
        if resp.status is None or not 200 <= resp.status < 300:
            continue
        problem = shared_cache_problem(resp, credential=obs.credential)
        if problem is None:
            continue
        vary = "Cookie" if obs.credential == "cookie" else "Authorization"
        out.append(make_finding(
            rule, target=resp.url, identity=path_of(resp.url),
            evidence=f"{resp.method} {path_of(resp.url)} with a session → {resp.status}; {problem}",
            impact=("A CDN or company proxy may store one customer's data and serve it to the "
                    "next visitor of the same URL."),
            fix=fixes(
                lead=(f"Mark every authenticated response `Cache-Control: private, no-store` "
                      f"and `Vary: {vary}`, in the app or at the edge for /api/"),
                nginx=('`location /api/ { add_header Cache-Control "private, no-store" always; '
                       f'add_header Vary "{vary}" always; proxy_hide_header Cache-Control; }}`'),
                caddy=f'`header /api/* Cache-Control "private, no-store"` and '
                      f'`header /api/* Vary "{vary}"`',
                cloudflare=("Cache Rules: Bypass cache for /api/*, and Transform Rules → "
                            "Modify Response Header: set `Cache-Control: private, no-store`"),
                vercel=('`{"headers": [{"source": "/api/(.*)", "headers": [{"key": '
                        '"Cache-Control", "value": "private, no-store"}]}]}`'),
                netlify="`/api/*` then `  Cache-Control: private, no-store`",
                python=("Starlette: `response.headers[\"Cache-Control\"] = \"private, "
                        "no-store\"` in an auth middleware; Django: "
                        "`@cache_control(private=True, no_store=True)` and `@vary_on_cookie`"))))
    return out


class AuthCachingChecks(SessionOptions, CheckFamily[AuthObs]):
    """WEB006 on the authenticated paths, with a configured or freshly logged-in session."""

    rule_ids = ("WEB006",)

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        plan = self.plan(ctx.config)
        if not plan.available:
            return ("no session to test with: set [web] auth_cookie = \"${WEB_COOKIE}\" (or "
                    "auth_header) and auth_paths, or add a smoke login step")
        if not plan.paths:
            return "no authenticated paths: set [web] auth_paths = [\"/api/...\"]"
        return None

    async def gather(self, ctx: Context) -> AuthObs:
        page = page_url(ctx.config.app) or ""
        session = await self.session(ctx.probes.http, ctx.config, ctx.environ, page)
        if session.error is not None:
            return AuthObs(credential="cookie", login_error=session.error)
        responses = await asyncio.gather(
            *(ctx.probes.http.fetch(site_url(session.base, p), headers=session.headers)
              for p in session.paths))
        return AuthObs(credential=_credential_kind(session.headers),
                       responses=tuple(responses))

    def evaluate(self, obs: AuthObs, ctx: Context) -> Outcome:
        if obs.login_error is not None:
            return Outcome(errors={"WEB006": obs.login_error})
        judged = [r for r in obs.responses if r.status is not None and 200 <= r.status < 300]
        if not judged:
            seen = "; ".join(f"{path_of(r.url)}: {r.status or r.error}" for r in obs.responses)
            return Outcome(errors={"WEB006": "no authenticated path answered 2xx with the "
                                             f"session ({seen})"})
        return Outcome(findings=tuple(auth_findings(obs)))
