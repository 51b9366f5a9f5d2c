"""The smoke flow against real servers on 127.0.0.1: the Acme demo and a small form-login app.

The demo (flawed and fixed) runs over HTTPS with its throwaway CA; the form-login app (CSRF
field, bearer token, session cookie, redirects, a 500 page that echoes the password) runs over
plain HTTP next to a second "other origin" server that records what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from launchready.checks.smoke.flow import SmokeChecks
from launchready.config import load_config_text
from launchready.config.models import Config
from launchready.demo.server import DemoSite, start_site
from launchready.engine import Selection, arun_audit
from launchready.model import Report
from launchready.probes import Probes
from launchready.smoke.runner import FlowResult, run_flow

PASSWORD = "violet-anchor-93-quartz"
ENV = {"SMOKE_EMAIL": "demo@acme.test", "SMOKE_PASSWORD": PASSWORD}

DEMO_FLOW = """
[[smoke.steps]]
name = "login"
method = "POST"
path = "/api/login"
json = { email = "${SMOKE_EMAIL}", password = "${SMOKE_PASSWORD}" }
expect = ["status == 200", "json.user.id exists"]

[[smoke.steps]]
name = "dashboard"
path = "/api/dashboard"
expect = ["status == 200", "time < 1500ms"]

[[smoke.steps]]
name = "core action"
method = "POST"
path = "/api/projects"
json = { name = "smoke-${RUN_ID}" }
expect = ["status == 201", "json.project.name matches '^smoke-'"]

