"""Faults, each against real local servers: failing webhooks (500, 429 + Retry-After, 404),
tarpit and endless-body targets, redirects and names pointing at forbidden addresses, a check
slower than its interval, flapping, a database locked by
another process, and the heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from launchready.monitor.guard import AddressPolicy
from launchready.monitor.notify import Outbox, load_transports
from launchready.monitor.probes import guarded_session, run_http
from launchready.monitor.store import Message, open_store
from launchready.monitor.views import CheckState
from test_monitor_support import (
    Hook,
    Target,
    serve_app,
    target_server,
    tarpit,
    wait_for,
    webhook,
)

# ---- notifications --------------------------------------------------------------------------


class FakeClock:
    """The wall clock (call it) and the monotonic clock (``mono``), moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.elapsed = 0.0

    def __call__(self) -> datetime:
        return self.now

    def mono(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.elapsed += seconds


def _routes(*ports: int, query: str = "") -> Any:
    return Config.model_validate({"monitor": {
        "checks": [], "alerts": [{"url": f"json://127.0.0.1:{p}/hook{query}",
                                  "name": f"hook{p}"} for p in ports]}}
    ).monitor.alerts  # type: ignore[union-attr]


async def _outbox_scenario(tmp_path: Path, scripts: list[list[tuple[int, dict[str, str]]]],
                           steps: list[float], query: str = "",
                           ) -> tuple[list[Hook], list[Any]]:
    load_transports()
    hooks = [Hook(script=list(s)) for s in scripts]
    async with contextlib.AsyncExitStack() as stack:
        ports = [await stack.enter_async_context(webhook(h)) for h in hooks]
        store = await open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
        try:
            clock = FakeClock()
            outbox = Outbox(store=store, routes=_routes(*ports, query=query), clock=clock,
                            mono=clock.mono)
            await store.enqueue([Message(dedupe=f"t:{i}", route=i, title="[DOWN] api",
                                         body="api is DOWN") for i in range(len(hooks))],
                                at=clock.now)
            await outbox.flush()
            for step in steps:
                clock.advance(step)
                await outbox.flush()
            rows = await store.outbox_rows()
        finally:
            await store.close()
    return hooks, rows


def test_webhook_500_then_recovery_is_delivered_once(tmp_path: Path) -> None:
    hooks, rows = asyncio.run(_outbox_scenario(tmp_path, [[(500, {}), (502, {})]],
                                               [1.0, 6.0, 6.0, 12.0, 30.0]))
    # first attempt 500, retry after ~5 s -> 502, retry after ~10 s -> delivered
    assert len(hooks[0].received) == 3
    assert len(hooks[0].delivered) == 1
    assert rows == [("t:0", "sent", 3, "HTTP 502")]


def test_429_honours_retry_after_and_other_routes_are_unaffected(tmp_path: Path) -> None:
    limited = [(429, {"Retry-After": "45"})]
    hooks, rows = asyncio.run(_outbox_scenario(tmp_path, [limited, []], [10.0, 25.0, 11.0]))
    # at +10 s and +35 s nothing is sent to the rate-limited route; at +46 s it is
    assert len(hooks[0].received) == 2
    assert len(hooks[0].delivered) == 1
    # the healthy route delivered on the first flush
    assert len(hooks[1].delivered) == 1 and len(hooks[1].received) == 1
    assert rows[0][1] == "sent" and rows[1] == ("t:1", "sent", 1, None)


def test_a_route_apprise_sends_still_reports_its_http_status(tmp_path: Path) -> None:
    # a payload option (":note=") leaves the route to apprise; its 404 is still permanent
    hooks, rows = asyncio.run(_outbox_scenario(tmp_path, [[(404, {})]], [60.0, 600.0],
                                               query="?:note=launchready"))
    assert len(hooks[0].received) == 1
    assert hooks[0].received[0][1].get("note") == "launchready"  # apprise built it
    assert rows[0][1] == "failed" and "HTTP 404" in (rows[0][3] or "")


def test_4xx_is_not_retried_and_keeps_last_error(tmp_path: Path) -> None:
    hooks, rows = asyncio.run(_outbox_scenario(tmp_path, [[(404, {})]], [60.0, 600.0]))
    assert len(hooks[0].received) == 1
    assert rows[0][1] == "failed" and "404" in (rows[0][3] or "")
    assert "permanent" in (rows[0][3] or "")


def test_a_backward_wall_clock_step_does_not_delay_a_queued_alert(tmp_path: Path) -> None:
    hook = Hook(script=[(502, {})])

    async def scenario() -> list[float]:
        load_transports()
        async with webhook(hook) as port:
            store = await open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
            try:
                clock = FakeClock()
                outbox = Outbox(store=store, routes=_routes(port), clock=clock,
                                mono=clock.mono, group_window=2.0)
                await store.enqueue([Message(dedupe="d", route=0, title="[DOWN] api",
                                             body="api is DOWN")], at=clock.now)
                # the wall clock steps back an hour (NTP after a boot with a wrong RTC)
                # while the alert waits out its grouping window, and again during backoff
                clock.now -= timedelta(hours=1)
                sent_at: list[float] = []
                for _ in range(40):
                    clock.advance(0.5)
                    if clock.elapsed == 3.0:
                        clock.now -= timedelta(hours=1)
                    before = len(hook.received)
                    await outbox.flush()
                    if len(hook.received) > before:
                        sent_at.append(clock.elapsed)
                return sent_at
            finally:
                await store.close()

    sent_at = asyncio.run(scenario())
    # the first attempt after the 2 s window (502), the retry ~5 s later: seconds, not an hour
    assert len(sent_at) == 2 and sent_at[0] <= 2.5 and sent_at[1] <= 9.0, sent_at
    assert len(hook.delivered) == 1


# ---- targets ------------------------------------------------------------------------------


def _check_config(url: str, **extra: Any) -> Config:
    return Config.model_validate({"monitor": {"checks": [{"name": "t", "url": url, **extra}],
                                              "allow_private": True}})


async def _run_http(config: Config, timeout: float = 1.0, max_body: int = 1 << 20,
                    policy: AddressPolicy | None = None) -> Any:
    mon = config.monitor
    assert mon is not None
    chk = mon.checks[0]
    pol = policy or AddressPolicy.build(
        allow_private=bool(chk.allow_private if chk.allow_private is not None
                           else mon.allow_private), networks=chk.allow_networks)
    async with guarded_session(config, pol) as session:
        return await run_http(session, chk, timeout=timeout, max_body=max_body, policy=pol)


def test_tarpit_fails_at_the_timeout() -> None:
    async def scenario() -> tuple[Any, float]:
        async with tarpit() as port:
            started = time.monotonic()
            out = await _run_http(_check_config(f"http://127.0.0.1:{port}/"), timeout=0.5)
            return out, time.monotonic() - started

    out, took = asyncio.run(scenario())
    assert not out.ok and out.cause == "timeout after 0.5s" and out.network
    assert 0.4 <= took < 1.5


def test_endless_body_is_read_up_to_the_cap() -> None:
    sent = [0]

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        chunk = b"ok " * 20_000
        with contextlib.suppress(ConnectionError):
            while sent[0] < 512 << 20:  # bounded only so a broken client cannot run forever
                await resp.write(chunk)
                sent[0] += len(chunk)
        return resp

    async def scenario() -> Any:
        app = web.Application()
        app.router.add_get("/", endless)
        async with serve_app(app) as port:
            config = _check_config(f"http://127.0.0.1:{port}/",
                                   expect=["status == 200", "body contains 'ok ok'"])
            return await _run_http(config, timeout=5, max_body=64 * 1024)

    out = asyncio.run(scenario())
    assert out.ok, out.cause
    assert sent[0] < 64 << 20  # the server was cut off long before the end


@contextlib.asynccontextmanager
async def redirector(host: str, location: str) -> AsyncIterator[int]:
    async def go(_: web.Request) -> web.Response:
        raise web.HTTPFound(location)

    app = web.Application()
    app.router.add_get("/", go)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://0xa9fea9fe/",
], ids=["metadata", "v4-mapped metadata", "hex metadata"])
def test_redirect_to_metadata_is_refused_even_with_allow_private(location: str) -> None:
    async def scenario() -> Any:
        async with redirector("127.0.0.1", location) as port:
            return await _run_http(_check_config(f"http://127.0.0.1:{port}/"))

    out = asyncio.run(scenario())
    assert not out.ok
    assert "blocked non-public address 169.254.169.254" in out.cause


