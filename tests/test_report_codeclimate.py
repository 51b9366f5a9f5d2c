"""The Code Climate renderer (GitLab code quality), against GitLab's parser schema and the
Code Climate specification's rules."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from launchready.model import Severity, Stage
from launchready.report import Format, render
from launchready.report.codeclimate import CONFIG_PATH, categories_of, severity_of
from reportfactory import empty_report, sample_report

DATA = Path(__file__).parent / "data" / "codeclimate"
ISSUES_SCHEMA = json.loads((DATA / "codeclimate-issues.schema.json").read_text())
GITLAB_SCHEMA = json.loads((DATA / "gitlab-codeclimate.json").read_text())


def issues() -> list[dict]:
    text = render(sample_report(), Format.CODECLIMATE)
    assert not text.startswith("\ufeff")  # GitLab's parser refuses a byte order mark
    return json.loads(text)


def test_valid_against_the_spec_schema_and_gitlabs_parser_schema() -> None:
    out = issues()
    jsonschema.Draft7Validator.check_schema(ISSUES_SCHEMA)
    jsonschema.validate(out, ISSUES_SCHEMA)
    for issue in out:
        jsonschema.validate(issue, GITLAB_SCHEMA)


def test_the_schema_rejects_what_gitlab_cannot_read() -> None:
    good = issues()[0]
    bad_cases = [
        {**good, "severity": "high"},
        {**good, "description": "two\nlines"},
        {**good, "location": {"path": "/abs/path.py", "lines": {"begin": 1}}},
        {**good, "location": {"path": "a.py"}},
        {**good, "categories": []},
        {k: v for k, v in good.items() if k != "fingerprint"},
    ]
    for bad in bad_cases:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([bad], ISSUES_SCHEMA)


def test_one_issue_per_open_finding_with_stable_unique_fingerprints() -> None:
    report = sample_report()
    out = issues()
    assert [i["fingerprint"] for i in out] == [f.fingerprint for f in report.unsuppressed]
    assert len({i["fingerprint"] for i in out}) == len(out)
    assert all(not f.suppressed for f in report.unsuppressed)
    assert len(out) < len(report.findings)  # the suppressed one is left out
    assert json.loads(render(empty_report(), Format.CODECLIMATE)) == []


def test_locations_point_at_files_or_the_config() -> None:
    report = sample_report()
    out = {i["fingerprint"]: i for i in issues()}
    for finding in report.unsuppressed:
        loc = out[finding.fingerprint]["location"]
        if finding.location is None:
            assert loc == {"path": CONFIG_PATH, "lines": {"begin": 1}}
            assert finding.target.split()[0] in out[finding.fingerprint]["description"]
        else:
            assert loc["path"] == finding.location.path
            begin = loc.get("lines", {}).get("begin") or loc["positions"]["begin"]["line"]
            assert begin == (finding.location.line or 1)
    assert any(f.location is not None for f in report.unsuppressed)


@pytest.mark.parametrize(("severity", "expected"), [
    (Severity.CRITICAL, "blocker"), (Severity.HIGH, "critical"), (Severity.MEDIUM, "major"),
    (Severity.LOW, "minor"), (Severity.INFO, "info")], ids=str)
def test_severity_keeps_five_levels(severity: Severity, expected: str) -> None:
    assert severity_of(severity) == expected


def test_every_stage_has_a_spec_category() -> None:
    allowed = set(ISSUES_SCHEMA["definitions"]["issue"]["properties"]["categories"]["items"]
                  ["enum"])
    for stage in Stage:
        assert set(categories_of(stage)) <= allowed


def test_cli_writes_it(tmp_path: Path) -> None:
    from launchready.cli import main

    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "config.py").write_text("KEY = '" + "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
                                    + "Qx81Zm'\n")
    out = tmp_path / "gl-code-quality-report.json"
    code = main(["secrets", str(repo), "-q", "--format", "codeclimate", "-o", str(out)])
    assert code == 1
    [issue] = json.loads(out.read_text())
    assert issue["check_name"] == "SEC001" and issue["severity"] == "blocker"
    assert issue["location"]["path"] == "config.py"
    jsonschema.validate([issue], ISSUES_SCHEMA)
    # the rule's name is said once: "<check title>: <rule>: <masked value>"
    assert issue["description"].startswith("Secret in a tracked file: Stripe")
    assert issue["description"].count("Stripe live secret") == 1
    assert "4eC39Hq" not in out.read_text()
