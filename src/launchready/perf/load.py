"""The load engine: closed and open (constant arrival rate) models over :mod:`.wire`.

Closed model: ``requests`` requests through ``concurrency`` connections, each connection sending
its next request as soon as the previous answer is in; latency runs from the moment a request is
written. It answers "how fast is it when N users click at once" but, by construction, slows down
with the server: a 2-second stall delays only the requests already in flight, and the ones that
would have been sent during the stall are never sent. That is coordinated omission.

Open model: requests are *scheduled* at a fixed rate (request ``i`` at ``start + i / rate``), and
each latency runs from its scheduled send time, not from when a free connection finally sent
it, so time spent queued behind a stalled server counts (wrk2's correction). When the
concurrency cap cannot keep up with the rate, sends start late: every send more than
``late_after_s`` behind schedule is counted as ``late``, and requests still unsent when the run's
hard stop arrives are ``dropped`` — and recorded in the histogram at the time they had waited,
a lower bound, so a stall at the end of a run is not hidden either (k6's
``dropped_iterations``).

Errors (connection failures, broken framing, unexpected status) and timeouts are counted, and
their latency is recorded like any other: a run that times out half its requests cannot report
a fast p95. Only requests cut off by an interrupt (Ctrl-C) are left out, and the result says
``interrupted``.

Each run's requests are also split into ``segments`` consecutive sub-runs whose p95s measure
the run-to-run noise used by the baseline comparison.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from launchready.config import limits
from launchready.errors import LaunchreadyError
from launchready.perf.histogram import LatencyHistogram
from launchready.perf.wire import (
    Captured,
    Connection,
    Endpoint,
    Interrupted,
    RequestTimeout,
    WireError,
    client_ssl_context,
    connect,
)

Model = Literal["closed", "open"]
#: how often the watchdog looks at deadlines and the stop token (bounds Ctrl-C latency)
WATCHDOG_TICK_S = 0.05


class LoadRefused(LaunchreadyError):
    """A run would exceed a hard cap or load a host nobody confirmed."""


class StopToken:
    """Thread-safe "stop now" flag, set from a signal handler and polled by the watchdog."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Ask every running load to stop and report what it has."""
        self._event.set()

    def clear(self) -> None:
        """Re-arm the token for another run."""
        self._event.clear()

    def is_set(self) -> bool:
        """True once ``set`` was called."""
        return self._event.is_set()


class StopSignal(Protocol):
    """Anything the watchdog can poll: a :class:`StopToken`, or one combined with a deadline."""

    def is_set(self) -> bool:
        """True when the run should stop now."""
        ...


#: the process-wide token the ``perf`` command's SIGINT handler sets (one interrupt per process)
INTERRUPT = StopToken()


def fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop factory where ``uvloop`` is installed, else None.

    Pass it to ``asyncio.Runner(loop_factory=...)``; None means the default loop. uvloop
    roughly halves the engine's CPU per request (see ``bench/perf_bench.py``).
    """
    try:
        import uvloop  # noqa: PLC0415 - not installed on Windows and non-CPython
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    """How to load one endpoint."""

    model: Model = "closed"
    requests: int = 200  # closed model: how many
    concurrency: int = 10  # connections
    rate: float = 0.0  # open model: requests per second
    duration_s: float = 60.0  # open: schedule length; closed: hard stop
    timeout_s: float = 10.0  # per request (and per connect)
    late_after_s: float = 0.010  # open: a send this far behind schedule counts as late
    segments: int = 5  # sub-runs for the noise estimate
    capture_first: bool = False  # keep the first response whole (to judge expectations)

    @property
    def planned(self) -> int:
        """Requests the plan intends to send."""
        if self.model == "open":
            return max(1, round(self.rate * self.duration_s))
        return self.requests


def check_caps(plan: LoadPlan) -> None:
    """Refuse plans over the hard caps of :mod:`.limits`."""
    problems = []
    if not 1 <= plan.concurrency <= limits.MAX_CONCURRENCY:
        problems.append(f"concurrency {plan.concurrency} (cap {limits.MAX_CONCURRENCY})")
    if not 0 < plan.duration_s <= limits.MAX_DURATION_S:
        problems.append(f"duration {plan.duration_s:g}s (cap {limits.MAX_DURATION_S:g}s)")
    if not 0 < plan.timeout_s <= limits.MAX_TIMEOUT_S:
        problems.append(f"timeout {plan.timeout_s:g}s (cap {limits.MAX_TIMEOUT_S:g}s)")
    if plan.model == "open" and not 0 < plan.rate <= limits.MAX_RATE:
        problems.append(f"rate {plan.rate:g}/s (cap {limits.MAX_RATE:g}/s)")
    if plan.model == "closed" and not 1 <= plan.requests <= limits.MAX_REQUESTS:
        problems.append(f"requests {plan.requests} (cap {limits.MAX_REQUESTS})")
    if problems:
        raise LoadRefused("load plan over the hard caps: " + ", ".join(problems))


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def check_allowed(endpoint: Endpoint, *, allow_hosts: tuple[str, ...], confirmed: bool) -> None:
    """Load only loopback, hosts listed in ``allow_hosts``, or anything once ``confirmed``.

    The rule looks at the address actually connected to, so a name that resolves to a
    production IP is not mistaken for a local one.
    """
    if confirmed or is_loopback(endpoint.address):
        return
    allowed = {h.strip().lower().rstrip(".") for h in allow_hosts}
    if endpoint.host.lower().rstrip(".") in allowed or endpoint.address in allowed:
        return
    raise LoadRefused(
        f"refusing to load {endpoint.host} ({endpoint.address}): not loopback and not in "
        f"[perf] allow_hosts; pass --yes-load or add \"{endpoint.host}\" to [perf] allow_hosts")


async def resolve_endpoint(url: str, *, resolve: Mapping[tuple[str, int], str] | None = None,
                           ca_bundle: str | None = None, timeout: float = 10.0) -> Endpoint:
    """The :class:`Endpoint` of ``url``: ``resolve`` pins first, else the system resolver."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise LoadRefused(f"{url!r} is not an http(s) URL")
    host = parts.hostname.rstrip(".").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise LoadRefused(f"{url!r} has an invalid port") from None
    address = (resolve or {}).get((host, port))
    if address is None:
        address = host if _is_ip(host) else await _lookup(host, port, timeout)
    ctx = client_ssl_context(ca_bundle) if parts.scheme == "https" else None
    return Endpoint(scheme=parts.scheme, host=host, port=port, address=address, ssl_context=ctx)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _lookup(host: str, port: int, timeout: float) -> str:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise LoadRefused(f"cannot resolve {host}: {exc}") from None
    if not infos:
        raise LoadRefused(f"cannot resolve {host}")
    return str(infos[0][4][0])


@dataclass(frozen=True, kw_only=True)
class RequestSpec:
    """One request to repeat: the endpoint, its bytes and which statuses count as success."""

    endpoint: Endpoint
    payload: bytes
    head_only: bool = False
    ok_statuses: frozenset[int] | None = None  # None: 200-399

    def ok(self, status: int) -> bool:
        """True when ``status`` is a success for this request."""
        if self.ok_statuses is None:
            return 200 <= status < 400
        return status in self.ok_statuses


class Pool:
    """Connection slots shared by a warm-up and the measured run that follows it."""

    def __init__(self, size: int) -> None:
        self.slots: list[Connection | None] = [None] * size

    def close(self) -> None:
        """Close every connection."""
        for conn in self.slots:
            if conn is not None:
                conn.close()
        self.slots = [None] * len(self.slots)


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """What one run measured."""

    model: Model
    planned: int
    completed: int  # answered, failed or timed out (everything in the histogram but dropped)
    errors: int  # failures + timeouts + unexpected statuses
    timeouts: int
    late: int
    dropped: int
    interrupted: bool
    elapsed_s: float
    histogram: LatencyHistogram
    segment_p95_ms: tuple[float, ...]
    statuses: Mapping[int, int] = field(default_factory=dict)
    error_kinds: Mapping[str, int] = field(default_factory=dict)
    first_response: Captured | None = None

    @property
    def rps(self) -> float:
        """Completed requests per second of wall time."""
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0


