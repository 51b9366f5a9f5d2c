"""WEB009 — does the site let any origin read responses with the user's credentials?

What: the canonical page and every authenticated path (``[web] auth_paths`` or the smoke flow's
reads, see WEB006) are requested with ``Origin: https://evil.launchready.test`` — a plain GET
carrying the session when one is configured, and an ``OPTIONS`` preflight with
``Access-Control-Request-Method: GET``. A response fails when it sends
``Access-Control-Allow-Credentials: true`` together with ``Access-Control-Allow-Origin`` equal to
the foreign origin (the server reflects whatever it is sent) or ``*``. The Fetch standard (§3.2.5,
CORS check) makes browsers refuse ``*`` with credentials, so that combination is reported as a
broken configuration one edit away from the reflected one; a reflected ``null`` counts too
(sandboxed iframes send it). One high finding per path.

Why: a reflected origin with credentials lets any website a signed-in customer visits read
their dashboard, projects and invoices through their browser — a data leak without any bug in
the app's own pages.

Fix: answer CORS only for a fixed allow-list of origins, e.g. nginx
``map $http_origin $cors { "https://app.acme.example" $http_origin; default ""; }`` and
``add_header Access-Control-Allow-Origin $cors always;``; Starlette
``CORSMiddleware(allow_origins=["https://app.acme.example"], allow_credentials=True)``.

Pass: no ``Access-Control-Allow-Origin`` for a foreign origin, or one naming only your front end.
Fail: ``Access-Control-Allow-Origin: https://evil.launchready.test`` with
``Access-Control-Allow-Credentials: true``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._session import SessionOptions
from launchready.checks.web._urls import page_url, path_of, site_url
from launchready.model import Finding
from launchready.probes.http import HttpResponse

EVIL_ORIGIN = "https://evil.launchready.test"


@dataclass(frozen=True, kw_only=True)
class CorsObs:
    """Responses to requests carrying the foreign ``Origin``."""

    page: str
    responses: tuple[HttpResponse, ...] = ()


def cors_problem(resp: HttpResponse, sent_origin: str = EVIL_ORIGIN) -> str | None:
    """Why the response lets a foreign origin read it with credentials, or None."""
    allow = resp.header_all("access-control-allow-origin")
    creds = resp.header_all("access-control-allow-credentials")
    if not allow or not any(c.strip().lower() == "true" for c in creds):
        return None
    value = allow[0].strip()
    if value == "*":
        kind = "a wildcard (browsers reject it with credentials; one edit from reflecting)"
    elif value.rstrip("/").lower() == sent_origin.lower():
        kind = "the foreign origin reflected"
    elif value.lower() == "null":
        kind = "null (any sandboxed iframe matches it)"
    else:
        return None
    return (f"Origin: {sent_origin} → Access-Control-Allow-Origin: {shown(value)}, "
            f"Access-Control-Allow-Credentials: true — {kind}")


def cors_findings(obs: CorsObs) -> list[Finding]:
    """WEB009 findings, one per path whose GET or preflight is too permissive."""
    rule = meta("WEB009")
    found: dict[str, tuple[HttpResponse, str]] = {}
    for resp in obs.responses:
        problem = cors_problem(resp)
        path = path_of(resp.url)
        if problem is not None and path not in found:
            found[path] = (resp, problem)
    return [make_finding(
        rule, target=resp.url, identity=path,
        evidence=f"{resp.method} {path}: {problem}",
        impact=("Any website a signed-in customer visits can read their data from this "
                "endpoint through their browser."),
        fix=fixes(
            lead=("Allow only your own front-end origins, and never echo the request's Origin "
                  "unchecked"),
            nginx=('`map $http_origin $cors { "https://app.acme.example" $http_origin; '
                   'default ""; }` then `add_header Access-Control-Allow-Origin $cors always;` '
                   "(no allow-credentials for other origins)"),
            caddy=('`@ours header Origin https://app.acme.example` and '
                   '`header @ours Access-Control-Allow-Origin "https://app.acme.example"`'),
            cloudflare=("Transform Rules → Modify Response Header: remove "
                        "Access-Control-Allow-Credentials unless the origin is yours"),
            vercel=('`{"headers": [{"source": "/api/(.*)", "headers": [{"key": '
                    '"Access-Control-Allow-Origin", "value": "https://app.acme.example"}]}]}`'),
            netlify="`/api/*` then `  Access-Control-Allow-Origin: https://app.acme.example`",
            python=('Starlette/FastAPI `CORSMiddleware(allow_origins=["https://app.acme.example"]'
                    ', allow_credentials=True)` (not `allow_origin_regex=".*"`); django-cors-'
                    'headers `CORS_ALLOWED_ORIGINS = ["https://app.acme.example"]`, never '
                    "`CORS_ALLOW_ALL_ORIGINS` with credentials")))
        for path, (resp, problem) in found.items()]


class CorsChecks(SessionOptions, CheckFamily[CorsObs]):
    """WEB009 on the canonical page and the authenticated paths."""

    rule_ids = ("WEB009",)

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    async def gather(self, ctx: Context) -> CorsObs:
        page = page_url(ctx.config.app) or ""
        session = await self.session(ctx.probes.http, ctx.config, ctx.environ, page)
        creds = session.headers
        urls = [page, *(site_url(session.base, p) for p in session.paths)]
        if session.login is not None:
            urls.append(site_url(session.base, session.login.path))
        urls = list(dict.fromkeys(urls))
        http = ctx.probes.http
        get = {**creds, "Origin": EVIL_ORIGIN}
        preflight = {"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "content-type"}
        responses = await asyncio.gather(
            *(http.fetch(u, headers=get) for u in urls),
            *(http.fetch(u, method="OPTIONS", headers=preflight) for u in urls))
        return CorsObs(page=page, responses=tuple(responses))

    def evaluate(self, obs: CorsObs, ctx: Context) -> Outcome:
        if obs.responses and all(r.status is None for r in obs.responses):
            return Outcome(errors={"WEB009": f"no answer from {obs.page}: "
                                             f"{obs.responses[0].error}"})
        return Outcome(findings=tuple(cors_findings(obs)))
