"""JUnit XML report, for CI systems that show test results (Jenkins, GitLab, Azure, CircleCI).

One ``<testsuite>`` inside ``<testsuites>``. Each check contributes testcases:

* findings → one failing testcase per (rule ID, target), ``<failure type=worst severity>``;
  a (rule ID, target) whose findings are all suppressed by the baseline is ``<skipped>``;
* a check that passed (or failed without findings) → one testcase, passing (or failing);
* an errored check → ``<error>``; a skipped check → ``<skipped>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import assert_never

from launchready.model import CheckResult, CheckStatus, Finding, Report
from launchready.report.json_out import TOOL_NAME, iso_utc

# XML 1.0 cannot carry most C0 controls, lone surrogates or U+FFFE/U+FFFF, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` with characters XML cannot carry shown as visible ``\\xNN`` escapes."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


@dataclass(frozen=True, kw_only=True)
class _Case:
    classname: str
    name: str
    seconds: float
    outcome: str  # "pass", "failure", "error", "skipped"
    message: str = ""
    kind: str = ""
    text: str = ""


def _finding_text(finding: Finding) -> str:
    lines = [
        f"[{finding.severity.value}] {finding.rule_id} {finding.title}",
        f"target: {finding.target}",
    ]
    if finding.location is not None:
        where = finding.location.path
        if finding.location.line is not None:
            where += f":{finding.location.line}"
            if finding.location.column is not None:
                where += f":{finding.location.column}"
        lines.append(f"location: {where}")
    lines += [
        f"evidence: {finding.evidence}",
        f"impact: {finding.impact}",
        f"fix: {finding.fix}",
        f"fix window: {finding.fix_window.value}, effort: {finding.effort_minutes} min",
        f"fingerprint: {finding.fingerprint}",
    ]
    lines += [f"reference: {ref}" for ref in finding.references]
    return "\n".join(lines)


def _finding_cases(rule_id: str, findings: list[Finding], seconds: float) -> list[_Case]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.target, []).append(finding)
    cases: list[_Case] = []
    for target, group in groups.items():
        live = [f for f in group if not f.suppressed]
        text = "\n\n".join(_finding_text(f) for f in group)
        name = f"{rule_id} {target}"
        if live:
            worst = min(live, key=lambda f: f.severity.rank)
            message = "; ".join(dict.fromkeys(f.title for f in live))
            cases.append(
                _Case(
                    classname=rule_id,
                    name=name,
                    seconds=seconds,
                    outcome="failure",
                    message=message,
                    kind=worst.severity.value,
                    text=text,
                )
            )
        else:
            cases.append(
                _Case(
                    classname=rule_id,
                    name=name,
                    seconds=seconds,
                    outcome="skipped",
                    message="suppressed by the baseline",
                    text=text,
                )
            )
        seconds = 0.0  # the check's duration is counted once, on its first testcase
    return cases


def _check_cases(check: CheckResult, findings: list[Finding]) -> list[_Case]:
    seconds = check.duration_ms / 1000
    match check.status:
        case CheckStatus.ERROR:
            status_case = _Case(
                classname=check.id,
                name=check.id,
                seconds=seconds,
                outcome="error",
                message=check.error or "the check errored",
                kind="error",
                text=check.error or "",
            )
            return [status_case, *_finding_cases(check.id, findings, 0.0)]
        case CheckStatus.SKIPPED:
            status_case = _Case(
                classname=check.id,
                name=check.id,
                seconds=seconds,
                outcome="skipped",
                message=check.error or "skipped",
            )
            return [status_case, *_finding_cases(check.id, findings, 0.0)]
        case CheckStatus.PASS | CheckStatus.FAIL:
            if findings:
                return _finding_cases(check.id, findings, seconds)
            if check.status is CheckStatus.FAIL:
                return [
                    _Case(
                        classname=check.id,
                        name=check.id,
                        seconds=seconds,
                        outcome="failure",
                        message="the check failed without a finding",
                        kind="fail",
                        text=check.error or "",
                    )
                ]
            return [_Case(classname=check.id, name=check.id, seconds=seconds, outcome="pass")]
        case _:
            assert_never(check.status)


def _cases(report: Report) -> list[_Case]:
    by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    cases: list[_Case] = []
    for check in report.checks:
        cases += _check_cases(check, by_rule.pop(check.id, []))
    # Findings whose rule ID has no check result of its own still become testcases.
    for rule_id, findings in by_rule.items():
        cases += _finding_cases(rule_id, findings, 0.0)
    return cases


def report_to_xml(report: Report) -> ET.Element:
    """The report as a ``<testsuites>`` element holding one ``<testsuite>``."""
    cases = _cases(report)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(c.outcome == "failure" for c in cases)),
        "errors": str(sum(c.outcome == "error" for c in cases)),
        "skipped": str(sum(c.outcome == "skipped" for c in cases)),
    }
    seconds = f"{(report.finished_at - report.started_at).total_seconds():.3f}"
    root = ET.Element("testsuites", {"name": TOOL_NAME, **counts, "time": seconds})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": xml_text(report.title),
            **counts,
            "time": seconds,
            "timestamp": iso_utc(report.started_at),
        },
    )
    properties = ET.SubElement(suite, "properties")
    coverage = report.coverage
    for name, value in (("tool.version", report.tool_version), ("score", str(report.score)),
                        ("complete", str(report.complete).lower()),
                        ("coverage.ran", str(coverage.ran)),
                        ("coverage.errored", str(coverage.errored)),
                        ("coverage.skipped", str(coverage.skipped))):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    for case in cases:
        element = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": xml_text(case.classname),
                "name": xml_text(case.name),
                "time": f"{case.seconds:.3f}",
            },
        )
        if case.outcome == "pass":
            continue
        attributes = {"message": xml_text(case.message)}
        if case.kind:
            attributes["type"] = xml_text(case.kind)
        child = ET.SubElement(element, case.outcome, attributes)
        if case.text:
            child.text = xml_text(case.text)
    return root


def render(report: Report) -> str:
    """The report as JUnit XML text with an XML declaration, ending in a newline."""
    root = report_to_xml(report)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