async def run_load(spec: RequestSpec, plan: LoadPlan, *, stop: StopSignal | None = None,
                   pool: Pool | None = None) -> RunResult:
    """Run ``plan`` against ``spec``; never raises for request failures, only for bad plans."""
    check_caps(plan)
    run = _Run(spec, plan, stop, pool or Pool(plan.concurrency))
    try:
        return await run.go()
    finally:
        if pool is None:
            run.pool.close()


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, WireError):
        return "protocol"
    return "connection"


class _Run:
    """State of one run; workers are tasks sharing it on one event loop (no locks needed)."""

    def __init__(self, spec: RequestSpec, plan: LoadPlan, stop: StopSignal | None,
                 pool: Pool) -> None:
        self.spec = spec
        self.plan = plan
        self.stop = stop
        if len(pool.slots) < plan.concurrency:
            pool.slots.extend([None] * (plan.concurrency - len(pool.slots)))
        self.pool = pool
        self.loop = asyncio.get_running_loop()
        self.total = plan.planned
        self.k = max(1, min(plan.segments, self.total))
        self.segments = [LatencyHistogram() for _ in range(self.k)]
        self.next_i = 0
        self.completed = 0
        self.errors = 0
        self.timeouts = 0
        self.late = 0
        self.statuses: dict[int, int] = {}
        self.kinds: dict[str, int] = {}
        self.halted = False
        self.interrupted = False
        self.first: Captured | None = None
        self.t0 = 0.0
        self.last_done = 0.0
        self.hard_stop = 0.0
        self.interval = 1.0 / plan.rate if plan.model == "open" else 0.0

    async def go(self) -> RunResult:
        plan = self.plan
        self.t0 = time.perf_counter()
        self.last_done = self.t0
        if plan.model == "open":
            drain = min(plan.timeout_s, 10.0)
            self.hard_stop = self.t0 + plan.duration_s + drain
            body = self._open_worker
        else:
            self.hard_stop = self.t0 + plan.duration_s
            body = self._closed_worker
        workers = [asyncio.ensure_future(body(slot))
                   for slot in range(min(plan.concurrency, self.total))]
        watchdog = asyncio.ensure_future(self._watchdog(workers))
        try:
            await asyncio.gather(*workers, return_exceptions=True)
        finally:
            watchdog.cancel()
            for w in workers:
                w.cancel()
            await asyncio.gather(watchdog, *workers, return_exceptions=True)
        dropped = 0
        if not self.interrupted and self.next_i < self.total:
            dropped = self.total - self.next_i
            self._record_dropped(self.next_i)
        hist = LatencyHistogram()
        for seg in self.segments:
            hist.merge(seg)
        p95s = tuple(s.value_at_ms(95) for s in self.segments if s.count)
        return RunResult(
            model=plan.model, planned=self.total, completed=self.completed, errors=self.errors,
            timeouts=self.timeouts, late=self.late, dropped=dropped,
            interrupted=self.interrupted, elapsed_s=max(self.last_done - self.t0, 1e-9),
            histogram=hist, segment_p95_ms=p95s, statuses=dict(self.statuses),
            error_kinds=dict(self.kinds), first_response=self.first)

    def _record_dropped(self, first_unsent: int) -> None:
        # open model: a send that never happened waited at least from its slot to the end of
        # the run. A closed run cut by its hard stop has no schedule: its unsent requests are
        # only counted.
        if self.plan.model != "open":
            return
        end = time.perf_counter()
        for i in range(first_unsent, self.total):
            waited = end - (self.t0 + i * self.interval)
            self.segments[i * self.k // self.total].record_us(int(waited * 1_000_000))

    async def _closed_worker(self, slot: int) -> None:
        clock = time.perf_counter
        while not self.halted and self.next_i < self.total:
            if clock() > self.hard_stop:
                self.halted = True
                return
            conn = self.pool.slots[slot]
            if conn is None or not conn.alive or (self.next_i == 0 and self.plan.capture_first):
                # connecting (and capturing) is the rare path: one request as a coroutine
                i = self.next_i
                self.next_i = i + 1
                await self._one(slot, i, clock())
                continue
            chain_done: asyncio.Future[None] = self.loop.create_future()
            self._chain(conn, chain_done)
            await chain_done

    def _chain(self, conn: Connection, chain_done: asyncio.Future[None]) -> None:
        """Send request after request on ``conn`` from its response callback.

        The hot path of the closed model: no future and no task switch per request. The chain
        ends (``chain_done``) when the run is over or the connection closes; the worker then
        reconnects through the coroutine path.
        """
        clock = time.perf_counter
        loop_time = self.loop.time
        payload, head_only = self.spec.payload, self.spec.head_only
        timeout = self.plan.timeout_s
        current = [0, 0.0]  # index and start time of the request in flight

        def send_next() -> None:
            if (self.halted or self.next_i >= self.total or not conn.alive
                    or clock() > self.hard_stop):
                if not chain_done.done():
                    chain_done.set_result(None)
                return
            i = self.next_i
            self.next_i = i + 1
            current[0] = i
            current[1] = clock()
            conn.deadline = loop_time() + timeout
            conn.send_cb(payload, on_response, head_only=head_only)

        def on_response(status: int, exc: Exception | None) -> None:
            self._account(int(current[0]), current[1], status, exc)
            send_next()

        send_next()

    async def _open_worker(self, slot: int) -> None:
        clock = time.perf_counter
        while not self.halted and self.next_i < self.total:
            now = clock()
            if now > self.hard_stop:
                self.halted = True
                return
            i = self.next_i
            self.next_i = i + 1
            intended = self.t0 + i * self.interval
            if intended > now:
                await asyncio.sleep(intended - now)
            elif now - intended > self.plan.late_after_s:
                self.late += 1
            await self._one(slot, i, intended)

    async def _one(self, slot: int, i: int, started: float) -> None:
        spec = self.spec
        timeout = self.plan.timeout_s
        conn = self.pool.slots[slot]
        try:
            if conn is None or not conn.alive:
                conn = await connect(spec.endpoint, timeout=timeout)
                self.pool.slots[slot] = conn
            capture = i == 0 and self.plan.capture_first
            waiter = conn.send(spec.payload, head_only=spec.head_only, capture=capture)
            conn.deadline = self.loop.time() + timeout  # the watchdog's clock
            status = await waiter
            if capture:
                self.first = conn.captured
        except (OSError, WireError, RequestTimeout, TimeoutError, Interrupted) as exc:
            self._account(i, started, 0, exc)
        else:
            self._account(i, started, status, None)

    def _account(self, i: int, started: float, status: int, exc: Exception | None) -> None:
        """Count one request's outcome and record its latency (errors included)."""
        if exc is None:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if not self.spec.ok(status):
                self.errors += 1
        elif isinstance(exc, Interrupted):
            return  # cut off by Ctrl-C: neither a success nor a failure of the server
        else:
            kind = "timeout" if isinstance(exc, RequestTimeout | TimeoutError) \
                else _error_kind(exc)
            if kind == "timeout":
                self.timeouts += 1
            self.errors += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        done = time.perf_counter()
        self.last_done = done
        self.completed += 1
        self.segments[i * self.k // self.total].record_us(int((done - started) * 1_000_000))

    async def _watchdog(self, workers: Sequence[asyncio.Future[None]]) -> None:
        stop = self.stop
        while True:
            await asyncio.sleep(WATCHDOG_TICK_S)
            now = self.loop.time()
            if stop is not None and stop.is_set():
                self.halted = True
                self.interrupted = True
                for conn in self.pool.slots:
                    if conn is not None:
                        conn.abort(Interrupted())
                for w in workers:
                    w.cancel()
                return
            for conn in self.pool.slots:
                if conn is not None and conn.deadline and now > conn.deadline:
                    conn.abort(RequestTimeout())
