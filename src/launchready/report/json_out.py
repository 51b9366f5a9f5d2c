"""JSON report: exactly the SPEC §4 shape, which CI scripts and other tools parse.

Keys come out in the order SPEC §4 lists them, with ``tables`` and ``notes`` appended as extra
keys. Output is deterministic: the same report always gives the same bytes.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TypeAlias

from launchready.model import CheckResult, Finding, Location, Measurement, Report, Table

TOOL_NAME = "launchready"
SCHEMA_VERSION = 1

JSONObject: TypeAlias = dict[str, object]


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; a naive datetime is taken to be UTC already."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds") + "Z"


def finite(value: float) -> float | None:
    """The number itself, or None for NaN/infinity (which JSON cannot carry)."""
    return value if math.isfinite(value) else None


def location_to_dict(location: Location) -> JSONObject:
    """A finding's file location: path, line and column (line/column may be null)."""
    return {"path": location.path, "line": location.line, "column": location.column}


def finding_to_dict(finding: Finding) -> JSONObject:
    """One finding with every SPEC §4 field; ``location`` only when the finding has one."""
    out: JSONObject = {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "severity": finding.severity.value,
        "stage": finding.stage.value,
        "target": finding.target,
        "evidence": finding.evidence,
        "impact": finding.impact,
        "fix": finding.fix,
        "fix_window": finding.fix_window.value,
        "effort_minutes": finding.effort_minutes,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "references": list(finding.references),
    }
    if finding.location is not None:
        out["location"] = location_to_dict(finding.location)
    return out


def check_to_dict(check: CheckResult) -> JSONObject:
    """One check's outcome: id, status, duration and the error, its reason and (for a bug)
    the trace; the last three are null unless it errored."""
    return {
        "id": check.id,
        "status": check.status.value,
        "duration_ms": check.duration_ms,
        "error": check.error,
        "reason": check.reason.value if check.reason else None,
        "trace": check.trace,
    }


def measurement_to_dict(measurement: Measurement) -> JSONObject:
    """The numbers behind one timing check."""
    return {
        "check": measurement.check,
        "target": measurement.target,
        "requests": measurement.requests,
        "errors": measurement.errors,
        "p50_ms": finite(measurement.p50_ms),
        "p95_ms": finite(measurement.p95_ms),
        "p99_ms": finite(measurement.p99_ms),
        "max_ms": finite(measurement.max_ms),
        "rps": finite(measurement.rps),
        "model": measurement.model,
    }


def table_to_dict(table: Table) -> JSONObject:
    """A table of facts: title, column names and rows of strings."""
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": [list(row) for row in table.rows],
    }


def report_to_dict(report: Report) -> JSONObject:
    """The whole report as the SPEC §4 JSON object."""
    summary = report.summary
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.tool_version},
        "started_at": iso_utc(report.started_at),
        "finished_at": iso_utc(report.finished_at),
        "score": report.score,
        "complete": report.complete,
        "coverage": {
            "ran": report.coverage.ran,
            "errored": report.coverage.errored,
            "skipped": report.coverage.skipped,
        },
        "summary": {
            "critical": summary.critical,
            "high": summary.high,
            "medium": summary.medium,
            "low": summary.low,
            "info": summary.info,
            "suppressed": summary.suppressed,
        },
        "checks": [check_to_dict(c) for c in report.checks],
        "findings": [finding_to_dict(f) for f in report.findings],
        "measurements": [measurement_to_dict(m) for m in report.measurements],
        "tables": [table_to_dict(t) for t in report.tables],
        "notes": list(report.notes),
    }


def render(report: Report) -> str:
    """The report as indented JSON text ending in a newline."""
    return json.dumps(report_to_dict(report), indent=2, sort_keys=False) + "\n"
