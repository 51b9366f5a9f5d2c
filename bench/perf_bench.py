"""Benchmark launchready's load engine against wrk and locust, and check its percentiles.

Part 1 — efficiency. A local nginx (``nginx -p TMP -c nginx.conf``, one worker, a 2-byte
``return 200``) is loaded at 50 connections by

* launchready's engine (``launchready.perf.load``, closed model, uvloop when installed),
* ``wrk -t1 -c50`` (Debian package ``wrk``),
* ``locust`` headless with ``FastHttpUser`` and no wait (PyPI ``locust``),

each in its own process. Printed: requests/s and CPU seconds per 1,000 requests of the load
generator process (user + system, from ``wait4``), so a tool that burns two cores to reach a
rate is not flattered by its rate alone.

Part 2 — accuracy. A small server whose latency is known by construction: request k (in arrival
order) sleeps 5 ms when ``k % 100 < 90``, 20 ms when ``< 99``, else 100 ms; and every request
arriving in the window [4 s, 5 s) after the first one is held until 5 s (a 1-second stall). The
true latency of request i of an open-model run at R requests/s (scheduled at i / R) is its sleep
plus its wait in the stall, so the true p50/p95/p99 of the run are known. Each tool runs 10 s
against a fresh server; launchready runs the open model (latency from the scheduled send time)
and, for contrast, the closed model; wrk and locust are closed-model tools and under-report the
stall (coordinated omission).

Run: ``python bench/perf_bench.py`` (``--quick`` for shorter runs). Needs nginx (``/usr/sbin/
nginx``), wrk and locust on PATH (or ``--wrk`` / ``--locust``); missing tools are reported and
skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from localserver import free_port, nginx_ok, wait_for_port

from launchready.perf.load import (
    LoadPlan,
    RequestSpec,
    fast_loop_factory,
    resolve_endpoint,
    run_load,
)
from launchready.perf.wire import build_request

PATTERN_MS = [5.0] * 90 + [20.0] * 9 + [100.0]
STALL_AT_S, STALL_FOR_S = 4.0, 1.0


def run_with_cpu(cmd: list[str]) -> tuple[str, float, float]:
    """Run ``cmd``; return (stdout, CPU seconds of the process from ``wait4``, wall s)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return out.decode(), usage.ru_utime + usage.ru_stime, time.monotonic() - started


@contextlib.contextmanager
def known_server() -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-known", str(port)])
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


async def serve_known(port: int) -> None:
    """The known-distribution server (see the module docstring)."""
    state = {"k": 0, "t0": 0.0}
    loop = asyncio.get_running_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                now = loop.time()
                if state["k"] == 0:
                    state["t0"] = now
                k = int(state["k"])
                state["k"] = k + 1
                since = now - state["t0"]
                wait = STALL_AT_S + STALL_FOR_S - since if \
                    STALL_AT_S <= since < STALL_AT_S + STALL_FOR_S else 0.0
                await asyncio.sleep(wait + PATTERN_MS[k % 100] / 1000)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def true_percentiles(rate: float, duration: float) -> dict[str, float]:
    lat = []
    for i in range(round(rate * duration)):
        t = i / rate
        stall = STALL_AT_S + STALL_FOR_S - t if STALL_AT_S <= t < STALL_AT_S + STALL_FOR_S else 0
        lat.append(PATTERN_MS[i % 100] + stall * 1000)
    lat.sort()

    def pct(p: float) -> float:
        return lat[max(1, math.ceil(p / 100 * len(lat))) - 1]

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": lat[-1]}


async def engine_run(args: argparse.Namespace) -> dict[str, Any]:
    endpoint = await resolve_endpoint(args.engine_run)
    spec = RequestSpec(endpoint=endpoint, payload=build_request(endpoint, "GET", "/"))
    plan = LoadPlan(model=args.model, requests=args.requests, concurrency=args.concurrency,
                    rate=args.rate, duration_s=args.duration, timeout_s=30, segments=1)
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = await run_load(spec, plan)
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    s = result.histogram.summary()
    return {"requests": result.completed, "errors": result.errors, "late": result.late,
            "dropped": result.dropped, "rps": result.rps, "p50": s.p50_ms, "p95": s.p95_ms,
            "p99": s.p99_ms, "max": s.max_ms, "engine_cpu_s": user + system,
            "engine_user_s": user, "engine_sys_s": system}


WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"requests": %d, "errors": %d, "p50": %.3f, "p95": %.3f, '
    .. '"p99": %.3f, "max": %.3f, "duration_us": %d}\\n', summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.duration))
end
"""

LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class User(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")
"""


def tool_engine(url: str, *, model: str, concurrency: int, requests: int = 0,
                rate: float = 0.0, duration: float = 10.0) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--engine-run", url, "--model", model,
           "--concurrency", str(concurrency), "--requests", str(requests or 1),
           "--rate", str(rate), "--duration", str(duration)]
    out, cpu, wall = run_with_cpu(cmd)
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    data.update(cpu_s=cpu, wall_s=wall)
    return data


def tool_wrk(wrk: str, url: str, *, connections: int, duration: float, tmp: Path
             ) -> dict[str, Any]:
    script = tmp / "report.lua"
    script.write_text(WRK_LUA)
    out, cpu, wall = run_with_cpu([wrk, "-t1", f"-c{connections}", f"-d{duration:g}s",
                                   "-s", str(script), url])
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    data: dict[str, Any] = json.loads(line[5:])
    data.update(rps=data["requests"] / (data["duration_us"] / 1e6), cpu_s=cpu, wall_s=wall)
    return data


