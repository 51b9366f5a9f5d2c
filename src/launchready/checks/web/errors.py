"""WEB007 — do error pages leak stack traces, debug pages or software versions?

What: on the canonical host, launchready requests a path that should not exist
(``/launchready-probe-404``), two malformed requests (``/launchready-probe%00`` with an encoded
NUL byte, and ``/?launchready-probe=%FF%FE`` with a query that is not UTF-8) and any
``error_paths`` given to the family or in ``[web]``; the canonical page itself is read for
banners too. Bodies are read up to the probe's cap. A response fails on:

* a stack trace — Python ``Traceback (most recent call last)``, Java ``Exception in thread`` or
  ``at com.…(File.java:12)``, Node ``at Object.<anonymous>`` / ``node_modules/``, PHP
  ``Fatal error: … on line``, .NET ``Server Error in '/' Application``, Ruby ``…rb:12:in``;
* a framework debug page — Django ``DEBUG = True``, the Werkzeug debugger, Rails "Action
  Controller: Exception caught", Laravel/Ignition and Symfony error pages, phpinfo();
* a version banner — ``Server: nginx/1.22.1``, ``X-Powered-By: Express`` (any value),
  ``X-AspNet-Version``, or a product/version such as ``aiohttp/3.9`` in an error body.

Traces and debug pages are high (they show code paths, settings and sometimes secrets);
version banners alone are medium: they only shorten an attacker's search for a known CVE. One
finding per kind per target.

Why: a traceback on screen during a demo looks unfinished, and a debug page is often a shell: the
Werkzeug console runs Python, Django's page lists settings and environment.

Fix: turn debug off in production (``DEBUG = False``, ``FLASK_DEBUG=0``, ``APP_DEBUG=false``,
``NODE_ENV=production``), serve a generic error page, and hide versions (nginx
``server_tokens off;``, Express ``app.disable("x-powered-by")``).

Pass: ``GET /launchready-probe-404`` → ``404`` "Page not found" with ``Server: nginx``.
Fail: a 500 page containing ``Traceback (most recent call last)`` (high), or
``Server: Python/3.12 aiohttp/3.9.5`` (medium).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._urls import page_url, path_of, site_url
from launchready.model import Finding, Severity
from launchready.probes.http import HttpResponse

PROBE_PATHS = ("/launchready-probe-404", "/launchready-probe%00", "/?launchready-probe=%FF%FE")

# (kind, label, pattern): kind "trace" or "debug"; patterns are matched on the body text
_LEAKS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("trace", "Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("trace", "Java stack trace", re.compile(
        r"Exception in thread \"|\bat (?:com|org|java|javax|jdk|io|net)\.[\w$.]+\([\w$]+\.java"
        r":\d+\)")),
    ("trace", "Node.js stack trace", re.compile(
        r"at Object\.<anonymous>|at Module\._compile|\(?/[\w./-]*node_modules/[\w@./-]+\.[cm]?js"
        r":\d+")),
    ("trace", "PHP error", re.compile(
        r"(?:Fatal error|Parse error|Warning|Notice)(?:</b>)?:\s.{0,300}? on line|"
        r"PHP (?:Fatal|Parse) error|Stack trace:\s*(?:<br\s*/?>)?\s*#0", re.DOTALL)),
    ("trace", ".NET error page", re.compile(
        r"Server Error in '[^']*' Application|\bSystem\.\w+Exception\b")),
    ("trace", "Ruby backtrace", re.compile(r"\.rb:\d+:in [`']")),
    ("debug", "Django debug page", re.compile(
        r"You're seeing this error because you have <code>DEBUG = True</code>|"
        r"Using the URLconf defined in")),
    ("debug", "Werkzeug debugger", re.compile(
        r"Werkzeug Debugger|The debugger caught an exception|__debugger__")),
    ("debug", "Rails debug page", re.compile(
        r"Action Controller: Exception caught|<h1>Routing Error</h1>")),
    ("debug", "Laravel/Ignition debug page", re.compile(
        r"Whoops! There was an error|Illuminate\\[A-Z]\w+|window\.ignite|ignition-")),
    ("debug", "Symfony debug page", re.compile(r"Symfony Exception|sf-toolbar|symfony/")),
    ("debug", "phpinfo() page", re.compile(r"<title>phpinfo\(\)</title>|PHP Version \d")),
)

#: product/version pairs worth hiding, as they appear in Server headers and error-page footers
_PRODUCTS = (r"nginx|openresty|Apache|Apache-Coyote|Apache Tomcat|lighttpd|Microsoft-IIS|"
             r"LiteSpeed|Caddy|Jetty|gunicorn|uvicorn|Werkzeug|aiohttp|Python|Express|PHP|"
             r"Kestrel|WildFly|GlassFish|Tornado|TwistedWeb|Phusion Passenger|Puma|WEBrick|"
             r"Node\.js|Next\.js|Django|Flask|Ruby")
_VERSIONED = re.compile(rf"\b(?:{_PRODUCTS})[/ ]v?\d+(?:\.\d+)+", re.IGNORECASE)
_VERSION_IN_HEADER = re.compile(r"[A-Za-z][\w.\- ]*/v?\d+(?:\.\d+)+")
_BANNER_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator",
                   "x-runtime-version")


@dataclass(frozen=True, kw_only=True)
class ErrorObs:
    """Responses to the probe requests (the canonical page first)."""

    page: str
    responses: tuple[HttpResponse, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Leak:
    """One leak seen in one response."""

    kind: str  # "trace", "debug" or "banner"
    label: str
    excerpt: str
    response: HttpResponse


def _excerpt(text: str, match: re.Match[str]) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start:end if end != -1 else len(text)]
    return shown(re.sub(r"<[^>]{0,200}>", " ", line) or match.group(0), 120)


def leaks_in(resp: HttpResponse, *, error_page: bool) -> list[Leak]:
    """Traces, debug pages and banners in one response.

    Body banners are only looked for on error pages: a marketing page may name versions.
    """
    out: list[Leak] = []
    if resp.status is None:
        return out
    text = resp.text
    if error_page or resp.status >= 400:
        for kind, label, pattern in _LEAKS:
            match = pattern.search(text)
            if match:
                out.append(Leak(kind=kind, label=label, excerpt=_excerpt(text, match),
                                response=resp))
    for value in resp.header_all("server"):
        if _VERSION_IN_HEADER.search(value):
            out.append(Leak(kind="banner", label="Server header",
                            excerpt=f"Server: {shown(value, 100)}", response=resp))
    for name in _BANNER_HEADERS:
        for value in resp.header_all(name):
            out.append(Leak(kind="banner", label=f"{name} header",
                            excerpt=f"{name.title()}: {shown(value, 100)}", response=resp))
    if error_page or resp.status >= 400:
        match = _VERSIONED.search(text)
        if match:
            out.append(Leak(kind="banner", label="version in error page",
                            excerpt=shown(match.group(0), 80), response=resp))
    return out


def _fix(kind: str) -> str:
    if kind == "banner":
        return fixes(
            lead="Hide product versions in headers and error pages",
            nginx="`server_tokens off;` in the http block (and `proxy_hide_header X-Powered-By;`)",
            caddy="`header -Server` and `header -X-Powered-By` in the site block",
            cloudflare=("Transform Rules → Modify Response Header: remove `X-Powered-By` "
                        "(Cloudflare replaces `Server` itself)"),
            vercel=("Next.js `poweredByHeader: false` in next.config.js; Express "
                    "`app.disable(\"x-powered-by\")`"),
            netlify="remove the header in the function or framework that sets it",
            python=("aiohttp: set `response.headers[\"Server\"]` in an on_response_prepare "
                    "hook; uvicorn `--no-server-header`; gunicorn behind nginx with "
                    "`proxy_hide_header Server`"))
    return fixes(
        lead=("Turn debug mode off in production and serve a generic error page that logs the "
              "trace with a reference id"),
        nginx=("`proxy_intercept_errors on; error_page 500 502 503 504 /50x.html;` to replace "
               "upstream error pages"),
        caddy="`handle_errors { respond \"Something went wrong\" }`",
        cloudflare="Custom Error Rules / custom error pages for 5xx responses",
        vercel="set `NODE_ENV=production` and add `pages/500.js` / `app/error.tsx`",
        netlify="set `NODE_ENV=production` and a custom `500.html`",
        python=("Django `DEBUG = False`; Flask `FLASK_DEBUG=0` and never `app.run(debug=True)`; "
                "Starlette `Starlette(debug=False)`; aiohttp: catch exceptions in a middleware "
                "and return a generic page"))


def error_findings(obs: ErrorObs) -> list[Finding]:
    """WEB007 findings: one per kind and label, first response that shows it."""
    rule = meta("WEB007")
    first: dict[tuple[str, str], Leak] = {}
    for index, resp in enumerate(obs.responses):
        for leak in leaks_in(resp, error_page=index > 0):
            first.setdefault((leak.kind, leak.label), leak)
    out = []
    for (kind, label), leak in first.items():
        resp = leak.response
        severity = Severity.MEDIUM if kind == "banner" else Severity.HIGH
        title = {"trace": f"Stack trace on an error page ({label})",
                 "debug": f"Debug page exposed ({label})",
                 "banner": f"Software version disclosed ({label})"}[kind]
        impact = ("Attackers read product versions and pick a matching known exploit."
                  if kind == "banner" else
                  "Error pages show code paths, settings and sometimes secrets to anyone, and "
                  "look unfinished to a buyer who hits one.")
        out.append(make_finding(
            rule, target=obs.page, identity=f"{kind}:{label}", severity=severity, title=title,
            evidence=f"{resp.method} {path_of(resp.url)} → {resp.status}: {leak.excerpt}",
            impact=impact, fix=_fix(kind)))
    return out


class ErrorPageChecks(CheckFamily[ErrorObs]):
    """WEB007 on error responses of the canonical host."""

    rule_ids = ("WEB007",)

    def __init__(self, *, error_paths: Sequence[str] | None = None) -> None:
        self._extra = tuple(error_paths or ())

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    def _paths(self, ctx: Context) -> tuple[str, ...]:
        web = getattr(ctx.config, "web", None)
        configured = tuple(str(p) for p in getattr(web, "error_paths", None) or ())
        return tuple(dict.fromkeys((*PROBE_PATHS, *self._extra, *configured)))

    async def gather(self, ctx: Context) -> ErrorObs:
        page = page_url(ctx.config.app) or ""
        http = ctx.probes.http
        urls = [page, *(site_url(page, p) for p in self._paths(ctx))]
        responses = await asyncio.gather(*(http.fetch(u) for u in urls))
        return ErrorObs(page=page, responses=tuple(responses))

    def evaluate(self, obs: ErrorObs, ctx: Context) -> Outcome:
        if obs.responses and all(r.status is None for r in obs.responses):
            return Outcome(errors={"WEB007": f"no answer from {obs.page}: "
                                             f"{obs.responses[0].error}"})
        return Outcome(findings=tuple(error_findings(obs)))
