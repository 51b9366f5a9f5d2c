"""HTML report: one self-contained page a founder can open, forward or attach to an email.

The page fetches nothing: CSS is inline, charts are inline SVG, there is no script, and a
Content-Security-Policy forbids any fetch anyway. Jinja2 autoescaping escapes every value, and
only http(s) URLs become links, so a hostile value from a scanned server (``<script>``, an
``onerror`` attribute, a ``javascript:`` URL) shows up as text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from launchready.model import CheckStatus, Finding, FixWindow, Report, Severity
from launchready.report.json_out import iso_utc
from launchready.report.templating import environment
from launchready.report.text import minutes, visible
from launchready.report.verdict import (
    coverage_text,
    empty_plan_text,
    errored_lines,
    incomplete_notice,
    no_score,
    plural,
    score_text,
    skipped_lines,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_LINKABLE = re.compile(r"^https?://[^\s<>\"'`\\\x00-\x1f\x7f]+$", re.IGNORECASE)

SEVERITY_COLOR: dict[Severity, str] = {
    Severity.CRITICAL: "#c92a2a",
    Severity.HIGH: "#e8590c",
    Severity.MEDIUM: "#d9a000",
    Severity.LOW: "#1c7ed6",
    Severity.INFO: "#868e96",
}

_BAR_WIDTH = 240.0
_RING = 2 * math.pi * 42


def safe_href(url: str) -> str | None:
    """``url`` if it is a plain http(s) URL, else None (it must not become a link)."""
    return url if _LINKABLE.match(url) else None


def _visible(value: str) -> str:
    return visible(value.replace("\r\n", "\n"))


@dataclass(frozen=True, kw_only=True)
class _Link:
    text: str
    href: str | None


@dataclass(frozen=True, kw_only=True)
class _FindingView:
    rank: int
    anchor: str
    severity: str
    rule_id: str
    title: str
    stage: str
    target: _Link
    location: str | None
    evidence: str
    impact: str
    fix: str
    when: str
    effort: str
    references: tuple[_Link, ...]
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class _Bar:
    label: str
    value: str
    width: float
    y: int
    color: str


@dataclass(frozen=True, kw_only=True)
class _Chart:
    title: str
    height: int
    bars: tuple[_Bar, ...]


def _link(value: str) -> _Link:
    return _Link(text=_visible(value), href=safe_href(value))


def _location(finding: Finding) -> str | None:
    return None if finding.location is None else _visible(str(finding.location))


def _view(rank: int, finding: Finding) -> _FindingView:
    window = "within 48 hours" if finding.fix_window is FixWindow.H48 else "after launch"
    return _FindingView(
        rank=rank,
        anchor=f"finding-{rank}",
        severity=finding.severity.value,
        rule_id=_visible(finding.rule_id),
        title=_visible(finding.title),
        stage=finding.stage.value,
        target=_link(finding.target),
        location=_location(finding),
        evidence=_visible(finding.evidence),
        impact=_visible(finding.impact),
        fix=_visible(finding.fix),
        when=window,
        effort=minutes(finding.effort_minutes),
        references=tuple(_link(r) for r in finding.references),
        fingerprint=_visible(finding.fingerprint),
    )


def _chart(title: str, rows: list[tuple[str, float, str, str]]) -> _Chart:
    """A horizontal bar chart: (label, value, shown value, colour) per row."""
    top = max((value for _, value, _, _ in rows if math.isfinite(value)), default=0.0)
    bars = []
    for index, (label, value, shown, color) in enumerate(rows):
        share = value / top if top > 0 and math.isfinite(value) and value > 0 else 0.0
        bars.append(
            _Bar(
                label=_visible(label),
                value=shown,
                width=round(share * _BAR_WIDTH, 1),
                y=index * 28,
                color=color,
            )
        )
    return _Chart(title=title, height=max(len(rows) * 28, 28), bars=tuple(bars))


def _context(report: Report) -> dict[str, object]:
    live = report.unsuppressed
    views = [_view(rank, f) for rank, f in enumerate(live, start=1)]
    by_id = {id(f): v for f, v in zip(live, views, strict=True)}
    groups = []
    for severity in Severity:
        members = [v for v in views if v.severity == severity.value]
        if members:
            groups.append({"severity": severity.value, "findings": members})
    plan = [by_id[id(f)] for f in report.plan_48h]
    suppressed = [_view(0, f) for f in report.findings if f.suppressed]
    summary = report.summary
    severity_chart = _chart(
        "Open findings per severity",
        [
            (s.value, float(summary.count(s)), str(summary.count(s)), SEVERITY_COLOR[s])
            for s in Severity
        ],
    )
    latency_chart = _chart(
        "p95 latency per measurement",
        [
            (f"{m.check} · {m.target}", m.p95_ms, f"{m.p95_ms:,.0f} ms", "#5c7cfa")
            for m in report.measurements
        ],
    )
    checks = {
        status.value: [c for c in report.checks if c.status is status] for status in CheckStatus
    }
    if not report.complete:
        score_color = "#868e96"  # never a green ring for a run that did not check everything
    else:
        score_color = (
            "#2b8a3e" if report.score >= 80 else "#d9a000" if report.score >= 50 else "#c92a2a"
        )
    if report.nothing_checked:
        notice_items = [f"skipped {line}" for line in skipped_lines(report)]
    else:
        notice_items = [f"{ids}: {reason}" for ids, reason in errored_lines(report)]
    seconds = (report.finished_at - report.started_at).total_seconds()
    shown = 0 if no_score(report) else report.score
    return {
        "csp": CSP,
        "title": _visible(report.title),
        "tool_version": _visible(report.tool_version),
        "started": iso_utc(report.started_at),
        "finished": iso_utc(report.finished_at),
        "duration": f"{seconds:.0f} s",
        "score": report.score,
        "score_shown": "–" if no_score(report) else str(report.score),
        "score_label": score_text(report),
        "score_color": score_color,
        "score_dash": f"{_RING * max(0, min(shown, 100)) / 100:.1f} {_RING:.1f}",
        "complete": report.complete,
        "coverage": coverage_text(report),
        "notice": incomplete_notice(report),
        "notice_items": [_visible(item) for item in notice_items],
        "empty_plan": empty_plan_text(report),
        "plan_count": plural(len(report.plan_48h), "fix"),
        "open_text": plural(len(live), "open finding"),
        "counts": [(s.value, summary.count(s)) for s in Severity],
        "suppressed_count": summary.suppressed,
        "plan": plan,
        "plan_effort": minutes(sum(f.effort_minutes for f in report.plan_48h)),
        "groups": groups,
        "open_count": len(live),
        "suppressed": suppressed,
        "charts": [c for c in (severity_chart, latency_chart) if c.bars],
        "bar_width": _BAR_WIDTH,
        "measurements": report.measurements,
        "tables": report.tables,
        "notes": [_visible(n) for n in report.notes],
        "checks": checks,
        "visible": _visible,
    }


def render(report: Report) -> str:
    """The report as one self-contained HTML page."""
    template = environment("launchready.report").get_template("report.html.j2")
    return template.render(_context(report))
