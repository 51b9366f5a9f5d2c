"""Terminal report (rich): score and counts, the 48-hour plan, then the ranked risk list.

Order: header (score, counts, coverage, run), the incomplete notice with the checks that could
not run, "48-hour plan", the risk list grouped by severity (rule ID, title, target, evidence,
impact, fix), suppressed findings, measurements, tables, notes and the passed/skipped checks
(skipped ones once, one line per reason).

Every value that came from a scanned system is wrapped in ``rich.text.Text`` (never parsed as
markup) and has control characters made visible, so a hostile server cannot restyle the output
or send escape sequences to the user's terminal.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

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

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}

def _t(value: str, style: str = "") -> Text:
    return Text(visible(value), style=style)


def _pad(renderable: RenderableType, left: int, *, bottom: int = 0) -> Padding:
    return Padding(renderable, (0, 0, bottom, left), expand=False)


def _badge(severity: Severity) -> Text:
    return Text(f" {severity.value.upper()} ", style=SEVERITY_STYLE[severity])


def _when(finding: Finding) -> str:
    window = "within 48 hours" if finding.fix_window is FixWindow.H48 else "after launch"
    return f"{window} · about {minutes(finding.effort_minutes)}"


def _where(finding: Finding) -> str | None:
    return None if finding.location is None else str(finding.location)


def _header(report: Report) -> Panel:
    summary = report.summary
    counts = Text()
    for severity in Severity:
        if counts:
            counts.append(" · ")
        count = summary.count(severity)
        counts.append(f"{count} {severity.value}", style=SEVERITY_STYLE[severity] if count else "")
    counts.append(f" · {summary.suppressed} suppressed", style="dim")
    if not report.complete:
        score_style = "bold yellow"  # never green for a run that did not check everything
    else:
        score_style = (
            "bold green" if report.score >= 80 else "bold yellow" if report.score >= 50
            else "bold red"
        )
    score = Text.assemble(("Score ", "bold"), (score_text(report), score_style), "   ", counts)
    seconds = (report.finished_at - report.started_at).total_seconds()
    statuses = [c.status for c in report.checks]
    run = Text(
        f"{iso_utc(report.started_at)} → {iso_utc(report.finished_at)} "
        f"({seconds:.0f} s) · launchready {visible(report.tool_version)}\n"
        f"{coverage_text(report)} · {statuses.count(CheckStatus.FAIL)} failed, "
        f"{statuses.count(CheckStatus.PASS)} passed",
        style="dim",
    )
    return Panel(
        Group(score, run), title=_t(report.title, "bold"), title_align="left", box=box.ROUNDED
    )


def _incomplete(report: Report) -> Iterator[RenderableType]:
    notice = incomplete_notice(report)
    if notice is None:
        return
    yield _pad(Text(notice, style="bold yellow"), 1)
    if report.nothing_checked:
        for line in skipped_lines(report):
            yield _pad(Text.assemble(("skipped ", "dim"), _t(line)), 3)
        return
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="bold red", overflow="fold", max_width=30)
    grid.add_column(overflow="fold")
    for ids, reason in errored_lines(report):
        grid.add_row(_t(ids), _t(reason))
    yield _pad(grid, 3)


#: how many targets a grouped entry lists before "and N more"
SHOWN_TARGETS = 8


def grouped(findings: tuple[Finding, ...]) -> list[list[Finding]]:
    """Findings of one rule, severity and title as one entry, in rank order of their first
    member: 36 missing timeouts (PERF005) are one entry with 36 locations."""
    groups: dict[tuple[str, Severity, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule_id, finding.severity, finding.title), []).append(finding)
    return list(groups.values())


def _more(hidden: int, what: str) -> RenderableType:
    return _pad(Text(f"… {plural(hidden, what)} more (without --top all are shown)",
                     style="dim"), 2)


def _place(finding: Finding) -> str:
    return _where(finding) or finding.target


def _plan(report: Report, top: int | None) -> Iterator[RenderableType]:
    plan = report.plan_48h
    effort = sum(f.effort_minutes for f in plan)
    yield Text()
    yield Rule(
        Text(f"48-hour plan · {plural(len(plan), 'fix')} · about {minutes(effort)}",
             style="bold"),
        align="left",
    )
    if not plan:
        yield _pad(Text(empty_plan_text(report)), 2)
        return
    entries = grouped(plan)
    shown = entries[:top] if top else entries
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for number, entry in enumerate(shown, start=1):
        first = entry[0]
        where = (_t(first.target, "underline") if len(entry) == 1 else
                 Text(f"{len(entry)} places, e.g. {visible(_place(first))}", style="underline"))
        body = Text.assemble(
            _t(first.title, "bold"),
            "\n",
            where,
            (f" · {minutes(sum(f.effort_minutes for f in entry))}", "dim"),
        )
        grid.add_row(f"{number}.", _badge(first.severity), _t(first.rule_id, "bold"), body)
    yield _pad(grid, 1)
    if len(shown) < len(entries):
        yield _more(len(entries) - len(shown), "plan entry")


def _finding(rank: int, entry: list[Finding]) -> RenderableType:
    finding = entry[0]
    count = f"  × {len(entry)}" if len(entry) > 1 else ""
    head = Text.assemble(
        (f"#{rank} ", "dim"), _t(finding.rule_id, "bold"), "  ", _t(finding.title, "bold"),
        (count, "bold"),
    )
    fields = RichTable.grid(padding=(0, 2))
    fields.add_column(style="dim", no_wrap=True)
    fields.add_column(overflow="fold")
    if len(entry) == 1:
        fields.add_row("target", _t(finding.target))
        where = _where(finding)
        if where is not None:
            fields.add_row("location", _t(where))
    else:
        places = [_place(f) for f in entry]
        listed = "\n".join(places[:SHOWN_TARGETS])
        if len(places) > SHOWN_TARGETS:
            listed += f"\n… and {len(places) - SHOWN_TARGETS} more"
        fields.add_row("where", _t(listed))
    fields.add_row("evidence", _t(finding.evidence + (" (first of these)" if count else "")))
    fields.add_row("impact", _t(finding.impact))
    fields.add_row("fix", _t(finding.fix, "green"))
    fields.add_row("when", Text(_when(finding)))
    for reference in finding.references:
        fields.add_row("see", _t(reference))
    return _pad(Group(head, _pad(fields, 4)), 2, bottom=1)


def _risks(report: Report, top: int | None) -> Iterator[RenderableType]:
    live = report.unsuppressed
    yield Text()
    yield Rule(
        Text(f"Risk list · {plural(len(live), 'finding')}, most urgent first", style="bold"),
        align="left",
    )
    if not live:
        yield _pad(Text("No open findings."), 2)
    ranks = {id(f): n for n, f in enumerate(live, start=1)}
    entries = grouped(live)
    budget = top if top else len(entries)
    for severity in Severity:
        group = [e for e in entries if e[0].severity is severity]
        if not group or budget <= 0:
            continue
        yield _pad(Text.assemble(_badge(severity), f" {sum(len(e) for e in group)}"), 1,
                   bottom=1)
        for entry in group[:budget]:
            yield _finding(ranks[id(entry[0])], entry)
        budget -= min(budget, len(group))
    hidden = len(entries) - (top or len(entries))
    if hidden > 0:
        yield _more(hidden, "risk-list entry")
    suppressed = [f for f in report.findings if f.suppressed]
    if suppressed:
        yield Text()
        yield Rule(
            Text(f"Suppressed by the baseline · {len(suppressed)}", style="bold"), align="left"
        )
        grid = RichTable.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for finding in suppressed:
            grid.add_row(
                _badge(finding.severity),
                _t(finding.rule_id),
                Text.assemble(_t(finding.title), " — ", _t(finding.target, "dim")),
            )
        yield _pad(grid, 1)


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _measurements(measurements: tuple[Measurement, ...]) -> Iterator[RenderableType]:
    if not measurements:
        return
    yield Text()
    yield Rule(Text("Measurements (latency in ms)", style="bold"), align="left")
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for name in (
        "check",
        "target",
        "requests",
        "errors",
        "p50",
        "p95",
        "p99",
        "max",
        "rps",
        "model",
    ):
        left = name in ("check", "target", "model")
        table.add_column(name, justify="left" if left else "right", overflow="fold")
    for m in measurements:
        table.add_row(
            _t(m.check),
            _t(m.target),
            str(m.requests),
            Text(str(m.errors), style="red" if m.errors else ""),
            _ms(m.p50_ms),
            Text(_ms(m.p95_ms), style="bold"),
            _ms(m.p99_ms),
            _ms(m.max_ms),
            _ms(m.rps),
            _t(m.model),
        )
    yield _pad(table, 2)


def _tables(tables: tuple[Table, ...]) -> Iterator[RenderableType]:
    for table in tables:
        yield Text()
        yield Rule(_t(table.title, "bold"), align="left")
        rich_table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
        for column in table.columns:
            rich_table.add_column(_t(column), overflow="fold")
        for row in table.rows:
            rich_table.add_row(*(_t(cell) for cell in row))
        yield _pad(rich_table, 2)


def _tail(report: Report) -> Iterator[RenderableType]:
    if report.notes:
        yield Text()
        yield Rule(Text("Notes", style="bold"), align="left")
        for note in report.notes:
            yield _pad(Text.assemble("• ", _t(note)), 2)
    passed = [c.id for c in report.checks if c.status is CheckStatus.PASS]
    skipped = [c for c in report.checks if c.status is CheckStatus.SKIPPED]
    if passed or (skipped and not report.nothing_checked):
        yield Text()
        yield Rule(Text("Other checks", style="bold"), align="left")
    if passed:
        yield _pad(Text.assemble(("passed  ", "green"), _t(", ".join(passed))), 2)
    if not report.nothing_checked:  # else listed at the top already
        for line in skipped_lines(report):
            yield _pad(Text.assemble(("skipped ", "dim"), _t(line)), 2)


def _summary(report: Report) -> RenderableType:
    summary = report.summary
    counts = " ".join(f"{summary.count(s)} {s.value}" for s in Severity if summary.count(s))
    plan = report.plan_48h
    coverage = report.coverage
    verdict = "INCOMPLETE · " if not report.complete else ""
    line = (f"{verdict}score {score_text(report)} · {counts or 'no open findings'} · "
            f"ran {coverage.ran}/{coverage.ran + coverage.errored} · "
            f"plan {plural(len(plan), 'fix')}")
    return Text(line, style="bold yellow" if verdict else "bold")


def renderables(report: Report, *, top: int | None = None) -> Iterator[RenderableType]:
    """The report as rich renderables, in display order (useful for a live console).

    ``top`` shows only the N most urgent entries of the plan and of the risk list.
    """
    yield _header(report)
    yield from _incomplete(report)
    yield from _plan(report, top)
    yield from _risks(report, top)
    yield from _measurements(report.measurements)
    yield from _tables(report.tables)
    yield from _tail(report)
    yield Text()
    yield _summary(report)


def render(report: Report, *, color: bool = False, width: int = 100,
           top: int | None = None) -> str:
    """The report as terminal text; ANSI styles only when ``color`` is true."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        force_jupyter=False,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        _environ={},  # rendering must not depend on the caller's COLUMNS, TERM or FORCE_COLOR
    )
    for renderable in renderables(report, top=top):
        console.print(renderable)
    text = buffer.getvalue()
    if color:
        return text
    # Without styles, the padding rich adds to fill the width is just trailing noise.
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
