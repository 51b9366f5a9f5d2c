"""The monitor daemon: the composition of scheduler, writer and outbox, and its life cycle.

:class:`~launchready.monitor.scheduler.Scheduler` runs the checks and decides;
:class:`~launchready.monitor.writer.Writer` writes what it decided (and holds the store's
lease); :class:`~launchready.monitor.notify.Outbox` delivers the alerts. This module opens
them in order, serves the status page, runs retention and the heartbeat, and shuts down.

Alerts of one route are grouped within ``group_window`` seconds (RELIABILITY 19; see
:mod:`~launchready.monitor.notify`).

Shutdown (RELIABILITY 27): :meth:`Monitor.stop` stops scheduling, waits up to ``drain``
seconds for in-flight runs, writes what is queued, tries the outbox once more, checkpoints
the WAL and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from launchready.config.models import Config, MonitorConfig, monitor_duration
from launchready.errors import ConfigError
from launchready.monitor.guard import AddressPolicy
from launchready.monitor.leader import Leadership, current_leader, leader_location
from launchready.monitor.notify import Outbox, load_transports
from launchready.monitor.probes import Outcome, guarded_session, utcnow
from launchready.monitor.scheduler import GONE_KEY, Scheduler, build_runners, close_runners
from launchready.monitor.state import Status
from launchready.monitor.store import BOUNDS_MS, Store, StoreError
from launchready.monitor.views import CheckView, LatencyPoint, StatusSnapshot
from launchready.monitor.writer import Writer, pid_alive, writer_lease

log = logging.getLogger("launchready.monitor")
GROUP_WINDOW_S = 2.0  # alerts of one route within this long go out as one message
STORE_LAG_S = 1.0  # a write waiting longer than this makes the monitor "degraded"
SNAPSHOT_WAIT_S = 2.0  # the status page's own deadline for reading the store


@dataclass
class Monitor:
    """One monitor process. ``await start()``, then ``await stop()``; or ``await once()``."""

    config: Config
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    database: str | None = None  # overrides monitor.database (tests)
    web: bool = True
    location: str | None = None  # this node's place among [monitor] locations
    store: Store | None = None  # may be handed in already open (tests, embedding)
    # called with (planned start, actual start) on the monotonic clock before each run
    on_schedule: Callable[[float, float], None] | None = None
    group_window: float = GROUP_WINDOW_S
    writer: Writer | None = None
    scheduler: Scheduler | None = None
    leadership: Leadership | None = None  # with several locations only
    _outbox: Outbox | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _web_runner: Any = None

    @property
    def monitor(self) -> MonitorConfig:
        """The ``[monitor]`` section (a Monitor is only built with one)."""
        if self.config.monitor is None:
            raise ValueError("no [monitor] section")
        return self.config.monitor

    @property
    def statuses(self) -> dict[str, Status]:
        """Every check's current status (empty before :meth:`open`)."""
        return self.scheduler.statuses if self.scheduler is not None else {}

    @property
    def offline(self) -> bool:
        """Whether the monitor has lost its own network."""
        return self.scheduler is not None and self.scheduler.offline

    @property
    def fatal(self) -> str | None:
        """Why the monitor had to stop (its store lease was taken over), or None."""
        return self.writer.fatal if self.writer is not None else None

    async def wait_lost(self) -> None:
        """Return when the monitor has to stop on its own (see :attr:`fatal`)."""
        if self.writer is not None:
            await self.writer.lost.wait()
        else:
            await asyncio.Event().wait()

    # ---- life cycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Open the store, take its lease, resume state, build the check runners."""
        mon = self.monitor
        handed_in = self.store is not None
        if self.store is None:
            self.store = Store(url=self.database or mon.database,
                               public={c.name: c.public for c in mon.checks},
                               several_locations=mon.several_locations)
        self.writer = Writer(store=self.store, routes=len(mon.alerts), clock=self.clock,
                             group_window=self.group_window,
                             lease=writer_lease(self.location, mon.several_locations))
        if mon.several_locations and self.location is not None:
            self.leadership = Leadership(
                store=self.store, holder=self.writer.holder, token=self.writer.token,
                location=self.location, ttl=monitor_duration(mon.leader_lease),
                clock=self.clock, alive=pid_alive, on_gain=self._take_over)
        if not handed_in:
            await self.writer.open_store()
        statuses: dict[str, Status] = {}
        if self.store.is_open:
            await self.writer.take_lease()
            statuses = await self.store.load()
        leads = (lambda: True) if self.leadership is None else self._leading
        self.scheduler = Scheduler(
            config=self.config, monitor=mon, writer=self.writer,
            runners=build_runners(self.config, self.location if self.leadership else None),
            clock=self.clock, environ=self.environ, statuses=statuses,
            on_schedule=self.on_schedule, location=self.location or "", leads=leads)
        if self.leadership is not None and self.store.is_open:
            await self.leadership.attempt()
        load_transports()
        self._outbox = Outbox(store=self.store, routes=mon.alerts, clock=self.clock,
                              wake=asyncio.Event(), group_window=self.group_window,
                              claimer=self.writer.holder, active=leads)
        self.writer.outbox = self._outbox
        reopened = [n for n, s in statuses.items() if s.resumed]
        log.info("monitor store %s opened; %d checks; %d open incidents resumed",
                 self.store.label, len(mon.checks), len(reopened))

    def _leading(self) -> bool:
        return self.leadership is not None and self.leadership.leading

    async def _take_over(self) -> None:
        """On becoming the leader: continue from the states the previous leader stored, so
        an incident it opened is neither opened (nor alerted) again nor forgotten."""
        if self.scheduler is None or self.store is None:
            return
        if self.writer is not None:
            await self.writer.flush()  # this node's own results first: they count too
        stored = await self.store.load()
        gone = await self.store.get_meta(GONE_KEY)
        self.scheduler.gone = set(json.loads(gone)) if gone else set()
        self.scheduler.lead_since = time.monotonic()
        # the nodes kept running: nothing "recovered while the monitor was away"
        self.scheduler.statuses.update(
            {name: replace(s, resumed=False) for name, s in stored.items()})

    async def start(self) -> None:
        """Open and start every task (checks, writer, outbox, heartbeat, retention, web)."""
        await self.open()
        assert self._outbox is not None and self.writer is not None  # noqa: S101 - open()
        assert self.scheduler is not None  # noqa: S101 - set by open()
        if self.web:  # first: a listen address that cannot be bound stops the start cleanly
            await self._start_web()
        self._tasks.append(asyncio.create_task(self.writer.run(self._stop),
                                               name="monitor-writer"))
        self._tasks.append(asyncio.create_task(self._outbox.run(self._stop),
                                               name="monitor-outbox"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="monitor-retention"))
        self._tasks.append(asyncio.create_task(self.writer.keep_lease(self._stop),
                                               name="monitor-lease"))
        if self.leadership is not None:
            self._tasks.append(asyncio.create_task(self.leadership.keep(self._stop),
                                                   name="monitor-leader"))
        if self.monitor.heartbeat_url is not None:
            self._tasks.append(asyncio.create_task(self._heartbeat(), name="monitor-heartbeat"))
        self.scheduler.start()
        # the config, runners and sessions built above live as long as the monitor: leave
        # them out of full garbage collections, which otherwise walk every one of them each
        # time (at 10,000 checks: 240 ms pauses, 140 ms without them); close() undoes it
        gc.freeze()

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
        if self.scheduler is not None:
            await self.scheduler.stop(deadline - time.monotonic() - 2)
        if self.writer is not None:
            self.writer.queued.set()
        for task in self._tasks:
            if task.get_name() != "monitor-writer":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.writer is not None:
            await self.writer.flush()
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
        if self.scheduler is not None:
            await close_runners(self.scheduler.runners)
            self.scheduler.runners.clear()
        if self.leadership is not None:
            await self.leadership.release()
        if self.writer is not None:
            await self.writer.release_lease()
        if self.store is not None:
            await self.store.close()

    # ---- StatusSource --------------------------------------------------------------------

    async def snapshot(self, now: datetime) -> StatusSnapshot:
        """``views.StatusSource.snapshot``: from the store, or from memory while the store
        is not open or a read is stuck."""
        if self.store is None or self.writer is None:
            raise StoreError("the monitor is not open")
        waiting = self.writer.lag()
        note = ("offline" if self.offline else
                "degraded: storage unavailable" if self.writer.failing else
                f"degraded: storage slow (a write has waited {waiting:.0f}s)"
                if waiting > STORE_LAG_S else "ok")
        if not self.store.is_open:
            return self._memory_snapshot(now, note)
        self.store.state_note = note
        try:
            return await asyncio.wait_for(self._stored_snapshot(self.store, now),
                                          timeout=SNAPSHOT_WAIT_S)
        except TimeoutError:
            # the read itself is stuck: answer from memory within the page's own deadline
            return self._memory_snapshot(
                now, note if note != "ok" else "degraded: storage slow (reads are waiting)")

    async def _stored_snapshot(self, store: Store, now: datetime) -> StatusSnapshot:
        """The store's snapshot and, with several locations, where the leader runs."""
        snap = await store.snapshot(now)
        if not self.monitor.several_locations:
            return snap
        lease = await current_leader(store, now)
        return replace(snap, leader=leader_location(lease) if lease is not None else None)

    def _memory_snapshot(self, now: datetime, note: str) -> StatusSnapshot:
        statuses = self.statuses
        checks = tuple(CheckView(
            name=c.name, state=statuses.get(c.name, Status()).state,
            since=statuses.get(c.name, Status()).since, public=c.public,
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

    # ---- one round -----------------------------------------------------------------------

    async def once(self) -> dict[str, Outcome]:
        """One round: every check once, concurrently; results stored, alerts delivered."""
        if self.scheduler is None:
            await self.open()
        assert self.scheduler is not None and self.writer is not None  # noqa: S101 - open()
        outcomes = await self.scheduler.round()
        if not await self.writer.flush():
            await self.writer.alert_from_memory()
        if self._outbox is not None:
            await self._outbox.flush(wait=False)
        return outcomes

    # ---- background tasks ----------------------------------------------------------------

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
        if mon.heartbeat_url is None or self.scheduler is None:
            return
        scheduler = self.scheduler
        every = monitor_duration(mon.heartbeat_interval)
        policy = AddressPolicy.build(allow_private=mon.allow_private)
        async with guarded_session(self.config, policy) as session:
            while not self._stop.is_set():
                longest = max((r.timing.interval for r in scheduler.runners.values()),
                              default=every)
                # ping only while rounds complete: a stuck scheduler stops the pings, and
                # the dead-man's switch alerts from outside
                if time.monotonic() - scheduler.last_round <= 2 * longest + every:
                    try:
                        async with asyncio.timeout(10):
                            async with session.get(mon.heartbeat_url.get_secret_value()) as r:
                                await r.read()
                    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                        log.warning("heartbeat ping failed: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=every)
