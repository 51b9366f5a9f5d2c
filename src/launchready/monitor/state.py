"""The alert state machine: a pure function from (status, observation) to (status, events).

Per check (SPEC §7)::

    UNKNOWN/UP --failure_threshold consecutive failures--> DOWN   (one "down" alert)
    DOWN       --success_threshold consecutive successes--> UP     (one "recovered")
    DOWN       --every `reminder` while still failing-->    DOWN   ("reminder")
    UP         --ok but over its latency expectation-->     DEGRADED (shown, never alerted)

Consecutive counting is what keeps a flapping target (fail, ok, fail, ok...) from alerting at
all (Gatus thresholds; RELIABILITY 10). An observation made while the monitor itself is
offline, or during a maintenance window, moves no counter: the gap is "unknown", neither up nor
down (RELIABILITY 9). A check starting from UNKNOWN that is healthy becomes UP silently: a
start or restart with healthy targets sends nothing (RELIABILITY 13). ``resumed`` marks a
status loaded from the store after a restart with an incident open: if the first thing the
monitor sees is the target healthy again, the recovery says it happened while the monitor was
offline (RELIABILITY 12), and the open incident is never alerted twice (RELIABILITY 11).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from launchready.monitor.views import CheckState


class EventKind(enum.StrEnum):
    """What the machine asks the notifier to say."""

    DOWN = "down"
    RECOVERED = "recovered"
    REMINDER = "reminder"


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Thresholds for one check."""

    failure_threshold: int = 2
    success_threshold: int = 2
    reminder: timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class Observation:
    """One finished run of a check, already judged."""

    at: datetime
    ok: bool
    mono: float | None = None  # monotonic time of the run: reminders are spaced on it
    cause: str = ""  # short reason when not ok ("status 503", "timeout after 5s")
    slow: bool = False  # ok, but a time expectation failed
    maintenance: bool = False
    offline: bool = False  # the monitor had lost its own network when this ran


@dataclass(frozen=True, kw_only=True)
class Status:
    """Everything the machine remembers about one check (persisted by the store)."""

    state: CheckState = CheckState.UNKNOWN
    since: datetime | None = None
    failures: int = 0  # consecutive
    successes: int = 0  # consecutive
    incident_started: datetime | None = None  # set while DOWN
    cause: str = ""
    last_notified: datetime | None = None  # last down alert or reminder
    notified_mono: float | None = None  # the same on the monotonic clock (memory only)
    resumed: bool = False  # loaded after a restart; cleared by the first observation


@dataclass(frozen=True, kw_only=True)
class Event:
    """One notification-worthy transition."""

    kind: EventKind
    at: datetime
    since: datetime  # when the outage began
    cause: str
    while_offline: bool = False  # recovered while the monitor was not running


def _enter(status: Status, state: CheckState, at: datetime) -> Status:
    if status.state is state:
        return status
    return replace(status, state=state, since=at)


def advance(status: Status, obs: Observation, policy: Policy) -> tuple[Status, list[Event]]:
    """Apply one observation; return the new status and the events to notify."""
    if obs.offline or obs.maintenance:
        # No counter moves: the result says nothing about the target (offline) or nobody
        # wants to hear about it (maintenance). An open incident stays open, so a target
        # that is down before and after a window raises no new alert at the window's end.
        return replace(status, failures=0, successes=0), []
    resumed = status.resumed
    status = replace(status, resumed=False)
    if not obs.ok:
        status = replace(status, failures=status.failures + 1, successes=0, cause=obs.cause)
        if status.state is CheckState.DOWN:
            reminder = policy.reminder
            # on the monotonic clock while this process made the last notice; after a
            # restart only the stored wall time is left
            due = reminder is not None and (
                obs.mono - status.notified_mono >= reminder.total_seconds()
                if obs.mono is not None and status.notified_mono is not None
                else status.last_notified is not None
                and obs.at - status.last_notified >= reminder)
            if due:
                since = status.incident_started or obs.at
                return replace(status, last_notified=obs.at,
                               notified_mono=obs.mono), [Event(
                    kind=EventKind.REMINDER, at=obs.at, since=since, cause=obs.cause)]
            return status, []
        if status.failures >= policy.failure_threshold:
            started = obs.at
            status = replace(_enter(status, CheckState.DOWN, obs.at), incident_started=started,
                             last_notified=obs.at, notified_mono=obs.mono)
            return status, [Event(kind=EventKind.DOWN, at=obs.at, since=started,
                                  cause=obs.cause)]
        return status, []
    status = replace(status, successes=status.successes + 1, failures=0)
    healthy = CheckState.DEGRADED if obs.slow else CheckState.UP
    if status.state is not CheckState.DOWN:
        return _enter(status, healthy, obs.at), []
    # a restart found the incident open and the very first run healthy: it recovered while
    # the monitor was away; one recovery is enough, no threshold to wait for
    if resumed or status.successes >= policy.success_threshold:
        since = status.incident_started or obs.at
        event = Event(kind=EventKind.RECOVERED, at=obs.at, since=since, cause=status.cause,
                      while_offline=resumed)
        status = replace(_enter(status, healthy, obs.at), incident_started=None,
                         last_notified=None, notified_mono=None, cause="")
        return status, [event]
    return status, []


def monitor_offline(latest: dict[str, tuple[bool, bool]]) -> bool:
    """Whether the results alone leave room for "the monitor lost its network".

    ``latest`` maps each check to (its latest result ok, that failure was network level: no
    route, network down, timeout, no DNS answer). Necessary, never sufficient: the daemon
    asks its canaries before calling itself offline, because every check on the app's one
    host failing together is exactly what the app going down looks like (RELIABILITY 9). A
    refused connection, a definitive DNS answer or an HTTP status prove the path works and
    never count.
    """
    return len(latest) >= 2 and all(not ok and network for ok, network in latest.values())
