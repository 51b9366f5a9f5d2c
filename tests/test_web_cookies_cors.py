"""WEB008 (session cookie flags) and WEB009 (CORS with credentials)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from launchready.checks.web._headers import parse_set_cookie
from launchready.checks.web._session import JsonLogin
from launchready.checks.web.cookies import (
    CookieChecks,
    CookieObs,
    cookie_findings,
    looks_like_session,
    missing_flags,
)
from launchready.checks.web.cors import (
    EVIL_ORIGIN,
    CorsChecks,
    CorsObs,
    cors_findings,
    cors_problem,
)
from webfixtures import HOSTILE, audit, local_config, of, page, response, serve, status

NAMES = [
    ("sessionid", True), ("acme_session", True), ("connect.sid", True), ("PHPSESSID", True),
    ("auth_token", True), ("remember_me", True), ("jwt", True), ("csrftoken", False),
    ("XSRF-TOKEN", False), ("_ga", False), ("theme", False), ("consent", False),
]


@pytest.mark.parametrize(("name", "expected"), NAMES, ids=[n for n, _ in NAMES])
def test_looks_like_session(name: str, expected: bool) -> None:
    assert looks_like_session(name) is expected


FLAGS = [
    ("all three", "s=1; Path=/; Secure; HttpOnly; SameSite=Lax", ()),
    ("case-insensitive attributes", "s=1; secure; HTTPONLY; samesite=strict", ()),
    ("none", "s=1; Path=/", ("Secure", "HttpOnly", "SameSite")),
    ("SameSite without value", "s=1; Secure; HttpOnly; SameSite", ("SameSite",)),
    ("SameSite=None is explicit", "s=1; Secure; HttpOnly; SameSite=None", ()),
    ("no HttpOnly", "s=1; Secure; SameSite=Lax", ("HttpOnly",)),
]


@pytest.mark.parametrize(("line", "missing"), [f[1:] for f in FLAGS], ids=[f[0] for f in FLAGS])
def test_missing_flags(line: str, missing: tuple[str, ...]) -> None:
    cookie = parse_set_cookie(line)
    assert cookie is not None
    assert missing_flags(cookie) == missing


def test_cookie_findings_hide_values_and_skip_deletions() -> None:
    home = page(response(headers=(
        ("Set-Cookie", "sessionid=very-secret-value-1234; Path=/"),
        ("Set-Cookie", "theme=dark"),
        ("Set-Cookie", "auth=; Max-Age=0; Path=/"),
        ("Set-Cookie", "old_sess=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"))))
    login = response("https://app.acme.test/api/login", method="POST",
                     headers=(("Set-Cookie", "opaque=abc; Secure; HttpOnly"),))
    findings = cookie_findings(CookieObs(page=home, login=login))
    assert [f.title for f in findings] == [
        "Session cookie sessionid lacks Secure, HttpOnly, SameSite",
        "Session cookie opaque lacks SameSite"]
    assert all("very-secret-value" not in f.evidence and "abc" not in f.evidence
               for f in findings)
    assert all(f.severity.value == "medium" for f in findings)
    assert "SESSION_COOKIE_SECURE" in findings[0].fix and "proxy_cookie_flags" in findings[0].fix


CORS = [
    ("reflected with credentials", EVIL_ORIGIN, "true", True),
    ("wildcard with credentials", "*", "true", True),
    ("null with credentials", "null", "true", True),
    ("reflected without credentials", EVIL_ORIGIN, None, False),
    ("wildcard without credentials", "*", None, False),
    ("own origin only", "https://app.acme.test", "true", False),
    ("no CORS at all", None, None, False),
]


@pytest.mark.parametrize(("allow", "creds", "flagged"), [c[1:] for c in CORS],
                         ids=[c[0] for c in CORS])
def test_cors_problem(allow: str | None, creds: str | None, flagged: bool) -> None:
    headers = []
    if allow:
        headers.append(("Access-Control-Allow-Origin", allow))
    if creds:
        headers.append(("Access-Control-Allow-Credentials", creds))
    assert (cors_problem(response(headers=headers)) is not None) is flagged


def test_cors_one_finding_per_path_for_get_and_preflight() -> None:
    bad = (("Access-Control-Allow-Origin", EVIL_ORIGIN),
           ("Access-Control-Allow-Credentials", "true"))
    url = "https://app.acme.test/api/me"
    obs = CorsObs(page="https://app.acme.test/", responses=(
        response(url, headers=bad), response(url, method="OPTIONS", headers=bad)))
    (finding,) = cors_findings(obs)
    assert finding.severity.value == "high"
    assert "CORSMiddleware" in finding.fix and "map $http_origin" in finding.fix


# --- real servers --------------------------------------------------------------------------------

def _cookie_site(*, good: bool) -> web.Application:
    flags = {"secure": True, "httponly": True, "samesite": "Lax"} if good else {}

    async def index(_: web.Request) -> web.Response:
        resp = web.Response(text="<!doctype html><p>hi</p>", content_type="text/html")
        resp.set_cookie("sessionid", "page-secret-0001", **flags)  # type: ignore[arg-type]
        resp.set_cookie("theme", "dark")
        return resp

    async def login(_: web.Request) -> web.Response:
        resp = web.json_response({"ok": True})
        resp.set_cookie("opaque", "login-secret-0002", **flags)  # type: ignore[arg-type]
        return resp

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_post("/api/login", login)
    return app


@pytest.mark.parametrize("good", [True, False], ids=["flags set", "flags missing"])
def test_real_server_cookies(good: bool) -> None:
    async def main() -> None:
        async with serve(_cookie_site(good=good)) as base:
            family = CookieChecks(login=JsonLogin(path="/api/login", payload={"u": "x"}))
            report = await audit(local_config(base + "/"), [family])
        findings = of(report, "WEB008")
        if good:
            assert status(report, "WEB008") == "pass"
            return
        assert {f.title.split()[2] for f in findings} == {"sessionid", "opaque"}
        assert not any("secret-000" in f.evidence for f in findings)

    asyncio.run(main())


def _cors_site(mode: str) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        origin = request.headers.get("Origin", "")
        headers = {}
        if mode == "reflect" and origin:
            headers = {"Access-Control-Allow-Origin": origin,
                       "Access-Control-Allow-Credentials": "true"}
        elif mode == "star":
            headers = {"Access-Control-Allow-Origin": "*",
                       "Access-Control-Allow-Credentials": "true"}
        elif mode == "allowlist" and origin == "https://app.acme.test":
            headers = {"Access-Control-Allow-Origin": origin,
                       "Access-Control-Allow-Credentials": "true"}
        elif mode == "hostile":
            headers = {"Access-Control-Allow-Origin": HOSTILE[0],
                       "Access-Control-Allow-Credentials": "true"}
        return web.json_response({"me": 1}, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@pytest.mark.parametrize(("mode", "flagged"), [("reflect", True), ("star", True),
                                               ("allowlist", False), ("hostile", False)])
def test_real_server_cors(mode: str, flagged: bool) -> None:
    async def main() -> None:
        async with serve(_cors_site(mode)) as base:
            family = CorsChecks(auth_headers={"Cookie": "sid=1"}, auth_paths=["/api/me"])
            report = await audit(local_config(base + "/"), [family])
        findings = of(report, "WEB009")
        assert status(report, "WEB009") == ("fail" if flagged else "pass")
        if flagged:
            assert {f.target.removeprefix(base) for f in findings} == {"/", "/api/me"}

    asyncio.run(main())
