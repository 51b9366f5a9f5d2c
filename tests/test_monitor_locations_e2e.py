"""Several locations end to end: three node processes (``--location``/``--listen``), one real
PostgreSQL, a target and a webhook receiver on the host. Stop the target: one DOWN; kill -9 the
leader during the outage: another node leads within the lease, no second DOWN, the recovery
sent once; restart every node: nothing is sent again."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg

from launchready.monitor.store import Lease
from pgharness import PgServer
from test_monitor_leader import LOCATIONS, _database, _sent, _wait_sent
from test_monitor_support import Hook, Target, target_server, webhook


def _config(path: Path, url: str, port: int, hook_port: int) -> Path:
    path.write_text(textwrap.dedent(f"""\
        [monitor]
        interval = "1s"
        failure_threshold = 2
        success_threshold = 2
        database = "{url}"
        allow_private = true
        canaries = []
        locations = {LOCATIONS!r}
        leader_lease = "3s"
        listen = "127.0.0.1:8787"

        [[monitor.checks]]
        name = "api"
        url = "http://127.0.0.1:{port}/health"

        [[monitor.alerts]]
        name = "hook"
        url = "json://127.0.0.1:{hook_port}/hook"
    """).replace("'", '"'))
    return path


async def _node(cfg: Path, location: str, log: list[str],
                drains: list[asyncio.Future[None]], *, prefix: Sequence[str] = (),
                ready_s: float = 20) -> asyncio.subprocess.Process:
    """A node process (run under ``prefix``, e.g. ``ip netns exec NAME``), returned once it
    serves its status page; its log lines go to ``log``."""
    proc = await asyncio.create_subprocess_exec(
        *prefix, sys.executable, "-m", "launchready", "monitor", "--config", str(cfg),
        "--location", location, "--listen", "127.0.0.1:0", stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), ready_s)).decode()
        log.append(f"{location}: {line}")
        if not line or "status page on" in line:
            break

    async def drain() -> None:  # keep the pipe empty so the node never blocks on a log line
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            log.append(f"{location}: {line.decode()}")

    drains.append(asyncio.ensure_future(drain()))
    return proc


def _leader(url: str) -> Lease | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'lease:leader'").fetchone()
    lease = Lease.decode(row[0] if row else None)
    return lease if lease is not None and lease.expires.timestamp() > time.time() else None


async def _stop(procs: dict[str, asyncio.subprocess.Process],
                drains: list[asyncio.Future[None]]) -> None:
    for proc in procs.values():
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        await asyncio.wait_for(proc.wait(), 20)
    await asyncio.gather(*drains, return_exceptions=True)


def test_three_nodes_kill9_of_the_leader_repeats_no_alert(tmp_path: Path,
                                                          postgres: PgServer) -> None:
    url = _database(postgres, "monitor_three_nodes")
    target, hook, log = Target(), Hook(), list[str]()
    drains: list[asyncio.Future[None]] = []

    async def scenario() -> dict[str, object]:
        async with target_server(target) as port, webhook(hook) as hook_port:
            cfg = _config(tmp_path / "lr.toml", url, port, hook_port)
            started = await asyncio.gather(*(_node(cfg, loc, log, drains)
                                             for loc in LOCATIONS))
            procs = dict(zip(LOCATIONS, started, strict=True))
            try:
                await asyncio.sleep(2.0)
                first = await asyncio.to_thread(_leader, url)
                assert first is not None
                target.status = 500
                stopped = time.monotonic()
                await _wait_sent(url, "[DOWN]", 30)
                time_to_down = time.monotonic() - stopped
                leader_loc = first.holder.rsplit("(", 1)[1].rstrip(")")
                procs[leader_loc].send_signal(signal.SIGKILL)
                await procs[leader_loc].wait()
                killed = time.monotonic()
                while (now := await asyncio.to_thread(_leader, url)) is None or \
                        now.token == first.token:
                    assert time.monotonic() - killed < 15, "no new leader within 15 s"
                    await asyncio.sleep(0.2)
                takeover = time.monotonic() - killed
                await asyncio.sleep(3.0)  # the new leader keeps seeing it fail: still DOWN
                target.status = 200
                await _wait_sent(url, "[RECOVERED]", 30)
                await _stop(procs, drains)
                before_restart = await asyncio.to_thread(_sent, url, "[")
                # every node at once, as a host restart brings them back
                started = await asyncio.gather(*(_node(cfg, loc, log, drains)
                                                 for loc in LOCATIONS))
                procs = dict(zip(LOCATIONS, started, strict=True))
                await asyncio.sleep(4.0)
                after_restart = await asyncio.to_thread(_sent, url, "[")
                return {"down_s": time_to_down, "takeover_s": takeover, "new": now.holder,
                        "old": first.holder, "before": before_restart,
                        "after": after_restart}
            finally:
                for proc in procs.values():
                    if proc.returncode is None:
                        proc.send_signal(signal.SIGKILL)
                await _stop(procs, drains)

    out = asyncio.run(scenario())
    text = "".join(log)
    assert "Traceback" not in text, text
    assert out["new"] != out["old"]
    assert isinstance(out["down_s"], float) and out["down_s"] < 120
    assert isinstance(out["takeover_s"], float) and out["takeover_s"] <= 15
    sent = out["before"]
    assert isinstance(sent, list)
    before = _without_flaps(sent)
    kinds = [t.split("]")[0] + "]" for t in before]
    assert kinds.count("[DOWN]") == 1 and kinds.count("[RECOVERED]") == 1, before
    assert set(kinds) <= {"[DOWN]", "[RECOVERED]", "[LOCATION OFFLINE]"}, before
    # every node restarted: nothing sent again but the killed leader's location being back
    # (when the new leader had announced it offline)
    after = out["after"]
    assert isinstance(after, list) and after[:len(sent)] == sent, after
    back = [f"[LOCATION BACK] {t.split('] ', 1)[1]}" for t in before
            if t.startswith("[LOCATION OFFLINE]")]
    assert _without_flaps(after[len(sent):]) == back, (sent, after)


def _without_flaps(sent: list[str]) -> list[str]:
    """``sent`` without the offline-then-back pairs of a node slower to start than a window
    on a loaded machine: news of its own, never a repeat. An offline location that did not
    come back stays."""
    out = list(sent)
    for t in [t for t in out if t.startswith("[LOCATION OFFLINE]")]:
        pair = f"[LOCATION BACK] {t.split('] ', 1)[1]}"
        at = out.index(t)
        if pair in out[at:]:
            del out[out.index(pair, at)]
            del out[at]
    return out
