"""PERF001-PERF004: the pure evaluate layer, table-driven, then real runs against the demo app."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import pytest

from launchready.checks.base import Context
from launchready.checks.perf.latency import EndpointRun, PerfChecks, PerfObservation
from launchready.config.models import Config
from launchready.demo.server import DemoSite, start_site
from launchready.engine import arun_audit
from launchready.errors import UsageError
from launchready.model import CheckStatus, Measurement, OutputFile, Report
from launchready.perf.baseline import Baseline, EndpointStats
from launchready.perf.chart import percentile_svg
from launchready.perf.histogram import LatencyHistogram
from launchready.perf.load import RunResult
from launchready.pipeline import write_output

PASSWORD = "perf-test-password-1"


def _config(perf: dict[str, Any], **extra: Any) -> Config:
    return Config.model_validate({"app": {"canonical": "https://app.acme.test"},
                                  "perf": perf, **extra})


def _ctx(config: Config) -> Context:
    return Context(loaded=config, probes=cast(Any, SimpleNamespace()), environ={},
                   now=cast(Any, None), timeout=5)


def _result(latencies_ms: list[float], *, errors: int = 0, segments: tuple[float, ...] = (),
            model: str = "closed", timeouts: int = 0) -> RunResult:
    return RunResult(model=cast(Any, model), planned=len(latencies_ms),
                     completed=len(latencies_ms), errors=errors, timeouts=timeouts, late=0,
                     dropped=0, interrupted=False, elapsed_s=1.0,
                     histogram=LatencyHistogram.of_ms(latencies_ms), segment_p95_ms=segments,
                     statuses={200: len(latencies_ms) - errors, 503: errors},
                     error_kinds={"timeout": timeouts} if timeouts else {})


def _run(name: str, cls: str, budget: float, result: RunResult | None, **kw: Any) -> EndpointRun:
    return EndpointRun(name=name, endpoint_class=cls, method="GET",
                       url=f"https://app.acme.test/{name}", budget_ms=budget, result=result,
                       **kw)


FAST = [10.0] * 95 + [20.0] * 5
SLOW = [10.0] * 90 + [900.0] * 10
VERY_SLOW = [100.0] * 90 + [2000.0] * 10

CASES = [
    ("core-fast", [_run("projects", "core", 500, _result(FAST))], {}, set()),
    ("core-slow", [_run("projects", "core", 500, _result(SLOW))], {}, {"PERF001"}),
    ("heavy-under-1.5s", [_run("revenue", "heavy", 1500, _result(SLOW))], {}, set()),
    ("heavy-over-1.5s", [_run("revenue", "heavy", 1500, _result(VERY_SLOW))], {}, {"PERF002"}),
    ("heavy-own-budget", [_run("revenue", "heavy", 5, _result(FAST))], {}, {"PERF002"}),
    ("errors", [_run("projects", "core", 500, _result(FAST, errors=3))], {}, {"PERF004"}),
    ("errors-allowed", [_run("projects", "core", 500, _result(FAST, errors=3))],
     {"max_error_rate": "5%"}, set()),
    ("timeouts", [_run("projects", "core", 500, _result(FAST, errors=2, timeouts=2))], {},
     {"PERF004"}),
    ("expectation", [_run("projects", "core", 500, _result(FAST),
                          failed_expectations=("json.items exists (saw absent)",))], {},
     {"PERF004"}),
]


@pytest.mark.parametrize(("runs", "perf", "fired"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_budgets_and_errors(runs: list[EndpointRun], perf: dict[str, Any],
                            fired: set[str]) -> None:
    config = _config({"endpoints": [{"name": "x", "path": "/x"}], **perf})
    obs = PerfObservation(base_url="https://app.acme.test", endpoints=tuple(runs))
    outcome = PerfChecks().evaluate(obs, _ctx(config))
    assert {f.rule_id for f in outcome.findings} == fired
    # every measured endpoint is in measurements, finding or not
    assert [m.target for m in outcome.measurements] == [r.name for r in runs]
    for f in outcome.findings:
        assert f.evidence and f.impact and f.fix
        assert "budget" in f.evidence or "failed" in f.evidence or "saw" in f.evidence


def test_fingerprint_does_not_depend_on_latency() -> None:
    config = _config({"endpoints": [{"name": "x", "path": "/x"}]})

    def fingerprint(latencies: list[float]) -> str:
        obs = PerfObservation(base_url="https://app.acme.test",
                              endpoints=(_run("projects", "core", 500, _result(latencies)),))
        return PerfChecks().evaluate(obs, _ctx(config)).findings[0].fingerprint

    assert fingerprint(SLOW) == fingerprint([700.0] * 100)


BASE = Baseline(created_at="", endpoints={
    "projects": EndpointStats(model="closed", requests=100, p50_ms=10, p95_ms=10, p99_ms=20,
                              segment_p95_ms=(10, 10.5, 9.8))})


@pytest.mark.parametrize(("latencies", "segments", "fired"), [
    (FAST, (10.0, 10.2, 10.1), set()),
    ([40.0] * 100, (40.0, 40.2, 39.9), {"PERF003"}),
    ([13.0] * 100, (5.0, 13.0, 30.0), set()),
], ids=["no-change", "regression", "noise-above-threshold"])
def test_baseline_regressions(latencies: list[float], segments: tuple[float, ...],
                              fired: set[str]) -> None:
    config = _config({"baseline": "perf.json", "endpoints": [{"name": "x", "path": "/x"}]})
    obs = PerfObservation(base_url="https://app.acme.test", baseline=BASE, endpoints=(
        _run("projects", "core", 500, _result(latencies, segments=segments)),))
    outcome = PerfChecks().evaluate(obs, _ctx(config))
    assert {f.rule_id for f in outcome.findings} == fired
    table = next(t for t in outcome.tables if t.title == "p95 vs perf baseline")
    assert "vs baseline" in table.rows[0][3]


def test_refused_and_unreadable_baseline_are_errors_not_findings() -> None:
    config = _config({"baseline": "perf.json", "endpoints": [{"name": "x", "path": "/x"}]})
    obs = PerfObservation(base_url="https://prod.example", refused="refusing to load prod")
    outcome = PerfChecks().evaluate(obs, _ctx(config))
    assert set(outcome.errors) == {"PERF001", "PERF002", "PERF003", "PERF004"}
    assert not outcome.findings
    obs = PerfObservation(base_url="https://app.acme.test", baseline_error="not JSON",
                          endpoints=(_run("projects", "core", 500, _result(FAST)),))
    outcome = PerfChecks().evaluate(obs, _ctx(config))
    assert outcome.errors == {"PERF003": "not JSON"}


def test_save_baseline_is_a_file_for_the_pipeline_never_a_partial_run(tmp_path: Path) -> None:
    target = str(tmp_path / "perf.json")
    config = _config({"save_baseline": target, "endpoints": [{"name": "x", "path": "/x"}]})
    whole = PerfObservation(base_url="https://app.acme.test",
                            endpoints=(_run("x", "core", 500, _result(FAST, segments=(1, 2))),))
    outcome = PerfChecks().evaluate(whole, _ctx(config))
    [file] = outcome.output_files
    assert json.loads(file.text)["endpoints"]["x"]["segment_p95_ms"] == [1, 2]
    assert outcome.tables[-1].rows == ((f"perf baseline saved to {target}",),)
    stopped = replace(whole.endpoints[0], result=replace(whole.endpoints[0].result,
                                                         interrupted=True))
    outcome = PerfChecks().evaluate(replace(whole, endpoints=(stopped,)), _ctx(config))
    assert outcome.output_files == ()
    assert outcome.tables[-1].rows == (("perf baseline not saved: partial run for x",),)


def test_an_unwritable_baseline_path_is_a_usage_error_naming_the_key(tmp_path: Path) -> None:
    output = OutputFile(path=str(tmp_path / "missing" / "perf.json"), text="{}",
                        what="perf baseline", key="perf.save_baseline")
    with pytest.raises(UsageError, match=r"perf\.save_baseline: cannot write perf baseline"):
        write_output(output)
    write_output(replace(output, path=str(tmp_path / "perf.json")))
    assert (tmp_path / "perf.json").read_text() == "{}"
    assert not (tmp_path / "perf.json.tmp").exists()


def test_percentile_chart_is_escaped_svg() -> None:
    m = Measurement(check="PERF001", target="<script>x</script>", requests=10, errors=0,
                    p50_ms=10, p95_ms=20, p99_ms=30, max_ms=40, rps=5.0)
    svg = percentile_svg(m, budget_ms=25)
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    curve = LatencyHistogram.of_ms(FAST).curve_ms((0.0, 50.0, 99.0, 99.9, 100.0))
    ET.fromstring(percentile_svg(m, curve))  # noqa: S314


def test_skip_reasons() -> None:
    ctx = _ctx(Config())
    assert PerfChecks().skip_reason(ctx) == "no [perf] section"
    ctx = _ctx(Config.model_validate({"perf": {"endpoints": [{"name": "x", "path": "/x"}]}}))
    assert "base URL" in (PerfChecks().skip_reason(ctx) or "")


# --- against the demo app ---------------------------------------------------------------------

def _demo_config(site: DemoSite, perf: dict[str, Any]) -> Config:
    return Config.model_validate({
        "app": {"canonical": site.canonical},
        "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle), "timeout": 5},
        "smoke": {"steps": [{"name": "login", "method": "POST", "path": "/api/login",
                             "json": {"email": "demo@acme.test", "password": PASSWORD}}]},
        "perf": {"requests": 40, "concurrency": 4, "warmup": 4, **perf},
    })


ENDPOINTS = [{"name": "projects list", "path": "/api/projects", "class": "core"},
             {"name": "revenue report", "path": "/api/reports/revenue", "class": "heavy",
              "expect": ["status == 200", "json.months exists"]}]


def _status(report: Report, rid: str) -> CheckStatus:
    return next(c.status for c in report.checks if c.id == rid)


def test_demo_budgets_burst_and_baseline(tmp_path: Path) -> None:
    async def main() -> None:
        async with await start_site(fixed=False, workdir=tmp_path, password=PASSWORD,
                                    invoices=5000) as site:
            # Given the smoke session: both endpoints inside their class budgets, no errors
            config = _demo_config(site, {"auth": "smoke", "burst": 6, "endpoints": ENDPOINTS,
                                         "save_baseline": str(tmp_path / "perf.json")})
            report = await arun_audit(config, families=[PerfChecks()])
            assert [_status(report, r) for r in ("PERF001", "PERF002", "PERF004")] == \
                [CheckStatus.PASS] * 3
            by_target = {m.target: m for m in report.measurements}
            assert set(by_target) == {"projects list", "revenue report",
                                      "login burst (6 concurrent)"}
            assert by_target["projects list"].requests == 40
            assert by_target["projects list"].errors == 0
            assert by_target["revenue report"].check == "PERF002"
            # the checks only ask for the baseline file; the command pipeline writes it
            assert not (tmp_path / "perf.json").exists()
            [saved] = report.output_files
            assert (saved.path, saved.key) == (str(tmp_path / "perf.json"),
                                               "perf.save_baseline")
            write_output(saved)

            # When the heavy report gets a budget it cannot meet, PERF002 fails
            tiny = [ENDPOINTS[0], {**ENDPOINTS[1], "budget_ms": 0.01}]
            config = _demo_config(site, {"auth": "smoke", "endpoints": tiny,
                                         "baseline": str(tmp_path / "perf.json")})
            report = await arun_audit(config, families=[PerfChecks()])
            assert _status(report, "PERF002") is CheckStatus.FAIL
            assert _status(report, "PERF001") is CheckStatus.PASS
            assert any(t.title == "p95 vs perf baseline" for t in report.tables)

    asyncio.run(main())


def test_demo_auth_seam_and_unauthenticated_errors(tmp_path: Path) -> None:
    async def main() -> None:
        async with await start_site(fixed=True, workdir=tmp_path, password=PASSWORD,
                                    invoices=2000) as site:
            config = _demo_config(site, {"auth": "none", "endpoints": ENDPOINTS[:1]})
            # Without a session the core read answers 401: errors under load (PERF004)
            report = await arun_audit(config, families=[PerfChecks()])
            assert _status(report, "PERF004") is CheckStatus.FAIL
            assert "HTTP 401" in next(f.evidence for f in report.findings
                                      if f.rule_id == "PERF004")
            # An explicit header (the seam the smoke session plugs into) authenticates it
            cookie = await _login_cookie(site)
            report = await arun_audit(config, families=[PerfChecks(headers={"Cookie": cookie})])
            assert _status(report, "PERF004") is CheckStatus.PASS
            assert cookie not in repr(report)

            async def provider(ctx: Context) -> dict[str, str]:
                return {"Cookie": cookie}

            smoke_cfg = _demo_config(site, {"auth": "smoke", "endpoints": ENDPOINTS[:1]})
            report = await arun_audit(smoke_cfg, families=[PerfChecks(auth=provider)])
            assert _status(report, "PERF004") is CheckStatus.PASS

    asyncio.run(main())


async def _login_cookie(site: DemoSite) -> str:
    import ssl

    ctx = ssl.create_default_context(cafile=str(site.ca_bundle))
    host, port = site.canonical_host, int(site.canonical.rsplit(":", 1)[1])
    connector = aiohttp.TCPConnector(ssl=ctx, resolver=_Pinned(host, port))
    async with aiohttp.ClientSession(connector=connector) as client, client.post(
            f"{site.canonical}/api/login",
            json={"email": "demo@acme.test", "password": PASSWORD}) as resp:
        assert resp.status == 200
        morsel = resp.cookies["acme_session"]
        return f"acme_session={morsel.value}"


class _Pinned(aiohttp.abc.AbstractResolver):
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[Any]:
        import socket

        return [{"hostname": host, "host": "127.0.0.1", "port": port,
                 "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


def test_non_loopback_target_is_refused_before_any_traffic() -> None:
    # app.acme.test pinned to a documentation address: refused by the safety rule, not
    # connected to (the check is on the address, before any socket is opened)
    config = Config.model_validate({
        "app": {"canonical": "https://app.acme.test"},
        "network": {"resolve": ["app.acme.test:443:192.0.2.10"]},
        "perf": {"endpoints": [{"name": "home", "path": "/"}]}})
    report = asyncio.run(arun_audit(config, families=[PerfChecks()]))
    errors = {c.id: c.error for c in report.checks}
    assert all("--yes-load" in (errors[r] or "") for r in ("PERF001", "PERF003"))
    assert report.measurements == ()