def tool_locust(locust: str, url: str, *, users: int, duration: float, tmp: Path
                ) -> dict[str, Any]:
    (tmp / "locustfile.py").write_text(LOCUSTFILE)
    stats_file = tmp / "locust.json"
    _, cpu, wall = run_with_cpu([locust, "-f", str(tmp / "locustfile.py"), "--headless",
                                 "-u", str(users), "-r", str(users), "-t", f"{duration:g}s",
                                 "--host", url.rstrip("/"),
                                 "--json-file", str(stats_file.with_suffix("")),
                                 "--skip-log"])
    [entry] = json.loads(stats_file.read_text())
    # locust keeps response times rounded (2 significant digits above 100 ms) as {ms: count}
    times = sorted((float(k), int(v)) for k, v in entry["response_times"].items())
    total = sum(c for _, c in times)

    def pct(p: float) -> float:
        wanted, seen = max(1, math.ceil(p / 100 * total)), 0
        for value, count in times:
            seen += count
            if seen >= wanted:
                return value
        return times[-1][0] if times else 0.0

    span = max(entry["last_request_timestamp"] - entry["start_time"], 1e-9)
    return {"requests": entry["num_requests"], "errors": entry["num_failures"],
            "rps": entry["num_requests"] / span, "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "max": entry["max_response_time"], "cpu_s": cpu, "wall_s": wall}


def cpu_per_1000(r: dict[str, Any]) -> float:
    return r["cpu_s"] * 1000 / max(r["requests"], 1) * 1000  # milliseconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--wrk", default=shutil.which("wrk"))
    parser.add_argument("--locust", default=shutil.which("locust"))
    parser.add_argument("--serve-known", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine-run", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="closed", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=50, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=10.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    factory = fast_loop_factory()
    if args.serve_known:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve_known(args.serve_known))
        return 0
    if args.engine_run:
        with asyncio.Runner(loop_factory=factory) as runner:
            print(json.dumps(runner.run(engine_run(args))))
        return 0

    seconds = 4.0 if args.quick else 8.0
    print(f"# launchready perf bench (event loop: {'uvloop' if factory else 'asyncio'})\n")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        with nginx_ok(tmp) as port:
            url = f"http://127.0.0.1:{port}/"
            # sized to last about as long as the timed tools' runs
            probe = tool_engine(url, model="closed", concurrency=50, requests=20_000)
            n = max(20_000, int(probe["rps"] * seconds))
            results["launchready"] = tool_engine(url, model="closed", concurrency=50,
                                                 requests=n)
            if args.wrk:
                results["wrk"] = tool_wrk(args.wrk, url, connections=50, duration=seconds,
                                          tmp=tmp)
            if args.locust:
                results["locust"] = tool_locust(args.locust, url, users=50,
                                                duration=seconds, tmp=tmp)
        print("## Throughput: nginx `return 200`, 50 connections\n")
        print("| tool | requests | errors | req/s | CPU s (process) | CPU ms / 1,000 req |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in results.items():
            print(f"| {name} | {r['requests']:,} | {r['errors']} | {r['rps']:,.0f} | "
                  f"{r['cpu_s']:.2f} | {cpu_per_1000(r):.1f} |")
        engine = results["launchready"]
        print(f"\nlaunchready without interpreter start-up and imports: "
              f"{engine['engine_cpu_s'] * 1e6 / engine['requests']:.1f} ms CPU / 1,000 req "
              f"({engine['engine_user_s'] * 1e6 / engine['requests']:.1f} user + "
              f"{engine['engine_sys_s'] * 1e6 / engine['requests']:.1f} system)")
        if "locust" in results:
            ratio = cpu_per_1000(results["locust"]) / cpu_per_1000(results["launchready"])
            print(f"\nlaunchready vs locust, requests per CPU-second: {ratio:.1f}x")
        if "wrk" in results:
            print(f"launchready vs wrk, requests/s: "
                  f"{results['launchready']['rps'] / results['wrk']['rps']:.2f}x; "
                  f"requests per CPU-second: "
                  f"{cpu_per_1000(results['wrk']) / cpu_per_1000(results['launchready']):.2f}x")

        rate, duration = 200.0, 10.0
        truth = true_percentiles(rate, duration)
        known: dict[str, dict[str, Any]] = {}
        with known_server() as port:
            known["launchready open"] = tool_engine(
                f"http://127.0.0.1:{port}/", model="open", concurrency=100, rate=rate,
                duration=duration)
        with known_server() as port:
            # ~10 s at 10 connections (about 1,000 answers/s), so the run crosses the stall
            known["launchready closed"] = tool_engine(
                f"http://127.0.0.1:{port}/", model="closed", concurrency=10,
                requests=int(1000 * duration), duration=3 * duration)
        if args.wrk:
            with known_server() as port:
                known["wrk (closed)"] = tool_wrk(args.wrk, f"http://127.0.0.1:{port}/",
                                                 connections=10, duration=duration, tmp=tmp)
        if args.locust:
            with known_server() as port:
                known["locust (closed)"] = tool_locust(args.locust, f"http://127.0.0.1:{port}/",
                                                       users=10, duration=duration, tmp=tmp)
    print(f"\n## Accuracy: known distribution (5/20/100 ms at 90/9/1 %, a 1 s stall at "
          f"{STALL_AT_S:g} s), {rate:g} req/s for {duration:g} s\n")
    print("| source | requests | p50 ms | p95 ms | p99 ms | max ms | late | dropped |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| true (open schedule) | {round(rate * duration)} | {truth['p50']:.1f} | "
          f"{truth['p95']:.1f} | {truth['p99']:.1f} | {truth['max']:.1f} | | |")
    for name, r in known.items():
        print(f"| {name} | {r['requests']:,} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['p99']:.1f} | {r['max']:.1f} | {r.get('late', '')} | "
              f"{r.get('dropped', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
