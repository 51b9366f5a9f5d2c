"""The perf baseline file for CI, and the noise-aware p95 comparison behind PERF003.

File (``--save-perf-baseline perf.json``): JSON with one entry per endpoint name — model, p50,
p95, p99 and the p95 of each consecutive sub-run of the measured run. No URLs with credentials,
no headers, no cookies: only numbers and endpoint names.

Rule: with ``B`` the baseline p95, ``C`` the current p95, and the *noise* ``N`` = the larger of
the two runs' sub-run p95 spreads (max − min of the sub-run p95s), an endpoint has **regressed**
when

    C − B > max(max_regression × B, N, 1 ms)

so a change has to beat the configured tolerance *and* what the same code varies by within one
run (and a 1 ms floor, below which loopback jitter dominates). A change over ``max_regression``
but inside the noise is reported as "within noise", not as a finding. The same rule mirrored
marks an improvement.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from launchready.errors import LaunchreadyError
from launchready.probes.files import PERF_BASELINE_LIMIT, UnreadableFile, read_capped

SCHEMA = "launchready-perf-baseline/1"
#: below this absolute change a p95 difference is never called a regression
MIN_DELTA_MS = 1.0

Verdict = Literal["regressed", "within noise", "unchanged", "improved", "new", "not comparable"]


class BaselineError(LaunchreadyError):
    """The baseline file cannot be read or is not a launchready perf baseline."""


@dataclass(frozen=True, kw_only=True)
class EndpointStats:
    """What the baseline remembers about one endpoint."""

    model: str
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    segment_p95_ms: tuple[float, ...] = ()

    @property
    def spread_ms(self) -> float:
        """Run-to-run noise seen inside this run: max − min of the sub-run p95s."""
        if len(self.segment_p95_ms) < 2:
            return 0.0
        return max(self.segment_p95_ms) - min(self.segment_p95_ms)


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """A whole baseline file."""

    created_at: str
    endpoints: Mapping[str, EndpointStats]


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One endpoint, now against the baseline."""

    name: str
    verdict: Verdict
    current_p95_ms: float
    baseline_p95_ms: float | None = None
    threshold_ms: float = 0.0
    noise_ms: float = 0.0

    @property
    def change_ratio(self) -> float | None:
        """(current − baseline) / baseline, or None without a usable baseline."""
        if self.baseline_p95_ms is None or self.baseline_p95_ms <= 0:
            return None
        return (self.current_p95_ms - self.baseline_p95_ms) / self.baseline_p95_ms

    @property
    def change_text(self) -> str:
        """``"+18 %"`` / ``"-4 %"`` / ``"—"``."""
        ratio = self.change_ratio
        if ratio is None:
            return "—"
        return f"{ratio * 100:+.0f} %"


def compare(name: str, current: EndpointStats, base: EndpointStats | None, *,
            max_regression: float) -> Comparison:
    """Judge one endpoint by the rule in the module docstring."""
    if base is None:
        return Comparison(name=name, verdict="new", current_p95_ms=current.p95_ms)
    if base.model != current.model:
        return Comparison(name=name, verdict="not comparable", current_p95_ms=current.p95_ms,
                          baseline_p95_ms=base.p95_ms)
    noise = max(base.spread_ms, current.spread_ms)
    threshold = max(max_regression * base.p95_ms, noise, MIN_DELTA_MS)
    delta = current.p95_ms - base.p95_ms
    verdict: Verdict
    if delta > threshold:
        verdict = "regressed"
    elif -delta > threshold:
        verdict = "improved"
    elif delta > max_regression * base.p95_ms:
        verdict = "within noise"
    else:
        verdict = "unchanged"
    return Comparison(name=name, verdict=verdict, current_p95_ms=current.p95_ms,
                      baseline_p95_ms=base.p95_ms, threshold_ms=threshold, noise_ms=noise)


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BaselineError(f"{where} is not a number")
    return float(value)


def parse(data: Any) -> Baseline:
    """A :class:`Baseline` from decoded JSON; raises :class:`BaselineError` on any doubt."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BaselineError(f"not a launchready perf baseline (expected schema {SCHEMA!r})")
    raw = data.get("endpoints")
    if not isinstance(raw, dict):
        raise BaselineError("baseline has no 'endpoints' object")
    endpoints: dict[str, EndpointStats] = {}
    for name, entry in raw.items():
        where = f"endpoints[{name!r}]"
        if not isinstance(entry, dict):
            raise BaselineError(f"{where} is not an object")
        segs = entry.get("segment_p95_ms", [])
        if not isinstance(segs, list):
            raise BaselineError(f"{where}.segment_p95_ms is not a list")
        requests = entry.get("requests", 0)
        if not isinstance(requests, int):
            raise BaselineError(f"{where}.requests is not an integer")
        endpoints[str(name)] = EndpointStats(
            model=str(entry.get("model", "closed")), requests=requests,
            p50_ms=_finite(entry.get("p50_ms"), f"{where}.p50_ms"),
            p95_ms=_finite(entry.get("p95_ms"), f"{where}.p95_ms"),
            p99_ms=_finite(entry.get("p99_ms"), f"{where}.p99_ms"),
            segment_p95_ms=tuple(_finite(v, f"{where}.segment_p95_ms") for v in segs))
    return Baseline(created_at=str(data.get("created_at", "")), endpoints=endpoints)


def load(path: str | Path) -> Baseline:
    """Read a baseline file."""
    try:
        text = read_capped(path, limit=PERF_BASELINE_LIMIT, what=f"perf baseline {path}").decode()
    except UnreadableFile as exc:
        raise BaselineError(str(exc)) from None
    except UnicodeDecodeError:
        raise BaselineError(f"perf baseline {path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"perf baseline {path} is not JSON: {exc}") from None
    return parse(data)


def dump(endpoints: Mapping[str, EndpointStats], *, now: datetime | None = None) -> str:
    """The JSON text of a baseline file."""
    doc = {
        "schema": SCHEMA,
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "endpoints": {
            name: {"model": s.model, "requests": s.requests, "p50_ms": round(s.p50_ms, 3),
                   "p95_ms": round(s.p95_ms, 3), "p99_ms": round(s.p99_ms, 3),
                   "segment_p95_ms": [round(v, 3) for v in s.segment_p95_ms]}
            for name, s in sorted(endpoints.items())
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def comparison_markdown(comparisons: Sequence[Comparison]) -> str:
    """A Markdown table fit for a pull-request comment ("p95 +18 % vs baseline")."""
    lines = ["| endpoint | p95 | baseline p95 | change | threshold | verdict |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for c in comparisons:
        base = f"{c.baseline_p95_ms:,.1f} ms" if c.baseline_p95_ms is not None else "—"
        threshold = f"±{c.threshold_ms:,.1f} ms" if c.baseline_p95_ms is not None else "—"
        mark = {"regressed": "❌ ", "improved": "✅ "}.get(c.verdict, "")
        lines.append(f"| {_md_cell(c.name)} | {c.current_p95_ms:,.1f} ms | {base} | "
                     f"{c.change_text} | {threshold} | {mark}{c.verdict} |")
    regressed = [c for c in comparisons if c.verdict == "regressed"]
    if regressed:
        worst = max(regressed, key=lambda c: c.change_ratio or 0.0)
        lines.insert(0, f"**p95 {worst.change_text} vs baseline** on {_md_cell(worst.name)} "
                        f"({len(regressed)} endpoint(s) regressed)\n")
    else:
        lines.insert(0, "**No p95 regression vs baseline** beyond max_regression and noise\n")
    return "\n".join(lines) + "\n"
