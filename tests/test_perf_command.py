"""``launchready perf``: baseline options, the report, and Ctrl-C with partial results."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchready.checks.perf.latency import PerfChecks
from launchready.checks.registry import FAMILIES
from launchready.commands import perf as perf_command
from launchready.errors import ConfigError


def test_perf_family_is_registered() -> None:
    assert PerfChecks in FAMILIES


def _args(config: Path, **kw: Any) -> argparse.Namespace:
    values: dict[str, Any] = {
        "config": str(config), "formats": [], "outputs": [], "fail_on": "high", "only": "",
        "skip": "", "baseline": None, "write_baseline": None, "resolve": [], "resolver": None,
        "ca_bundle": None, "timeout": None, "quiet": True, "verbose": False, "no_color": True,
        "perf_baseline": None, "save_perf_baseline": None, "yes_load": False}
    values.update(kw)
    return argparse.Namespace(**values)


def test_parser_options() -> None:
    parser = argparse.ArgumentParser()
    perf_command.add_arguments(parser)
    args = parser.parse_args(["--perf-baseline", "a.json", "--save-perf-baseline", "b.json",
                              "--yes-load"])
    assert (args.perf_baseline, args.save_perf_baseline, args.yes_load) == \
        ("a.json", "b.json", True)


class _SlowServer:
    """An HTTP/1.1 server on 127.0.0.1 in its own thread; every answer takes ``delay``."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._stop())
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()

    def __enter__(self) -> _SlowServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@pytest.fixture
def slow_server() -> Iterator[_SlowServer]:
    with _SlowServer(0.02) as server:
        yield server


def _write_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "launchready.toml"
    path.write_text(f"""
[perf]
base_url = "http://127.0.0.1:{port}"
requests = 60
concurrency = 4
warmup = 4
max_regression = "100%"
{extra}
endpoints = [{{ name = "home", path = "/" }}]
""")
    return path


def test_save_then_compare_baseline(tmp_path: Path, slow_server: _SlowServer) -> None:
    config = _write_config(tmp_path, slow_server.port)
    saved = tmp_path / "perf.json"
    report = tmp_path / "report.json"
    code = perf_command.run(_args(config, save_perf_baseline=str(saved),
                                  formats=["json"], outputs=[str(report)]))
    assert code == 0
    assert json.loads(saved.read_text())["endpoints"]["home"]["p95_ms"] >= 20
    doc = json.loads(report.read_text())
    [m] = doc["measurements"]
    assert (m["check"], m["target"], m["requests"], m["errors"], m["model"]) == \
        ("PERF001", "home", 60, 0, "closed")
    # the same server again: within noise, no PERF003
    md = tmp_path / "perf.md"
    code = perf_command.run(_args(config, perf_baseline=str(saved), formats=["md"],
                                  outputs=[str(md)]))
    assert code == 0
    assert "vs baseline" in md.read_text()

    # a slower server than the baseline: PERF003 (high) fails the run
    slow_server.delay = 0.25  # far beyond any noise a loaded machine adds to a 20 ms baseline
    code = perf_command.run(_args(config, perf_baseline=str(saved), formats=["md"],
                                  outputs=[str(md)]))
    assert code == 1
    assert "PERF003" in md.read_text()


def test_ctrl_c_stops_within_a_second_and_prints_partial_results(
        tmp_path: Path, slow_server: _SlowServer) -> None:
    config = _write_config(tmp_path, slow_server.port, 'requests = 100000\nduration = "60s"')
    config.write_text(config.read_text().replace("requests = 60\n", ""))
    report = tmp_path / "report.json"
    sent_at: list[float] = []

    def interrupt() -> None:
        sent_at.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    timer.start()
    try:
        perf_command.run(_args(config, formats=["json"], outputs=[str(report)]))
    finally:
        timer.cancel()
    took = time.monotonic() - sent_at[0]
    assert took < 1.0
    doc = json.loads(report.read_text())
    [m] = doc["measurements"]
    assert 0 < m["requests"] < 100_000
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_missing_perf_section_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "launchready.toml"
    path.write_text('[app]\nname = "x"\n')
    with pytest.raises(ConfigError, match="perf"):
        perf_command.run(_args(path))


def test_spec_option_names_mean_the_perf_baseline() -> None:
    # SPEC §2: `launchready perf [--baseline F] [--save-baseline F]`
    from launchready.cli import build_parser

    args = build_parser("perf").parse_args(["perf", "--baseline", "a.json", "--save-baseline",
                                      "b.json"])
    assert (args.baseline, args.save_perf_baseline) == ("a.json", "b.json")
