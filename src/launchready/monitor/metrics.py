"""``/metrics``: the monitor's state in the Prometheus text exposition format, version 0.0.4.

A pure function of a :class:`~launchready.monitor.views.StatusSnapshot`. Every check appears,
public or not: metrics are for the operator, so ``/metrics`` must not be exposed on the public
internet (bind the daemon to a private address, or let the reverse proxy in front of the status
page answer ``/metrics`` with 404).

Families (one sample per check, label ``check``)::

    launchready_check_runs_total            counter    results stored for the check
    launchready_check_failures_total        counter    failed results (error rate = failures / runs)
    launchready_check_up                    gauge      1 if the last result succeeded (up, degraded)
    launchready_check_state{state}          gauge      one-hot over every CheckState
    launchready_check_uptime_ratio{window}  gauge      0..1 over 24h / 7d / 30d, absent without data
    launchready_check_latency_ms            histogram  _bucket{le}, _sum, _count
    launchready_monitor_healthy             gauge      1 when the monitor itself reports "ok"

Example alert rule: ``launchready_check_up == 0`` for 2m.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

from launchready.monitor.views import CheckState, CheckView, StatusSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_UP_STATES = frozenset({CheckState.UP, CheckState.DEGRADED})


def _label_value(value: str) -> str:
    # Exposition format 0.0.4: in label values, backslash, double quote and line feed are
    # escaped as \\, \" and \n; everything else is taken literally (UTF-8).
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help_text(value: str) -> str:
    # HELP docstrings escape only backslash and line feed.
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _comment_text(value: str) -> str:
    return " ".join(value.split())


def _number(value: float) -> str:
    """A sample value or ``le`` bound as Go's ParseFloat reads it (+Inf, -Inf, NaN included)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{name}="{_label_value(value)}"' for name, value in pairs)
    return "{" + body + "}" if body else ""


class _Family:
    """One metric family: HELP, TYPE and its samples, written in one block as 0.0.4 requires."""

    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name = name
        self.lines = [f"# HELP {name} {_help_text(help_text)}", f"# TYPE {name} {kind}"]

    def sample(
        self, value: float, labels: Iterable[tuple[str, str]] = (), suffix: str = ""
    ) -> None:
        self.lines.append(f"{self.name}{suffix}{_labels(labels)} {_number(value)}")

    def comment(self, text: str) -> None:
        self.lines.append(f"# {_comment_text(text)}")


def _unique(checks: Iterable[CheckView], skipped: list[str]) -> list[CheckView]:
    # Two series with identical labels make the whole scrape invalid, so a repeated name keeps
    # only its first check.
    seen: set[str] = set()
    kept = []
    for check in checks:
        if check.name in seen:
            skipped.append(f"duplicate check name {check.name!r} skipped")
            continue
        seen.add(check.name)
        kept.append(check)
    return kept


def _bounds_problem(bounds: tuple[float, ...]) -> str | None:
    if not all(math.isfinite(b) for b in bounds):
        return "histogram bounds must be finite"
    if any(later <= earlier for earlier, later in itertools.pairwise(bounds)):
        return "histogram bounds must increase strictly"
    return None


def _histogram_problem(counts: tuple[int, ...], total: float, expected: int) -> str | None:
    if len(counts) != expected:
        return f"{len(counts)} bucket counts for {expected} buckets"
    if any(c < 0 for c in counts) or any(b < a for a, b in itertools.pairwise(counts)):
        return "bucket counts are not cumulative"
    if not math.isfinite(total) or total < 0:
        return "latency sum is not a finite non-negative number"
    return None


def _latency(snapshot: StatusSnapshot, names: set[str]) -> _Family:
    family = _Family(
        "launchready_check_latency_ms",
        "histogram",
        "Latency of successful and failed check results, in milliseconds.",
    )
    bounds = tuple(float(b) for b in snapshot.histogram_bounds_ms)
    problem = _bounds_problem(bounds)
    if problem is not None:
        family.comment(f"all latency histograms skipped: {problem}")
        return family
    seen: set[str] = set()
    for name, counts, total in snapshot.histograms:
        if name not in names or name in seen:
            family.comment(f"histogram for {name!r} skipped: unknown or repeated check")
            continue
        seen.add(name)
        problem = _histogram_problem(counts, total, len(bounds) + 1)
        if problem is not None:
            family.comment(f"histogram for {name!r} skipped: {problem}")
            continue
        for bound, count in zip((*bounds, math.inf), counts, strict=True):
            family.sample(count, (("check", name), ("le", _number(bound))), "_bucket")
        family.sample(total, (("check", name),), "_sum")
        family.sample(counts[-1], (("check", name),), "_count")
    return family


def _locations(snapshot: StatusSnapshot, names: set[str]) -> list[_Family]:
    """Several locations: each check's newest result per location, and where the leader is."""
    seen = _Family(
        "launchready_check_location_up",
        "gauge",
        "1 when the check's newest result from the location succeeded, 0 when it failed; "
        "absent while unknown.",
    )
    for result in snapshot.locations:
        if result.check in names and result.ok is not None:
            seen.sample(1 if result.ok else 0, (("check", result.check),
                                                 ("location", result.location)))
    leader = _Family(
        "launchready_monitor_leader",
        "gauge",
        "1 for the location whose node leads (decides and sends the alerts).",
    )
    if snapshot.leader is not None:
        leader.sample(1, (("location", snapshot.leader),))
    return [seen, leader]


def render_metrics(snapshot: StatusSnapshot) -> str:
    """Every check in ``snapshot`` as Prometheus text exposition format 0.0.4."""
    notes: list[str] = []
    checks = _unique(snapshot.checks, notes)

    runs = _Family("launchready_check_runs_total", "counter", "Check results stored.")
    failures = _Family("launchready_check_failures_total", "counter", "Check results that failed.")
    up = _Family(
        "launchready_check_up",
        "gauge",
        "1 when the check's last result succeeded (state up or degraded), else 0.",
    )
    state = _Family(
        "launchready_check_state", "gauge", "Current alert state of the check (one-hot)."
    )
    uptime = _Family(
        "launchready_check_uptime_ratio",
        "gauge",
        "Share of successful results over the window (0..1); absent without data.",
    )
    for check in checks:
        label = (("check", check.name),)
        runs.sample(check.runs_total, label)
        failures.sample(check.failures_total, label)
        up.sample(1 if check.state in _UP_STATES else 0, label)
        for candidate in CheckState:
            state.sample(1 if check.state is candidate else 0, (*label, ("state", candidate.value)))
        for window, ratio in (
            ("24h", check.uptime_24h),
            ("7d", check.uptime_7d),
            ("30d", check.uptime_30d),
        ):
            if ratio is not None:
                uptime.sample(ratio, (*label, ("window", window)))

    families = [runs, failures, up, state, uptime, _latency(snapshot, {c.name for c in checks})]
    if snapshot.locations or snapshot.leader is not None:
        families += _locations(snapshot, {c.name for c in checks})
    healthy = _Family(
        "launchready_monitor_healthy",
        "gauge",
        'Whether the monitor itself reports "ok" (storage, scheduler); see /healthz.',
    )
    healthy.sample(1 if snapshot.monitor_state == "ok" else 0)

    families.append(healthy)
    lines = [f"# {_comment_text(note)}" for note in notes]
    for family in families:
        lines.extend(family.lines)
    return "\n".join(lines) + "\n"
