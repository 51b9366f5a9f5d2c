"""The Alertmanager hand-off against Debian's real ``prometheus-alertmanager``: a DOWN is an
active alert there, the recovery resolves it, and the alert objects are well-formed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alertmanagerharness import BINARY, alertmanager
from launchready.config.models import Config
from launchready.monitor.alertmanager import alertmanager_target, alerts
from launchready.monitor.daemon import Monitor
from test_monitor_support import Target, target_server, wait_for

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("route", "url"), [
    ("alertmanager://am.internal:9093", "http://am.internal:9093/api/v2/alerts"),
    ("alertmanagers://am.acme.test/prefix/", "https://am.acme.test/prefix/api/v2/alerts"),
    ("json://am.internal:9093", None),
], ids=["http", "https with a path prefix", "another scheme"])
def test_alertmanager_target(route: str, url: str | None) -> None:
    target = alertmanager_target(route)
    assert (target.url if target else None) == url


def test_alert_objects_keep_labels_so_a_recovery_resolves_its_down() -> None:
    down, back = alerts([("[DOWN] api", "api is DOWN: status 503."),
                         ("[RECOVERED] api", "api is UP again")], NOW)
    assert down["labels"] == back["labels"] == {
        "alertname": "LaunchreadyCheckDown", "check": "api", "source": "launchready"}
    assert down["endsAt"] == "2026-12-02T12:00:00Z"  # not resolved by resolve_timeout
    assert back["endsAt"] == "2026-12-01T12:00:00Z"  # resolved now
    (offline,) = alerts([("[MONITOR OFFLINE] launchready", "…")], NOW)
    assert offline["labels"]["alertname"] == "LaunchreadyMonitor"  # type: ignore[index]


@pytest.mark.skipif(BINARY is None, reason="prometheus-alertmanager is not installed "
                                           "(scripts/system-deps.sh installs it)")
def test_down_is_an_active_alert_in_alertmanager_and_the_recovery_resolves_it(
        tmp_path: Path) -> None:
    target = Target()

    def ours(am_alerts: list[dict[str, object]]) -> list[dict[str, object]]:
        return [a for a in am_alerts
                if a["labels"].get("check") == "api"]  # type: ignore[attr-defined]

    async def scenario() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        with alertmanager(tmp_path) as am:
            async with target_server(target) as port:
                config = Config.model_validate({"monitor": {
                    "interval": "1s", "timeout": "0.5s", "jitter": "0s", "canaries": [],
                    "database": f"sqlite:///{tmp_path / 'm.db'}", "allow_private": True,
                    "checks": [{"name": "api", "url": f"http://127.0.0.1:{port}/health"}],
                    "alerts": [{"url": f"alertmanager://127.0.0.1:{am.port}"}]}})
                monitor = Monitor(config=config, web=False, group_window=0.5)
                await monitor.start()
                try:
                    await wait_for(lambda: "api" in monitor.statuses, 5)
                    target.status = 503
                    await wait_for(lambda: bool(ours(am.alerts())), 10, step=0.3)
                    firing = ours(am.alerts())
                    target.status = 200
                    await wait_for(lambda: all(
                        a["status"]["state"] != "active"  # type: ignore[index]
                        for a in ours(am.alerts())), 10, step=0.3)
                    after = ours(am.alerts())
                finally:
                    await monitor.stop()
                return firing, after

    firing, after = asyncio.run(scenario())
    assert len(firing) == 1
    assert firing[0]["status"]["state"] == "active"  # type: ignore[index]
    assert firing[0]["annotations"]["summary"] == "[DOWN] api"  # type: ignore[index]
    assert all(a["status"]["state"] != "active" for a in after)  # type: ignore[index]
