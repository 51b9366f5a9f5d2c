"""WEB005 (asset caching, compression) and WEB006 (cacheable authenticated responses)."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest
from aiohttp import web

from launchready.checks.base import CheckFamily
from launchready.checks.web._headers import cache_directives
from launchready.checks.web._html import parse_page
from launchready.checks.web._session import JsonLogin, auth_plan
from launchready.checks.web._urls import is_fingerprinted
from launchready.checks.web.caching import (
    AssetCachingChecks,
    AssetObs,
    AuthCachingChecks,
    AuthObs,
    asset_findings,
    auth_findings,
    cache_problem,
    compression_problem,
    shared_cache_problem,
)
from webfixtures import audit as run_audit
from webfixtures import context, local_config, of, page, response, serve, status

JS = "https://app.acme.test/static/js/"

NAMES = [
    ("hex between dots", "app.3f9a1c.js", True),
    ("vite base64-ish", "index-BkE3x9Qz.js", True),
    ("next chunk", "_app-0f1e2d3c4b5a6978.js", True),
    ("plain name", "app.js", False),
    ("library version", "jquery-3.7.1.min.js", False),
    ("long word", "components-dashboard.js", False),
    ("digits only", "20240101.js", False),
    ("css hash", "main.9b8a7c6d.css", True),
]


@pytest.mark.parametrize(("name", "expected"), [n[1:] for n in NAMES], ids=[n[0] for n in NAMES])
def test_is_fingerprinted(name: str, expected: bool) -> None:
    assert is_fingerprinted(JS + name) is expected


CACHE = [
    ("immutable", "public, max-age=31536000, immutable", None),
    ("max-age one year", "max-age=31536000", None),
    ("exactly 30 days", "max-age=2592000", None),
    ("one hour", "public, max-age=3600", "max-age=3600"),
    ("no-cache", "no-cache", "no-cache"),
    ("no-store wins over a long max-age", "max-age=31536000, no-store", "no-store"),
    ("missing", None, "no Cache-Control"),
    ("malformed max-age", "max-age=forever", "forever"),
]


@pytest.mark.parametrize(("value", "problem"), [c[1:] for c in CACHE], ids=[c[0] for c in CACHE])
def test_cache_problem(value: str | None, problem: str | None) -> None:
    headers = (("Cache-Control", value),) if value else ()
    got = cache_problem(response(JS + "app.3f9a1c.js", headers=headers))
    assert (got is None) == (problem is None)
    if problem is not None:
        assert got is not None and problem in got


BIG = "x" * 4096
COMPRESSION = [
    ("gzip", "application/javascript", (("Content-Encoding", "gzip"),), BIG, False),
    ("br", "text/css", (("Content-Encoding", "br"),), BIG, False),
    ("none on big JS", "application/javascript; charset=utf-8", (), BIG, True),
    ("none on big HTML", "text/html", (), BIG, True),
    ("small body is fine", "text/html", (), "tiny", False),
    ("images are not text", "image/png", (), BIG, False),
    ("identity is not compression", "application/json", (("Content-Encoding", "identity"),),
     BIG, True),
]


@pytest.mark.parametrize(("ctype", "extra", "body", "flagged"), [c[1:] for c in COMPRESSION],
                         ids=[c[0] for c in COMPRESSION])
def test_compression_problem(ctype: str, extra: tuple[tuple[str, str], ...], body: str,
                             flagged: bool) -> None:
    resp = response(headers=(("Content-Type", ctype), *extra), body=body)
    assert (compression_problem(resp) is not None) is flagged


def test_asset_findings_group_per_kind_and_survive_a_redeploy() -> None:
    def obs(tag: str) -> AssetObs:
        home = page(response(headers=(("Content-Type", "text/html"),), body=BIG))
        assets = tuple(response(f"{JS}{n}.{tag}{i}.js",
                                headers=(("Content-Type", "application/javascript"),
                                         ("Cache-Control", "no-cache")), body=BIG)
                       for i, n in enumerate(("app", "vendor")))
        return AssetObs(page=home, assets=assets)

    first, second = asset_findings(obs("3f9a1c")), asset_findings(obs("77ee00"))
    assert [f.title for f in first] == ["Fingerprinted assets without long-lived caching",
                                        "Text responses not compressed"]
    assert "2 fingerprinted assets" in first[0].evidence
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert all(f.severity.value == "low" for f in first)


SHARED = [
    # (id, cache-control, vary, credential, flagged)
    ("public max-age", "public, max-age=300", None, "cookie", True),
    ("no cache-control at all", None, None, "cookie", True),
    ("no-cache still stores", "no-cache", None, "cookie", True),
    ("private", "private", None, "cookie", False),
    ("no-store", "no-store", None, "cookie", False),
    ("private with field names is not private", 'private="Set-Cookie", max-age=60', None,
     "cookie", True),
    ("public but Vary: Cookie", "public, max-age=300", "Accept-Encoding, Cookie", "cookie",
     False),
    ("Vary: Cookie does not cover a bearer token", "public, max-age=300", "Cookie", "header",
     True),
    ("Vary: *", "public", "*", "cookie", False),
    ("bearer, no explicit permission: shared caches refuse", "max-age=300", None, "header",
     False),
    ("bearer with s-maxage", "s-maxage=60", None, "header", True),
]


@pytest.mark.parametrize(("cc", "vary", "credential", "flagged"), [s[1:] for s in SHARED],
                         ids=[s[0] for s in SHARED])
def test_shared_cache_problem(cc: str | None, vary: str | None, credential: str,
                              flagged: bool) -> None:
    headers = [("Cache-Control", cc)] if cc else []
    if vary:
        headers.append(("Vary", vary))
    resp = response("https://app.acme.test/api/dashboard", headers=headers)
    assert (shared_cache_problem(resp, credential=credential) is not None) is flagged


def test_auth_findings_one_per_path_and_only_for_2xx() -> None:
    bad = (("Cache-Control", "public, max-age=300"),)
    obs = AuthObs(credential="cookie", responses=(
        response("https://app.acme.test/api/dashboard", headers=bad),
        response("https://app.acme.test/api/projects", headers=bad),
        response("https://app.acme.test/api/admin", status=401, headers=bad)))
    findings = auth_findings(obs)
    assert [f.target.rsplit("/", 1)[1] for f in findings] == ["dashboard", "projects"]
    assert all(f.severity.value == "high" for f in findings)
    assert "Vary: Cookie" in findings[0].fix and "vercel.json" in findings[0].fix


def test_cache_directives_parsing() -> None:
    got = cache_directives(['public, Max-Age="60"', 'private="Set-Cookie, X-A", no-store'])
    assert got == {"public": None, "max-age": "60", "private": "Set-Cookie, X-A",
                   "no-store": None}


def test_parse_page_finds_scripts_styles_and_base() -> None:
    html = ('<html><head><base href="/v2/"><script src="js/app.1a2b3c.js"></script>'
            '<link rel="stylesheet" href="/css/a.css"><link rel="modulepreload" href="m.js">'
            '<link rel="icon" href="/f.ico"><script>inline()</script>'
            '<script src="https://cdn.test/x.js"></script></head></html>')
    refs = parse_page(html, "https://app.acme.test/")
    assert refs.scripts == ("https://app.acme.test/v2/js/app.1a2b3c.js",
                            "https://app.acme.test/v2/m.js", "https://cdn.test/x.js")
    assert refs.styles == ("https://app.acme.test/css/a.css",)


def test_auth_plan_sources() -> None:
    web_section = type("W", (), {"auth_header": "Authorization: Bearer abc",
                                 "auth_cookie": None, "auth_paths": ["/api/me"]})()
    plan = auth_plan(context(web=web_section).config)
    assert plan.headers == {"Authorization": "Bearer abc"}
    assert plan.paths == ("/api/me",) and plan.login is None
    step = type("S", (), {})
    login = step()
    login.name, login.method, login.path, login.json_body = "login", "POST", "/api/login", {}
    read = step()
    read.name, read.method, read.path, read.json_body = "dash", "GET", "/api/dashboard", None
    smoke = type("Smoke", (), {"steps": [login, read], "base_url": None})()
    plan = auth_plan(context(smoke=smoke).config)
    assert plan.login == JsonLogin(path="/api/login", payload={})
    assert plan.paths == ("/api/dashboard",)
    assert not auth_plan(context().config).available
    assert AuthCachingChecks().skip_reason(context()) is not None
    assert AuthCachingChecks(auth_headers={"Cookie": "s=1"},
                             auth_paths=["/api/x"]).skip_reason(context()) is None


# --- real servers --------------------------------------------------------------------------------

def _site(*, good: bool) -> web.Application:
    bundle = ("console.log('acme');" * 200).encode()
    html = ('<!doctype html><html><head><script src="/assets/app.3f9a1c.js"></script>'
            '<link rel="stylesheet" href="/assets/plain.css"></head><body>'
            + "<p>hello</p>" * 200 + "</body></html>").encode()

    def send(request: web.Request, body: bytes, ctype: str, cache: str) -> web.Response:
        resp = web.Response(body=body, content_type=ctype, headers={"Cache-Control": cache})
        if good and "gzip" in request.headers.get("Accept-Encoding", ""):
            resp.body = gzip.compress(body)
            resp.headers["Content-Encoding"] = "gzip"
        return resp

    async def index(request: web.Request) -> web.Response:
        return send(request, html, "text/html", "no-cache")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        cache = "public, max-age=31536000, immutable" if good else "public, max-age=600"
        ctype = "text/css" if name.endswith(".css") else "application/javascript"
        return send(request, bundle, ctype, cache)

    async def login(request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("password") != "right":
            return web.json_response({"error": "no"}, status=401)
        resp = web.json_response({"ok": True})
        resp.set_cookie("sid", "token-123", httponly=True, secure=True, samesite="Lax")
        return resp

    async def dashboard(request: web.Request) -> web.Response:
        if request.cookies.get("sid") != "token-123":
            return web.json_response({"error": "login"}, status=401)
        headers = ({"Cache-Control": "private, no-store", "Vary": "Cookie"} if good
                   else {"Cache-Control": "public, max-age=300"})
        return web.Response(text=json.dumps({"mrr": 1}), content_type="application/json",
                            headers=headers)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/assets/{name}", asset)
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/dashboard", dashboard)
    return app


@pytest.mark.parametrize("good", [True, False], ids=["good", "bad"])
def test_real_server_assets_and_auth(good: bool) -> None:
    async def main() -> None:
        async with serve(_site(good=good)) as base:
            families: list[CheckFamily[Any]] = [AssetCachingChecks(),
                AuthCachingChecks(login=JsonLogin(path="/api/login", payload={"password": "right"}),
                                  auth_paths=["/api/dashboard"])]
            report = await run_audit(local_config(base + "/"), families)
        if good:
            assert status(report, "WEB005") == "pass" and status(report, "WEB006") == "pass"
            return
        titles = {f.title for f in of(report, "WEB005")}
        assert titles == {"Fingerprinted assets without long-lived caching",
                          "Text responses not compressed"}
        cached = next(f for f in of(report, "WEB005") if "caching" in f.title)
        # the plain-named stylesheet is not expected to be cached for long
        assert "app.3f9a1c.js" in cached.evidence and "plain.css" not in cached.evidence
        (auth,) = of(report, "WEB006")
        assert "public, max-age=300" in auth.evidence and "token-123" not in auth.evidence

    asyncio.run(main())


def test_configured_cookie_and_failed_login() -> None:
    async def main() -> None:
        async with serve(_site(good=False)) as base:
            fixed = AuthCachingChecks(auth_headers={"Cookie": "sid=token-123"},
                                      auth_paths=["/api/dashboard"])
            wrong = AuthCachingChecks(login=JsonLogin(path="/api/login",
                                                      payload={"password": "wrong"}),
                                      auth_paths=["/api/dashboard"])
            stale = AuthCachingChecks(auth_headers={"Cookie": "sid=expired"},
                                      auth_paths=["/api/dashboard"])
            config = local_config(base + "/")
            first = await run_audit(config, [fixed])
            second = await run_audit(config, [wrong])
            third = await run_audit(config, [stale])
        assert status(first, "WEB006") == "fail"
        assert status(second, "WEB006") == "error"
        assert str(next(c.error for c in second.checks)).startswith("login failed")
        assert status(third, "WEB006") == "error"

    asyncio.run(main())


def test_smoke_login_flag_wins_over_names() -> None:
    def step(**kw: Any) -> Any:
        base = {"name": "x", "method": "GET", "path": "/", "json_body": None, "login": None,
                "logout": None}
        return type("S", (), {**base, **kw})()

    steps = [step(name="login", method="POST", path="/api/login", json_body={"a": 1}),
             step(name="token", method="POST", path="/oauth/token", json_body={"b": 2},
                  login=True),
             step(name="me", path="/api/me"),
             step(name="bye", path="/api/bye", logout=True)]
    smoke = type("Smoke", (), {"steps": steps, "base_url": None})()
    plan = auth_plan(context(smoke=smoke).config)
    assert plan.login == JsonLogin(path="/oauth/token", payload={"b": 2})
    assert plan.paths == ("/api/me",)
