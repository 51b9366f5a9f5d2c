"""SARIF 2.1.0 report, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One run; one rule per rule ID present; one result per finding. Repository findings carry a
physical location (file, line, column) so they annotate the source; URL findings point at the
URL; anything else (a DNS name, a record) becomes a logical location. Errored checks are
reported as tool execution notifications, suppressed findings as external suppressions.
"""

from __future__ import annotations

import json
import re
from typing import assert_never
from urllib.parse import quote

from launchready.model import CheckStatus, Finding, Location, Report, Severity
from launchready.report.json_out import TOOL_NAME, JSONObject, iso_utc

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/launchready/"
FINGERPRINT_KEY = "launchready/v1"
SRCROOT = "%SRCROOT%"

_HTTP_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
# Characters a URI may carry as they are (RFC 3986 reserved + unreserved, and "%" so existing
# percent-escapes survive); anything else is percent-encoded.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def level_of(severity: Severity) -> str:
    """SARIF level for a severity: critical/high are errors, medium warnings, the rest notes."""
    match severity:
        case Severity.CRITICAL | Severity.HIGH:
            return "error"
        case Severity.MEDIUM:
            return "warning"
        case Severity.LOW | Severity.INFO:
            return "note"
        case _:
            assert_never(severity)


def security_severity_of(severity: Severity) -> str:
    """The 0-10 score GitHub code scanning reads from ``properties.security-severity``."""
    match severity:
        case Severity.CRITICAL:
            return "9.5"
        case Severity.HIGH:
            return "8.0"
        case Severity.MEDIUM:
            return "5.5"
        case Severity.LOW:
            return "3.0"
        case Severity.INFO:
            return "0.0"
        case _:
            assert_never(severity)


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL without whitespace."""
    return _HTTP_URL.match(value) is not None


def _uri(value: str) -> str:
    return quote(value.replace("\\", "/"), safe=_URI_SAFE)


def _rules(findings: tuple[Finding, ...]) -> tuple[list[JSONObject], dict[str, int]]:
    """One reportingDescriptor per rule ID, in order of first appearance in the ranked list."""
    first: dict[str, Finding] = {}
    worst: dict[str, Severity] = {}
    for finding in findings:
        first.setdefault(finding.rule_id, finding)
        current = worst.get(finding.rule_id)
        if current is None or finding.severity.rank < current.rank:
            worst[finding.rule_id] = finding.severity
    rules: list[JSONObject] = []
    index: dict[str, int] = {}
    for rule_id, finding in first.items():
        severity = worst[rule_id]
        rule: JSONObject = {
            "id": rule_id,
            "shortDescription": {"text": finding.title},
            "defaultConfiguration": {"level": level_of(severity)},
            "properties": {
                "tags": ["security", finding.stage.value],
                "security-severity": security_severity_of(severity),
            },
        }
        help_uri = next((r for r in finding.references if is_http_url(r)), None)
        if help_uri is not None:
            rule["helpUri"] = _uri(help_uri)
        index[rule_id] = len(rules)
        rules.append(rule)
    return rules, index


def _file_location(location: Location) -> JSONObject:
    physical: JSONObject = {
        "artifactLocation": {"uri": _uri(location.path), "uriBaseId": SRCROOT},
    }
    if location.line is not None and location.line >= 1:
        region: JSONObject = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            region["startColumn"] = location.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _location(finding: Finding) -> JSONObject:
    if finding.location is not None:
        return _file_location(finding.location)
    if is_http_url(finding.target):
        return {"physicalLocation": {"artifactLocation": {"uri": _uri(finding.target)}}}
    # A DNS name, a record, a log stream, or a URL we will not treat as one (javascript:...).
    return {"logicalLocations": [{"name": finding.target, "kind": "resource"}]}


def _result(finding: Finding, rule_index: int) -> JSONObject:
    text = f"{finding.title}: {finding.evidence}" if finding.evidence else finding.title
    result: JSONObject = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level_of(finding.severity),
        "message": {"text": text},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "stage": finding.stage.value,
            "target": finding.target,
            "impact": finding.impact,
            "fix": finding.fix,
            "fixWindow": finding.fix_window.value,
            "effortMinutes": finding.effort_minutes,
        },
    }
    if finding.suppressed:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": "listed in the baseline"}
        ]
    return result


def report_to_sarif(report: Report) -> JSONObject:
    """The report as a SARIF 2.1.0 log object."""
    rules, index = _rules(report.findings)
    notifications: list[JSONObject] = [
        {
            "level": "error",
            "message": {"text": f"{c.id} could not run: {c.error or 'no reason recorded'}"},
            "descriptor": {"id": c.id},
        }
        for c in report.checks
        if c.status is CheckStatus.ERROR
    ]
    invocation: JSONObject = {
        "executionSuccessful": report.complete,
        "startTimeUtc": iso_utc(report.started_at),
        "endTimeUtc": iso_utc(report.finished_at),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    driver: JSONObject = {
        "name": TOOL_NAME,
        "version": report.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run: JSONObject = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "the scanned repository"}}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id]) for f in report.findings],
        "properties": {"score": report.score},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report) -> str:
    """The report as indented SARIF JSON text ending in a newline."""
    return json.dumps(report_to_sarif(report), indent=2) + "\n"
