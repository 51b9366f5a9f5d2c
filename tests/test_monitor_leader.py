"""Several locations on one real PostgreSQL: every node writes its own results, exactly one
leads (decides and sends), and a leader that stops hands over without a repeated alert."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from aiohttp import web

from launchready.commands import monitor as monitor_command
from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from launchready.monitor.leader import LEADER_LEASE, current_leader
from launchready.monitor.metrics import render_metrics
from launchready.monitor.store import Lease, lease_free
from launchready.monitor.web import public_status, render_status_page, status_json
from pgharness import PgServer
from test_monitor_support import Hook, Target, target_server, wait_for, webhook

LOCATIONS = ["eu-west", "us-east", "ap-south"]


def _database(postgres: PgServer, name: str) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {name}")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


def _sent(url: str, prefix: str) -> list[str]:
    """Titles of the messages delivered (the outbox rows: a digest groups several)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT title FROM outbox WHERE status = 'sent' AND title LIKE %s "
                            "ORDER BY id", (prefix + "%",)).fetchall()
    return [t for (t,) in rows]


async def _wait_sent(url: str, prefix: str, timeout: float) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (titles := await asyncio.to_thread(_sent, url, prefix)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {prefix} delivered within {timeout}s")
        await asyncio.sleep(0.1)
    return titles


def _config(url: str, port: int, hook_port: int, public: bool = False) -> Config:
    return Config.model_validate({"monitor": {
        "interval": "1s", "failure_threshold": 2, "success_threshold": 2, "database": url,
        "allow_private": True, "canaries": [], "locations": LOCATIONS, "leader_lease": "3s",
        "checks": [{"name": "api", "url": f"http://127.0.0.1:{port}/health",
                    "public": public}],
        "alerts": [{"url": f"json://127.0.0.1:{hook_port}/hook", "name": "hook"}]}})


def test_a_node_of_another_location_waits_for_the_lease_to_expire() -> None:
    now = datetime.now(UTC)
    held = Lease(holder="4242@box (eu-west)", token="a", expires=now.replace(year=now.year + 1))
    # same host, same pid, another location: not an earlier life of this process
    assert not lease_free(held, token="b", holder="4242@box (us-east)", now=now,
                          alive=lambda _: False)
    # the same location restarted after a kill -9: the dead pid frees it at once
    assert lease_free(held, token="b", holder="4243@box (eu-west)", now=now,
                      alive=lambda _: False)


def test_three_locations_one_leader_one_down_one_recovery(tmp_path: Path,
                                                           postgres: PgServer) -> None:
    url = _database(postgres, "monitor_leader")
    target, hook = Target(), Hook()

    async def scenario() -> dict[str, Any]:
        async with target_server(target) as port, webhook(hook) as hook_port:
            config = _config(url, port, hook_port)
            nodes = {loc: Monitor(config=config, web=False, location=loc) for loc in LOCATIONS}
            async with contextlib.AsyncExitStack() as stack:
                for node in nodes.values():
                    await node.start()
                    stack.push_async_callback(node.stop, 2.0)

                def leaders() -> list[str]:
                    return [loc for loc, n in nodes.items()
                            if n.leadership is not None and n.leadership.leading]

                assert len(leaders()) == 1
                first = leaders()[0]
                await asyncio.sleep(1.5)
                target.status = 500
                await _wait_sent(url, "[DOWN]", 15)
                await asyncio.sleep(2.0)  # the other nodes saw it fail too: still one DOWN
                # the leader leaves (a clean stop gives the lease up); another takes over
                await nodes[first].stop(2.0)
                await wait_for(lambda: any(leaders()) and first not in leaders(), timeout=10)
                second = leaders()[0]
                await asyncio.sleep(2.0)
                target.status = 200
                await _wait_sent(url, "[RECOVERED]", 15)
                # the stopped leader's location stays silent: the new leader announces it
                await _wait_sent(url, f"[LOCATION OFFLINE] {first}", 20)
                await asyncio.sleep(2.0)
                store = nodes[second].store
                assert store is not None
                live = await current_leader(store, datetime.now(UTC))
                printed = await monitor_command.status(config)
                titles = await asyncio.to_thread(_sent, url, "[")
                return {"printed": printed, "first": first, "second": second, "live": live,
                        "titles": titles, "delivered": len(hook.delivered)}

    out = asyncio.run(scenario())
    assert out["first"] != out["second"]
    # one DOWN, one recovery, and the first leader's location announced once
    assert sorted(out["titles"]) == ["[DOWN] api", f"[LOCATION OFFLINE] {out['first']}",
                                     "[RECOVERED] api"], out["titles"]
    assert out["delivered"] in (2, 3)  # the notice may share a digest with the recovery
    assert out["live"] is not None and out["second"] in out["live"].holder
    printed = "\n".join(out["printed"])
    assert f"leader: {out['live'].holder}" in printed
    assert f"node {out['first']}: not running" in printed
    assert all(f"node {loc}: {out['live'].holder.split()[0]}" in printed
               for loc in LOCATIONS if loc != out["first"])
    with psycopg.connect(url) as conn:
        by_location: dict[str, int] = dict(conn.execute(
            "SELECT location, COUNT(*) FROM results GROUP BY location").fetchall())
        incidents = conn.execute("SELECT COUNT(*), COUNT(ended) FROM incidents").fetchone()
        sent = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()
        lease_rows = conn.execute("SELECT key FROM meta WHERE key LIKE 'lease:%'").fetchall()
    assert set(by_location) == set(LOCATIONS) and all(n >= 3 for n in by_location.values())
    assert incidents == (1, 1)
    assert sent == (3,)
    # stopped cleanly: every writer lease and the leader lease were given up
    assert {k for (k,) in lease_rows} <= {f"lease:{LEADER_LEASE}"} | {
        f"lease:writer:{loc}" for loc in LOCATIONS}


@contextlib.asynccontextmanager
async def _targets(count: int) -> AsyncIterator[tuple[list[Target], int]]:
    """``count`` switchable targets on 127.0.0.1, 127.0.0.2... sharing one port, so each
    location's node can be pointed at its own with ``--resolve``."""
    targets = [Target() for _ in range(count)]
    runners: list[web.AppRunner] = []
    port = 0
    try:
        for i, target in enumerate(targets):
            app = web.Application()
            app.router.add_get("/health", target.handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, f"127.0.0.{i + 1}", port).start()
            port = port or int(runner.addresses[0][1])
        yield targets, port
    finally:
        for runner in runners:
            await runner.cleanup()


def test_quorum_one_location_alone_raises_nothing_and_a_dead_node_is_announced(
        postgres: PgServer) -> None:
    url = _database(postgres, "monitor_quorum")
    hook = Hook()

    async def scenario() -> dict[str, list[str]]:
        async with _targets(3) as (targets, port), webhook(hook) as hook_port:
            base = _config(url, port, hook_port).model_dump(mode="json")
            base["monitor"]["checks"][0]["url"] = f"http://api.test:{port}/health"
            # probed from two locations only; the leader (the first node) decides it anyway
            base["monitor"]["checks"].append({**base["monitor"]["checks"][0], "name": "inner",
                                              "locations": ["us-east", "ap-south"]})
            for route in base["monitor"]["alerts"]:
                route["url"] = f"json://127.0.0.1:{hook_port}/hook"
            nodes: dict[str, Monitor] = {}
            async with contextlib.AsyncExitStack() as stack:
                for i, loc in enumerate(LOCATIONS):
                    cfg = Config.model_validate({**base, "network": {
                        **base["network"], "resolve": [f"api.test:{port}:127.0.0.{i + 1}"]}})
                    nodes[loc] = Monitor(config=cfg, web=False, location=loc)
                    await nodes[loc].start()
                    stack.push_async_callback(nodes[loc].stop, 2.0)
                leader = next(loc for loc, n in nodes.items()
                              if n.leadership is not None and n.leadership.leading)
                assert leader == "eu-west"  # started first, it took the free lease
                others = [loc for loc in LOCATIONS if loc != leader]
                await asyncio.sleep(2.5)
                # the target fails as seen from one location only: no quorum, no alert
                targets[LOCATIONS.index(others[0])].status = 500
                await asyncio.sleep(4.0)
                alone = await asyncio.to_thread(_sent, url, "[DOWN]")
                # a second location sees it fail: 2 of 3, DOWN
                targets[LOCATIONS.index(leader)].status = 500
                await _wait_sent(url, "[DOWN]", 10)
                for target in targets:
                    target.status = 200
                await _wait_sent(url, "[RECOVERED]", 10)
                # a node that stops reporting is announced once and left out of the count
                await nodes[others[1]].stop(2.0)
                await _wait_sent(url, "[LOCATION OFFLINE]", 10)
                await asyncio.sleep(2.0)
                return {"alone": alone, "titles": await asyncio.to_thread(_sent, url, "["),
                        "dead": [others[1]]}

    out = asyncio.run(scenario())
    assert out["alone"] == []
    kinds = sorted(t.split("]")[0] + "]" for t in out["titles"])
    assert kinds == ["[DOWN]", "[LOCATION OFFLINE]", "[RECOVERED]"], out["titles"]
    assert f"[LOCATION OFFLINE] {out['dead'][0]}" in out["titles"]
    with psycopg.connect(url) as conn:
        inner = conn.execute("SELECT state FROM states WHERE check_name = 'inner'").fetchone()
        probed = conn.execute("SELECT DISTINCT location FROM results "
                              "WHERE check_name = 'inner'").fetchall()
    assert inner == ("up",)  # decided by eu-west from the others' results
    assert {loc for (loc,) in probed} == {"us-east", "ap-south"}


def test_views_show_each_check_per_location_and_the_leader(postgres: PgServer) -> None:
    url = _database(postgres, "monitor_views")
    target, hook = Target(), Hook()

    async def scenario() -> dict[str, Any]:
        async with target_server(target) as port, webhook(hook) as hook_port:
            config = _config(url, port, hook_port, public=True)
            nodes = {loc: Monitor(config=config, web=False, location=loc) for loc in LOCATIONS}
            async with contextlib.AsyncExitStack() as stack:
                for node in nodes.values():
                    await node.start()
                    stack.push_async_callback(node.stop, 2.0)
                lead = next(loc for loc, n in nodes.items()
                            if n.leadership is not None and n.leadership.leading)
                target.status = 500
                await _wait_sent(url, "[DOWN]", 15)
                await asyncio.sleep(1.5)  # every location has a failed result by now
                # a node that does not lead shows the whole picture from the store too
                other = next(loc for loc in LOCATIONS if loc != lead)
                now = datetime.now(UTC)
                snap = await nodes[other].snapshot(now)
                public = public_status(snap, {}, now)
                return {"lead": lead, "metrics": render_metrics(snap),
                        "json": status_json(public), "page": render_status_page(public),
                        "printed": await monitor_command.status(config)}

    out = asyncio.run(scenario())
    lead = out["lead"]
    data = out["json"]
    assert data["leader"] == lead
    (check,) = data["checks"]
    assert check["state"] == "down"
    assert [(e["location"], e["state"]) for e in check["locations"]] == [
        (loc, "failing") for loc in sorted(LOCATIONS)]
    for loc in LOCATIONS:
        assert f'launchready_check_location_up{{check="api",location="{loc}"}} 0' \
            in out["metrics"]
    assert f'launchready_monitor_leader{{location="{lead}"}} 1' in out["metrics"]
    assert f"alerts sent from {lead}" in out["page"]
    assert "Seen from " + " · ".join(f"{loc}: failing" for loc in sorted(LOCATIONS)) \
        in out["page"]
    printed = "\n".join(out["printed"])
    assert all(f"from {loc} failing" in printed for loc in LOCATIONS), printed


def test_a_single_node_shows_no_location_views(tmp_path: Path) -> None:
    config = Config.model_validate({"monitor": {
        "database": f"sqlite:///{tmp_path / 'm.db'}", "canaries": [],
        "checks": [{"name": "api", "url": "http://127.0.0.1:9/health", "public": True}]}})

    async def scenario() -> tuple[str, dict[str, object]]:
        node = Monitor(config=config, web=False)
        await node.open()
        try:
            now = datetime.now(UTC)
            snap = await node.snapshot(now)
            return render_metrics(snap), status_json(public_status(snap, {}, now))
        finally:
            await node.close()

    metrics, data = asyncio.run(scenario())
    assert "location" not in metrics and "leader" not in metrics
    assert "leader" not in data
    assert all("locations" not in c for c in data["checks"])  # type: ignore[attr-defined]
