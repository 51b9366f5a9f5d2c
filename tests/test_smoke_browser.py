"""Browser mode: the smoke flow as browser steps in headless Chromium against a small SPA.

The SPA is static HTML whose script logs in with ``fetch`` and renders the dashboard; on a
failed login it writes the typed password into the page, so a careless runner would print it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from launchready.checks.smoke.flow import SmokeChecks
from launchready.config import load_config_text
from launchready.engine import Selection, arun_audit
from launchready.model import Report
from launchready.report import Format, render
from launchready.smoke.browser import CHROMIUM

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs /usr/bin/chromium (apt-get install -y chromium)"),
]

PASSWORD = "cobalt-lantern-58-meadow"
SPA = """<!doctype html>
<html><head><title>Acme</title></head><body>
<form id="login"><input id="email" name="email"><input id="password" type="password">
<button type="submit">Sign in</button></form>
<main id="app"></main><p id="error"></p>
<script>
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const email = document.getElementById("email").value;
  const password = document.getElementById("password").value;
  const res = await fetch("/api/login", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({email, password})});
  if (!res.ok) {
    document.getElementById("error").textContent = "Login failed for " + password;
    return;
  }
  const me = await (await fetch("/api/dashboard")).json();
  document.getElementById("app").textContent = "Welcome to " + me.account;
  history.pushState({}, "", "/dashboard");
});
</script></body></html>"""


def _spa() -> web.Application:
    sessions: set[str] = set()

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=SPA, content_type="text/html")

    async def login(request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("password") != PASSWORD:
            return web.json_response({"error": "invalid", "echo": data.get("password")},
                                     status=401)
        sessions.add("s1")
        response = web.json_response({"ok": True})
        response.set_cookie("sid", "s1", httponly=True)
        return response

    async def dashboard(request: web.Request) -> web.Response:
        if request.cookies.get("sid") not in sessions:
            return web.json_response({"error": "login"}, status=401)
        return web.json_response({"account": "Acme Corp"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/dashboard", dashboard)
    return app


FLOW = """
[smoke]
base_url = "{origin}"
mode = "browser"
browser = [
  {{ goto = "/" }},
  {{ fill = "#email", value = "${{SMOKE_EMAIL}}" }},
  {{ fill = "#password", value = "${{SMOKE_PASSWORD}}" }},
  {{ name = "login", click = "button[type=submit]", login = true }},
  {{ expect_text = "Welcome to Acme Corp", timeout = 3 }},
  {{ expect_url = "/dashboard", timeout = 2 }},
]
"""


def _audit(password: str) -> Report:
    async def scenario() -> Report:
        runner = web.AppRunner(_spa(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            config = load_config_text(FLOW.format(origin=origin), environ={
                "SMOKE_EMAIL": "demo@acme.test", "SMOKE_PASSWORD": password})
            return await arun_audit(config, families=[SmokeChecks()],
                                    selection=Selection(only=("SMOKE",)))
        finally:
            await runner.cleanup()

    return asyncio.run(scenario())


def test_browser_login_passes() -> None:
    report = _audit(PASSWORD)
    assert report.findings == ()
    statuses = {c.id: c.status.value for c in report.checks}
    assert statuses == {"SMOKE001": "pass", "SMOKE002": "pass", "SMOKE003": "error",
                        "SMOKE004": "pass"}
    rows = report.tables[0].rows
    assert [r[-1] for r in rows[:-1]] == ["pass"] * 6
    # the login phase runs through the expectations that prove the login worked
    assert all(r[0].endswith("(login)") for r in rows[:-1])
    assert "HTTP mode" in rows[-1][-1]


def test_browser_login_failure_is_smoke001_and_hides_the_password(tmp_path: Path) -> None:
    wrong = "wrong-" + PASSWORD
    report = _audit(wrong)
    assert [f.rule_id for f in report.findings] == ["SMOKE001"]
    evidence = report.findings[0].evidence
    assert "text 'Welcome to Acme Corp' is shown (saw not on the page after 3s)" in evidence
    # the page now shows the typed password; no output does
    for fmt in Format:
        text = render(report, fmt)
        assert wrong not in text and PASSWORD not in text, fmt