def test_redirect_to_loopback_from_an_allowed_host_is_refused_before_connecting() -> None:
    target = Target()

    async def scenario() -> Any:
        async with target_server(target) as tport, \
                redirector("127.0.0.2", f"http://127.0.0.1:{tport}/health") as rport:
            # only 127.0.0.2 is allowed (as a public host would be); 127.0.0.1 is not
            config = Config.model_validate({"monitor": {"checks": [{
                "name": "t", "url": f"http://127.0.0.2:{rport}/",
                "allow_networks": ["127.0.0.2/32"]}]}})
            return await _run_http(config)

    out = asyncio.run(scenario())
    assert not out.ok and "blocked non-public address 127.0.0.1" in out.cause
    assert target.hits == 0  # nothing reached the forbidden address


def test_name_resolving_to_loopback_is_refused_without_connecting() -> None:
    target = Target()

    async def scenario() -> Any:
        async with target_server(target) as port:
            config = Config.model_validate({
                "network": {"resolve": [f"status.example.com:{port}:127.0.0.1"]},
                "monitor": {"checks": [{"name": "t",
                                        "url": f"http://status.example.com:{port}/health"}]}})
            return await _run_http(config)

    out = asyncio.run(scenario())
    assert not out.ok and "blocked non-public address 127.0.0.1" in out.cause
    assert target.hits == 0


