"""Ranking, score and the 48-hour plan — pure functions of the findings (SPEC §4).

Order: severity first, then fix window (48h before later), then risk removed per minute of
effort (higher first), then rule ID, target and fingerprint so the order is total and stable.

Score: 100 minus a penalty per unsuppressed finding — critical 25, high 10, medium 4, low 1,
info 0 — floored at 0. One critical finding caps a site at 75; four make it 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from launchready.model import Finding, FixWindow, Severity, Summary

RISK_WEIGHT: dict[Severity, float] = {
    Severity.CRITICAL: 10.0, Severity.HIGH: 5.0, Severity.MEDIUM: 2.0, Severity.LOW: 1.0,
    Severity.INFO: 0.0,
}
PENALTY: dict[Severity, int] = {
    Severity.CRITICAL: 25, Severity.HIGH: 10, Severity.MEDIUM: 4, Severity.LOW: 1,
    Severity.INFO: 0,
}


def risk_per_minute(finding: Finding) -> float:
    """Risk removed per minute of fixing effort."""
    return RISK_WEIGHT[finding.severity] / max(finding.effort_minutes, 1)


def rank_key(finding: Finding) -> tuple[int, int, float, str, str, str]:
    """Sort key implementing the ranking rule in the module docstring."""
    return (finding.severity.rank, 0 if finding.fix_window is FixWindow.H48 else 1,
            -risk_per_minute(finding), finding.rule_id, finding.target, finding.fingerprint)


def rank(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in risk-list order."""
    return tuple(sorted(findings, key=rank_key))


def score(findings: Iterable[Finding]) -> int:
    """0-100 from unsuppressed findings."""
    return max(0, 100 - sum(PENALTY[f.severity] for f in findings if not f.suppressed))


def summarize(findings: Iterable[Finding]) -> Summary:
    """Counts per severity of unsuppressed findings, and how many were suppressed."""
    counts = dict.fromkeys((s.value for s in Severity), 0)
    suppressed = 0
    for f in findings:
        if f.suppressed:
            suppressed += 1
        else:
            counts[f.severity.value] += 1
    return Summary(suppressed=suppressed, **counts)

