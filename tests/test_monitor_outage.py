"""The app going down is DOWN; the monitor losing its own network is "monitor offline".

Several checks on the one host of a small app (homepage, health, API, login) fail together
when that host goes away. That is the most common outage there is, and it must be alerted:
a refused connection proves the path works, and a timeout is only the monitor's own problem
when its canaries on other networks are silent too. The offline case runs the real CLI inside
a network namespace made by the test, whose link to the host is then taken down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from netns import namespaces_unavailable, netns
from test_monitor_support import Hook, tarpit, wait_for, webhook

INTERVAL, TIMEOUT, THRESHOLD = 1.0, 0.5, 2
PATHS = ("/", "/healthz", "/api/projects", "/login")


@contextlib.asynccontextmanager
async def listener(host: str = "127.0.0.1") -> AsyncIterator[int]:
    """A canary: a port that accepts connections."""
    server = await asyncio.start_server(lambda _r, w: w.close(), host, 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def _ok(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _app() -> web.Application:
    app = web.Application()
    for path in PATHS:
        app.router.add_get(path, _ok)
    return app


def _config(db: Path, port: int, hook: int, canary: int) -> Config:
    return Config.model_validate({"monitor": {
        "interval": f"{INTERVAL:g}s", "timeout": f"{TIMEOUT:g}s", "jitter": "0s",
        "failure_threshold": THRESHOLD, "success_threshold": 2, "database": f"sqlite:///{db}",
        "allow_private": True, "listen": "127.0.0.1:0", "canaries": [f"127.0.0.1:{canary}"],
        "checks": [{"name": f"app{p}", "url": f"http://127.0.0.1:{port}{p}", "public": True}
                   for p in PATHS],
        "alerts": [{"url": f"json://127.0.0.1:{hook}/hook", "name": "hook"}]}})


def _incidents(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])


def test_the_apps_one_host_refusing_connections_is_one_down_digest(tmp_path: Path) -> None:
    hook, db = Hook(), tmp_path / "m.db"

    async def scenario() -> tuple[float, dict[str, Any]]:
        async with webhook(hook) as hport, listener() as canary:
            runner = web.AppRunner(_app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            port = int(runner.addresses[0][1])
            monitor = Monitor(config=_config(db, port, hport, canary))
            await monitor.start()
            try:
                await wait_for(lambda: len(monitor.statuses) == 4 and all(
                    s.state.value == "up" for s in monitor.statuses.values()), 10)
                # When the app's host stops listening (connection refused on every check)
                await runner.cleanup()
                stopped = time.monotonic()
                waited = await wait_for(lambda: bool(hook.titles("[DOWN]")),
                                        THRESHOLD * INTERVAL + TIMEOUT + 10)
                await asyncio.sleep(3 * INTERVAL)  # nothing else arrives
                assert monitor.web_address is not None
                host, wport = monitor.web_address
                async with aiohttp.ClientSession() as http, http.get(
                        f"http://{host}:{wport}/api/status.json") as resp:
                    status = await resp.json()
                assert time.monotonic() - stopped >= waited
            finally:
                await monitor.stop()
            return waited, status

    waited, status = asyncio.run(scenario())
    # Then exactly one DOWN digest naming the four checks, no "monitor offline"
    assert waited <= THRESHOLD * INTERVAL + TIMEOUT + 10
    assert [p["title"] for p in hook.delivered] == ["[DOWN] 4 checks"]
    body = str(hook.delivered[0]["message"])
    assert "connect: connection refused" in body
    assert "127.0.0.1" not in body  # the cause never carries an address
    assert _incidents(db) == 4
    assert status["overall"] != "operational"
    assert {c["state"] for c in status["checks"]} == {"down"}


def test_timeouts_on_every_check_with_a_canary_answering_are_down(tmp_path: Path) -> None:
    hook, db = Hook(), tmp_path / "m.db"

    async def scenario() -> Monitor:
        async with webhook(hook) as hport, listener() as canary, tarpit() as port:
            monitor = Monitor(config=_config(db, port, hport, canary), web=False)
            await monitor.start()
            try:
                await wait_for(lambda: bool(hook.titles("[DOWN]")),
                               THRESHOLD * INTERVAL + TIMEOUT + 10)
                await asyncio.sleep(2 * INTERVAL)
            finally:
                await monitor.stop()
            return monitor

    monitor = asyncio.run(scenario())
    # a dead VM (silence, not refusal) is still the app's outage when the network works
    assert [p["title"] for p in hook.delivered] == ["[DOWN] 4 checks"]
    assert "timeout after 0.5s" in str(hook.delivered[0]["message"])
    assert not monitor.offline
    assert _incidents(db) == 4


RECEIVER = textwrap.dedent("""
    import json, sys
    from aiohttp import web

    async def hook(request):
        with open(sys.argv[2], "a") as out:
            out.write(json.dumps(await request.json()) + "\\n")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
