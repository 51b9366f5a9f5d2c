"""The words every renderer uses for the verdict: score with coverage, the incomplete notice,
the empty-plan sentence and counts with the right grammar.

One module so that the terminal, Markdown, HTML and handover outputs never disagree about
whether a run was clean: "nothing has to be fixed" is said only of a complete run.
"""

from __future__ import annotations

from launchready.grammar import plural
from launchready.model import Report

__all__ = ["coverage_text", "empty_plan_text", "errored_lines", "incomplete_notice", "no_score",
           "plural", "score_text", "skipped_lines"]

def coverage_text(report: Report) -> str:
    """``60 of 63 checks ran · 3 could not run · 11 skipped``."""
    cov = report.coverage
    selected = cov.ran + cov.errored
    parts = [f"{cov.ran} of {plural(selected, 'check')} ran"]
    if cov.errored:
        parts.append(f"{cov.errored} could not run")
    if cov.skipped:
        parts.append(f"{cov.skipped} skipped")
    return " · ".join(parts)


def score_text(report: Report) -> str:
    """``72/100`` for a run where checks ran; ``–/100`` when none ran to a verdict."""
    return "–/100" if no_score(report) else f"{report.score}/100"


def no_score(report: Report) -> bool:
    """True when no check ran to a verdict, so a number would only be the absence of data."""
    return report.coverage.ran == 0


def errored_lines(report: Report) -> list[tuple[str, str]]:
    """Checks that could not run, grouped by reason: ``("TLS006, TLS007", "unreachable")``.

    Nineteen checks that failed for one reason (the host does not resolve) are one line.
    """
    by_reason: dict[str, list[str]] = {}
    for check in report.errored:
        by_reason.setdefault(check.error or "no reason recorded", []).append(check.id)
    return [(", ".join(ids), reason) for reason, ids in by_reason.items()]


def incomplete_notice(report: Report) -> str | None:
    """The line every renderer leads with when the run is not a complete verdict, else None."""
    if report.interrupted:
        return (f"interrupted (Ctrl-C): {plural(len(report.errored), 'check')} did not finish; "
                f"below is what was found so far")
    if report.nothing_checked:
        return ("nothing was checked: every selected check was skipped "
                "(the reasons are listed below); this is not a pass")
    errored = len(report.errored)
    if errored:
        return (f"incomplete: {plural(errored, 'check')} could not run; the score covers only "
                f"the checks that ran")
    return None


def empty_plan_text(report: Report) -> str:
    """What to say when the 48-hour plan is empty; "nothing to fix" only for complete runs."""
    if report.nothing_checked:
        return "Nothing was checked, so nothing can be said about the launch yet."
    errored = len(report.errored)
    if errored:
        return (f"No findings in the checks that ran, but {plural(errored, 'check')} could not "
                f"run: this is not a clean result.")
    return "Nothing has to be fixed before the launch."


def skipped_lines(report: Report) -> list[str]:
    """Skipped checks, one line per reason: ``no [smoke] section: SMOKE001, SMOKE002``."""
    by_reason: dict[str, list[str]] = {}
    for check in report.checks:
        if check.status.value == "skipped":
            by_reason.setdefault(check.error or "no reason recorded", []).append(check.id)
    return [f"{reason}: {', '.join(ids)}" for reason, ids in by_reason.items()]
