"""The daemon's life cycle through the real CLI: signals, start-up failures, retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from launchready.monitor.store import Store
from test_monitor_support import Target, target_server, wait_for


def _write(path: Path, port: int, db: Path, listen: str = "127.0.0.1:0") -> Path:
    path.write_text(textwrap.dedent(f"""
        [monitor]
        interval = "1s"
        timeout = "0.5s"
        jitter = "0s"
        database = "sqlite:///{db}"
        allow_private = true
        listen = "{listen}"
        canaries = []

        [[monitor.checks]]
        name = "api"
        url = "http://127.0.0.1:{port}/health"
    """))
    return path


def _results(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])


def test_sigterm_to_the_process_and_its_group_still_drains_and_exits_0(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str]:
        async with target_server(Target()) as port:
            cfg = _write(tmp_path / "lr.toml", port, tmp_path / "m.db")
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "launchready", "monitor", "--config", str(cfg),
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
            assert proc.stderr is not None
            err = ""
            while "status page on" not in err:
                line = await asyncio.wait_for(proc.stderr.readline(), 15)
                assert line, err
                err += line.decode()
            await asyncio.sleep(1.5)
            # what coreutils `timeout -s TERM` does: the process, then its process group
            os.kill(proc.pid, signal.SIGTERM)
            os.killpg(proc.pid, signal.SIGTERM)
            err += (await proc.stderr.read()).decode()
            return int(await proc.wait()), err

    rc, err = asyncio.run(scenario())
    assert rc == 0, err
    assert "stopping: draining" in err
    assert "status page on http://127.0.0.1:" in err and ":0/" not in err  # the bound port
    assert _results(tmp_path / "m.db") >= 2


def test_listen_address_in_use_is_a_config_error_with_nothing_left_open(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = _write(tmp_path / "lr.toml", 9, tmp_path / "m.db", listen=f"127.0.0.1:{port}")
        done = subprocess.run([sys.executable, "-m", "launchready", "monitor", "--config",
                               str(cfg)], capture_output=True, text=True, timeout=30,
                              check=False)
    assert done.returncode == 2, done.stderr
    assert "monitor.listen" in done.stderr and "address already in use" in done.stderr
    assert "Unclosed" not in done.stderr and "Traceback" not in done.stderr


class PruneBug(Store):
    prunes: int = 0

    async def prune(self, now: datetime, *, raw_retention: timedelta,
                    retention: timedelta) -> int:
        PruneBug.prunes += 1
        raise OverflowError("date value out of range")


def test_a_retention_failure_is_logged_and_the_monitor_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    target = Target()

    async def scenario() -> int:
        async with target_server(target) as port:
            store = await PruneBug(url=f"sqlite:///{tmp_path / 'm.db'}").open()
            config = Config.model_validate({"monitor": {
                "interval": "1s", "timeout": "0.5s", "allow_private": True, "canaries": [],
                "checks": [{"name": "api", "url": f"http://127.0.0.1:{port}/health"}]}})
            monitor = Monitor(config=config, store=store, web=False)
            await monitor.start()
            try:
                await wait_for(lambda: PruneBug.prunes >= 1, 5)
                hits = target.hits
                await asyncio.sleep(2.2)
                return target.hits - hits
            finally:
                await monitor.stop()

    with caplog.at_level(logging.ERROR, logger="launchready.monitor"):
        more = asyncio.run(scenario())
    assert more >= 2
    assert any("retention failed" in r.getMessage() for r in caplog.records)


def test_runs_cut_by_shutdown_are_stored_as_unknown(tmp_path: Path) -> None:
    target = Target(delay=5.0)

    async def scenario() -> None:
        async with target_server(target) as port:
            config = Config.model_validate({"monitor": {
                "interval": "10s", "timeout": "8s", "allow_private": True, "canaries": [],
                "database": f"sqlite:///{tmp_path / 'm.db'}",
                "checks": [{"name": "slow", "url": f"http://127.0.0.1:{port}/health"}]}})
            monitor = Monitor(config=config, web=False)
            await monitor.start()
            await wait_for(lambda: target.hits >= 1, 5)
            began = time.monotonic()
            await monitor.stop(drain=3.0)
            assert time.monotonic() - began < 4

    asyncio.run(scenario())
    with contextlib.closing(sqlite3.connect(tmp_path / "m.db")) as conn:
        rows = conn.execute("SELECT ok, cause FROM results").fetchall()
    assert rows == [(None, "stopped during the run (monitor shutdown)")]
