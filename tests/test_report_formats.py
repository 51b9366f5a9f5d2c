"""Report renderers: every format is deterministic, matches its golden file and keeps its contract.

Golden files live in ``tests/golden/``; regenerate them with ``LAUNCHREADY_REGEN_GOLDEN=1``
after a deliberate change, and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from launchready.model import (
    CheckResult,
    CheckStatus,
    Finding,
    FixWindow,
    Report,
    Severity,
    Stage,
    fingerprint_of,
)
from launchready.report import Format, html, json_out, junit, markdown, render, sarif, terminal
from reportfactory import (
    ATTRIBUTE_PAYLOAD,
    JAVASCRIPT_URL,
    SCRIPT_PAYLOAD,
    empty_report,
    sample_report,
)

GOLDEN = Path(__file__).parent / "golden"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
GOLDEN_NAMES = {
    Format.TERMINAL: "report.txt",
    Format.MD: "report.md",
    Format.HTML: "report.html",
    Format.JSON: "report.json",
    Format.SARIF: "report.sarif",
    Format.JUNIT: "report.junit.xml",
    Format.CODECLIMATE: "report.codeclimate.json",
}

TOP_KEYS = [
    "schema_version",
    "tool",
    "started_at",
    "finished_at",
    "score",
    "complete",
    "coverage",
    "summary",
    "checks",
    "findings",
    "measurements",
    "tables",
    "notes",
]
FINDING_KEYS = {
    "rule_id",
    "title",
    "severity",
    "stage",
    "target",
    "evidence",
    "impact",
    "fix",
    "fix_window",
    "effort_minutes",
    "fingerprint",
    "suppressed",
    "references",
}
CHECK_KEYS = {"id", "status", "duration_ms", "error", "reason", "trace"}
MEASUREMENT_KEYS = {
    "check",
    "target",
    "requests",
    "errors",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "rps",
    "model",
}
SUMMARY_KEYS = {"critical", "high", "medium", "low", "info", "suppressed"}


def _hostile_finding(evidence: str, *, target: str = "https://app.acme.example/") -> Finding:
    return Finding(
        rule_id="WEB007",
        title="Stack trace leaked on an error page",
        severity=Severity.HIGH,
        stage=Stage.DEPLOY,
        target=target,
        evidence=evidence,
        impact="impact",
        fix="fix",
        fix_window=FixWindow.H48,
        effort_minutes=5,
        fingerprint=fingerprint_of("WEB007", target, evidence),
    )


def _with_findings(*findings: Finding) -> Report:
    return replace(
        empty_report(),
        findings=findings,
        checks=(CheckResult(id="WEB007", status=CheckStatus.FAIL, duration_ms=1),),
    )


# --- every format ---------------------------------------------------------------------------


def test_format_values_are_the_cli_names() -> None:
    assert [f.value for f in Format] == ["terminal", "md", "html", "json", "sarif", "junit",
                                         "codeclimate"]


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_rendering_is_deterministic(fmt: Format) -> None:
    # Given two separately built but equal reports, when rendered, then the text is identical.
    assert render(sample_report(), fmt) == render(sample_report(), fmt)


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_output_matches_golden_file(fmt: Format) -> None:
    rendered = render(sample_report(), fmt)
    path = GOLDEN / GOLDEN_NAMES[fmt]
    if os.environ.get("LAUNCHREADY_REGEN_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8", newline="")
    assert path.exists(), f"missing {path}; run with LAUNCHREADY_REGEN_GOLDEN=1 to create it"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{fmt} output changed; if intended, regenerate with LAUNCHREADY_REGEN_GOLDEN=1"
    )


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_empty_report_renders(fmt: Format) -> None:
    assert render(empty_report(), fmt).strip()


@pytest.mark.parametrize(
    ("fmt", "direct"),
    [
        (Format.MD, markdown.render),
        (Format.HTML, html.render),
        (Format.JSON, json_out.render),
        (Format.SARIF, sarif.render),
        (Format.JUNIT, junit.render),
    ],
    ids=["md", "html", "json", "sarif", "junit"],
)
def test_render_dispatches_to_the_format_module(fmt: Format, direct: object) -> None:
    assert callable(direct)
    assert render(sample_report(), fmt) == direct(sample_report())


# --- JSON -----------------------------------------------------------------------------------


def test_json_has_exactly_the_spec_keys() -> None:
    data = json.loads(render(sample_report(), Format.JSON))
    assert list(data) == TOP_KEYS
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "launchready", "version": "0.1.0"}
    assert set(data["summary"]) == SUMMARY_KEYS
    assert all(set(c) == CHECK_KEYS for c in data["checks"])
    assert all(set(m) == MEASUREMENT_KEYS for m in data["measurements"])
    for finding in data["findings"]:
        if finding["rule_id"] == "SEC001":
            assert set(finding) == FINDING_KEYS | {"location"}
            assert finding["location"] == {"path": "src/config.ts", "line": 12, "column": 18}
        else:
            assert set(finding) == FINDING_KEYS


def test_json_values_follow_the_report() -> None:
    report = sample_report()
    data = json.loads(render(report, Format.JSON))
    assert data["started_at"] == "2025-06-02T09:30:00Z"
    assert data["finished_at"] == "2025-06-02T09:30:42Z"
    assert data["score"] == 38
    assert data["summary"] == {
        "critical": 2,
        "high": 4,
        "medium": 4,
        "low": 3,
        "info": 2,
        "suppressed": 1,
    }
    assert [f["fingerprint"] for f in data["findings"]] == [f.fingerprint for f in report.findings]
    first = data["findings"][0]
    assert first["severity"] == "critical"
    assert first["stage"] == "dns-email"
    assert first["fix_window"] == "48h"
    assert isinstance(first["references"], list)
    assert [f["rule_id"] for f in data["findings"] if f["suppressed"]] == ["SEC002"]
    errored = [c for c in data["checks"] if c["status"] == "error"]
    assert errored == [
        {
            "id": "DB001",
            "status": "error",
            "duration_ms": 10_000,
            "error": "could not connect to db.internal:5432 (connection refused)",
            "reason": "connectivity",
            "trace": None,
        }
    ]
    assert data["checks"][0]["error"] is None
    assert data["measurements"][0] == {
        "check": "PERF001",
        "target": "projects list",
        "requests": 200,
        "errors": 0,
        "p50_ms": 41.2,
        "p95_ms": 88.0,
        "p99_ms": 131.5,
        "max_ms": 140.1,
        "rps": 95.3,
        "model": "closed",
    }
    assert data["tables"][0]["columns"] == ["from", "status", "location", "hsts"]
    assert data["notes"] == list(report.notes)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 6, 2, 11, 30, tzinfo=timezone(timedelta(hours=2))), "2025-06-02T09:30:00Z"),
        (datetime(2025, 6, 2, 9, 30), "2025-06-02T09:30:00Z"),  # naive means UTC
        (datetime(2025, 6, 2, 9, 30, 0, 250_000, tzinfo=UTC), "2025-06-02T09:30:00.250Z"),
    ],
    ids=["offset", "naive", "milliseconds"],
)
def test_json_times_are_utc_with_z(moment: datetime, expected: str) -> None:
    assert json_out.iso_utc(moment) == expected


def test_json_writes_null_for_non_finite_numbers() -> None:
    report = sample_report()
    broken = replace(report.measurements[0], p99_ms=float("nan"), max_ms=float("inf"))
    data = json.loads(render(replace(report, measurements=(broken,)), Format.JSON))
    assert data["measurements"][0]["p99_ms"] is None
    assert data["measurements"][0]["max_ms"] is None


# --- SARIF ----------------------------------------------------------------------------------


def _sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("factory", [sample_report, empty_report], ids=["sample", "empty"])
def test_sarif_validates_against_the_official_schema(factory: object) -> None:
    assert callable(factory)
    log = json.loads(render(factory(), Format.SARIF))
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_schema_file_is_the_official_one() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert len(schema["definitions"]) == 52


def test_sarif_rules_and_results() -> None:
    report = sample_report()
    log = json.loads(render(report, Format.SARIF))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "launchready"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == list(dict.fromkeys(f.rule_id for f in report.findings))
    rules = {r["id"]: r for r in driver["rules"]}
    assert rules["MAIL009"]["helpUri"] == "https://www.rfc-editor.org/rfc/rfc7489"
    assert rules["MAIL009"]["shortDescription"] == {"text": "No DMARC record"}
    assert rules["DNS003"]["defaultConfiguration"] == {"level": "error"}
    assert "helpUri" not in rules["DNS003"]
    results = run["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings, strict=True):
        assert result["ruleId"] == finding.rule_id
        assert driver["rules"][result["ruleIndex"]]["id"] == finding.rule_id
        assert result["partialFingerprints"] == {"launchready/v1": finding.fingerprint}
        assert result["message"]["text"] == f"{finding.title}: {finding.evidence}"
        assert ("suppressions" in result) is finding.suppressed
    suppressed = next(r for r in results if r["ruleId"] == "SEC002")
    assert suppressed["suppressions"][0]["kind"] == "external"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
    ids=str,
)
def test_sarif_level_follows_severity(severity: Severity, level: str) -> None:
    assert sarif.level_of(severity) == level
    finding = replace(_hostile_finding("x"), severity=severity)
    log = json.loads(render(_with_findings(finding), Format.SARIF))
    assert log["runs"][0]["results"][0]["level"] == level


def test_sarif_locations() -> None:
    log = json.loads(render(sample_report(), Format.SARIF))
    results = {(r["ruleId"], r["properties"]["target"]): r for r in log["runs"][0]["results"]}
    # A repository finding carries file, line and column.
    (repo,) = results["SEC001", "src/config.ts:12"]["locations"]
    assert repo["physicalLocation"] == {
        "artifactLocation": {"uri": "src/config.ts", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 18},
    }
    # A URL finding points at the URL.
    (url,) = results["TLS006", "https://app.acme.example/"]["locations"]
    assert url["physicalLocation"]["artifactLocation"]["uri"] == "https://app.acme.example/"
    # A DNS name and a javascript: URL are logical locations, never artifact URIs.
    (dns,) = results["DNS003", "status.acme.example CNAME"]["locations"]
    assert dns == {"logicalLocations": [{"name": "status.acme.example CNAME", "kind": "resource"}]}
    (script,) = results["WEB002", JAVASCRIPT_URL]["locations"]
    assert "physicalLocation" not in script


# The schema marks these as "uri"/"uri-reference"/"date-time", but jsonschema only checks those
# formats when optional packages are installed, so check the characters and shapes directly.
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _walk(node: object, key: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
    else:
        yield key, node


def test_sarif_uris_and_times_are_well_formed() -> None:
    hostile = _hostile_finding("x", target='https://app.acme.example/a"<b>{c}')
    for report in (sample_report(), _with_findings(hostile)):
        log = json.loads(render(report, Format.SARIF))
        values = list(_walk(log))
        uris = [v for k, v in values if k in {"uri", "helpUri", "informationUri", "$schema"}]
        assert uris
        assert all(isinstance(u, str) and _URI_CHARS.match(u) for u in uris), uris
        times = [v for k, v in values if k.endswith("TimeUtc")]
        assert times
        assert all(isinstance(t, str) and _DATE_TIME.match(t) for t in times), times
    (result,) = json.loads(render(_with_findings(hostile), Format.SARIF))["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "https://app.acme.example/a%22%3Cb%3E%7Bc%7D"


def test_sarif_reports_errored_checks_as_notifications() -> None:
    log = json.loads(render(sample_report(), Format.SARIF))
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["startTimeUtc"] == "2025-06-02T09:30:00Z"
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"] == {"id": "DB001"}
    assert "connection refused" in note["message"]["text"]


# --- JUnit ----------------------------------------------------------------------------------


def _junit(report: Report) -> ET.Element:
    return ET.fromstring(render(report, Format.JUNIT))  # noqa: S314 - our own output


def _outcome(case: ET.Element) -> str:
    children = [child.tag for child in case]
    assert len(children) <= 1
    return children[0] if children else "pass"


def test_junit_has_one_suite_with_the_expected_testcases() -> None:
    root = _junit(sample_report())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {(c.get("classname"), c.get("name")): _outcome(c) for c in suite.iter("testcase")}
    assert cases == {
        ("DNS003", "DNS003 status.acme.example CNAME"): "failure",
        ("SEC003", "SEC003 https://app.acme.example/static/js/main.4f2a9c.js"): "failure",
        ("MAIL009", "MAIL009 _dmarc.acme.example TXT"): "failure",
        ("WEB002", f"WEB002 {JAVASCRIPT_URL}"): "failure",
        ("WEB007", "WEB007 https://app.acme.example/api/reports/revenue?month=13"): "failure",
        ("SEC001", "SEC001 src/config.ts:12"): "failure",
        ("TLS006", "TLS006 https://app.acme.example/"): "failure",
        ("WEB008", "WEB008 https://app.acme.example/api/login"): "failure",
        ("PERF002", "PERF002 revenue report"): "failure",
        ("SEC007", "SEC007 logs/app.log"): "failure",
        # Two WEB004 findings on one target are one testcase.
        ("WEB004", "WEB004 https://app.acme.example/"): "failure",
        ("DNS005", "DNS005 acme.example CAA"): "failure",
        ("MAIL014", "MAIL014 mail.acme.example"): "failure",
        ("MAIL014", "MAIL014 acme.example"): "failure",
        ("SEC002", "SEC002 commit 3f2c1e9:.env"): "skipped",  # suppressed by the baseline
        ("TLS001", "TLS001"): "pass",
        ("TLS002", "TLS002"): "pass",
        ("PERF001", "PERF001"): "pass",
        ("MAIL001", "MAIL001"): "pass",
        ("DB001", "DB001"): "error",
        ("SMOKE001", "SMOKE001"): "skipped",
    }
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == "14"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "2"


def test_junit_failure_carries_severity_and_finding_text() -> None:
    suite = _junit(sample_report()).find("testsuite")
    assert suite is not None
    by_name = {c.get("name"): c for c in suite.iter("testcase")}
    failure = by_name["WEB004 https://app.acme.example/"].find("failure")
    assert failure is not None
    assert failure.get("type") == "low"
    assert failure.get("message") == "Missing Referrer-Policy; Missing Content-Security-Policy"
    assert "Send Referrer-Policy" in (failure.text or "")
    critical = by_name["DNS003 status.acme.example CNAME"].find("failure")
    assert critical is not None
    assert critical.get("type") == "critical"
    error = by_name["DB001"].find("error")
    assert error is not None
    assert "connection refused" in (error.get("message") or "")
    skipped = by_name["SMOKE001"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no [smoke] section in the config"


def test_junit_survives_characters_xml_cannot_carry() -> None:
    report = _with_findings(_hostile_finding("NUL \x00 ESC \x1b[2J VT \x0b end"))
    text = render(report, Format.JUNIT)
    failure = ET.fromstring(text).find(".//failure")  # noqa: S314 - our own output
    assert failure is not None
    assert "NUL \\x00 ESC \\x1b[2J VT \\x0b end" in (failure.text or "")


# --- terminal -------------------------------------------------------------------------------


def test_terminal_puts_the_plan_first_and_groups_by_severity() -> None:
    out = render(sample_report(), Format.TERMINAL)
    plan, risks = out.index("48-hour plan"), out.index("Risk list")
    assert plan < risks
    positions = [out.index(f" {s.value.upper()}  ", risks) for s in Severity]
    assert positions == sorted(positions)
    # an incomplete run says so before the plan, with the checks that could not run
    notice = out.index("incomplete: 1 check could not run")
    assert notice < plan and out.index("could not connect") < plan
    for needle in (
        "Score 38/100",
        "DNS003",
        "src/config.ts:12:18",
        "could not connect",
        SCRIPT_PAYLOAD,
        ATTRIBUTE_PAYLOAD,
        "Redirect matrix",
    ):
        assert needle in out


def test_terminal_colour_only_when_asked() -> None:
    plain = render(sample_report(), Format.TERMINAL)
    assert "\x1b[" not in plain
    assert "\x1b[" in render(sample_report(), Format.TERMINAL, color=True)


def test_terminal_width_is_respected() -> None:
    out = render(sample_report(), Format.TERMINAL, width=72)
    assert max(len(line) for line in out.splitlines()) <= 72


def test_terminal_neutralises_escape_sequences_and_markup() -> None:
    report = _with_findings(_hostile_finding("\x1b]0;owned\x07 \x1b[2J [bold red]x[/] [/]"))
    out = terminal.render(report, color=True)
    assert "\x1b]0;" not in out
    assert "\x1b[2J" not in out
    assert "\\x1b]0;owned\\x07" in out
    assert "[bold red]x[/] [/]" in out


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_structure() -> None:
    out = render(sample_report(), Format.MD)
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## 48-hour plan", "## Risk list"]
    assert "### Critical (2)" in out
    assert "<https://www.rfc-editor.org/rfc/rfc7489>" in out
    assert "| Check | Target | Requests |" in out


def test_markdown_escapes_hostile_values() -> None:
    out = render(sample_report(), Format.MD)
    outside_code = re.sub(r"(?ms)^ *(`{3,})text\n.*?^ *\1$", "", out)
    assert not re.search(r"(?<!\\)<(script|img)", outside_code)  # no unescaped tag
    assert "\\<script\\>" in outside_code  # the note, escaped
    assert f"<{JAVASCRIPT_URL}>" not in out
    assert f"]({JAVASCRIPT_URL})" not in out
    assert '"\\>\\<img src=x onerror=alert(1)\\>' in out  # the redirect-matrix cell


def test_markdown_code_block_outlasts_backticks_in_evidence() -> None:
    out = markdown.render(_with_findings(_hostile_finding("```\n# not a heading\n````")))
    assert "  `````text" in out
    assert "  # not a heading" in out


# --- HTML (static checks; the browser test opens the page for real) --------------------------


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_html_is_self_contained_and_locked_down() -> None:
    out = render(sample_report(), Format.HTML)
    parser = _TagCollector()
    parser.feed(out)
    metas = [attrs for tag, attrs in parser.tags if tag == "meta"]
    assert {"http-equiv": "Content-Security-Policy", "content": html.CSP} in metas
    assert html.CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base", "form"}
    attributes = {name for _, attrs in parser.tags for name in attrs}
    assert not {a for a in attributes if a.startswith("on")}
    assert not attributes & {"src", "srcset", "action", "formaction", "background"}
    hrefs = [attrs["href"] or "" for tag, attrs in parser.tags if "href" in attrs]
    assert hrefs
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs)
    css = "".join(parser.styles).lower()
    assert "url(" not in css
    assert "@import" not in css


def test_html_escapes_every_hostile_value() -> None:
    out = render(sample_report(), Format.HTML)
    assert SCRIPT_PAYLOAD not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<img src=x onerror" not in out
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in out
    assert f'href="{JAVASCRIPT_URL}"' not in out
    assert f"<code>{JAVASCRIPT_URL}</code>" in out


def test_html_orders_plan_risks_data_then_checks() -> None:
    out = render(sample_report(), Format.HTML)
    order = [
        out.index(marker)
        for marker in (
            'id="plan"',
            'id="risks"',
            'id="measurements"',
            "Redirect matrix",
            'id="checks"',
        )
    ]
    assert order == sorted(order)
    assert out.count("<details") == 1 + 4  # suppressed findings + error/skipped/pass/fail


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://app.acme.example/", True),
        ("http://acme.example/x?y=1", True),
        (JAVASCRIPT_URL, False),
        ("JAVASCRIPT:alert(1)", False),
        (" https://x.example/", False),
        ("data:text/html,<b>x</b>", False),
        ('https://x.example/" onmouseover="x', False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/", False),
    ],
    ids=[
        "https",
        "http",
        "javascript",
        "upper-javascript",
        "leading-space",
        "data",
        "quote",
        "vbscript",
        "scheme-relative",
    ],
)
def test_html_links_only_http_urls(url: str, linked: bool) -> None:
    assert (html.safe_href(url) is not None) is linked