""")


def _ok_rows(db: Path) -> int:
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM results WHERE ok = 1").fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0


def _titles(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [json.loads(line)["title"] for line in log.read_text().splitlines() if line]


@pytest.mark.skipif(namespaces_unavailable() is not None,
                    reason=str(namespaces_unavailable()))
@pytest.mark.parametrize("canary_heard", [True, False],
                         ids=["canary heard before", "canary never heard"])
def test_monitor_losing_its_own_route_is_one_offline_notice_and_no_down(
        tmp_path: Path, canary_heard: bool) -> None:
    async def scenario() -> tuple[list[str], int, str]:
        with netns() as ns:
            # the app and a canary on the host side; the monitor and its alert receiver in
            # the namespace (the receiver on the namespace's loopback stays reachable)
            async with serve_app_on(ns.outer) as port, listener(ns.outer) as canary:
                log = tmp_path / "hook.jsonl"
                receiver = await asyncio.create_subprocess_exec(
                    *ns.exec_args(sys.executable, "-c", RECEIVER, "18999", str(log)))
                cfg = tmp_path / "lr.toml"
                # never heard: the namespace has no route to it (nothing leaves the machine)
                canary_at = f"{ns.outer}:{canary}" if canary_heard else "198.51.100.7:53"
                checks = "".join(f'\n[[monitor.checks]]\nname = "app{p}"\n'
                                 f'url = "http://{ns.outer}:{port}{p}"\n' for p in PATHS)
                cfg.write_text(textwrap.dedent(f"""
                    [monitor]
                    interval = "1s"
                    timeout = "0.5s"
                    jitter = "0s"
                    failure_threshold = 2
                    database = "sqlite:///{tmp_path / 'm.db'}"
                    allow_private = true
                    canaries = ["{canary_at}"]
                    alerts = [{{ url = "json://127.0.0.1:18999/hook" }}]
                """) + checks)
                daemon = await asyncio.create_subprocess_exec(
                    *ns.exec_args(sys.executable, "-m", "launchready", "monitor", "--config",
                                  str(cfg), "--no-web"), stderr=asyncio.subprocess.PIPE)
                try:
                    # healthy: UP silently (and the canary heard) before the cut
                    await wait_for(lambda: _ok_rows(tmp_path / "m.db") >= 8, 20, step=0.2)
                    ns.cut()
                    await wait_for(lambda: bool(_titles(log)), 12)
                    await asyncio.sleep(THRESHOLD * INTERVAL + TIMEOUT + 3)  # no DOWN
                    ns.restore()
                    await asyncio.sleep(3)
                finally:
                    daemon.send_signal(signal.SIGTERM)
                    _, err = await daemon.communicate()
                    receiver.send_signal(signal.SIGTERM)
                    await receiver.wait()
                return _titles(log), int(daemon.returncode or 0), err.decode()

    titles, rc, err = asyncio.run(scenario())
    assert rc == 0, err
    with contextlib.closing(sqlite3.connect(tmp_path / "m.db")) as conn:
        unknown = conn.execute("SELECT COUNT(*) FROM results WHERE ok IS NULL").fetchone()[0]
        incidents = conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
    if canary_heard:
        assert titles == ["[MONITOR OFFLINE] launchready"], err
        assert unknown >= 8  # the gap is unknown, not downtime
        assert incidents == 0
    else:
        # a canary blocked from the start is no evidence: every check failing is DOWN
        assert titles[:1] == ["[DOWN] 4 checks"], (titles, err)
        assert "[MONITOR OFFLINE] launchready" not in titles
        assert incidents == 4


@contextlib.asynccontextmanager
async def serve_app_on(host: str) -> AsyncIterator[int]:
    runner = web.AppRunner(_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()