[[smoke.steps]]
name = "logout"
method = "POST"
path = "/api/logout"
expect = ["status == 204"]
"""


def _demo_config(site: DemoSite, flow: str = DEMO_FLOW,
                 environ: dict[str, str] | None = None) -> Config:
    resolve = ", ".join(f'"{r}"' for r in site.resolve)
    text = (f'[app]\nname = "Acme"\ncanonical = "{site.canonical}"\n'
            f'[network]\nresolve = [{resolve}]\nca_bundle = "{site.ca_bundle}"\ntimeout = 5\n'
            f'[smoke]\nbase_url = "{site.canonical}"\n{flow}')
    return load_config_text(text, environ=environ or ENV)


async def _audit(config: Config) -> Report:
    return await arun_audit(config, families=[SmokeChecks()], environ=ENV,
                            selection=Selection(only=("SMOKE",)))


def _statuses(report: Report) -> dict[str, str]:
    return {c.id: c.status.value for c in report.checks}


@asynccontextmanager
async def _demo(tmp_path: Path, *, fixed: bool) -> AsyncIterator[DemoSite]:
    site = await start_site(fixed=fixed, workdir=tmp_path, password=PASSWORD, invoices=500)
    async with site:
        yield site


# --- the demo: SMOKE003 on the flawed app, clean on the fixed one ---------------------------

def test_flawed_demo_session_survives_logout(tmp_path: Path) -> None:
    async def scenario() -> Report:
        async with _demo(tmp_path, fixed=False) as site:
            return await _audit(_demo_config(site))

    report = asyncio.run(scenario())
    assert [f.rule_id for f in report.findings] == ["SMOKE003"]
    finding = report.findings[0]
    assert "still answered 200" in finding.evidence
    assert finding.target.startswith("POST https://app.acme.test:")
    assert _statuses(report) == {"SMOKE001": "pass", "SMOKE002": "pass", "SMOKE003": "fail",
                                 "SMOKE004": "pass"}
    # every step is a measurement: one closed-model request each
    assert [(m.check, m.target, m.requests) for m in report.measurements] == [
        ("SMOKE004", "login", 1), ("SMOKE004", "dashboard", 1), ("SMOKE004", "core action", 1),
        ("SMOKE004", "logout", 1)]
    assert all(m.p50_ms == m.p95_ms == m.p99_ms == m.max_ms > 0 for m in report.measurements)
    assert all(m.model == "closed" for m in report.measurements)


def demo_smoke(site: DemoSite) -> dict[str, Any]:
    """The [smoke] section ``launchready demo`` uses, built in code as ``demo/run.py`` does.

    Built without the loader, ``${SMOKE_PASSWORD}`` stays in the config and is filled from the
    environment the audit gets, at run time.
    """
    return {
        "base_url": site.canonical,
        "steps": [
            {"name": "login", "method": "POST", "path": "/api/login",
             "json": {"email": "${SMOKE_EMAIL}", "password": "${SMOKE_PASSWORD}"},
             "expect": ["status == 200", "json.user.id exists"]},
            {"name": "dashboard", "path": "/api/dashboard",
             "expect": ["status == 200", "time < 1500ms"]},
            {"name": "core action", "method": "POST", "path": "/api/projects",
             "json": {"name": "smoke-${RUN_ID}"}, "expect": ["status == 201"]},
            {"name": "logout", "method": "POST", "path": "/api/logout",
             "expect": ["status == 204"]},
        ],
    }


def test_fixed_demo_is_clean(tmp_path: Path) -> None:
    async def scenario() -> Report:
        async with _demo(tmp_path, fixed=True) as site:
            config = Config.model_validate({
                "app": {"name": "Acme", "canonical": site.canonical},
                "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle)},
                "smoke": demo_smoke(site)})
            assert PASSWORD not in config.model_dump_json()
            return await _audit(config)

    report = asyncio.run(scenario())
    assert report.findings == ()
    assert set(_statuses(report).values()) == {"pass"}
    table = report.tables[0]
    assert [row[0] for row in table.rows] == ["login (login)", "dashboard", "core action",
                                              "logout (logout)", "logout replay"]
    assert table.rows[-1][2] == "401"
    assert table.rows[-1][-1] == "session ended: pass"


def test_failures_on_one_demo(tmp_path: Path) -> None:
    """SMOKE001, SMOKE002 and SMOKE004 fire on real responses (one site, several flows)."""
    wrong_password = DEMO_FLOW
    slow_and_broken = DEMO_FLOW.replace('"time < 1500ms"', '"time < 0ms"').replace(
        '"status == 201", ', '"status == 418", ')

    async def scenario() -> tuple[Report, Report]:
        async with _demo(tmp_path, fixed=True) as site:
            bad_login = await _audit(_demo_config(
                site, wrong_password, {**ENV, "SMOKE_PASSWORD": "not-the-password"}))
            broken = await _audit(_demo_config(site, slow_and_broken))
            return bad_login, broken

    bad_login, broken = asyncio.run(scenario())
    # Given a wrong password, the login fails (401) and nothing after it runs
    assert [f.rule_id for f in bad_login.findings] == ["SMOKE001"]
    assert "answered 401" in bad_login.findings[0].evidence
    assert "status == 200 (saw 401)" in bad_login.findings[0].evidence
    skipped = [row for row in bad_login.tables[0].rows if row[-1].startswith("not run")]
    assert len(skipped) == 3
    assert _statuses(bad_login)["SMOKE003"] == "error"
    assert [m.target for m in bad_login.measurements] == ["login"]
    # Given an impossible budget and a wrong status, SMOKE004 and SMOKE002 fire separately
    assert sorted(f.rule_id for f in broken.findings) == ["SMOKE002", "SMOKE004"]
    slow = next(f for f in broken.findings if f.rule_id == "SMOKE004")
    assert "budget: time < 0ms" in slow.evidence and slow.severity.value == "medium"
    failed = next(f for f in broken.findings if f.rule_id == "SMOKE002")
    assert "status == 418 (saw 201)" in failed.evidence
    assert "json.project.name" not in failed.evidence  # that expectation passed
    # the target names the configured path, not this run's ${RUN_ID}: baselines keep matching
    assert failed.target.endswith("/api/projects")


def test_session_is_reusable_before_logout(tmp_path: Path) -> None:
    """perf reuses the smoke login: stop before logout and the session keeps working."""
    async def scenario() -> tuple[FlowResult, int]:
        async with _demo(tmp_path, fixed=True) as site:
            config = _demo_config(site)
            assert config.smoke is not None
            probes = Probes.from_network(config.network)
            try:
                flow = await run_flow(config.smoke, http=probes.http, environ=ENV,
                                      run_id="perf-1", stop_before_logout=True)
                assert flow.session is not None
                url = site.url(path="/api/projects")
                response = await probes.http.fetch(url, headers=flow.session.headers_for(url))
                assert flow.session.headers_for("https://elsewhere.test/") == {}
                return flow, response.status or 0
            finally:
                await probes.aclose()

    flow, status = asyncio.run(scenario())
    assert [s.name for s in flow.steps] == ["login", "dashboard", "core action"]
    assert flow.replay is None and flow.replay_skipped == "the run stopped before logout"
    assert status == 200
    assert PASSWORD not in repr(flow)


def test_unreachable_site_is_an_error_not_a_finding() -> None:
    text = ('[smoke]\nbase_url = "http://127.0.0.1:9"\n[[smoke.steps]]\nname = "login"\n'
            'path = "/"\n[[smoke.steps]]\nname = "logout"\npath = "/o"\n')
    report = asyncio.run(_audit(load_config_text(text)))
    assert report.findings == ()
    assert set(_statuses(report).values()) == {"error"}
    assert all("could not connect" in (c.error or "") for c in report.checks)


def test_no_smoke_section_is_skipped() -> None:
    report = asyncio.run(_audit(load_config_text('[app]\nname = "x"\n')))
    assert set(_statuses(report).values()) == {"skipped"}


# --- a form-login app: CSRF capture, bearer token, redirects, an echoing 500 page ------------

@dataclass
class FormApp:
    """Server state the tests look at afterwards."""

    csrf: str = field(default_factory=lambda: secrets.token_hex(8))
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    sid: str = field(default_factory=lambda: secrets.token_hex(16))
    revoke_on_logout: bool = True
    live: bool = False
    other_seen: list[dict[str, Any]] = field(default_factory=list)
    other_origin: str = ""


def _form_app(state: FormApp) -> web.Application:
    async def login_page(_: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            '<form method="post"><input type="hidden" name="csrf" '
            f'value="{state.csrf}"><input name="password" type="password"></form>'))

    async def login(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("csrf") != state.csrf:
            return web.json_response({"error": "bad csrf"}, status=403)
        if form.get("password") != PASSWORD:
            # a careless error page that echoes what it was sent, password included
            return web.Response(status=500, content_type="text/html",
                                text=f"<h1>500</h1><pre>form={dict(form)!r} "
                                     f"password={form.get('password')}</pre>")
        state.live = True
        response = web.json_response({"token": state.token, "echo": str(form.get("password"))})
        response.set_cookie("sid", state.sid, httponly=True)
        return response

    def authed(request: web.Request) -> bool:
        return (state.live and request.headers.get("Authorization") == f"Bearer {state.token}"
                and request.cookies.get("sid") == state.sid)

    async def me(request: web.Request) -> web.Response:
        if not authed(request):
            return web.json_response({"error": "login required"}, status=401)
        return web.json_response({"user": "demo", "password_hint": PASSWORD[:3]})

    async def leak(request: web.Request) -> web.Response:
        # an ordinary endpoint that (wrongly) returns the password: expectations on it still
        # must not show it
        status = 200 if authed(request) else 401
        return web.json_response({"pw": PASSWORD, "note": f"pw is {PASSWORD}"}, status=status)

    async def logout(_: web.Request) -> web.Response:
        if state.revoke_on_logout:
            state.live = False
        response = web.Response(status=204)
        response.del_cookie("sid")
        return response

    async def to_other(request: web.Request) -> web.Response:
        raise _redirect(int(request.query.get("code", "302")), f"{state.other_origin}/echo")

    async def to_file(_: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/redirect/loop")

    async def chain(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/redirect/chain/{int(request.match_info['n']) + 1}")

    async def same_origin(_: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/api/me")

    app = web.Application()
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/leak", leak)
    app.router.add_post("/logout", logout)
    app.router.add_route("*", "/redirect/other", to_other)
    app.router.add_get("/redirect/file", to_file)
    app.router.add_get("/redirect/loop", loop)
    app.router.add_get("/redirect/chain/{n}", chain)
    app.router.add_post("/redirect/same", same_origin)
    return app


def _redirect(code: int, location: str) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        302: web.HTTPFound, 307: web.HTTPTemporaryRedirect, 308: web.HTTPPermanentRedirect}
    return kinds[code](location)  # type: ignore[call-arg]


def _other_app(state: FormApp) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        state.other_seen.append({"method": request.method,
                                 "authorization": request.headers.get("Authorization"),
                                 "cookie": request.headers.get("Cookie"),
                                 "body": await request.text()})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    return app


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


FORM_FLOW = """
[[smoke.steps]]
name = "sign-in page"
path = "/login"
expect = ["status == 200"]
capture = {{ csrf = "html.input[name=csrf].value" }}

