"""Markdown report: the same content as the terminal report, for a PR comment, a wiki or an email.

Values from scanned systems are escaped so they render as text: Markdown and HTML
punctuation is backslash-escaped, evidence goes into fenced code blocks whose fence is longer
than any run of backticks or tildes inside, and only http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from launchready.model import CheckStatus, Finding, FixWindow, Measurement, Report, Severity, Table
from launchready.report.json_out import iso_utc
from launchready.report.text import minutes, visible
from launchready.report.verdict import (
    coverage_text,
    empty_plan_text,
    errored_lines,
    incomplete_notice,
    plural,
    score_text,
    skipped_lines,
)

# Markdown/HTML punctuation; "_" only where it could open or close emphasis (not in SNAKE_CASE).
_SPECIAL = re.compile(r"([\\`*\[\]<>|&~#!]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_NEWLINE = re.compile(r"\r\n|\n|\r")
_LINKABLE = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


def _one_line(value: str) -> str:
    return " ".join(_NEWLINE.split(value))


def text(value: str) -> str:
    """One line of literal text: newlines become spaces, Markdown/HTML punctuation is escaped."""
    return _SPECIAL.sub(r"\\\1", visible(_one_line(value.replace("\t", " "))))


def code(value: str) -> str:
    """An inline code span that holds ``value`` literally, whatever backticks it contains."""
    one_line = visible(_one_line(value))
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") or not one_line else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def block(value: str, *, indent: str = "") -> list[str]:
    """A fenced code block holding ``value`` literally (the fence outlasts any fence inside)."""
    body = [visible(line) for line in _NEWLINE.split(value.replace("\t", "    "))]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [f"{fence}text", *body, fence]
    return [indent + line if line else line for line in lines]


def link(url: str) -> str:
    """An autolink for a plain http(s) URL; anything else (``javascript:`` ...) as escaped text."""
    if _LINKABLE.match(url):
        return f"<{url}>"
    return text(url)


def _target(finding: Finding) -> str:
    return link(finding.target)


def _where(finding: Finding) -> str | None:
    return None if finding.location is None else str(finding.location)


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(report: Report) -> list[str]:
    summary = report.summary
    counts = " · ".join(f"{summary.count(s)} {s.value}" for s in Severity)
    seconds = (report.finished_at - report.started_at).total_seconds()
    lines = [
        f"# {text(report.title)}",
        "",
        f"**Score: {score_text(report)}** · {counts} · {summary.suppressed} suppressed",
        "",
        f"Run {iso_utc(report.started_at)} → {iso_utc(report.finished_at)} ({seconds:.0f} s)"
        f" · launchready {text(report.tool_version)} · {coverage_text(report)}",
    ]
    notice = incomplete_notice(report)
    if notice is None:
        return lines
    lines += ["", f"> **{text(notice)}**", ">"]
    if report.nothing_checked:
        return lines + [f"> - skipped {text(line)}" for line in skipped_lines(report)]
    return lines + [f"> - {text(ids)}: {text(reason)}" for ids, reason in errored_lines(report)]


def _plan(report: Report) -> list[str]:
    plan = report.plan_48h
    effort = sum(f.effort_minutes for f in plan)
    lines = ["", "## 48-hour plan", ""]
    if not plan:
        return [*lines, text(empty_plan_text(report))]
    lines += [f"{plural(len(plan), 'fix')}, about {minutes(effort)} of work in total.", ""]
    for number, f in enumerate(plan, start=1):
        lines.append(
            f"{number}. **{f.severity.value.upper()}** {code(f.rule_id)} {text(f.title)}"
            f" — {_target(f)} · {minutes(f.effort_minutes)}"
        )
    return lines


def _finding(rank: int, f: Finding) -> list[str]:
    window = "within 48 hours" if f.fix_window is FixWindow.H48 else "after launch"
    lines = [
        "",
        f"#### {rank}. {code(f.rule_id)} {text(f.title)}",
        "",
        f"- **Target:** {_target(f)}",
    ]
    where = _where(f)
    if where is not None:
        lines.append(f"- **Location:** {code(where)}")
    lines += ["- **Evidence:**", "", *block(f.evidence, indent="  "), ""]
    lines += [
        f"- **Impact:** {text(f.impact)}",
        f"- **Fix:** {text(f.fix)}",
        f"- **When:** {window} · about {minutes(f.effort_minutes)}",
    ]
    if f.references:
        lines.append("- **References:** " + ", ".join(link(r) for r in f.references))
    lines.append(f"- **Fingerprint:** {code(f.fingerprint)}")
    return lines


def _risks(report: Report) -> list[str]:
    live = report.unsuppressed
    lines = ["", "## Risk list", ""]
    if not live:
        lines.append("No open findings.")
    else:
        lines.append(f"{plural(len(live), 'open finding')}, most urgent first.")
    rank = 0
    for severity in Severity:
        group = [f for f in live if f.severity is severity]
        if not group:
            continue
        lines += ["", f"### {severity.value.capitalize()} ({len(group)})"]
        for f in group:
            rank += 1
            lines += _finding(rank, f)
    suppressed = [f for f in report.findings if f.suppressed]
    if suppressed:
        lines += ["", f"### Suppressed by the baseline ({len(suppressed)})", ""]
        lines += [
            f"- {f.severity.value} {code(f.rule_id)} {text(f.title)} — {_target(f)}"
            for f in suppressed
        ]
    return lines


def _measurements(measurements: tuple[Measurement, ...]) -> list[str]:
    if not measurements:
        return []
    names = [
        "Check",
        "Target",
        "Requests",
        "Errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "rps",
        "Model",
    ]
    align = ["---", "---", *(["---:"] * 7), "---"]
    lines = ["", "## Measurements", "", _row(names), _row(align)]
    for m in measurements:
        lines.append(
            _row(
                [
                    text(m.check),
                    text(m.target),
                    str(m.requests),
                    str(m.errors),
                    f"{m.p50_ms:.1f}",
                    f"{m.p95_ms:.1f}",
                    f"{m.p99_ms:.1f}",
                    f"{m.max_ms:.1f}",
                    f"{m.rps:.1f}",
                    text(m.model),
                ]
            )
        )
    return lines


def _tables(tables: tuple[Table, ...]) -> list[str]:
    lines: list[str] = []
    for table in tables:
        lines += ["", f"## {text(table.title)}", ""]
        if not table.columns:
            lines += [f"- {' · '.join(text(cell) for cell in row)}" for row in table.rows]
            continue
        width = len(table.columns)
        lines += [_row(text(c) for c in table.columns), _row(["---"] * width)]
        for row in table.rows:
            cells = [text(cell) for cell in row[:width]]
            lines.append(_row(cells + [""] * (width - len(cells))))
    return lines


def _tail(report: Report) -> list[str]:
    lines: list[str] = []
    if report.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {text(note)}" for note in report.notes]
    if report.checks:
        lines += ["", "## Checks", ""]
        for status, label in (
            (CheckStatus.FAIL, "Failed"),
            (CheckStatus.PASS, "Passed"),
            (CheckStatus.ERROR, "Could not run"),
            (CheckStatus.SKIPPED, "Skipped"),
        ):
            checks = [c for c in report.checks if c.status is status]
            if not checks:
                continue
            if status is CheckStatus.SKIPPED:
                lines.append(f"- **{label} ({len(checks)}):**")
                lines += [f"  - {text(line)}" for line in skipped_lines(report)]
                continue
            if status is CheckStatus.ERROR:
                items = "; ".join(
                    f"{text(c.id)} ({text(c.error or 'no reason recorded')})" for c in checks
                )
            else:
                items = ", ".join(text(c.id) for c in checks)
            lines.append(f"- **{label} ({len(checks)}):** {items}")
    return lines


def render(report: Report) -> str:
    """The report as a Markdown document ending in a newline."""
    lines = [
        *_header(report),
        *_plan(report),
        *_risks(report),
        *_measurements(report.measurements),
        *_tables(report.tables),
        *_tail(report),
    ]
    return "\n".join(lines) + "\n"
