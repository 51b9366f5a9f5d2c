"""Check types against real servers (the demo's smoke flow, a DNS zone server, TCP), the
store's retention and status snapshot, and ``monitor once``."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from launchready.commands import monitor as monitor_command
from launchready.config.models import Config
from launchready.demo.dnsserver import ZoneServer
from launchready.demo.server import start_site
from launchready.monitor.daemon import Monitor
from launchready.monitor.state import Status
from launchready.monitor.store import Commit, ResultRow, open_store
from launchready.monitor.views import CheckState
from test_monitor_support import Target, free_port, target_server


def test_flow_dns_and_tcp_checks(tmp_path: Path) -> None:
    password = "pw-flow-checks-123"

    async def scenario() -> dict[str, Any]:
        site = await start_site(fixed=True, workdir=tmp_path / "site", password=password,
                                invoices=100)
        zone = ZoneServer({"acme.test": [("A", "127.0.0.1")]})
        host, port = await zone.start()
        try:
            async with site:
                config = Config.model_validate({
                    "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle),
                                "resolver": f"{host}:{port}"},
                    "smoke": {"base_url": site.canonical, "steps": [
                        {"name": "login", "method": "POST", "path": "/api/login",
                         "json": {"email": "demo@acme.test", "password": "${PW}"},
                         "expect": ["status == 200"]},
                        {"name": "projects", "path": "/api/projects",
                         "expect": ["status == 200"]},
                        {"name": "logout", "method": "POST", "path": "/api/logout"}]},
                    "monitor": {"database": f"sqlite:///{tmp_path / 'm.db'}",
                                "allow_private": True, "interval": "5s", "checks": [
                        {"name": "auth flow", "flow": "smoke"},
                        {"name": "apex A", "host": "acme.test", "record": "A",
                         "values": ["127.0.0.1"]},
                        {"name": "apex A wrong", "host": "acme.test", "record": "A",
                         "values": ["192.0.2.1"]},
                        {"name": "https port", "host": "127.0.0.1", "port": site.https_port},
                        {"name": "closed port", "host": "127.0.0.1", "port": free_port()},
                        {"name": "private tcp refused", "host": "127.0.0.1",
                         "port": site.https_port, "allow_private": False},
                    ]}})
                monitor = Monitor(config=config, environ={"PW": password}, web=False)
                try:
                    return await monitor.once()
                finally:
                    await monitor.close()
        finally:
            await zone.stop()

    out = asyncio.run(scenario())
    assert out["auth flow"].ok, out["auth flow"].cause
    assert out["apex A"].ok
    assert not out["apex A wrong"].ok and "differ" in out["apex A wrong"].cause
    assert out["https port"].ok
    # a refusal is an answer from the host: the path works, so it is not network level
    assert not out["closed port"].ok and not out["closed port"].network
    assert out["closed port"].cause == "connect: connection refused"
    assert "blocked non-public address 127.0.0.1" in out["private tcp refused"].cause
    assert password not in repr(out)


def test_retention_downsamples_and_uptime_reads_both(tmp_path: Path) -> None:
    async def scenario() -> Any:
        store = await open_store(f"sqlite:///{tmp_path / 'r.db'}", public={"api": True})
        now = datetime.now(UTC)
        try:
            batches = [Commit(result=ResultRow(check="api", at=now - timedelta(hours=h),
                                               ok=h % 4 != 0, latency_ms=10.0 * (h % 7 + 1)),
                              check="api", status=Status(state=CheckState.UP, since=now))
                       for h in range(0, 24 * 5)]
            await store.commit_many(batches)
            before = await store.snapshot(now)
            folded = await store.prune(now, raw_retention=timedelta(hours=48),
                                       retention=timedelta(days=30))
            after = await store.snapshot(now)
            raw = await store.results("api")
            series = await store.series("api", now - timedelta(hours=6))
            return before, after, folded, raw, series
        finally:
            await store.close()

    before, after, folded, raw, series = asyncio.run(scenario())
    assert folded == 120 - 49  # hours 49..119 folded into hourly roll-ups
    assert len(raw) == 49
    view_before, view_after = before.checks[0], after.checks[0]
    assert view_after.uptime_7d == pytest.approx(view_before.uptime_7d)
    assert view_after.uptime_24h == pytest.approx(view_before.uptime_24h)
    assert view_after.public and view_after.runs_total == 120
    assert [p.at for p in series] == sorted(p.at for p in series) and len(series) == 7
    name, counts, total = after.histograms[0]
    assert name == "api" and counts[-1] == 49 and total > 0


def test_monitor_once_command_exit_codes(tmp_path: Path) -> None:
    target = Target()

    async def scenario() -> tuple[int, int]:
        async with target_server(target) as port:
            toml = tmp_path / "launchready.toml"
            toml.write_text(
                "[monitor]\n"
                f'database = "sqlite:///{tmp_path / "once.db"}"\nallow_private = true\n'
                f'[[monitor.checks]]\nname = "api"\nurl = "http://127.0.0.1:{port}/health"\n')
            args = argparse.Namespace(config=str(toml), action="once", database=None,
                                      no_web=True, resolve=[], resolver=None, ca_bundle=None,
                                      timeout=None, quiet=True, verbose=0)
            ok = await asyncio.to_thread(monitor_command.run, args)
            target.status = 500
            bad = await asyncio.to_thread(monitor_command.run, args)
            return ok, bad

    assert asyncio.run(scenario()) == (0, 1)


def test_daemon_refuses_a_config_that_alerts_too_slowly(tmp_path: Path) -> None:
    toml = tmp_path / "launchready.toml"
    toml.write_text('[monitor]\ninterval = "5m"\n[[monitor.checks]]\nname = "home"\n'
                    'url = "https://example.com/"\n')
    args = argparse.Namespace(config=str(toml), action="once", database=None, no_web=True,
                              resolve=[], resolver=None, ca_bundle=None, timeout=None,
                              quiet=True, verbose=0)
    from launchready.errors import ConfigError

    with pytest.raises(ConfigError, match=r"monitor\.checks\[0\]\.interval"):
        monitor_command.run(args)


def test_daemon_serves_status_page_metrics_and_healthz(tmp_path: Path) -> None:
    import aiohttp

    target = Target()

    async def scenario() -> dict[str, tuple[int, str]]:
        async with target_server(target) as port:
            config = Config.model_validate({"monitor": {
                "interval": "1s", "database": f"sqlite:///{tmp_path / 'w.db'}",
                "allow_private": True, "listen": "127.0.0.1:0",
                "checks": [{"name": "api", "public": True,
                            "url": f"http://127.0.0.1:{port}/health?token=tok-SECRET-1234",
                            "headers": {"Authorization": "Bearer hdr-SECRET-5678"}}]}})
            monitor = Monitor(config=config)
            await monitor.start()
            try:
                await asyncio.sleep(1.5)
                address = monitor.web_address
                assert address is not None
                pages: dict[str, tuple[int, str]] = {}
                async with aiohttp.ClientSession() as session:
                    for path in ("/", "/metrics", "/healthz", "/api/status.json"):
                        async with session.get(f"http://127.0.0.1:{address[1]}{path}") as r:
                            pages[path] = (r.status, await r.text())
                return pages
            finally:
                await monitor.stop()

    pages = asyncio.run(scenario())
    assert all(status == 200 for status, _ in pages.values()), pages
    assert "api" in pages["/"][1]
    for _, text in pages.values():
        assert "SECRET" not in text and "/health?token" not in text