[[smoke.steps]]
name = "login"
method = "POST"
path = "/login"
form = {{ csrf = "$${{csrf}}", password = "${{SMOKE_PASSWORD}}" }}
expect = ["status == 200", "json.echo exists", "body contains 'token'"]
capture = {{ bearer = "json.token", session = "cookie.sid" }}

[[smoke.steps]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer $${{bearer}}" }}
expect = ["status == 200", "json.password_hint exists"]
{extra}
[[smoke.steps]]
name = "logout"
method = "POST"
path = "/logout"
expect = ["status == 204"]
"""

Scenario = Callable[[FormApp, Config], Awaitable[Any]]


async def _with_form_app(state: FormApp, extra: str, scenario: Scenario,
                         environ: dict[str, str] | None = None) -> Any:
    runner, origin = await _serve(_form_app(state))
    other, state.other_origin = await _serve(_other_app(state))
    try:
        text = (f'[smoke]\nbase_url = "{origin}"\n[network]\ntimeout = 5\n'
                + FORM_FLOW.format(extra=extra))
        return await scenario(state, load_config_text(text, environ=environ or ENV))
    finally:
        await other.cleanup()
        await runner.cleanup()


def _flow(state: FormApp, extra: str = "", environ: dict[str, str] | None = None) -> FlowResult:
    async def scenario(_: FormApp, config: Config) -> FlowResult:
        assert config.smoke is not None
        probes = Probes.from_network(config.network)
        try:
            return await run_flow(config.smoke, http=probes.http, environ=environ or ENV,
                                  run_id="r-1")
        finally:
            await probes.aclose()

    result: FlowResult = asyncio.run(_with_form_app(state, extra, scenario, environ))
    return result


def test_csrf_bearer_and_cookie_flow() -> None:
    state = FormApp()
    flow = _flow(state)
    assert [(s.name, s.status, s.passed) for s in flow.steps] == [
        ("sign-in page", 200, True), ("login", 200, True), ("me", 200, True),
        ("logout", 204, True)]
    assert flow.step("login").captured == ("bearer", "session")
    assert flow.step("me").authenticated
    assert flow.replay is not None and flow.replay.status == 401
    # the login's body expectations are judged, but what they saw is not kept
    assert {c.seen for c in flow.step("login").checks[1:]} == {"not shown (auth step)"}
    text = repr(flow)
    for value in (PASSWORD, state.token, state.sid, state.csrf):
        assert value not in text


def test_session_kept_alive_after_logout_is_smoke003() -> None:
    flow = _flow(FormApp(revoke_on_logout=False))
    assert flow.replay is not None and flow.replay.session_alive
    assert flow.replay.step == "me"


def test_missing_capture_fails_the_step_and_skips_its_users() -> None:
    state = FormApp()
    extra = ('[[smoke.steps]]\nname = "profile"\npath = "/api/me"\n'
             'capture = { plan = "json.plan" }\n'
             '[[smoke.steps]]\nname = "upgrade"\npath = "/api/me?plan=$${plan}"\n')
    flow = _flow(state, extra)
    profile, upgrade = flow.step("profile"), flow.step("upgrade")
    assert profile.failed and profile.missing_captures == ("plan (json.plan)",)
    assert not upgrade.ran and upgrade.skip_reason is not None
    assert "needs ${plan}" in upgrade.skip_reason


REDIRECTS = [
    ("cross-origin 302 drops credentials", "/redirect/other", "GET", True, None, 200),
    ("file: scheme refused", "/redirect/file", "GET", True, "redirect to a file: URL refused",
     302),
    ("loop", "/redirect/loop", "GET", True, "redirect loop", 302),
    ("hop cap", "/redirect/chain/0", "GET", True, "more than 5 redirects", 302),
    ("307 with a body to another origin refused", "/redirect/other?code=307", "POST", True,
     "re-send the request body to another origin", 307),
    ("not followed by default", "/redirect/other", "GET", False, None, 302),
    ("303 becomes GET on the same origin", "/redirect/same", "POST", True, None, 200),
]


@pytest.mark.parametrize(("path", "method", "follow", "error", "status"),
                         [r[1:] for r in REDIRECTS], ids=[r[0] for r in REDIRECTS])
def test_redirects(path: str, method: str, follow: bool, error: str | None,
                   status: int) -> None:
    state = FormApp()
    body = 'json = { note = "secret-ish body" }\n' if method == "POST" else ""
    extra = (f'[[smoke.steps]]\nname = "hop"\nmethod = "{method}"\npath = "{path}"\n{body}'
             f'headers = {{ Authorization = "Bearer $${{bearer}}" }}\n'
             f'follow_redirects = {str(follow).lower()}\nexpect = ["status == {status}"]\n')
    flow = _flow(state, extra)
    hop = flow.step("hop")
    assert hop.status == status
    if error is None:
        assert hop.error is None
    else:
        assert hop.error is not None and error in hop.error
    # Authorization, cookies and bodies never reach the other origin (CVE-2023-32681 class)
    for seen in state.other_seen:
        assert seen["authorization"] is None and seen["cookie"] is None and seen["body"] == ""


def test_echoed_password_in_500_page_is_never_kept() -> None:
    # Given a wrong password that the server echoes in its 500 page
    wrong = "wrong-" + PASSWORD
    state = FormApp()
    flow = _flow(state, environ={**ENV, "SMOKE_PASSWORD": wrong})
    login = flow.step("login")
    # Then login fails (SMOKE001 territory) and no output holds the password
    assert login.failed and login.status == 500
    assert wrong not in repr(flow) and PASSWORD not in repr(flow)
    assert json.dumps([c.seen for c in login.checks]).count("not shown") == 2


def test_credential_in_a_query_string_is_masked() -> None:
    extra = '[[smoke.steps]]\nname = "keyed"\npath = "/api/me?api_key=k-7d1f0c9e2b"\n'
    flow = _flow(FormApp(), extra)
    keyed = flow.step("keyed")
    assert keyed.target.endswith("/api/me?api_key=[redacted]")
    assert "k-7d1f0c9e2b" not in repr(flow)
