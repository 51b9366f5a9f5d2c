"""Benchmark: three monitor nodes (three locations) on one machine and one PostgreSQL.

Each node is a real ``launchready monitor --location NAME --no-web`` process with ``--checks``
HTTP checks at ``--interval`` (default 5,000 at 30 s): every check is its own URL on one nginx
on 127.0.0.1 that answers ``200 ok``, except ``--failing`` of them, which point at a closed
loopback port (refused at once) so the leader has DOWN decisions to make. One private
PostgreSQL (``initdb`` in a temporary directory, ephemeral port, ``fsync=off``) holds every
node's results; the one alert route is a JSON webhook this script serves on 127.0.0.1.
``canaries = []``: nothing leaves the machine.

Figures, over ``--duration`` seconds from the nodes' start:

* CPU per node: user + system seconds of the process (every thread, /proc/<pid>/stat) over
  the window after the first ``--interval`` (start-up excluded), as a share of one core;
* rows per second into PostgreSQL over that window (``results`` rows with ``at`` in it);
* decision lag per DOWN: from the last result the quorum needed (for a majority of the three
  locations, the second location's ``failure_threshold``-th failing result) to the outbox row
  the leader wrote (``created``: the leader's own run that decided), and to its delivery at
  the webhook (``sent_at``, after the outbox's 2 s grouping window). p50, p99 and max.

Peer: ``bench/monitor_bench.py`` measures one node beside blackbox_exporter; there is no peer
tool with a quorum of locations to run beside this one, so its figures are read against that
single-node run (one node at the same checks and interval). The script always exits 0 (it
measures, it does not judge). Run:
``python bench/monitor_locations_bench.py [--checks 5000] [--interval 30] [--duration 90]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from localserver import free_port, nginx_ok, wait_for_port
from monitor_bench import pct, proc_cpu

LOCATIONS = ("loc-a", "loc-b", "loc-c")


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A private PostgreSQL on 127.0.0.1 in its own temporary directory (owned by the
    ``postgres`` user when run as root); yields the URL of its ``monitor`` database."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found (Debian package postgresql)")
    bindir = Path(found[-1]).parent
    tmp = Path(tempfile.mkdtemp(prefix="lr-locbench-pg-", dir="/tmp"))
    data = tmp / "pg"
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        shutil.chown(tmp, "postgres", "postgres")
    port = free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync"], check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([*prefix, str(bindir / "postgres"), "-D", str(data), "-p",
                             str(port), "-k", str(tmp), "-c", "listen_addresses=127.0.0.1",
                             "-c", "fsync=off", "-c", "log_min_messages=warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30)
        for _ in range(100):
            made = subprocess.run([str(bindir / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                                   str(port), "-U", "postgres", "-c", "CREATE DATABASE monitor"],
                                  capture_output=True, check=False)
            if made.returncode == 0:
                break
            time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/monitor"
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def write_config(path: Path, *, url: str, port: int, closed: int, hook: int, checks: int,
                 failing: int, interval: int) -> None:
    lines = ["[monitor]", f'interval = "{interval}s"', f'database = "{url}"',
             "allow_private = true", "canaries = []",
             f"locations = [{', '.join(f'{loc!r}' for loc in LOCATIONS)}]".replace("'", '"'),
             "", "[[monitor.alerts]]", 'name = "hook"', f'url = "json://127.0.0.1:{hook}/hook"']
    for i in range(checks):
        target = closed if i < failing else port
        lines += ["", "[[monitor.checks]]", f'name = "c{i:05d}"',
                  f'url = "http://127.0.0.1:{target}/c/{i}"']
    path.write_text("\n".join(lines) + "\n")


def spawn(cfg: Path, location: str, log: Path) -> subprocess.Popen[bytes]:
    """One node process; its log lines go to ``log``."""
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-m", "launchready", "monitor", "--config",
                                 str(cfg), "--location", location, "--no-web"], stderr=err)


async def hook_server() -> tuple[object, int]:
    from aiohttp import web  # noqa: PLC0415

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


def figures(url: str, since: float, until: float, threshold: int) -> dict[str, object]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM results WHERE at >= %s AND at < %s",
                            (since, until)).fetchone()
        downs = conn.execute("SELECT title, created, sent_at FROM outbox WHERE title LIKE "
                             "'[DOWN] %%' OR dedupe LIKE '%%:down:%%'").fetchall()
        needed: dict[str, float] = {}
        for (check,) in conn.execute("SELECT DISTINCT check_name FROM incidents").fetchall():
            per_loc = []
            for loc in LOCATIONS:
                fails = conn.execute(
                    "SELECT at FROM results WHERE check_name = %s AND location = %s AND ok = 0 "
                    "ORDER BY at LIMIT %s", (check, loc, threshold)).fetchall()
                if len(fails) == threshold:
                    per_loc.append(float(fails[-1][0]))
            if len(per_loc) >= 2:
                needed[check] = sorted(per_loc)[1]  # the second location completes a majority
        created = {str(d): (float(c), s) for d, c, s in conn.execute(
            "SELECT dedupe, created, sent_at FROM outbox WHERE dedupe LIKE '%%:down:%%'")}
    decide: list[float] = []
    deliver: list[float] = []
    for dedupe, (made, sent) in created.items():
        check = dedupe.split(":", 1)[0]
        if check in needed:
            decide.append(made - needed[check])
            if sent is not None:
                deliver.append(float(sent) - needed[check])
    return {"rows": int(rows[0]) if rows else 0, "downs": len(downs), "decide": decide,
            "deliver": deliver}


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lr-locbench-", dir="/tmp"))
    hook_runner, hook = await hook_server()
    try:
        with nginx_ok(tmp / "nginx") as port, postgres() as url:
            cfg = tmp / "monitor.toml"
            write_config(cfg, url=url, port=port, closed=free_port(), hook=hook,
                         checks=args.checks, failing=args.failing, interval=args.interval)
            nodes: dict[str, subprocess.Popen[bytes]] = {}
            started = time.time()
            for loc in LOCATIONS:
                nodes[loc] = spawn(cfg, loc, tmp / f"{loc}.log")
            try:
                await asyncio.sleep(args.interval)  # every check has started once
                window_start = time.time()
                cpu0 = {loc: proc_cpu(p.pid) for loc, p in nodes.items()}
                await asyncio.sleep(max(1.0, args.duration - args.interval))
                window = time.time() - window_start
                cpu = {loc: (proc_cpu(p.pid) - cpu0[loc]) / window for loc, p in nodes.items()}
                await asyncio.sleep(3)  # the last digests are delivered
                out = await asyncio.to_thread(figures, url, window_start,
                                              window_start + window, 2)
            finally:
                for proc in nodes.values():
                    proc.terminate()
                for proc in nodes.values():
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            alive = {loc: p.returncode for loc, p in nodes.items()}
    finally:
        await hook_runner.cleanup()  # type: ignore[attr-defined]
    decide = out["decide"]
    deliver = out["deliver"]
    assert isinstance(decide, list) and isinstance(deliver, list)
    print(f"3 nodes x {args.checks} checks at {args.interval}s, {args.failing} failing, "
          f"{args.duration:g}s run (measured window {window:.0f}s after the first interval);"
          f" exit codes {alive}; started {time.time() - started:.0f}s ago")
    for loc in LOCATIONS:
        print(f"  cpu {loc}: {cpu[loc] * 100:.1f}% of one core")
    print(f"  rows into PostgreSQL: {int(out['rows']) / window:.0f}/s "  # type: ignore[call-overload]
          f"(expected {3 * args.checks / args.interval:.0f}/s)")
    print(f"  DOWN decided: {len(decide)} of {args.failing}; decision lag p50 "
          f"{pct(decide, 0.5):.2f}s p99 {pct(decide, 0.99):.2f}s max "
          f"{max(decide, default=float('nan')):.2f}s")
    print(f"  DOWN delivered: {len(deliver)}; last needed result -> webhook p50 "
          f"{pct(deliver, 0.5):.2f}s p99 {pct(deliver, 0.99):.2f}s (includes the 2 s "
          f"grouping window)")
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--failing", type=int, default=100)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--duration", type=float, default=90.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