@pytest.mark.parametrize(("address", "private", "blocked"), [
    ("169.254.169.254", True, True), ("::ffff:169.254.169.254", True, True),
    ("fd00:ec2::254", True, True), ("fe80::1", True, True), ("100.64.0.1", False, True),
    ("10.0.0.1", False, True), ("127.0.0.1", False, True), ("127.0.0.1", True, False),
    ("10.0.0.1", True, False), ("0.0.0.0", True, True), ("224.0.0.1", True, True),
    ("93.184.215.14", False, False), ("2606:4700::1111", False, False),
], ids=str)
def test_address_policy(address: str, private: bool, blocked: bool) -> None:
    assert (AddressPolicy(allow_private=private).refusal(address) is not None) is blocked


def test_metadata_reachable_only_when_named() -> None:
    policy = AddressPolicy.build(allow_private=False, networks=["169.254.169.254/32"])
    assert policy.refusal("169.254.169.254") is None


# ---- the daemon under faults ------------------------------------------------------------


def _monitor_config(db: Path, checks: list[dict[str, Any]], **mon: Any) -> Config:
    return Config.model_validate({"monitor": {
        "interval": "1s", "timeout": "0.5s", "jitter": "0s", "failure_threshold": 2,
        "success_threshold": 2, "database": f"sqlite:///{db}", "allow_private": True,
        "checks": checks, **mon}})


def test_check_slower_than_its_interval_never_overlaps_or_bursts(tmp_path: Path) -> None:
    target = Target(delay=1.5)

    async def scenario() -> Monitor:
        async with target_server(target) as port:
            monitor = Monitor(config=_monitor_config(tmp_path / "m.db", [{
                "name": "slow", "url": f"http://127.0.0.1:{port}/health"}]), web=False)
            await monitor.start()
            await asyncio.sleep(4.2)
            await monitor.stop()
            return monitor

    asyncio.run(scenario())
    # one run per 1 s slot, each cut at its 0.5 s timeout: ~5 runs in 4.2 s, no catch-up
    # burst; a run never starts while the previous one is in flight (timeout < interval)
    assert 4 <= target.hits <= 6


def test_flapping_with_thresholds_2_2_sends_nothing(tmp_path: Path) -> None:
    hook = Hook()

    class Flapper(Target):
        async def handle(self, request: web.Request) -> web.Response:
            self.status = 503 if self.hits % 2 == 0 else 200
            return await super().handle(request)

    target = Flapper()

    async def scenario() -> Monitor:
        async with target_server(target) as port, webhook(hook) as hport:
            monitor = Monitor(config=_monitor_config(
                tmp_path / "m.db", [{"name": "flappy", "url": f"http://127.0.0.1:{port}/health"}],
                alerts=[{"url": f"json://127.0.0.1:{hport}/hook"}]), web=False)
            try:
                for _ in range(12):
                    await monitor.once()
            finally:
                await monitor.close()
            return monitor

    monitor = asyncio.run(scenario())
    assert target.hits == 12
    assert hook.received == []
    assert monitor.statuses["flappy"].state in (CheckState.UP, CheckState.UNKNOWN)


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("COMMIT")
    conn.close()
