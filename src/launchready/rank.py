"""Ranking, score and the 48-hour plan — pure functions of the findings (SPEC §4).

Order: severity first, then fix window (48h before later), then risk removed per minute of
effort (higher first), then rule ID, target and fingerprint so the order is total and stable.

Score: ``round(100 × K / (K + P))`` with ``K = 75``, where ``P`` is the weighted sum of the
unsuppressed findings: critical 25, high 10, medium 4, low 1, info 0, and the n-th finding of
one rule (worst first) weighs 1/n of its severity — 36 copies of one missing timeout are one
problem repeated, not 36 problems. The score falls steeply for the first findings (one
critical gives 75, one high 88, one medium 95) and ever more slowly after, so it never
reaches 0 and still moves when a badly broken app fixes its worst findings. Only checks that
ran produce findings, so the score covers what ran; renderers show it beside the coverage.
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


#: the weighted penalty at which the score is 50; one critical finding (25) gives 75
SCORE_HALF = 75.0


def penalty(findings: Iterable[Finding]) -> float:
    """The weighted penalty ``P`` of the module docstring (repeats of one rule diminish)."""
    by_rule: dict[str, list[int]] = {}
    for f in findings:
        if not f.suppressed:
            by_rule.setdefault(f.rule_id, []).append(PENALTY[f.severity])
    return sum(weight / n for weights in by_rule.values()
               for n, weight in enumerate(sorted(weights, reverse=True), start=1))


def score(findings: Iterable[Finding]) -> int:
    """0-100 from unsuppressed findings: 100 only with none, never 0 (module docstring)."""
    return round(100 * SCORE_HALF / (SCORE_HALF + penalty(findings)))


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

