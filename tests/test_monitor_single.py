"""One monitor per store: a second one refuses to start and names the holder; a crashed
holder's lease is taken over at once on its host, an unrenewed one after it expires; outbox
rows are claimed with a compare-and-set, so two senders never send one row twice."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from launchready.config.models import Config
from launchready.monitor.notify import Outbox, load_transports
from launchready.monitor.store import Lease, Message, lease_free, open_store
from test_monitor_support import Hook, Target, target_server, wait_for, webhook

HOST = socket.gethostname()
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _lease(holder: str, token: str = "theirs", expires_in: float = 20) -> Lease:  # noqa: S107
    return Lease(holder=holder, token=token, expires=NOW + timedelta(seconds=expires_in))


@pytest.mark.parametrize(("current", "alive", "free"), [
    (None, True, True),
    (_lease(f"1@{HOST}", token="mine"), True, True),
    (_lease("77@elsewhere"), True, False),
    (_lease("77@elsewhere", expires_in=-1), True, True),
    (_lease(f"77@{HOST}"), True, False),
    (_lease(f"77@{HOST}"), False, True),
    (_lease(f"1@{HOST}"), True, True),
], ids=["nobody", "ours", "live elsewhere", "expired", "live here", "dead here",
        "our pid, earlier life"])
def test_lease_free(current: Lease | None, alive: bool, free: bool) -> None:
    assert lease_free(current, token="mine", holder=f"1@{HOST}", now=NOW,
                      alive=lambda _pid: alive) is free


def _config(path: Path, port: int, db: Path) -> Path:
    path.write_text(textwrap.dedent(f"""
        [monitor]
        interval = "1s"
        timeout = "0.5s"
        database = "sqlite:///{db}"
        allow_private = true
        listen = "127.0.0.1:0"
        canaries = []

        [[monitor.checks]]
        name = "api"
        url = "http://127.0.0.1:{port}/health"
    """))
    return path


async def _daemon(cfg: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "launchready", "monitor", "--config", str(cfg),
        stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    err = ""
    while "status page on" not in err:
        line = await asyncio.wait_for(proc.stderr.readline(), 15)
        if not line:
            break
        err += line.decode()
    return proc, err


def test_a_second_monitor_on_the_same_store_refuses_and_names_the_holder(
        tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str, int, str, int]:
        async with target_server(Target()) as port:
            cfg = _config(tmp_path / "lr.toml", port, tmp_path / "m.db")
            first, _ = await _daemon(cfg)
            second, err2 = await _daemon(cfg)
            rc2 = await asyncio.wait_for(second.wait(), 10)
            # the holder is killed: its lease is taken over at once (same host, pid gone)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            third, err3 = await _daemon(cfg)
            third.send_signal(signal.SIGTERM)
            assert third.stderr is not None
            err3 += (await third.stderr.read()).decode()
            rc3 = await third.wait()
            return first.pid, err2, rc2, err3, rc3

    pid, err2, rc2, err3, rc3 = asyncio.run(scenario())
    assert rc2 == 3, err2
    assert re.search(rf"another monitor \({pid}@{re.escape(HOST)}\) is using the store", err2)
    assert "Traceback" not in err2
    assert "status page on" in err3 and rc3 == 0, err3


def test_two_outboxes_on_one_store_send_each_row_once(tmp_path: Path) -> None:
    hook = Hook()
    load_transports()

    async def scenario() -> None:
        async with webhook(hook) as hport:
            routes = Config.model_validate({"monitor": {"checks": [], "alerts": [
                {"url": f"json://127.0.0.1:{hport}/hook"}]}}).monitor.alerts  # type: ignore[union-attr]
            url = f"sqlite:///{tmp_path / 'm.db'}"
            a, b = await open_store(url), await open_store(url)
            try:
                await a.enqueue([Message(dedupe=f"m{i}", route=0, title=f"[DOWN] c{i}",
                                         body=f"c{i} is DOWN") for i in range(5)])
                clock = lambda: datetime.now(UTC)  # noqa: E731
                boxes = [Outbox(store=s, routes=routes, clock=clock, claimer=n)
                         for s, n in ((a, "a"), (b, "b"))]
                await asyncio.gather(*(box.flush() for box in boxes))
                await wait_for(lambda: len(hook.delivered) >= 1, 5)
                await asyncio.sleep(0.5)
                rows = await a.outbox_rows()
            finally:
                await a.close()
                await b.close()
            assert [s for _, s, _, _ in rows] == ["sent"] * 5
            assert [n for _, _, n, _ in rows] == [1] * 5

    asyncio.run(scenario())
    assert [p["title"] for p in hook.delivered] == ["[DOWN] 5 checks"]


def test_monitor_status_names_the_running_monitor_and_each_check(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str, str]:
        async with target_server(Target()) as port:
            cfg = _config(tmp_path / "lr.toml", port, tmp_path / "m.db")
            # the configured listen address is taken; --listen moves this node elsewhere
            cfg.write_text(cfg.read_text().replace('listen = "127.0.0.1:0"',
                                                   'listen = "127.0.0.1:1"'))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "launchready", "monitor", "--config", str(cfg),
                "--listen", "127.0.0.1:0", stderr=asyncio.subprocess.PIPE)
            assert proc.stderr is not None
            err = ""
            while "status page on" not in err:
                line = await asyncio.wait_for(proc.stderr.readline(), 15)
                assert line, err
                err += line.decode()
            await asyncio.sleep(2.5)  # api is UP after its first runs
            shown = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "launchready", "monitor", "status", "--config",
                str(cfg), stdout=asyncio.subprocess.PIPE)
            out, _ = await shown.communicate()
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
            stopped = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "launchready", "monitor", "status", "--config",
                str(cfg), stdout=asyncio.subprocess.PIPE)
            after, _ = await stopped.communicate()
            return proc.pid, out.decode(), after.decode()

    pid, out, after = asyncio.run(scenario())
    assert f"monitor: {pid}@{HOST}, lease until" in out
    assert re.search(r"^api\s+up\s+100\.00%", out, re.MULTILINE), out
    assert "monitor: not running" in after


def test_listen_override_must_be_addr_port(tmp_path: Path) -> None:
    cfg = _config(tmp_path / "lr.toml", 9, tmp_path / "m.db")
    done = subprocess.run([sys.executable, "-m", "launchready", "monitor", "--config",
                           str(cfg), "--listen", "nonsense"], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 2 and "--listen 'nonsense'" in done.stderr
