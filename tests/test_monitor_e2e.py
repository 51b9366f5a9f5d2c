"""End to end: the monitor watches the demo app, the app stops, one alert e-mail arrives; the
app comes back, one recovery arrives. Real parts only: the demo app on 127.0.0.1 (behind a
TCP forwarder so its address survives a restart), a real SMTP server (aiosmtpd), SQLite.

The interval is 2 s (the config allows intervals from 1 s) to keep the test short; the
deadline is the one the issue sets: interval x threshold + timeout + 5 s.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from launchready.config.models import Config
from launchready.demo.server import start_site
from launchready.monitor.daemon import Monitor
from launchready.monitor.views import CheckState
from test_monitor_support import Forwarder, forwarder, smtp_server, wait_for

INTERVAL, THRESHOLD, TIMEOUT = 2.0, 2, 1.5


def _config(fwd_port: int, smtp_port: int, ca: Path, db: Path) -> Config:
    return Config.model_validate({
        "network": {"resolve": [f"app.acme.test:{fwd_port}:127.0.0.1"], "ca_bundle": str(ca)},
        "monitor": {
            "interval": f"{INTERVAL:g}s", "timeout": f"{TIMEOUT:g}s", "jitter": "0.2s",
            "failure_threshold": THRESHOLD, "success_threshold": 2,
            "database": f"sqlite:///{db}", "allow_private": True,
            "checks": [{"name": "health", "url": f"https://app.acme.test:{fwd_port}/healthz",
                        "expect": ["status == 200", "json.db == 'ok'"],
                        "owner": "ops@acme.test"}],
            "alerts": [{"url": f"mailto://127.0.0.1:{smtp_port}?from=monitor@acme.test"
                               f"&to=ops@acme.test&mode=insecure", "name": "ops mail"}],
        },
    })


def test_demo_down_then_up_sends_one_alert_and_one_recovery(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))


async def _scenario(tmp_path: Path) -> None:
    site = await start_site(fixed=True, workdir=tmp_path / "site", password="pw-e2e-1234",
                            invoices=200)
    # the restarted app: each demo start makes its own throwaway CA, so the second instance
    # is started now and the monitor trusts both CAs; it only receives traffic after the
    # first one is stopped
    site2 = await start_site(fixed=True, workdir=tmp_path / "site2", password="pw-e2e-1234",
                             invoices=200)
    bundle = tmp_path / "both-ca.pem"
    bundle.write_text(site.ca_bundle.read_text() + site2.ca_bundle.read_text())
    fwd = Forwarder(upstream=site.https_port)
    async with site2, forwarder(fwd) as fwd_port, smtp_server() as (box, smtp_port):
        monitor = Monitor(config=_config(fwd_port, smtp_port, bundle,
                                         tmp_path / "mon.db"), web=False)
        await monitor.start()
        try:
            # Given a healthy app: it becomes UP without any notification
            await wait_for(lambda: monitor.statuses.get("health") is not None
                           and monitor.statuses["health"].state is CheckState.UP, 10)
            assert box.messages == []

            # When the app stops
            await site.stop()
            fwd.upstream = None
            stopped = time.monotonic()
            deadline = INTERVAL * THRESHOLD + TIMEOUT + 5
            waited = await wait_for(lambda: bool(box.subjects("[DOWN]")), deadline)
            assert waited <= deadline
            # Then exactly one alert, naming the check, the cause and the owner
            subject, body = next(m for m in box.messages if m[0].startswith("[DOWN]"))
            assert "health" in subject
            assert "ops@acme.test" in body
            assert "app.acme.test" not in body  # never the URL

            # When the app comes back
            fwd.upstream = site2.https_port
            await wait_for(lambda: bool(box.subjects("[RECOVERED]")), 20)
            # one more interval: nothing else arrives
            await asyncio.sleep(INTERVAL + 0.5)
            assert time.monotonic() - stopped < 60
            assert len(box.subjects("[DOWN]")) == 1
            assert len(box.subjects("[RECOVERED]")) == 1
        finally:
            await monitor.stop()
    rows = [(d, s) for d, s, _, _ in await _rows(tmp_path / "mon.db")]
    assert all(s == "sent" for _, s in rows), rows


async def _rows(db: Path) -> list[tuple[str, str, int, str | None]]:
    from launchready.monitor.store import open_store

    store = await open_store(f"sqlite:///{db}")
    try:
        return await store.outbox_rows()
    finally:
        await store.close()

