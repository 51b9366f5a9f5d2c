"""The load engine against real loopback servers: stalls, late sends, timeouts, Ctrl-C, caps.

RELIABILITY 56-58: a frozen server shows in the open model's tail; a rate the concurrency cap
cannot carry is reported as late/dropped sends instead of silently slowing the run; timeouts
and errors stay in the latency numbers; an interrupt stops a run within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from launchready.perf.load import (
    LoadPlan,
    LoadRefused,
    RequestSpec,
    StopToken,
    check_allowed,
    check_caps,
    resolve_endpoint,
    run_load,
)
from launchready.perf.wire import Endpoint, build_request

Behaviour = Callable[[], Awaitable[bytes]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@contextlib.asynccontextmanager
async def serving(behaviour: Behaviour) -> AsyncIterator[RequestSpec]:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 answering every request with ``behaviour()``."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(await behaviour())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint = await resolve_endpoint(f"http://127.0.0.1:{port}/")
    try:
        yield RequestSpec(endpoint=endpoint, payload=build_request(endpoint, "GET", "/"))
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def test_open_model_shows_a_two_second_freeze_in_p99() -> None:
    # Given a server that stops answering for 2 s, 1.5 s into a 5 s run at 50 requests/s
    async def main() -> None:
        frozen = {"until": 0.0}

        async def behaviour() -> bytes:
            wait = frozen["until"] - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await asyncio.sleep(0.002)
            return OK

        async with serving(behaviour) as spec:
            async def freeze() -> None:
                await asyncio.sleep(1.5)
                frozen["until"] = time.monotonic() + 2.0

            freezer = asyncio.ensure_future(freeze())
            result = await run_load(spec, LoadPlan(model="open", rate=50, duration_s=5,
                                                   concurrency=20, timeout_s=5))
            await freezer
        # Then latency counted from the scheduled send time carries the stall: with 1 % of
        # 250 requests above p99, p99 is the latency of a request scheduled ~0.05 s into the
        # freeze, i.e. just under 2 s; the first one scheduled in it waited the full 2 s less how
    # far into the freeze its slot fell (under one send interval, 20 ms at 50/s)
        summary = result.histogram.summary()
        assert result.errors == 0
        assert result.completed == 250
        assert summary.p99_ms >= 1900
        assert summary.max_ms >= 2000 - 20
        assert summary.p50_ms < 100
        assert result.late > 0  # the requests queued behind the stall went out late

    asyncio.run(main())


def test_rate_above_concurrency_reports_late_and_dropped_sends() -> None:
    # Given a 50 ms server, 2 connections (at most ~40 requests/s) and a target of 200/s for 1 s
    async def main() -> None:
        async def behaviour() -> bytes:
            await asyncio.sleep(0.05)
            return OK

        async with serving(behaviour) as spec:
            started = time.monotonic()
            result = await run_load(spec, LoadPlan(model="open", rate=200, duration_s=1,
                                                   concurrency=2, timeout_s=1))
            took = time.monotonic() - started
        # Then the run still ends on schedule (1 s + a drain of one timeout), and says why
        # its numbers are bad: late sends, dropped sends, latency from the schedule
        assert took < 2.6
        assert result.late > 50
        assert result.dropped > 50
        assert result.planned == 200
        assert result.histogram.count == result.completed + result.dropped
        assert result.histogram.summary().p50_ms > 300

    asyncio.run(main())


def test_timeouts_and_errors_are_counted_and_kept_in_latency() -> None:
    async def main() -> None:
        async def hang() -> bytes:
            await asyncio.sleep(30)
            return OK

        async def fail() -> bytes:
            return b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"

        async with serving(hang) as spec:
            result = await run_load(spec, LoadPlan(requests=4, concurrency=2, timeout_s=0.3))
        assert (result.timeouts, result.errors, result.completed) == (4, 4, 4)
        assert result.histogram.summary().p50_ms >= 300
        assert result.error_kinds == {"timeout": 4}

        async with serving(fail) as spec:
            result = await run_load(spec, LoadPlan(requests=20, concurrency=4))
        assert result.errors == 20
        assert result.statuses == {500: 20}

        dead = Endpoint(scheme="http", host="127.0.0.1", port=spec.endpoint.port,
                        address="127.0.0.1")  # the server above is closed now
        result = await run_load(RequestSpec(endpoint=dead, payload=spec.payload),
                                LoadPlan(requests=3, concurrency=1, timeout_s=1))
        assert result.errors == 3
        assert result.error_kinds == {"refused": 3}

    asyncio.run(main())


def test_stop_token_ends_a_burst_within_a_second_with_partial_results() -> None:
    async def main() -> None:
        async def slow() -> bytes:
            await asyncio.sleep(0.2)
            return OK

        stop = StopToken()
        async with serving(slow) as spec:
            timer = threading.Timer(0.7, stop.set)  # set from another thread, like a signal
            timer.start()
            started = time.monotonic()
            try:
                result = await run_load(spec, LoadPlan(requests=100_000, concurrency=5,
                                                       duration_s=60), stop=stop)
            finally:
                timer.cancel()
            took = time.monotonic() - started
        assert took < 0.7 + 1.0
        assert result.interrupted
        assert 0 < result.completed < 100
        assert result.dropped == 0  # unsent requests of an interrupted run are not "dropped"

    asyncio.run(main())


def test_closed_model_keeps_connections_alive() -> None:
    async def main() -> None:
        async def fast() -> bytes:
            return OK

        async with serving(fast) as spec:
            result = await run_load(spec, LoadPlan(requests=2000, concurrency=8, segments=5,
                                                   capture_first=True))
        assert (result.completed, result.errors) == (2000, 0)
        assert len(result.segment_p95_ms) == 5
        assert result.first_response is not None
        assert result.first_response.status == 200
        assert result.rps > 0

    asyncio.run(main())


@pytest.mark.parametrize("plan", [
    LoadPlan(concurrency=5000),
    LoadPlan(model="open", rate=50_000, duration_s=1),
    LoadPlan(model="open", rate=10, duration_s=3600),
    LoadPlan(requests=5_000_000),
    LoadPlan(timeout_s=0),
], ids=["concurrency", "rate", "duration", "requests", "timeout"])
def test_hard_caps_refuse_to_start(plan: LoadPlan) -> None:
    with pytest.raises(LoadRefused, match="hard caps"):
        check_caps(plan)


@pytest.mark.parametrize(("address", "host", "allow", "confirmed", "ok"), [
    ("127.0.0.1", "app.acme.test", (), False, True),
    ("::1", "localhost", (), False, True),
    ("::ffff:127.0.0.1", "x.test", (), False, True),
    ("203.0.113.10", "app.acme.example", (), False, False),
    ("203.0.113.10", "app.acme.example", ("APP.acme.example.",), False, True),
    ("203.0.113.10", "app.acme.example", (), True, True),
    ("10.0.0.5", "staging.internal", ("other.example",), False, False),
], ids=["v4-loopback", "v6-loopback", "mapped-loopback", "public-refused", "allow-listed",
        "confirmed", "private-not-listed"])
def test_only_loopback_listed_or_confirmed_hosts_are_loaded(
        address: str, host: str, allow: tuple[str, ...], confirmed: bool, ok: bool) -> None:
    endpoint = Endpoint(scheme="https", host=host, port=443, address=address)
    if ok:
        check_allowed(endpoint, allow_hosts=allow, confirmed=confirmed)
    else:
        with pytest.raises(LoadRefused, match="--yes-load"):
            check_allowed(endpoint, allow_hosts=allow, confirmed=confirmed)
