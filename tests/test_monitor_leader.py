"""Several locations on one real PostgreSQL: every node writes its own results, exactly one
leads (decides and sends), and a leader that stops hands over without a repeated alert."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from launchready.commands import monitor as monitor_command
from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from launchready.monitor.leader import LEADER_LEASE, current_leader
from launchready.monitor.store import Lease, lease_free
from pgharness import PgServer
from test_monitor_support import Hook, Target, target_server, wait_for, webhook

LOCATIONS = ["eu-west", "us-east", "ap-south"]


def _database(postgres: PgServer, name: str) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {name}")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


def _config(url: str, port: int, hook_port: int) -> Config:
    return Config.model_validate({"monitor": {
        "interval": "1s", "failure_threshold": 2, "success_threshold": 2, "database": url,
        "allow_private": True, "canaries": [], "locations": LOCATIONS, "leader_lease": "3s",
        "checks": [{"name": "api", "url": f"http://127.0.0.1:{port}/health"}],
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
                await wait_for(lambda: hook.titles("[DOWN]") != [], timeout=15)
                await asyncio.sleep(2.0)  # the other nodes saw it fail too: still one DOWN
                # the leader leaves (a clean stop gives the lease up); another takes over
                await nodes[first].stop(2.0)
                await wait_for(lambda: any(leaders()) and first not in leaders(), timeout=10)
                second = leaders()[0]
                await asyncio.sleep(2.0)
                target.status = 200
                await wait_for(lambda: hook.titles("[RECOVERED]") != [], timeout=15)
                await asyncio.sleep(2.0)
                store = nodes[second].store
                assert store is not None
                live = await current_leader(store, datetime.now(UTC))
                printed = await monitor_command.status(config)
                return {"printed": printed, "first": first, "second": second, "live": live,
                        "downs": hook.titles("[DOWN]"), "ups": hook.titles("[RECOVERED]")}

    out = asyncio.run(scenario())
    assert out["first"] != out["second"]
    assert out["live"] is not None and out["second"] in out["live"].holder
    printed = "\n".join(out["printed"])
    assert f"leader: {out['live'].holder}" in printed
    assert f"node {out['first']}: not running" in printed
    assert all(f"node {loc}: {out['live'].holder.split()[0]}" in printed
               for loc in LOCATIONS if loc != out["first"])
    assert len(out["downs"]) == 1, out["downs"]
    assert len(out["ups"]) == 1, out["ups"]
    with psycopg.connect(url) as conn:
        by_location = dict(conn.execute(
            "SELECT location, COUNT(*) FROM results GROUP BY location").fetchall())
        incidents = conn.execute("SELECT COUNT(*), COUNT(ended) FROM incidents").fetchone()
        sent = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()
        lease_rows = conn.execute("SELECT key FROM meta WHERE key LIKE 'lease:%'").fetchall()
    assert set(by_location) == set(LOCATIONS) and all(n >= 3 for n in by_location.values())
    assert incidents == (1, 1)
    assert sent == (2,)
    # stopped cleanly: every writer lease and the leader lease were given up
    assert {k for (k,) in lease_rows} <= {f"lease:{LEADER_LEASE}"} | {
        f"lease:writer:{loc}" for loc in LOCATIONS}
