"""Code Climate issues JSON: GitLab's code-quality report (``artifacts:reports:codequality``).

One issue per unsuppressed finding, as the Code Climate engine specification defines it
(``type``, ``check_name``, ``description``, ``content``, ``categories``, ``location``,
``severity``, ``fingerprint``). GitLab reads the subset ``description``, ``check_name``,
``fingerprint``, ``severity``, ``location.path`` and ``location.lines.begin``, and compares the
fingerprints with the target branch's report to show what a merge request adds or fixes.

* Severity keeps five levels apart: critical→blocker, high→critical, medium→major,
  low→minor, info→info.
* A repository finding points at its file and line. A finding about a URL, a DNS name or a
  record has no file: it points at ``launchready.toml`` line 1 (the config that names the
  target), and the target is in the description.
* Suppressed findings (in the baseline) are left out: they are accepted, not open.
* A check that could not run is not an issue about the code. It is missing here and shows in
  the exit code (3) and in the other formats.
"""

from __future__ import annotations

import json
from typing import assert_never

from launchready.model import Finding, Report, Severity, Stage
from launchready.report.json_out import JSONObject

#: where a finding without a file location points (the config names its target)
CONFIG_PATH = "launchready.toml"


def severity_of(severity: Severity) -> str:
    """The Code Climate severity for a finding severity."""
    match severity:
        case Severity.CRITICAL:
            return "blocker"
        case Severity.HIGH:
            return "critical"
        case Severity.MEDIUM:
            return "major"
        case Severity.LOW:
            return "minor"
        case Severity.INFO:
            return "info"
        case _:
            assert_never(severity)


def categories_of(stage: Stage) -> list[str]:
    """Code Climate categories (its fixed list) for a finding's stage."""
    match stage:
        case Stage.PERFORMANCE:
            return ["Performance"]
        case Stage.RELIABILITY:
            return ["Bug Risk"]
        case Stage.AUDIT | Stage.DNS_EMAIL | Stage.DEPLOY | Stage.HANDOVER:
            return ["Security"]
        case _:
            assert_never(stage)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _location(finding: Finding) -> JSONObject:
    loc = finding.location
    if loc is None:
        return {"path": CONFIG_PATH, "lines": {"begin": 1}}
    path = loc.path.removeprefix("./")
    line = loc.line if loc.line is not None and loc.line >= 1 else 1
    if loc.column is not None and loc.column >= 1:
        return {"path": path, "positions": {"begin": {"line": line, "column": loc.column},
                                            "end": {"line": line, "column": loc.column}}}
    return {"path": path, "lines": {"begin": line, "end": line}}


def _description(finding: Finding) -> str:
    if not finding.evidence:
        return finding.title
    # "Secret in a tracked file: Stripe key" + "Stripe key: sk_live_****" says it once
    head, sep, tail = finding.title.rpartition(": ")
    if sep and finding.evidence.startswith(tail):
        return f"{head}: {finding.evidence}"
    return f"{finding.title}: {finding.evidence}"


def _issue(finding: Finding) -> JSONObject:
    description = _description(finding)
    if finding.location is None:
        description += f" ({finding.target})"
    body = (f"**Impact:** {finding.impact}\n\n**Fix:** {finding.fix}\n\n"
            f"**Target:** {finding.target}")
    if finding.references:
        body += "\n\n" + "\n".join(f"- <{ref}>" for ref in finding.references)
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": _one_line(description),
        "content": {"body": body},
        "categories": categories_of(finding.stage),
        "location": _location(finding),
        "severity": severity_of(finding.severity),
        "fingerprint": finding.fingerprint,
    }


def render(report: Report) -> str:
    """The report's open findings as a Code Climate issues array (JSON text, no BOM)."""
    return json.dumps([_issue(f) for f in report.unsuppressed], indent=2) + "\n"
