"""OBS001–OBS004: table-driven over the pure layer, then against real local servers (the demo
app's health endpoint, a shallow one, webhook receivers for ``monitor test-alert``)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from launchready.checks.obs import (
    AlertDeliveryChecks,
    HealthEndpointChecks,
    MonitorCoverageChecks,
)
from launchready.checks.obs.alerts import AlertTest, parse_record
from launchready.checks.obs.coverage import coverage_of, judge
from launchready.checks.obs.health import HealthObservation, HealthProbe, dependencies
from launchready.checks.obs.health import judge as judge_health
from launchready.commands import monitor as monitor_command
from launchready.config.models import Config
from launchready.demo.server import start_site
from launchready.engine import arun_audit
from test_monitor_support import Hook, serve_app, webhook

HOME, AUTH, CORE = ("Homepage not monitored", "Auth flow not monitored",
                    "Core route not monitored")
NOROUTE = "No alert route or alerts too slow"
SHALLOW = "Health endpoint does not check its dependencies"
MISSING = "Health endpoint missing"
BASE = {"app": {"canonical": "https://app.acme.example"}}
SMOKE = {"smoke": {"steps": [
    {"name": "login", "method": "POST", "path": "/api/login"},
    {"name": "projects", "path": "/api/projects"},
    {"name": "logout", "method": "POST", "path": "/api/logout"}]}}
ALERT = [{"url": "json://hooks.example/alert"}]
FULL = [{"name": "homepage", "url": "https://app.acme.example/"},
        {"name": "auth flow", "flow": "smoke"},
        {"name": "projects", "url": "https://app.acme.example/api/projects"}]

COVERAGE = [
    ("everything covered", {**SMOKE, "monitor": {"checks": FULL, "alerts": ALERT}}, []),
    ("no monitor section", {**SMOKE}, [("OBS002", HOME), ("OBS002", AUTH),
                                       ("OBS002", CORE), ("OBS003", NOROUTE)]),
    ("homepage only, no alerts", {**SMOKE, "monitor": {"checks": FULL[:1]}},
     [("OBS002", AUTH), ("OBS002", CORE), ("OBS003", NOROUTE)]),
    ("login path checked by url counts as auth", {**SMOKE, "monitor": {"alerts": ALERT,
     "checks": [FULL[0], FULL[2], {"name": "login", "url": "https://app.acme.example/api/login",
                                   "method": "POST"}]}}, []),
    ("no smoke flow: only the homepage is asked for", {"monitor": {"checks": FULL[:1],
                                                                   "alerts": ALERT}}, []),
    ("5 minute interval is too slow", {**SMOKE, "monitor": {
        "checks": FULL, "alerts": ALERT, "interval": "5m"}},
     [("OBS003", "Alerts too slow")] * 3),
]


@pytest.mark.parametrize(("cfg", "expected"), [c[1:] for c in COVERAGE],
                         ids=[c[0] for c in COVERAGE])
def test_coverage(cfg: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    config = Config.model_validate({**BASE, **cfg})
    findings = judge(coverage_of(config))
    got = [(f.rule_id, f.title) for f in findings]
    assert got == expected
    for f in findings:
        assert f.fix and f.impact and f.evidence


@pytest.mark.parametrize(("body", "deps"), [
    ('{"status": "ok", "db": "ok"}', ["db"]),
    ('{"status": "pass", "checks": {"postgres:connections": [], "redis": []}}',
     ["postgres:connections", "redis"]),
    ('{"status": "ok"}', []),
    ('{"ok": true, "version": "1.2"}', []),
    ("ok", []),
    ("[1, 2]", []),
], ids=["db key", "health+json checks", "status only", "ok+version", "plain text", "list"])
def test_health_dependencies(body: str, deps: list[str]) -> None:
    assert dependencies(body) == deps


@pytest.mark.parametrize(("probes", "rule"), [
    ((HealthProbe(url="https://a/healthz", status=200, body='{"status":"ok","db":"ok"}'),),
     None),
    ((HealthProbe(url="https://a/healthz", status=200, body="ok"),), SHALLOW),
    ((HealthProbe(url="https://a/healthz", status=404), HealthProbe(url="https://a/health",
                                                                    status=404)), MISSING),
], ids=["deep", "shallow", "missing"])
def test_health_judge(probes: tuple[HealthProbe, ...], rule: str | None) -> None:
    out = judge_health(HealthObservation(probes=probes, configured=False))
    assert [f.title for f in out.findings] == ([rule] if rule else [])


def test_health_unreachable_is_an_error_not_a_finding() -> None:
    out = judge_health(HealthObservation(probes=(HealthProbe(
        url="https://a/healthz", status=None, error="timeout"),), configured=False))
    assert out.findings == () and "OBS001" in out.errors


@pytest.mark.parametrize(("raw", "failed", "error", "skipped"), [
    (None, 0, False, True),
    ('{"at": "t", "routes": [{"route": "a", "ok": true, "error": ""}]}', 0, False, False),
    ('{"at": "t", "routes": [{"route": "a", "ok": false, "error": "HTTP 404"}]}', 1, False,
     False),
    ("{broken", 0, True, False),
], ids=["never tested", "delivered", "failed", "damaged"])
def test_alert_record(raw: str | None, failed: int, error: bool, skipped: bool) -> None:
    obs: AlertTest = parse_record(raw)
    out = AlertDeliveryChecks().evaluate(obs, None)  # type: ignore[arg-type]
    assert len(out.findings) == failed
    assert ("OBS004" in out.errors) is error
    # never tested: nothing to judge yet, so skipped with how to test, not an error
    assert ("OBS004" in out.skipped) is skipped


# ---- against real servers --------------------------------------------------------------------


def test_demo_health_endpoint_passes_and_a_shallow_one_fails(tmp_path: Path) -> None:
    async def shallow(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def scenario() -> tuple[Any, Any]:
        site = await start_site(fixed=True, workdir=tmp_path / "site", password="pw-obs-12345",
                                invoices=100)
        async with site:
            deep_cfg = Config.model_validate({
                "app": {"canonical": site.canonical},
                "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle)}})
            deep = await arun_audit(deep_cfg, families=[HealthEndpointChecks()])
        app = web.Application()
        app.router.add_get("/healthz", shallow)
        async with serve_app(app) as port:
            cfg = Config.model_validate({"monitor": {"checks": [{
                "name": "health", "url": f"http://127.0.0.1:{port}/healthz"}]}})
            flat = await arun_audit(cfg, families=[HealthEndpointChecks()])
        return deep, flat

    deep, flat = asyncio.run(scenario())
    assert [f.rule_id for f in deep.findings] == []
    assert [(f.rule_id, f.title) for f in flat.findings] == [
        ("OBS001", SHALLOW)]


def test_test_alert_records_results_and_audit_reports_the_failing_route(tmp_path: Path) -> None:
    good, bad = Hook(), Hook(script=[(404, {})])

    async def scenario() -> tuple[int, Any]:
        async with webhook(good) as gport, webhook(bad) as bport:
            toml = tmp_path / "launchready.toml"
            toml.write_text(
                "[monitor]\n"
                f'database = "sqlite:///{tmp_path / "mon.db"}"\n'
                "[[monitor.checks]]\nname = \"home\"\nurl = \"https://example.com/\"\n"
                f'[[monitor.alerts]]\nname = "team"\nurl = "json://127.0.0.1:{gport}/hook"\n'
                f'[[monitor.alerts]]\nname = "old"\nurl = "json://127.0.0.1:{bport}/hook"\n')
            args = argparse.Namespace(config=str(toml), action="test-alert", database=None,
                                      no_web=True, resolve=[], resolver=None, ca_bundle=None,
                                      timeout=None, quiet=True, verbose=0)
            code = await asyncio.to_thread(monitor_command.run, args)
            from launchready.config.loader import load_config

            report = await arun_audit(load_config(str(toml)),
                                      families=[AlertDeliveryChecks()])
            return code, report

    code, report = asyncio.run(scenario())
    assert code == 1
    assert len(good.delivered) == 1 and len(bad.received) == 1
    assert [(f.rule_id, f.target) for f in report.findings] == [
        ("OBS004", "alert route old (json)")]
    assert "HTTP 404" in report.findings[0].evidence
    assert "127.0.0.1" not in report.findings[0].evidence
    # the audit itself sent nothing more
    assert len(good.received) == 1 and len(bad.received) == 1


def test_coverage_family_runs_without_network() -> None:
    config = Config.model_validate({**BASE, "monitor": {"checks": FULL[:1]}})
    report = asyncio.run(arun_audit(config, families=[MonitorCoverageChecks()]))
    assert sorted(f.rule_id for f in report.findings) == ["OBS003"]