""")


def test_database_locked_by_another_process_for_3s(tmp_path: Path) -> None:
    target = Target()
    db = tmp_path / "m.db"

    async def scenario() -> tuple[int, int, list[str]]:
        async with target_server(target) as port:
            monitor = Monitor(config=_monitor_config(db, [{
                "name": "api", "url": f"http://127.0.0.1:{port}/health"}]), web=False)
            await monitor.start()
            try:
                await wait_for(lambda: target.hits >= 1, 5)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", LOCKER, str(db), "3",
                    stdout=asyncio.subprocess.PIPE)
                assert proc.stdout is not None
                await proc.stdout.readline()
                during = target.hits
                await proc.wait()
                hits_while_locked = target.hits - during
                await asyncio.sleep(1.5)
            finally:
                await monitor.stop()
            assert monitor.store is not None
            return hits_while_locked, target.hits, []

    hits_while_locked, total, _ = asyncio.run(scenario())
    assert hits_while_locked >= 2  # the scheduler kept running while writes waited
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert stored >= total - 1  # every run written once the lock was released


def test_status_endpoints_answer_while_a_write_waits_for_a_lock(tmp_path: Path) -> None:
    target = Target()
    db = tmp_path / "m.db"

    async def scenario() -> list[tuple[str, int, float, str]]:
        async with target_server(target) as port:
            monitor = Monitor(config=_monitor_config(db, [{
                "name": "api", "url": f"http://127.0.0.1:{port}/health", "public": True}],
                listen="127.0.0.1:0", canaries=[]))
            await monitor.start()
            seen: list[tuple[str, int, float, str]] = []
            try:
                await wait_for(lambda: target.hits >= 2, 5)
                assert monitor.web_address is not None
                base = "http://{}:{}".format(*monitor.web_address)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", LOCKER, str(db), "6", stdout=asyncio.subprocess.PIPE)
                assert proc.stdout is not None
                await proc.stdout.readline()
                await asyncio.sleep(2.5)  # a write is now waiting for the lock
                async with aiohttp.ClientSession() as http:
                    for path in ("/healthz", "/", "/api/status.json"):
                        began = time.monotonic()
                        async with http.get(base + path,
                                            timeout=aiohttp.ClientTimeout(total=4)) as resp:
                            text = await resp.text()
                        seen.append((path, resp.status, time.monotonic() - began, text))
                await proc.wait()
            finally:
                await monitor.stop()
            return seen

    seen = asyncio.run(scenario())
    for path, _, took, _ in seen:
        assert took < 2.5, (path, took)
    health = seen[0]
    assert health[1] == 503 and "degraded: storage slow" in health[3]
    assert [s for _, s, _, _ in seen[1:]] == [200, 200]


def test_heartbeat_pings_while_rounds_complete(tmp_path: Path) -> None:
    target, beat = Target(), Target()

    async def scenario() -> None:
        async with target_server(target) as port, target_server(beat) as bport:
            monitor = Monitor(config=_monitor_config(
                tmp_path / "m.db", [{"name": "api", "url": f"http://127.0.0.1:{port}/health"}],
                heartbeat_url=f"http://127.0.0.1:{bport}/health", heartbeat_interval="1s"),
                web=False)
            await monitor.start()
            try:
                await wait_for(lambda: beat.hits >= 2, 5)
            finally:
                await monitor.stop()

    asyncio.run(scenario())


def test_credentials_are_not_sent_to_another_origin_on_redirect() -> None:
    seen: list[str | None] = []

    async def landing(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(text="ok")

    async def scenario() -> Any:
        other = web.Application()
        other.router.add_get("/landing", landing)
        runner = web.AppRunner(other, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.2", 0).start()
        port = int(runner.addresses[0][1])
        try:
            async with redirector("127.0.0.1", f"http://127.0.0.2:{port}/landing") as rport:
                config = _check_config(f"http://127.0.0.1:{rport}/",
                                       headers={"Authorization": "Bearer tok-xyz-9876"})
                return await _run_http(config)
        finally:
            await runner.cleanup()

    out = asyncio.run(scenario())
    assert out.ok, out.cause
    assert seen == [None]


def test_checks_are_staggered_and_stop_does_not_wait_for_sleeping_checks(
        tmp_path: Path) -> None:
    target = Target()
    planned: list[tuple[float, float]] = []

    async def scenario() -> float:
        async with target_server(target) as port:
            checks = [{"name": f"c{i}", "url": f"http://127.0.0.1:{port}/health"}
                      for i in range(20)]
            monitor = Monitor(config=_monitor_config(tmp_path / "m.db", checks,
                                                     interval="30s", timeout="5s"),
                              web=False, on_schedule=lambda due, at: planned.append((due, at)))
            await monitor.start()
            await wait_for(lambda: target.hits == 20, timeout=5)
            began = time.monotonic()
            await monitor.stop()
            return time.monotonic() - began

    stopped_in = asyncio.run(scenario())
    dues = sorted(due for due, _ in planned)
    assert len(dues) == 20
    # first slots 10 ms apart, not all at once; every run started on time
    assert all(0.005 < b - a < 0.05 for a, b in itertools.pairwise(dues))
    assert max(at - due for due, at in planned) < 0.1
    assert stopped_in < 2.0  # the checks sleeping until their next slot are not waited for
