"""Start-up on a full disk, through the real CLI: the monitor starts degraded, says so, and
writes everything once there is room (RELIABILITY 23). The store lives on a tiny tmpfs
mounted by the test (root only; skipped with the reason otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from test_monitor_support import Hook, Target, target_server, wait_for, webhook


def _mount_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    return None


@contextlib.contextmanager
def tiny_tmpfs(path: Path) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(path)],
                   check=True, timeout=10)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=10)


def _fill(path: Path) -> None:
    with contextlib.suppress(OSError), (path / "filler").open("ab", buffering=0) as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()


def _grow(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=20m", str(path)], check=True, timeout=10)


@pytest.mark.skipif(_mount_unavailable() is not None, reason=str(_mount_unavailable()))
@pytest.mark.parametrize("existing", [False, True], ids=["new store", "existing store"])
def test_monitor_starts_degraded_on_a_full_disk_and_writes_once_there_is_room(
        tmp_path: Path, existing: bool) -> None:
    hook, target = Hook(), Target()

    async def scenario(mnt: Path) -> tuple[int, str, tuple[int, str], int]:
        async with target_server(target) as port, webhook(hook) as hport:
            cfg = tmp_path / "lr.toml"
            cfg.write_text(textwrap.dedent(f"""
                [monitor]
                interval = "1s"
                timeout = "0.5s"
                jitter = "0s"
                database = "sqlite:///{mnt / 'm.db'}"
                allow_private = true
                listen = "127.0.0.1:0"
                canaries = []
                alerts = [{{ url = "json://127.0.0.1:{hport}/hook" }}]

                [[monitor.checks]]
                name = "api"
                url = "http://127.0.0.1:{port}/health"
                public = true
            """))
            if existing:
                with contextlib.closing(sqlite3.connect(mnt / "m.db")) as conn:
                    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                    conn.commit()
            _fill(mnt)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "launchready", "monitor", "--config", str(cfg),
                stderr=asyncio.subprocess.PIPE)
            assert proc.stderr is not None
            err = ""
            while "status page on" not in err:
                line = await asyncio.wait_for(proc.stderr.readline(), 15)
                assert line, err
                err += line.decode()
            found = re.search(r"status page on (http://\S+)/", err)
            assert found is not None
            base = found.group(1)
            try:
                # Then it runs: checks, one storage alert from memory, a degraded health
                await wait_for(lambda: bool(hook.titles("[STORAGE")), 10)
                hits = target.hits
                await wait_for(lambda: target.hits >= hits + 2, 5)
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{base}/healthz") as resp:
                        health = (resp.status, str((await resp.json())["status"]))
                    async with http.get(f"{base}/api/status.json") as resp:
                        assert resp.status == 200
                # When there is room again, the backlog is written
                _grow(mnt)
                (mnt / "filler").unlink()
                await asyncio.sleep(3)
            finally:
                proc.send_signal(signal.SIGTERM)
                rest = await proc.stderr.read()
                await proc.wait()
            with contextlib.closing(sqlite3.connect(mnt / "m.db")) as conn:
                stored = int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
            return int(proc.returncode or 0), err + rest.decode(), health, stored

    with tiny_tmpfs(tmp_path / "mnt") as mnt:
        rc, err, health, stored = asyncio.run(scenario(mnt))
    assert rc == 0, err
    assert "internal error" not in err
    assert hook.titles("[STORAGE") == ["[STORAGE FULL] launchready monitor"]
    assert health == (503, "degraded: storage unavailable")
    assert stored >= 4
