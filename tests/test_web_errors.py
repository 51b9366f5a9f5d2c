"""WEB007: stack traces, debug pages and version banners on error pages."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from launchready.checks.web.errors import ErrorObs, ErrorPageChecks, error_findings, leaks_in
from webfixtures import HOSTILE, audit, local_config, of, response, serve, status

PY_TRACE = ('Traceback (most recent call last):\n  File "/app/main.py", line 12, in view\n'
            "ZeroDivisionError: division by zero")
BODIES = [
    # (id, status, headers, body, expected (kind, label) set)
    ("clean 404", 404, (("Server", "nginx"),), "<h1>Not found</h1>", set()),
    ("python traceback", 500, (), PY_TRACE, {("trace", "Python traceback")}),
    ("java", 500, (), 'Exception in thread "main" java.lang.NullPointerException\n'
                      "\tat com.acme.Api.get(Api.java:42)", {("trace", "Java stack trace")}),
    ("node", 500, (), "TypeError: x is undefined\n    at Object.<anonymous> "
                      "(/srv/app/node_modules/express/lib/router.js:10:3)",
     {("trace", "Node.js stack trace")}),
    ("php", 500, (), "<b>Fatal error</b>:  Uncaught Error in /var/www/index.php on line "
                     "<b>3</b>", {("trace", "PHP error")}),
    ("django debug", 404, (), "<p>Using the URLconf defined in <code>acme.urls</code></p>"
                              "You're seeing this error because you have "
                              "<code>DEBUG = True</code>", {("debug", "Django debug page")}),
    ("werkzeug", 500, (), "<title>ZeroDivisionError // Werkzeug Debugger</title>",
     {("debug", "Werkzeug debugger")}),
    ("rails", 500, (), "<title>Action Controller: Exception caught</title>",
     {("debug", "Rails debug page")}),
    ("laravel", 500, (), "Whoops! There was an error.", {("debug", "Laravel/Ignition debug page")}),
    ("nginx default page with version", 404, (("Server", "nginx/1.22.1"),),
     "<hr><center>nginx/1.22.1</center>",
     {("banner", "Server header"), ("banner", "version in error page")}),
    ("x-powered-by", 404, (("X-Powered-By", "Express"),), "Cannot GET /x",
     {("banner", "x-powered-by header")}),
    ("aiohttp banner in body", 500, (), "<address>aiohttp/3.9.5 (Python 3.12.1)</address>",
     {("banner", "version in error page")}),
]


@pytest.mark.parametrize(("code", "headers", "body", "expected"), [b[1:] for b in BODIES],
                         ids=[b[0] for b in BODIES])
def test_leaks_in(code: int, headers: tuple[tuple[str, str], ...], body: str,
                  expected: set[tuple[str, str]]) -> None:
    got = {(leak.kind, leak.label) for leak in
           leaks_in(response(status=code, headers=headers, body=body), error_page=True)}
    assert got == expected


def test_healthy_page_text_is_not_an_error_page() -> None:
    # a marketing page may mention versions or show code samples
    ok = response(body="Built on Python 3.12 — see Traceback (most recent call last) docs")
    assert leaks_in(ok, error_page=False) == []


def test_findings_severity_and_identity() -> None:
    obs = ErrorObs(page="https://app.acme.test/", responses=(
        response(headers=(("Server", "Apache/2.4.57 (Debian)"),)),
        response("https://app.acme.test/launchready-probe-404", status=404, body=PY_TRACE),
        response("https://app.acme.test/launchready-probe%00", status=500, body=PY_TRACE)))
    findings = error_findings(obs)
    assert [(f.severity.value, f.title) for f in findings] == [
        ("medium", "Software version disclosed (Server header)"),
        ("high", "Stack trace on an error page (Python traceback)")]
    assert "server_tokens off;" in findings[0].fix
    assert "DEBUG = False" in findings[1].fix
    assert "/launchready-probe-404 → 404" in findings[1].evidence


def test_hostile_banner_is_kept_as_text() -> None:
    obs = ErrorObs(page="https://app.acme.test/", responses=(
        response(headers=(("X-Powered-By", HOSTILE[0]),)),))
    (finding,) = error_findings(obs)
    assert HOSTILE[0] in finding.evidence


# --- real servers --------------------------------------------------------------------------------

_WERKZEUG = ("<!doctype html><html><head><title>ZeroDivisionError: division by zero // "
             "Werkzeug Debugger</title></head><body><div class=debugger><h1>ZeroDivisionError"
             "</h1><div class=traceback><h3>Traceback <em>(most recent call last)</em></h3>"
             "</div><p>The debugger caught an exception in your WSGI application.</p>"
             "</div></body></html>")


def _site(kind: str) -> web.Application:
    async def on_prepare(_: web.Request, resp: web.StreamResponse) -> None:
        resp.headers["Server"] = "Werkzeug/3.0.1 Python/3.12.1" if kind == "werkzeug" \
            else "acme"

    async def index(_: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>home</p>", content_type="text/html")

    async def missing(request: web.Request) -> web.Response:
        if kind == "werkzeug":
            return web.Response(status=500, text=_WERKZEUG, content_type="text/html")
        return web.Response(status=404, text="<h1>Not found</h1>", content_type="text/html")

    app = web.Application()
    app.on_response_prepare.append(on_prepare)
    app.router.add_get("/", index)
    app.router.add_get("/{tail:.+}", missing)
    return app


@pytest.mark.parametrize(("kind", "expected"), [
    ("clean", set()),
    ("werkzeug", {"Debug page exposed (Werkzeug debugger)",
                  "Software version disclosed (Server header)"}),
])
def test_real_server(kind: str, expected: set[str]) -> None:
    async def main() -> None:
        async with serve(_site(kind)) as base:
            report = await audit(local_config(base + "/"), [ErrorPageChecks()])
        assert {f.title for f in of(report, "WEB007")} == expected
        assert status(report, "WEB007") == ("fail" if expected else "pass")

    asyncio.run(main())


def test_configured_error_path_is_probed() -> None:
    async def crash(_: web.Request) -> web.Response:
        return web.Response(status=500, text=PY_TRACE)

    async def index(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def hide_server(_: web.Request, resp: web.StreamResponse) -> None:
        resp.headers["Server"] = "acme"

    app = web.Application()
    app.on_response_prepare.append(hide_server)
    app.router.add_get("/", index)
    app.router.add_get("/api/debug/crash", crash)

    async def main() -> None:
        async with serve(app) as base:
            config = local_config(base + "/")
            plain = await audit(config, [ErrorPageChecks()])
            probed = await audit(config, [ErrorPageChecks(error_paths=["/api/debug/crash"])])
        assert not of(plain, "WEB007")
        assert [f.severity.value for f in of(probed, "WEB007")] == ["high"]

    asyncio.run(main())
