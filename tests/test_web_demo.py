"""Every web-surface family against the real demo app: flawed fails, fixed passes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from launchready.checks.base import CheckFamily
from launchready.checks.web._session import JsonLogin, json_login
from launchready.checks.web.caching import AssetCachingChecks, AuthCachingChecks
from launchready.checks.web.cookies import CookieChecks
from launchready.checks.web.cors import CorsChecks
from launchready.checks.web.errors import ErrorPageChecks
from launchready.checks.web.exposure import ExposureChecks
from launchready.checks.web.headers import HeaderChecks
from launchready.config.models import Config
from launchready.demo.app import DEMO_EMAIL, SESSION_COOKIE
from launchready.demo.server import DemoSite, start_site
from launchready.model import Report
from launchready.probes import Probes
from webfixtures import audit, of, status

PASSWORD = "tidal-orchard-nine-kites"
LOGIN = JsonLogin(path="/api/login", payload={"email": DEMO_EMAIL, "password": PASSWORD})
AUTH_PATHS = ["/api/dashboard", "/api/projects"]
RULES = ("WEB004", "WEB005", "WEB006", "WEB007", "WEB008", "WEB009", "SEC004", "SEC009")


def _config(site: DemoSite, **extra: Any) -> Config:
    return Config.model_validate({
        "app": {"canonical": site.canonical, "domain": site.apex},
        "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle), "timeout": 5},
        **extra})


def _families() -> list[CheckFamily[Any]]:
    return [HeaderChecks(), AssetCachingChecks(),
            AuthCachingChecks(login=LOGIN, auth_paths=AUTH_PATHS), CookieChecks(login=LOGIN),
            CorsChecks(login=LOGIN, auth_paths=AUTH_PATHS),
            ErrorPageChecks(error_paths=["/api/debug/crash"]), ExposureChecks()]


def _run(tmp_path: Path, fixed: bool) -> Report:
    async def main() -> Report:
        site = await start_site(fixed=fixed, workdir=tmp_path, password=PASSWORD, invoices=500)
        async with site:
            return await audit(_config(site), _families())

    return asyncio.run(main())


@pytest.mark.parametrize("fixed", [False, True], ids=["flawed", "fixed"])
def test_demo(tmp_path: Path, fixed: bool) -> None:
    report = _run(tmp_path, fixed)
    results = {rid: status(report, rid) for rid in RULES}
    if fixed:
        assert results == dict.fromkeys(RULES, "pass"), report.findings
        return
    assert results == {"WEB004": "fail", "WEB005": "pass", "WEB006": "fail", "WEB007": "fail",
                       "WEB008": "pass", "WEB009": "pass", "SEC004": "fail", "SEC009": "pass"}
    assert len(of(report, "WEB004")) == 4
    (cacheable,) = of(report, "WEB006")
    assert cacheable.target.endswith("/api/dashboard")
    assert "public, max-age=300" in cacheable.evidence
    leaks = {f.title: f.severity.value for f in of(report, "WEB007")}
    assert leaks["Stack trace on an error page (Python traceback)"] == "high"
    assert leaks["Software version disclosed (Server header)"] == "medium"
    (maps,) = of(report, "SEC004")
    assert ".js.map (named by sourceMappingURL)" in maps.evidence
    # no secret or session value leaks into any finding
    assert not any(PASSWORD in f.evidence or "sk_live_" in f.evidence for f in report.findings)


def test_smoke_login_step_provides_the_session(tmp_path: Path) -> None:
    smoke = {"smoke": {"steps": [
        {"name": "login", "method": "POST", "path": "/api/login",
         "json": {"email": DEMO_EMAIL, "password": PASSWORD}},
        {"name": "dashboard", "path": "/api/dashboard"},
        {"name": "logout", "method": "POST", "path": "/api/logout"}]}}

    async def main() -> None:
        site = await start_site(fixed=False, workdir=tmp_path, password=PASSWORD, invoices=500)
        async with site:
            config = _config(site, **smoke)
            report = await audit(config, [AuthCachingChecks(), CookieChecks()])
            probes = Probes.from_network(config.network)
            try:
                result = await json_login(probes.http, site.canonical, LOGIN)
            finally:
                await probes.aclose()
        assert status(report, "WEB006") == "fail" and status(report, "WEB008") == "pass"
        assert result.ok and SESSION_COOKIE in result.cookies
        assert list(result.cookie_header()) == ["Cookie"]

    asyncio.run(main())
