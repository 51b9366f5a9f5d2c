"""The monitor's scheduler: runs each check on its slots and turns outcomes into decisions.

Scheduling (RELIABILITY 5, 7, 8): each check has its own task on the monotonic clock with
fixed slots ``t0 + n * interval`` plus a random jitter; a run is bounded by its timeout (below
the interval); a run that overshoots its slot makes the task skip to the next future slot, so
runs never overlap and nothing is caught up in a burst. Wall-clock steps move nothing.

Each outcome goes through the alert state machine (:mod:`~launchready.monitor.state`); the
new state, the result row and the messages it calls for are handed to the writer as one
:class:`~launchready.monitor.store.Commit`. "Monitor offline" needs independent evidence: every
check failing at the network level **and** no canary answering
(:mod:`~launchready.monitor.canary`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from launchready.config.models import Config, MonitorCheck, MonitorConfig
from launchready.monitor.canary import Canaries
from launchready.monitor.guard import AddressPolicy
from launchready.monitor.probes import (
    GuardedHttpProbe,
    Outcome,
    guarded_session,
    run_dns,
    run_flow_check,
    run_http,
    run_tcp,
)
from launchready.monitor.quorum import Seen, Verdict, decide
from launchready.monitor.state import Event, EventKind, Observation, Status, advance
from launchready.monitor.state import monitor_offline as all_offline
from launchready.monitor.store import Commit, Message, ResultRow, StoreError
from launchready.monitor.timing import CheckTiming, timing
from launchready.monitor.views import CheckState
from launchready.monitor.writer import Writer, fmt
from launchready.probes.dns import DnsProbe
from launchready.probes.trust import ssl_context

log = logging.getLogger("launchready.monitor")
CANARY_EVERY_S = 1.0  # canaries are asked at most this often while every check fails
GONE_KEY = "locations:offline"  # meta row: the locations announced offline and not back
STAGGER_S = 0.01  # first runs of successive checks start this far apart (at most)
FOLLOW_S = 1.0  # the leader looks at the other locations' new results this often


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
                f"{check.name} is DOWN since {fmt(event.since)}: {event.cause}.{owner}")
    if event.kind is EventKind.REMINDER:
        return (f"[STILL DOWN] {check.name}",
                f"{check.name} has been DOWN for {_span(event.at - event.since)} (since "
                f"{fmt(event.since)}): {event.cause}.{owner}")
    note = " (recovered while monitor offline)" if event.while_offline else ""
    return (f"[RECOVERED] {check.name}",
            f"{check.name} is UP again{note} at {fmt(event.at)} after "
            f"{_span(event.at - event.since)} down (since {fmt(event.since)}; last cause: "
            f"{event.cause or 'unknown'}).{owner}")


def in_maintenance(monitor: MonitorConfig, check: str, at: datetime) -> bool:
    """Whether a maintenance window covers ``check`` at ``at``."""
    for window in monitor.maintenance:
        if window.checks and check not in window.checks:
            continue
        if datetime.fromisoformat(window.start) <= at < datetime.fromisoformat(window.end):
            return True
    return False


@dataclass
class Runner:
    """One check with what it runs on."""

    check: MonitorCheck
    timing: CheckTiming
    policy: AddressPolicy
    session: aiohttp.ClientSession | None = None
    probe: GuardedHttpProbe | None = None
    here: bool = True  # probed from this node's location (else only decided, by the leader)


def build_runners(config: Config, location: str | None = None) -> dict[str, Runner]:
    """A runner per check (``here`` False for a check not probed from ``location``, when
    given: the leader still decides it from the other locations' results). HTTP checks of
    one address policy share one session: a run never reuses a connection and the shared
    session has no connection limit, so sharing changes nothing but the memory (10,000
    sessions were most of the daemon's footprint)."""
    mon = config.monitor
    if mon is None:
        return {}
    tls = ssl_context(config.network.ca_bundle)  # one for every session
    sessions: dict[AddressPolicy, aiohttp.ClientSession] = {}
    runners: dict[str, Runner] = {}
    for chk in mon.checks:
        if location is not None and location not in mon.check_locations(chk):
            runners[chk.name] = Runner(check=chk, timing=timing(chk, mon), here=False,
                                       policy=AddressPolicy.build(allow_private=False))
            continue
        allow = chk.allow_private if chk.allow_private is not None else mon.allow_private
        policy = AddressPolicy.build(allow_private=allow, networks=chk.allow_networks)
        if allow or chk.allow_networks:
            log.warning("check %r may reach private addresses (allow_private%s)", chk.name,
                        f", allow_networks={chk.allow_networks}" if chk.allow_networks
                        else "")
        runner = Runner(check=chk, timing=timing(chk, mon), policy=policy)
        if chk.kind == "http":
            if policy not in sessions:
                sessions[policy] = guarded_session(config, policy, tls, shared=True)
            runner.session = sessions[policy]
        elif chk.kind == "flow":
            runner.probe = GuardedHttpProbe(
                config=config, policy=policy, resolve=config.network.resolve_map(),
                ca_bundle=config.network.ca_bundle, timeout=runner.timing.timeout)
        runners[chk.name] = runner
    return runners


async def close_runners(runners: Mapping[str, Runner]) -> None:
    """Close the sessions and probes of ``runners``."""
    for runner in runners.values():
        if runner.session is not None and not runner.session.closed:
            await runner.session.close()
        if runner.probe is not None:
            await runner.probe.aclose()


@dataclass
class Scheduler:
    """Runs the checks and feeds the state machine; hands every change to ``writer``."""

    config: Config
    monitor: MonitorConfig
    writer: Writer
    runners: dict[str, Runner]
    clock: Callable[[], datetime]
    environ: Mapping[str, str] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    offline: bool = False
    location: str = ""  # tags every result ('' for a single node)
    # whether this node decides and sends; a node that does not writes its results only
    leads: Callable[[], bool] = lambda: True
    # called with (planned start, actual start) on the monotonic clock before each run;
    # the benchmark measures scheduling lag with it
    on_schedule: Callable[[float, float], None] | None = None
    last_round: float = 0.0  # monotonic end of the latest run (the heartbeat reads it)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _idle: set[asyncio.Task[Any]] = field(default_factory=set)  # checks sleeping till a slot
    _latest: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    _dns: DnsProbe | None = None
    _canaries: Canaries = field(default_factory=lambda: Canaries(addresses=()))
    _canary_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _canary_at: float | None = None  # monotonic time of the last canary probe
    _network_gone: bool = False
    lead_since: float | None = None  # monotonic time this node became the leader
    gone: set[str] = field(default_factory=set)  # locations announced offline (and not back)
    # monotonic time a check last had a known result of each location in its window
    _alive: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dns = DnsProbe(resolver=self.config.network.resolver)
        self._canaries = Canaries(addresses=tuple(self.monitor.canaries))

    async def _follow(self) -> None:
        """The leader's second look: every ``FOLLOW_S`` it reads the results the other
        locations wrote since the last look and decides again each check whose news goes
        against its state (a failure while it is up, a success while it is down). Without
        it a quorum completed by another location's run waits for the leader's own next run
        of the check: up to one interval more before the alert."""
        last: int | None = None
        while not self._stop.is_set():
            await asyncio.sleep(FOLLOW_S)
            if not self.leads():
                last = None  # a new term starts from what is there then
                continue
            try:
                last, news = await self.writer.store.results_after(last, self.location)
            except StoreError as exc:
                log.warning("cannot read the other locations' new results: %s", exc)
                continue
            for name, ok in news.items():
                runner = self.runners.get(name)
                state = self.statuses.get(name, Status()).state
                if runner is None or ok is (state is not CheckState.DOWN):
                    continue
                await self._observe(runner, None, self.offline, probed=False)

    def start(self) -> None:
        """One task per check, their first slots spread over the interval: 10,000 checks
        at 30 s become 333 runs a second, not 10,000 within the first jitter window; a few
        checks still all start within milliseconds."""
        # hear the canaries while the network presumably works: only a canary heard once
        # can later testify that the network is gone
        self.tasks.append(asyncio.create_task(self._canaries.learn(), name="canaries"))
        if self.monitor.several_locations:
            self.tasks.append(asyncio.create_task(self._follow(), name="follow"))
        began, count = time.monotonic(), len(self.runners)
        for index, runner in enumerate(self.runners.values()):
            phase = index * min(STAGGER_S, runner.timing.interval / count)
            self.tasks.append(asyncio.create_task(self._loop(runner, began + phase),
                                                  name=f"check {runner.check.name}"))

    async def stop(self, wait: float) -> None:
        """Stop scheduling; give in-flight runs up to ``wait`` seconds, then cut them (a
        cut run is stored as unknown)."""
        self._stop.set()
        for idle in self._idle:
            idle.cancel()  # between runs: nothing in flight to wait for
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=max(0.1, wait))
            for task in pending:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def round(self) -> dict[str, Outcome]:
        """Every check once, concurrently, each observed."""
        here = [r for r in self.runners.values() if r.here]
        outcomes = await asyncio.gather(*(self._run(r) for r in here))
        for runner, outcome in zip(here, outcomes, strict=True):
            self._latest[runner.check.name] = (outcome.ok, outcome.network)
        offline = await self._is_offline()
        for runner, outcome in zip(here, outcomes, strict=True):
            await self._observe(runner, outcome, offline)
        if self.leads():
            for runner in self.runners.values():
                if not runner.here:
                    await self._observe(runner, None, offline)
        return {r.check.name: o for r, o in zip(here, outcomes, strict=True)}

    async def _run(self, runner: Runner) -> Outcome:
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

    async def _loop(self, runner: Runner, t0: float) -> None:
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
            if not runner.here:
                if self.leads():
                    await self._observe(runner, None, self.offline)
                slot = max(slot + 1, math.floor((time.monotonic() - t0) / t.interval) + 1)
                continue
            try:
                outcome = await self._run(runner)
            except asyncio.CancelledError:
                if self._stop.is_set():  # cut by shutdown: the run is unknown, not missing
                    self.writer.put(Commit(result=ResultRow(
                        check=runner.check.name, at=self.clock(), ok=None, latency_ms=None,
                        cause="stopped during the run (monitor shutdown)",
                        location=self.location)))
                raise
            self._latest[runner.check.name] = (outcome.ok, outcome.network)
            await self._observe(runner, outcome, await self._is_offline())
            self.last_round = time.monotonic()
            # next slot strictly in the future: an overrun skips slots, never bursts
            slot = max(slot + 1, math.floor((time.monotonic() - t0) / t.interval) + 1)

    async def _is_offline(self) -> bool:
        """Whether the monitor has lost its own network: every check failed at the network
        level at once AND no canary heard before answers. The canaries are asked at most once per
        ``CANARY_EVERY_S`` (one probe shared by the checks finishing meanwhile)."""
        if len(self.runners) < 2 or not all_offline(self._latest):
            return False
        async with self._canary_lock:
            now = time.monotonic()
            if self._canary_at is None or now - self._canary_at >= CANARY_EVERY_S:
                self._network_gone = await self._canaries.network_gone()
                self._canary_at = time.monotonic()
        return self._network_gone

    async def _observe(self, runner: Runner, outcome: Outcome | None, offline: bool,
                       probed: bool = True) -> None:
        """Judge one run (``outcome`` None: a check the leader decides without probing it
        now: not probed here, or ``probed`` False when other locations' results came in)."""
        chk = runner.check
        now = self.clock()
        was_offline = self.offline
        self.offline = offline
        messages: list[Message] = []
        if outcome is None:
            outcome = Outcome(ok=False, cause="")
        elif self.offline and not was_offline:
            log.error("monitor offline: every check failed at the network level and no "
                      "canary answers; results are stored as unknown until the network "
                      "returns")
            messages += self._broadcast(
                f"offline:{now.timestamp():.0f}", "[MONITOR OFFLINE] launchready",
                f"Every check failed at the network level at {fmt(now)} and none of the "
                f"monitor's canaries answers: the monitor host has lost its network. "
                f"Results are unknown until it returns.")
        elif was_offline and not self.offline:
            log.warning("monitor back online at %s", fmt(now))
        obs = Observation(at=now, mono=time.monotonic(), ok=outcome.ok, cause=outcome.cause,
                          slow=outcome.slow,
                          maintenance=in_maintenance(self.monitor, chk.name, now),
                          offline=self.offline and not outcome.ok)
        decided, policy = obs, runner.timing.policy
        if self.monitor.several_locations and self.leads():
            decided, notices = await self._quorum(runner, obs, here=runner.here and probed)
            policy = replace(policy, failure_threshold=1, success_threshold=1)
            messages += notices
        # read after the quorum's await: a decision on another location's news may run
        # beside this one, and each must advance from the other's state, not both from one
        before = self.statuses.get(chk.name, Status())
        after, events = advance(before, decided, policy)
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
        result = ResultRow(check=chk.name, at=now, ok=ok, latency_ms=outcome.latency_ms,
                           cause=outcome.cause, location=self.location) \
            if runner.here and probed else None
        if not self.leads():
            # the leader's states, incidents and alerts are the ones: this node's result only
            self.writer.put(Commit(result=result, mono=time.monotonic()))
            return
        self.writer.put(Commit(result=result, check=chk.name, status=after, opened=opened,
                               closed=closed, messages=tuple(messages),
                               mono=time.monotonic()))

    async def _quorum(self, runner: Runner, obs: Observation,
                      here: bool) -> tuple[Observation, list[Message]]:
        """The leader's observation of a check over every location (quorum rule), and a
        notice for each location that went offline after it had been heard from."""
        chk, t = runner.check, runner.timing
        p = t.policy
        window = t.interval * max(p.failure_threshold, p.success_threshold) + t.jitter \
            + t.timeout
        try:
            runs = await self.writer.store.recent_by_location(
                chk.name, obs.at - timedelta(seconds=window))
        except StoreError as exc:
            # without the other locations' results nothing can be decided: this node's own
            # result alone must not make a DOWN (nor a recovery)
            log.warning("cannot read the other locations' results: %s", exc)
            return replace(obs, offline=True), []
        if here:  # this run is not written yet; unknown while this location is offline
            runs.setdefault(self.location, []).insert(0, None if obs.offline else obs.ok)
        verdict = decide(runs, locations=self.monitor.check_locations(chk),
                         quorum=self.monitor.quorum, failure_threshold=p.failure_threshold,
                         success_threshold=p.success_threshold)
        return self._judged(obs, verdict), await self._location_notices(verdict, obs, window)

    @staticmethod
    def _judged(obs: Observation, verdict: Verdict) -> Observation:
        cause = verdict.cause if verdict.ok is not False or not obs.cause else \
            f"{verdict.cause}; here: {obs.cause}"
        return replace(obs, ok=bool(verdict.ok), cause=cause or obs.cause,
                       offline=verdict.ok is None)

    async def _location_notices(self, verdict: Verdict, obs: Observation,
                                window: float) -> list[Message]:
        """One notice when a location goes offline, one when it is back. A location is
        offline when no check has had a known result of it in its window for a whole window
        (one check's window alone says little: its runs are spread over the interval). A
        location is announced only after this node has led for a window, so the silence
        of nodes on their way back after a take-over or a restart of every node is no news,
        while a node that died during the take-over is still announced."""
        mono = time.monotonic()
        settled = self.lead_since is not None and mono - self.lead_since >= window
        messages: list[Message] = []
        for loc, seen in verdict.seen.items():
            if seen is not Seen.OFFLINE:
                self._alive[loc] = mono
                if loc in self.gone:
                    self.gone.discard(loc)
                    log.warning("location %s is back", loc)
                    messages += self._broadcast(
                        f"location-back:{loc}:{obs.at.timestamp():.0f}",
                        f"[LOCATION BACK] {loc}",
                        f"The monitor node in {loc} reports again at {fmt(obs.at)}; it "
                        f"counts in the quorum again.")
                continue
            silent = mono - self._alive.get(loc, self.lead_since or mono)
            if not settled or loc in self.gone or loc == self.location or silent < window:
                continue
            self.gone.add(loc)
            log.error("location %s offline: no known result from it for %.0fs", loc, window)
            messages += self._broadcast(
                f"location-offline:{loc}:{obs.at.timestamp():.0f}",
                f"[LOCATION OFFLINE] {loc}",
                f"No known result has come from the monitor node in {loc} since "
                f"{fmt(obs.at - timedelta(seconds=window + silent))} (the node is silent or "
                f"has lost its own network). It is left out of the quorum until it reports "
                f"again; its gap is unknown, not downtime.")
        if messages:  # a new leader continues from this list: no notice twice
            try:
                await self.writer.store.put_meta(GONE_KEY, json.dumps(sorted(self.gone)))
            except StoreError as exc:
                log.warning("cannot store the offline locations: %s", exc)
        return messages

    def _broadcast(self, key: str, title: str, body: str) -> list[Message]:
        return [Message(dedupe=f"{key}:{i}", route=i, title=title, body=body)
                for i in range(len(self.monitor.alerts))]
