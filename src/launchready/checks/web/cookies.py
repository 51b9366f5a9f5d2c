"""WEB008 — do session cookies carry ``Secure``, ``HttpOnly`` and ``SameSite``?

What: every ``Set-Cookie`` on the way to the canonical page (redirect hops included) and on the
login response (the ``login`` given to the family, else the smoke flow's login step with a JSON
body). A cookie counts as a session cookie when the login response sets it, or when its name
looks like one (``session``, ``sid``, ``auth``, ``token``, ``jwt``, ``remember``,
``PHPSESSID``, ``JSESSIONID``, ``connect.sid``, ``laravel_session`` …). Lines that delete a
cookie (``Max-Age=0``, an expiry in the past) are ignored. Each session cookie missing one or
more of the three attributes is one medium finding, named by the cookie.

Why: (RFC 6265 §4.1.2.5, §4.1.2.6; RFC 6265bis §4.1.2.7) without ``Secure`` the session rides
any plain-HTTP request (a hotel captive portal sees it); without ``HttpOnly`` one injected script
reads it; without ``SameSite`` other sites can ride the session in cross-site requests. Browsers
now default ``SameSite`` to Lax, but not all do, and ``None`` must be explicit.

Fix: ``Set-Cookie: session=…; Path=/; Secure; HttpOnly; SameSite=Lax`` — Django
``SESSION_COOKIE_SECURE = True`` (HttpOnly and SameSite=Lax are its defaults), Starlette
``SessionMiddleware(..., https_only=True, same_site="lax")``, nginx ``proxy_cookie_flags ~ secure
httponly samesite=lax;``.

Pass: ``acme_session=…; Path=/; Secure; HttpOnly; SameSite=Lax``.
Fail: ``sessionid=…; Path=/`` (three attributes missing, one finding).

Evidence never shows a cookie's value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._headers import SetCookie, parse_set_cookie
from launchready.checks.web._html import Page, failure_reason, fetch_page
from launchready.checks.web._session import JsonLogin, json_login, login_base, smoke_session
from launchready.checks.web._urls import page_url, path_of
from launchready.model import Finding
from launchready.probes.http import HttpResponse

_SESSION_NAME = re.compile(
    r"sess|(^|[_.\-])sid$|^sid|auth|token|jwt|remember|login|^phpsessid$|^jsessionid$"
    r"|^connect\.sid$|^asp\.net_sessionid$|^_session_id$|identity", re.IGNORECASE)
#: names that look like a session word but are not (CSRF tokens must be readable by scripts)
_NOT_SESSION = re.compile(r"csrf|xsrf", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class CookieObs:
    """The page chain and, when a login ran, its response."""

    page: Page
    login: HttpResponse | None = None


@dataclass(frozen=True, kw_only=True)
class CookieIssue:
    """One session cookie and the attributes it lacks."""

    cookie: SetCookie
    source: str  # the URL that set it
    missing: tuple[str, ...]


def looks_like_session(name: str) -> bool:
    """True for cookie names that usually carry a session or login token."""
    return bool(_SESSION_NAME.search(name)) and not _NOT_SESSION.search(name)


def missing_flags(cookie: SetCookie) -> tuple[str, ...]:
    """The attributes among Secure, HttpOnly, SameSite that the cookie lacks."""
    missing = []
    if "secure" not in cookie.attrs:
        missing.append("Secure")
    if "httponly" not in cookie.attrs:
        missing.append("HttpOnly")
    samesite = cookie.attrs.get("samesite", "").strip().lower()
    if samesite not in ("lax", "strict", "none"):
        missing.append("SameSite")
    return tuple(missing)


def cookie_issues(responses: Sequence[tuple[HttpResponse, bool]]) -> list[CookieIssue]:
    """Issues for (response, set-by-login) pairs; one per cookie name, first source wins."""
    seen: dict[str, CookieIssue] = {}
    for resp, from_login in responses:
        for line in resp.header_all("set-cookie"):
            cookie = parse_set_cookie(line)
            if cookie is None or cookie.deletes or cookie.name in seen:
                continue
            if not (from_login or looks_like_session(cookie.name)):
                continue
            missing = missing_flags(cookie)
            if missing:
                seen[cookie.name] = CookieIssue(cookie=cookie, source=resp.url, missing=missing)
    return list(seen.values())


def _described(cookie: SetCookie) -> str:
    attrs = "; ".join(f"{k}={v}" if v else k for k, v in cookie.attrs.items())
    return shown(f"Set-Cookie: {cookie.name}=<value hidden>" + (f"; {attrs}" if attrs else ""),
                 200)


def cookie_findings(obs: CookieObs) -> list[Finding]:
    """WEB008 findings, one per session cookie missing attributes."""
    rule = meta("WEB008")
    pairs = [(hop, False) for hop in obs.page.hops]
    if obs.login is not None:
        pairs.append((obs.login, True))
    out = []
    for issue in cookie_issues(pairs):
        name = issue.cookie.name
        lacks = ", ".join(issue.missing)
        out.append(make_finding(
            rule, target=obs.page.url, identity=name,
            title=f"Session cookie {shown(name, 60)} lacks {lacks}",
            evidence=f"{path_of(issue.source)} sends {_described(issue.cookie)} (no {lacks})",
            impact=("The session can be stolen by an injected script, sent over plain HTTP, or "
                    "ridden by another site's cross-site requests."),
            fix=fixes(
                lead=f"Set the cookie as `{shown(name, 60)}=…; Path=/; Secure; HttpOnly; "
                     "SameSite=Lax` where the app creates it",
                nginx="`proxy_cookie_flags ~ secure httponly samesite=lax;` in the proxied "
                      "location (nginx ≥ 1.19.3)",
                caddy=("rewrite at the app; Caddy cannot add cookie attributes without a "
                       "plugin"),
                cloudflare=("Transform Rules cannot edit Set-Cookie; fix it in the app (a "
                            "Worker can rewrite it meanwhile)"),
                python=("Django `SESSION_COOKIE_SECURE = True`, `SESSION_COOKIE_HTTPONLY = "
                        "True`, `SESSION_COOKIE_SAMESITE = \"Lax\"`; Starlette "
                        "`SessionMiddleware(app, secret_key=..., https_only=True, "
                        "same_site=\"lax\")`; aiohttp `response.set_cookie(..., secure=True, "
                        "httponly=True, samesite=\"Lax\")`"))))
    return out


class CookieChecks(CheckFamily[CookieObs]):
    """WEB008 on the canonical page's and the login response's cookies."""

    rule_ids = ("WEB008",)

    def __init__(self, *, login: JsonLogin | None = None) -> None:
        self._login = login

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    async def gather(self, ctx: Context) -> CookieObs:
        url = page_url(ctx.config.app) or ""
        page = await fetch_page(ctx.probes.http, url)
        # only a real login shows the session cookie's flags; a configured credential cannot
        login = self._login or smoke_session(ctx.config)[0]
        if login is None:
            return CookieObs(page=page)
        result = await json_login(ctx.probes.http, login_base(ctx.config, url), login)
        return CookieObs(page=page, login=result.response)

    def evaluate(self, obs: CookieObs, ctx: Context) -> Outcome:
        if not obs.page.ok:
            return Outcome(errors={"WEB008": f"could not fetch the page: "
                                             f"{failure_reason(obs.page.final)}"})
        return Outcome(findings=tuple(cookie_findings(obs)))
