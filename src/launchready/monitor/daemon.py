"""The monitor daemon: schedules checks, feeds the state machine, persists, alerts.

Scheduling (RELIABILITY 5, 7, 8): each check has its own task on the monotonic clock with
fixed slots ``t0 + n * interval`` plus a random jitter; a run is bounded by its timeout (below
the interval); a run that overshoots its slot makes the task skip to the next future slot, so
runs never overlap and nothing is caught up in a burst. Wall-clock steps move nothing.

Writes go through a queue to one writer task, so a locked or unreachable database delays only
the writes: checks keep running, batches are kept in memory and retried (RELIABILITY 20, 21,
26). Alerts are queued in the outbox in the same transaction as their state change and
delivered by :class:`~launchready.monitor.notify.Outbox`.

Alerts of one route are grouped within ``group_window`` seconds (RELIABILITY 19; see
:mod:`~launchready.monitor.notify`). When the store cannot be written because it is full or
failing (SQLITE_FULL, SQLITE_IOERR, read-only, corrupt; any other write error after
``STORAGE_ALERT_AFTER_S``), one "storage" alert goes to every route straight from memory, and
until the store recovers the alerts of queued results are delivered from memory too; the ones
delivered are not queued in the outbox again (RELIABILITY 23).

Shutdown (RELIABILITY 27): :meth:`Monitor.stop` stops scheduling, waits up to ``drain``
seconds for in-flight runs, writes what is queued, tries the outbox once more, checkpoints
the WAL and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from launchready.config.models import Config, MonitorCheck, MonitorConfig, monitor_duration
from launchready.errors import ConfigError, RunError
from launchready.monitor.canary import network_reachable
from launchready.monitor.guard import AddressPolicy
from launchready.monitor.notify import Outbox, load_transports
from launchready.monitor.probes import (
    GuardedHttpProbe,
    Outcome,
    guarded_session,
    run_dns,
    run_flow_check,
    run_http,
    run_tcp,
    utcnow,
)
from launchready.monitor.state import Event, EventKind, Observation, Status, advance
from launchready.monitor.state import monitor_offline as all_offline
from launchready.monitor.store import BOUNDS_MS, Commit, Message, ResultRow, Store, StoreError
from launchready.monitor.timing import CheckTiming, timing
from launchready.monitor.views import CheckView, LatencyPoint, StatusSnapshot
from launchready.probes.dns import DnsProbe
from launchready.probes.http import ssl_context

log = logging.getLogger("launchready.monitor")
MAX_BACKLOG = 50_000  # results kept in memory while the store is unavailable
WRITE_TICK_S = 0.2  # the writer commits what arrived within this long in one transaction
GROUP_WINDOW_S = 2.0  # alerts of one route within this long go out as one message
STORAGE_ALERT_AFTER_S = 300.0  # a store failing for another reason (locked, server down)
# words of SQLite/PostgreSQL errors that mean the storage itself is full or broken
_STORAGE_BROKEN = ("full", "no space", "disk i/o", "readonly", "read-only", "malformed",
                   "not a database", "disk quota")
CANARY_EVERY_S = 1.0  # canaries are asked at most this often while every check fails
WRITER_LEASE = "writer"  # one monitor process per store
LEASE_TTL_S = 30.0  # a holder that stops renewing loses the lease after this long
LEASE_RENEW_S = 10.0
STORE_LAG_S = 1.0  # a write waiting longer than this makes the monitor "degraded"
SNAPSHOT_WAIT_S = 2.0  # the status page's own deadline for reading the store
STAGGER_S = 0.01  # first runs of successive checks start this far apart (at most)


def _fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s"


def compose(check: MonitorCheck, event: Event) -> tuple[str, str]:
    """(title, body) of the message for ``event``: the check, what failed, since when, the
    owner (SPEC §7) — never a URL, header or token."""
    owner = f"\nOwner: {check.owner}" if check.owner else ""
    if event.kind is EventKind.DOWN:
        return (f"[DOWN] {check.name}",
                f"{check.name} is DOWN since {_fmt(event.since)}: {event.cause}.{owner}")
    if event.kind is EventKind.REMINDER:
        return (f"[STILL DOWN] {check.name}",
                f"{check.name} has been DOWN for {_span(event.at - event.since)} (since "
                f"{_fmt(event.since)}): {event.cause}.{owner}")
    note = " (recovered while monitor offline)" if event.while_offline else ""
    return (f"[RECOVERED] {check.name}",
            f"{check.name} is UP again{note} at {_fmt(event.at)} after "
            f"{_span(event.at - event.since)} down (since {_fmt(event.since)}; last cause: "
            f"{event.cause or 'unknown'}).{owner}")


def in_maintenance(monitor: MonitorConfig, check: str, at: datetime) -> bool:
    """Whether a maintenance window covers ``check`` at ``at``."""
    for window in monitor.maintenance:
        if window.checks and check not in window.checks:
            continue
        if datetime.fromisoformat(window.start) <= at < datetime.fromisoformat(window.end):
            return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it runs
    return True


def _queued_at(commit: Commit) -> datetime:
    at = commit.at or (commit.result.at if commit.result is not None else None)
    return at if at is not None else datetime.min.replace(tzinfo=UTC)


@dataclass
class _Runner:
    check: MonitorCheck
    timing: CheckTiming
    policy: AddressPolicy
    session: aiohttp.ClientSession | None = None
    probe: GuardedHttpProbe | None = None


@dataclass
class Monitor:
    """One monitor process. ``await start()``, then ``await stop()``; or ``await once()``."""

    config: Config
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    database: str | None = None  # overrides monitor.database (tests)
    web: bool = True
    store: Store | None = None
    statuses: dict[str, Status] = field(default_factory=dict)
    offline: bool = False
    _runners: dict[str, _Runner] = field(default_factory=dict)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _check_tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _idle: set[asyncio.Task[Any]] = field(default_factory=set)  # checks sleeping till their slot
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _queue: list[Commit] = field(default_factory=list)
    _queued: asyncio.Event = field(default_factory=asyncio.Event)
    _outbox: Outbox | None = None
    _latest: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    _dns: DnsProbe | None = None
    _web_runner: Any = None
    _last_round: float = 0.0
    _store_failing: bool = False
    # called with (planned start, actual start) on the monotonic clock before each run;
    # the benchmark measures scheduling lag with it
    on_schedule: Callable[[float, float], None] | None = None
    group_window: float = GROUP_WINDOW_S
    _store_error: str = ""
    _store_failing_since: float | None = None  # monotonic
    _storage_alerted: set[int] = field(default_factory=set)  # routes told this episode
    _canary_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _canary_at: float | None = None  # monotonic time of the last canary probe
    _canary_ok: bool = True
    _write_began: float | None = None  # monotonic start of the write in progress
    _token: str = field(default_factory=lambda: uuid.uuid4().hex)
    _holder: str = field(default_factory=lambda: f"{os.getpid()}@{socket.gethostname()}")
    fatal: str | None = None  # why the monitor had to stop (its lease was taken over)
    lost: asyncio.Event = field(default_factory=asyncio.Event)  # set with ``fatal``

    @property
    def monitor(self) -> MonitorConfig:
        """The ``[monitor]`` section (a Monitor is only built with one)."""
        if self.config.monitor is None:
            raise ValueError("no [monitor] section")
        return self.config.monitor

    # ---- life cycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Open the store, resume state, build the check runners."""
        mon = self.monitor
        if self.store is None:  # a store may be handed in already open (tests, embedding)
            self.store = Store(url=self.database or mon.database,
                               public={c.name: c.public for c in mon.checks})
            await self._open_store()
        if self.store.is_open:
            await self._take_lease()
            self.statuses = await self.store.load()
        self._dns = DnsProbe(resolver=self.config.network.resolver)
        tls = ssl_context(self.config.network.ca_bundle)  # one for every session
        # one session per address policy, shared by its HTTP checks: a run never reuses a
        # connection and the shared session has no connection limit, so sharing changes
        # nothing but the memory (10,000 sessions were most of the daemon's footprint)
        sessions: dict[AddressPolicy, aiohttp.ClientSession] = {}
        for chk in mon.checks:
            allow = chk.allow_private if chk.allow_private is not None else mon.allow_private
            policy = AddressPolicy.build(allow_private=allow, networks=chk.allow_networks)
            if allow or chk.allow_networks:
                log.warning("check %r may reach private addresses (allow_private%s)", chk.name,
                            f", allow_networks={chk.allow_networks}" if chk.allow_networks
                            else "")
            runner = _Runner(check=chk, timing=timing(chk, mon), policy=policy)
            if chk.kind == "http":
                if policy not in sessions:
                    sessions[policy] = guarded_session(self.config, policy, tls, shared=True)
                runner.session = sessions[policy]
            elif chk.kind == "flow":
                runner.probe = GuardedHttpProbe(
                    config=self.config, policy=policy, resolve=self.config.network.resolve_map(),
                    ca_bundle=self.config.network.ca_bundle, timeout=runner.timing.timeout)
            self._runners[chk.name] = runner
        load_transports()
        self._outbox = Outbox(store=self.store, routes=mon.alerts, clock=self.clock,
                              wake=asyncio.Event(), group_window=self.group_window,
                              claimer=self._holder)
        reopened = [n for n, s in self.statuses.items() if s.resumed]
        log.info("monitor store %s opened; %d checks; %d open incidents resumed",
                 self.store.label, len(mon.checks), len(reopened))

    async def start(self) -> None:
        """Open and start every task (checks, writer, outbox, heartbeat, retention, web)."""
        await self.open()
        assert self._outbox is not None  # noqa: S101 - set by open()
        if self.web:  # first: a listen address that cannot be bound stops the start cleanly
            await self._start_web()
        self._tasks.append(asyncio.create_task(self._writer(), name="monitor-writer"))
        self._tasks.append(asyncio.create_task(self._outbox.run(self._stop),
                                               name="monitor-outbox"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="monitor-retention"))
        self._tasks.append(asyncio.create_task(self._lease_keeper(), name="monitor-lease"))
        if self.monitor.heartbeat_url is not None:
            self._tasks.append(asyncio.create_task(self._heartbeat(), name="monitor-heartbeat"))
        began, count = time.monotonic(), len(self._runners)
        for index, runner in enumerate(self._runners.values()):
            # spread the checks' slots over the interval instead of starting them all at
            # once: 10,000 checks at 30 s become 333 runs a second, not 10,000 within the
            # first jitter window; a few checks still all start within milliseconds
            phase = index * min(STAGGER_S, runner.timing.interval / count)
            self._check_tasks.append(asyncio.create_task(self._loop(runner, began + phase),
                                                         name=f"check {runner.check.name}"))
        # the config, runners and sessions built above live as long as the monitor: leave
        # them out of full garbage collections, which otherwise walk every one of them each
        # time (at 10,000 checks: 240 ms pauses, 140 ms without them); close() undoes it
        gc.freeze()

    async def _open_store(self) -> bool:
        """Open the store; when that fails (full disk, I/O error, server down) the monitor
        runs degraded instead of not at all: checks go on, results wait in memory, the
        storage alert goes out from memory and the writer retries the open (RELIABILITY
        23). With nothing loaded, every check starts UNKNOWN, which sends nothing for
        healthy targets."""
        assert self.store is not None  # noqa: S101 - called with a store
        try:
            await self.store.open()
        except StoreError as exc:
            if not self._store_failing:
                log.error("monitor store %s cannot be opened (%s); running from memory and "
                          "retrying", self.store.label, exc)
                self._store_failing_since = time.monotonic()
            self._store_failing = True
            self._store_error = str(exc)
            return False
        if self._store_failing:
            log.warning("monitor store %s opened", self.store.label)
            try:
                await self._take_lease()
            except RunError as exc:
                self._lose(str(exc))
                return False
        return True

    async def _take_lease(self) -> None:
        """Take (or renew) the store's single-writer lease; raise :class:`RunError` naming
        the holder when another live monitor has it (two monitors on one store would record
        and send everything twice)."""
        assert self.store is not None  # noqa: S101 - called with an open store
        now = self.clock()
        lease = await self.store.take_lease(WRITER_LEASE, holder=self._holder,
                                            token=self._token, now=now, ttl=LEASE_TTL_S,
                                            alive=_pid_alive)
        if lease.token != self._token:
            raise RunError(
                f"another monitor ({lease.holder}) is using the store {self.store.label}; its "
                f"lease runs until {_fmt(lease.expires)} unless it renews it. Stop it, or "
                f"give this one another database")

    def _lose(self, why: str) -> None:
        log.critical("%s; stopping", why)
        self.fatal = why
        self.lost.set()

    async def _lease_keeper(self) -> None:
        """Renew the writer lease; stop the monitor if another one took it over."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=LEASE_RENEW_S)
            if self._stop.is_set() or self.store is None or not self.store.is_open:
                continue
            try:
                await self._take_lease()
            except StoreError as exc:
                log.warning("could not renew the store lease: %s", exc)
            except RunError as exc:
                self._lose(str(exc))
                return

    async def _start_web(self) -> None:
        try:
            from launchready.monitor.web import start_web  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
        except ImportError:
            log.info("status page not available in this build; running without it")
            return
        listen = self.monitor.listen
        host, _, port = listen.rpartition(":")
        try:
            self._web_runner = await start_web(self, host=host.strip("[]") or "127.0.0.1",
                                               port=int(port))
        except (OSError, ValueError, OverflowError) as exc:
            reason = (os.strerror(exc.errno).lower()
                      if isinstance(exc, OSError) and exc.errno else str(exc))
            raise ConfigError(f"cannot serve the status page on {listen}: {reason}",
                              key="monitor.listen",
                              fix="use a free HOST:PORT, or --no-web") from None
        address = self.web_address
        if address is not None:
            bound = f"[{address[0]}]" if ":" in address[0] else address[0]
            log.info("status page on http://%s:%d/", bound, address[1])

    @property
    def web_address(self) -> tuple[str, int] | None:
        """Where the status page listens (after :meth:`start`), or None."""
        if self._web_runner is None or not self._web_runner.addresses:
            return None
        host, port = self._web_runner.addresses[0][:2]
        return str(host), int(port)

    async def stop(self, drain: float = 8.0) -> None:
        """Stop scheduling, drain in-flight runs (up to ``drain`` s), flush, close."""
        try:
            await self._drain(drain)
        finally:
            await self.close()

    async def _drain(self, drain: float) -> None:
        deadline = time.monotonic() + drain
        self._stop.set()
        for idle in self._idle:
            idle.cancel()  # between runs: nothing in flight to wait for
        if self._check_tasks:
            _, pending = await asyncio.wait(self._check_tasks,
                                            timeout=max(0.1, deadline - time.monotonic() - 2))
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._check_tasks, return_exceptions=True)
        self._queued.set()
        for task in self._tasks:
            if task.get_name() != "monitor-writer":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush_queue()
        if self._outbox is not None and time.monotonic() < deadline - 1:
            try:
                await asyncio.wait_for(self._outbox.flush(wait=False),
                                       timeout=max(0.1, deadline - time.monotonic() - 1))
            except TimeoutError:
                log.warning("shutdown: undelivered alerts stay queued for the next start")

    async def close(self) -> None:
        """Close sessions and the store (checkpointing the WAL)."""
        gc.unfreeze()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        for runner in self._runners.values():
            if runner.session is not None and not runner.session.closed:
                await runner.session.close()
            if runner.probe is not None:
                await runner.probe.aclose()
        self._runners.clear()
        if self.store is not None:
            if self.store.is_open and self.fatal is None:
                with contextlib.suppress(StoreError):
                    await self.store.release_lease(WRITER_LEASE, token=self._token)
            await self.store.close()

    # ---- StatusSource (delegated to the store) ---------------------------------------------

    async def snapshot(self, now: datetime) -> StatusSnapshot:
        """``views.StatusSource.snapshot``: from the store, or from memory while the store
        is not open."""
        if self.store is None:
            raise StoreError("the monitor is not open")
        waiting = (time.monotonic() - self._write_began if self._write_began is not None
                   else 0.0)
        note = ("offline" if self.offline else
                "degraded: storage unavailable" if self._store_failing else
                f"degraded: storage slow (a write has waited {waiting:.0f}s)"
                if waiting > STORE_LAG_S else "ok")
        if not self.store.is_open:
            return self._memory_snapshot(now, note)
        self.store.state_note = note
        try:
            return await asyncio.wait_for(self.store.snapshot(now), timeout=SNAPSHOT_WAIT_S)
        except TimeoutError:
            # the read itself is stuck: answer from memory within the page's own deadline
            return self._memory_snapshot(
                now, note if note != "ok" else "degraded: storage slow (reads are waiting)")

    def _memory_snapshot(self, now: datetime, note: str) -> StatusSnapshot:
        checks = tuple(CheckView(
            name=c.name, state=self.statuses.get(c.name, Status()).state,
            since=self.statuses.get(c.name, Status()).since, public=c.public,
            last_latency_ms=None, runs_total=0, failures_total=0, uptime_24h=None,
            uptime_7d=None, uptime_30d=None) for c in self.monitor.checks)
        return StatusSnapshot(generated_at=now, checks=checks, incidents=(),
                              monitor_state=note, histogram_bounds_ms=BOUNDS_MS,
                              histograms=tuple((c.name, (0,) * (len(BOUNDS_MS) + 1), 0.0)
                                               for c in self.monitor.checks))

    async def series(self, check: str, since: datetime) -> list[LatencyPoint]:
        """``views.StatusSource.series`` (empty while the store is not open)."""
        if self.store is None:
            raise StoreError("the monitor is not open")
        if not self.store.is_open:
            return []
        return await self.store.series(check, since)

    # ---- running checks ------------------------------------------------------------------

    async def once(self) -> dict[str, Outcome]:
        """One round: every check once, concurrently; results stored, alerts delivered."""
        if self.store is None:
            await self.open()
        outcomes = await asyncio.gather(*(self._run(r) for r in self._runners.values()))
        for runner, outcome in zip(self._runners.values(), outcomes, strict=True):
            self._latest[runner.check.name] = (outcome.ok, outcome.network)
        offline = await self._is_offline()
        for runner, outcome in zip(self._runners.values(), outcomes, strict=True):
            self._observe(runner, outcome, offline)
        if not await self._flush_queue():
            await self._alert_from_memory()
        if self._outbox is not None:
            await self._outbox.flush(wait=False)
        return {r.check.name: o for r, o in zip(self._runners.values(), outcomes, strict=True)}

    async def _run(self, runner: _Runner) -> Outcome:
        chk, t = runner.check, runner.timing
        try:
            # the runners honour the timeout themselves; this is the backstop
            async with asyncio.timeout(t.timeout + 1.0):
                if chk.kind == "http" and runner.session is not None:
                    return await run_http(runner.session, chk, timeout=t.timeout,
                                          max_body=chk.max_body or self.monitor.max_body,
                                          policy=runner.policy)
                if chk.kind == "flow" and runner.probe is not None:
                    return await run_flow_check(self.config, runner.probe, self.environ,
                                                t.timeout)
                if chk.kind == "dns" and self._dns is not None:
                    async with asyncio.timeout(t.timeout):
                        return await run_dns(self._dns, chk)
                return await run_tcp(self.config, chk, timeout=t.timeout, policy=runner.policy)
        except TimeoutError:
            return Outcome(ok=False, cause=f"timeout after {t.timeout:g}s", network=True)
        except Exception as exc:
            log.exception("check %r crashed", chk.name)
            return Outcome(ok=False, cause=f"bug: {type(exc).__name__}")

    async def _loop(self, runner: _Runner, t0: float) -> None:
        t = runner.timing
        slot = 0
        while not self._stop.is_set():
            due = t0 + slot * t.interval + random.random() * t.jitter  # noqa: S311 - jitter
            delay = due - time.monotonic()
            if delay > 0:
                # a plain sleep: a wait_for on the stop event would start a task per run;
                # stop() cancels the checks that are sleeping between runs instead
                me = asyncio.current_task()
                if me is not None:
                    self._idle.add(me)
                try:
                    await asyncio.sleep(delay)
                finally:
                    self._idle.discard(me)
            if self.on_schedule is not None:
                self.on_schedule(due, time.monotonic())
            try:
                outcome = await self._run(runner)
            except asyncio.CancelledError:
                if self._stop.is_set():  # cut by shutdown: the run is unknown, not missing
                    self._queue.append(Commit(result=ResultRow(
                        check=runner.check.name, at=self.clock(), ok=None, latency_ms=None,
                        cause="stopped during the run (monitor shutdown)")))
                raise
            self._latest[runner.check.name] = (outcome.ok, outcome.network)
            self._observe(runner, outcome, await self._is_offline())
            self._last_round = time.monotonic()
            # next slot strictly in the future: an overrun skips slots, never bursts
            slot = max(slot + 1, math.floor((time.monotonic() - t0) / t.interval) + 1)

    async def _is_offline(self) -> bool:
        """Whether the monitor has lost its own network: every check failed at the network
        level at once AND no canary answers. The canaries are asked at most once per
        ``CANARY_EVERY_S`` (one probe shared by the checks finishing meanwhile)."""
        if len(self._runners) < 2 or not all_offline(self._latest):
            return False
        async with self._canary_lock:
            now = time.monotonic()
            if self._canary_at is None or now - self._canary_at >= CANARY_EVERY_S:
                self._canary_ok = await network_reachable(self.monitor.canaries)
                self._canary_at = time.monotonic()
        return not self._canary_ok

    def _observe(self, runner: _Runner, outcome: Outcome, offline: bool) -> None:
        chk = runner.check
        now = self.clock()
        was_offline = self.offline
        self.offline = offline
        messages: list[Message] = []
        if self.offline and not was_offline:
            log.error("monitor offline: every check failed at the network level and no "
                      "canary answers; results are stored as unknown until the network "
                      "returns")
            messages += self._broadcast(
                f"offline:{now.timestamp():.0f}", "[MONITOR OFFLINE] launchready",
                f"Every check failed at the network level at {_fmt(now)} and none of the "
                f"monitor's canaries answers: the monitor host has lost its network. "
                f"Results are unknown until it returns.")
        elif was_offline and not self.offline:
            log.warning("monitor back online at %s", _fmt(now))
        obs = Observation(at=now, ok=outcome.ok, cause=outcome.cause, slow=outcome.slow,
                          maintenance=in_maintenance(self.monitor, chk.name, now),
                          offline=self.offline and not outcome.ok)
        before = self.statuses.get(chk.name, Status())
        after, events = advance(before, obs, runner.timing.policy)
        self.statuses[chk.name] = after
        opened: tuple[datetime, str] | None = None
        closed: tuple[datetime, bool] | None = None
        for event in events:
            title, body = compose(chk, event)
            key = f"{chk.name}:{event.kind.value}:{event.since.timestamp():.3f}"
            if event.kind is EventKind.DOWN:
                opened = (event.since, event.cause)
                log.warning("%s is DOWN: %s", chk.name, event.cause)
            elif event.kind is EventKind.RECOVERED:
                closed = (event.at, event.while_offline)
                log.warning("%s recovered", chk.name)
            else:
                key += f":{event.at.timestamp():.0f}"
            messages += self._broadcast(key, title, body)
        ok: bool | None = None if obs.offline else outcome.ok
        self._queue.append(Commit(
            result=ResultRow(check=chk.name, at=now, ok=ok, latency_ms=outcome.latency_ms,
                             cause=outcome.cause),
            check=chk.name, status=after, opened=opened, closed=closed,
            messages=tuple(messages)))
        if len(self._queue) > MAX_BACKLOG:
            del self._queue[: len(self._queue) - MAX_BACKLOG]
        self._queued.set()

    def _broadcast(self, key: str, title: str, body: str) -> list[Message]:
        return [Message(dedupe=f"{key}:{i}", route=i, title=title, body=body)
                for i in range(len(self.monitor.alerts))]

    # ---- background tasks ----------------------------------------------------------------

    async def _flush_queue(self) -> bool:
        if not self._queue or self.store is None:
            return True
        if not self.store.is_open and not await self._open_store():
            return False
        batch = list(self._queue)
        self._write_began = time.monotonic()
        try:
            await self.store.commit_many(batch)
        except StoreError as exc:
            self._write_began = None
            if not self._store_failing:
                log.error("monitor store write failed (%s); %d results kept in memory and "
                          "retried", exc, len(batch))
                self._store_failing_since = time.monotonic()
            self._store_failing = True
            self._store_error = str(exc)
            return False
        self._write_began = None
        del self._queue[: len(batch)]
        if self._store_failing:
            log.warning("monitor store writable again; backlog written")
        self._store_failing = False
        self._store_failing_since = None
        self._storage_alerted.clear()
        if self._outbox is not None and self._outbox.wake is not None and any(
                b.messages for b in batch):
            self._outbox.wake.set()
        return True

    async def _writer(self) -> None:
        while not self._stop.is_set():
            await self._queued.wait()
            # gather what arrives in the next moment into the same transaction: at hundreds
            # of results a second, one commit per tick instead of one per result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=WRITE_TICK_S)
            self._queued.clear()
            if not await self._flush_queue():
                await self._alert_from_memory()
                await asyncio.sleep(1.0)
                self._queued.set()

    def _storage_alert(self) -> tuple[str, str] | None:
        """(title, body) of the storage alert when it is due, else None."""
        error = self._store_error.lower()
        # a store that cannot even be opened is broken: nothing can be recorded at all
        broken = any(word in error for word in _STORAGE_BROKEN) or (
            self.store is not None and not self.store.is_open)
        since = self._store_failing_since
        if not broken and (since is None or time.monotonic() - since < STORAGE_ALERT_AFTER_S):
            return None
        full = "full" in error or "no space" in error or "quota" in error
        title = "[STORAGE FULL] launchready monitor" if full else \
            "[STORAGE FAILING] launchready monitor"
        return title, (
            f"The monitor cannot write to its store ({self.store.label if self.store else '?'})"
            f" since {_fmt(self.clock())}: {self._store_error}. Checks and alerts continue "
            f"from memory (up to {MAX_BACKLOG:,} results are kept and written when the store "
            f"is writable again); the status page shows 'degraded: storage unavailable'. "
            f"{'Free disk space' if full else 'Check the disk and the database'} on the "
            f"monitor host.")

    async def _alert_from_memory(self) -> None:
        """While the store fails: tell every route once, and deliver the alerts of queued
        results from memory (grouped), dropping the delivered ones from the queue."""
        if self._outbox is None or not self.monitor.alerts:
            return
        alert = self._storage_alert()
        if alert is not None:
            todo = [Message(dedupe=f"storage:{i}", route=i, title=alert[0], body=alert[1])
                    for i in range(len(self.monitor.alerts)) if i not in self._storage_alerted]
            if todo:
                self._storage_alerted |= {int(k.rsplit(":", 1)[1])
                                          for k in await self._outbox.deliver_now(todo)}
        # only what has waited out the grouping window, so a burst still goes as one
        ready = self.clock() - timedelta(seconds=self.group_window)
        pending = [m for c in self._queue if c.messages and _queued_at(c) <= ready
                   for m in c.messages]
        if not pending:
            return
        done = await self._outbox.deliver_now(pending)
        if done:
            self._queue[:] = [
                replace(c, messages=tuple(m for m in c.messages if m.dedupe not in done))
                if any(m.dedupe in done for m in c.messages) else c for c in self._queue]

    async def _housekeeping(self) -> None:
        mon = self.monitor
        while not self._stop.is_set():
            if self.store is not None:
                try:
                    await self.store.prune(
                        self.clock(),
                        raw_retention=timedelta(seconds=monitor_duration(mon.raw_retention)),
                        retention=timedelta(seconds=monitor_duration(mon.retention)))
                    await self.store.checkpoint()
                except StoreError as exc:
                    log.warning("retention: %s", exc)
                except Exception:
                    # a bug here must not end retention silently: logged, retried next hour
                    log.exception("retention failed; retried in an hour")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=3600)

    async def _heartbeat(self) -> None:
        mon = self.monitor
        if mon.heartbeat_url is None:
            return
        every = monitor_duration(mon.heartbeat_interval)
        policy = AddressPolicy.build(allow_private=mon.allow_private)
        async with guarded_session(self.config, policy) as session:
            while not self._stop.is_set():
                longest = max((r.timing.interval for r in self._runners.values()), default=every)
                # ping only while rounds complete: a stuck scheduler stops the pings, and
                # the dead-man's switch alerts from outside
                if time.monotonic() - self._last_round <= 2 * longest + every:
                    try:
                        async with asyncio.timeout(10):
                            async with session.get(mon.heartbeat_url.get_secret_value()) as r:
                                await r.read()
                    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                        log.warning("heartbeat ping failed: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=every)
