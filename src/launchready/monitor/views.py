"""What the monitor's web side (status page, ``/metrics``) reads: frozen views of stored state.

The daemon's store implements :class:`StatusSource`; the web module renders from it and never
touches the database itself. Only checks marked public appear on the status page, and no view
ever carries a URL, token or address — only the check's name and what happened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class CheckState(enum.StrEnum):
    """Alert state of one check."""

    UP = "up"
    DOWN = "down"
    DEGRADED = "degraded"  # up, but over its latency expectation
    UNKNOWN = "unknown"  # no result yet, or the monitor itself was offline
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, kw_only=True)
class CheckView:
    """One check as the status page and /metrics show it."""

    name: str
    state: CheckState
    since: datetime | None  # when the current state began (UTC)
    public: bool  # shown on the public status page
    last_latency_ms: float | None
    runs_total: int
    failures_total: int
    uptime_24h: float | None  # 0..1, None without data
    uptime_7d: float | None
    uptime_30d: float | None


@dataclass(frozen=True, kw_only=True)
class LatencyPoint:
    """One result for the latency chart."""

    at: datetime
    latency_ms: float | None
    ok: bool


@dataclass(frozen=True, kw_only=True)
class IncidentView:
    """One incident (a down period) with its cause, as the status page lists it."""

    check: str
    started: datetime
    ended: datetime | None
    cause: str  # short, e.g. "status 503" / "timeout"; never a URL or body
    recovered_while_offline: bool = False


@dataclass(frozen=True, kw_only=True)
class LocationResult:
    """The newest result of one check from one location (several locations only)."""

    check: str
    location: str
    ok: bool | None  # None: unknown (that node had lost its own network)
    at: datetime

    @property
    def seen(self) -> str:
        """What the location saw: ``up``, ``failing`` or ``unknown``."""
        return "unknown" if self.ok is None else "up" if self.ok else "failing"


@dataclass(frozen=True, kw_only=True)
class StatusSnapshot:
    """Everything the status page shows at one moment."""

    generated_at: datetime
    checks: tuple[CheckView, ...]
    incidents: tuple[IncidentView, ...]
    monitor_state: str  # "ok" | "degraded: storage full" | "offline" ...
    histogram_bounds_ms: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                                              10000)
    # per check: cumulative counts per bound (+Inf last), and the sum of latencies in ms
    histograms: tuple[tuple[str, tuple[int, ...], float], ...] = ()
    # several locations only: each check's newest result per location, and where the node
    # that leads runs (None: no live leader)
    locations: tuple[LocationResult, ...] = ()
    leader: str | None = None


class StatusSource(Protocol):
    """Implemented by the monitor's store/daemon; read by the web module."""

    async def snapshot(self, now: datetime) -> StatusSnapshot:
        """The current state of every check, recent incidents, and histograms."""
        ...

    async def series(self, check: str, since: datetime) -> list[LatencyPoint]:
        """Results of one check since ``since`` (for the latency chart), oldest first."""
        ...
