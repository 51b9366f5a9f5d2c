"""Honest verdicts: a run that checked nothing, or could not run a check, is never clean.

Through the real CLI: a target that does not exist is a usage error (exit 2) before any work;
a run where every check was skipped is exit 2 and says nothing was checked; a check that could
not run makes the run incomplete (exit 3, ``complete: false``) and every renderer leads with
"incomplete: N checks could not run"; "nothing has to be fixed" is said only of complete runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from launchready.model import (
    CheckResult,
    CheckStatus,
    Finding,
    FixWindow,
    Report,
    Severity,
    Stage,
    Summary,
    fingerprint_of,
)
from launchready.output import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, exit_code
from launchready.report import Format, render
from launchready.report.verdict import plural


def finding(rule_id: str, target: str, severity: Severity) -> Finding:
    return Finding(rule_id=rule_id, title="t", severity=severity, stage=Stage.AUDIT,
                   target=target, evidence="e", impact="i", fix="f", fix_window=FixWindow.H48,
                   effort_minutes=15, fingerprint=fingerprint_of(rule_id, target, ""))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- targets that do not exist: exit 2 before any work -------------------------------------


@pytest.mark.parametrize(("args", "needle"), [
    (("secrets", "does-not-exist"), "does-not-exist does not exist"),
    (("logs", "missing.log"), "missing.log does not exist"),
    (("logs", "nothing-*.log"), "matches no file"),
    (("web", "https://localhost:99999/"), "Port out of range"),
    (("web", "https://[::1"), "not a valid URL"),
    (("web", "ftp://example.com/"), "not an http(s) URL"),
], ids=["secrets-missing", "logs-missing", "logs-glob-empty", "web-port", "web-ipv6",
        "web-scheme"])
def test_a_target_that_does_not_exist_is_a_usage_error(
        tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE, proc.stdout + proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert "100/100" not in proc.stdout and "nothing has to be fixed" not in proc.stdout.lower()


def test_secrets_on_a_fifo_is_a_usage_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    proc = run("secrets", "pipe", cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE
    assert "is not a regular file or a directory" in proc.stderr


def test_a_run_where_every_check_was_skipped_checked_nothing(tmp_path: Path) -> None:
    # Given a config with no domain, When `dns` runs, Then no DNS check can run
    (tmp_path / "launchready.toml").write_text('[app]\nname = "No domain"\n', encoding="utf-8")
    proc = run("dns", "--no-color", cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE, proc.stdout
    assert "nothing was checked" in proc.stdout
    assert "–/100" in proc.stdout and "100/100" not in proc.stdout
    assert "Nothing has to be fixed" not in proc.stdout
    assert "no [app] domain to check: DNS002" in proc.stdout  # skipped once, with its reason
    assert proc.stdout.count("DNS002") == 1


def test_empty_directory_scans_nothing_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = run("secrets", "empty", "--format", "json", cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE
    data = json.loads(proc.stdout)
    assert data["complete"] is False and data["coverage"]["ran"] == 0


# --- history not requested is skipped, not passed -----------------------------------------


def test_history_not_requested_is_skipped_not_passed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hello')\n", encoding="utf-8")
    proc = run("secrets", "app.py", "--format", "json", cwd=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stderr
    data = json.loads(proc.stdout)
    checks = {c["id"]: c for c in data["checks"]}
    assert checks["SEC002"]["status"] == "skipped"
    assert checks["SEC002"]["error"] == "history not requested"
    assert checks["SEC001"]["status"] == "pass"
    assert data["complete"] is True
    assert data["coverage"] == {"ran": 2, "errored": 0, "skipped": 1}


# --- an unreachable target: incomplete, exit 3, never a green ring ------------------------


def test_unreachable_site_is_incomplete_in_every_format(tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{closed_port()}/"
    proc = run("web", url, "--no-color", "--timeout", "2", "--format", "terminal",
               "--format", "html", "--format", "json", "--format", "md",
               "-o", "-", "-o", "r.html", "-o", "r.json", "-o", "r.md", cwd=tmp_path)
    assert proc.returncode == EXIT_INCOMPLETE, proc.stdout + proc.stderr
    head = proc.stdout.split("48-hour plan")[0]
    assert "incomplete:" in head and "could not run" in head
    assert "100/100" not in proc.stdout  # no check ran to a verdict: no number to show
    assert "Nothing has to be fixed" not in proc.stdout
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["complete"] is False
    assert data["coverage"]["errored"] >= 10 and data["coverage"]["ran"] == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="incomplete"' in html and html.index('id="incomplete"') < html.index('id="plan"')
    assert "#2b8a3e" not in html.split("</svg>")[0]  # the score ring is not green
    assert "Nothing has to be fixed" not in html
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert md.index("incomplete:") < md.index("## 48-hour plan")


# --- the exit-code rule (pure) -------------------------------------------------------------

_T = datetime(2025, 1, 1, tzinfo=UTC)


def _report(statuses: list[CheckStatus], severities: list[Severity]) -> Report:
    findings = tuple(finding("TLS002", f"t{n}", s)
                     for n, s in enumerate(severities))
    checks = tuple(CheckResult(id=f"TLS{n:03}", status=s, duration_ms=1, error="x")
                   for n, s in enumerate(statuses))
    return Report(tool_version="t", started_at=_T, finished_at=_T, score=100,
                  summary=Summary(), checks=checks, findings=findings)


_P, _F, _E, _S = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.ERROR, CheckStatus.SKIPPED


@pytest.mark.parametrize(("statuses", "severities", "fail_on", "code"), [
    ([_P, _S], [], "high", EXIT_OK),
    ([_F], [Severity.HIGH], "high", EXIT_FINDINGS),
    ([_F], [Severity.LOW], "high", EXIT_OK),
    ([_P, _E], [], "high", EXIT_INCOMPLETE),
    ([_F, _E], [Severity.CRITICAL], "high", EXIT_FINDINGS),
    ([_F, _E], [Severity.LOW], "high", EXIT_INCOMPLETE),
    ([_E], [], "never", EXIT_INCOMPLETE),
    ([_S, _S], [], "high", EXIT_USAGE),
    ([], [], "never", EXIT_USAGE),
], ids=["clean", "finding", "below-threshold", "errored", "finding-wins", "errored-low",
        "never-still-incomplete", "all-skipped", "none-selected"])
def test_exit_code_rule(statuses: list[CheckStatus], severities: list[Severity],
                        fail_on: str, code: int) -> None:
    assert exit_code(_report(statuses, severities), fail_on) == code


@pytest.mark.parametrize(("count", "word", "shown"), [
    (1, "fix", "1 fix"), (2, "fix", "2 fixes"), (0, "check", "0 checks"),
    (2, "e-mail address", "2 e-mail addresses"), (1, "open finding", "1 open finding"),
])
def test_counts_have_the_right_grammar(count: int, word: str, shown: str) -> None:
    assert plural(count, word) == shown


# --- readable at scale -----------------------------------------------------------------------


def _big_report() -> Report:
    findings = tuple(finding("PERF005", f"src/api/call{n}.py:{n}", Severity.MEDIUM)
                     for n in range(36))
    findings += (finding("SEC001", "src/config.ts:3", Severity.CRITICAL),
                 finding("WEB004", "https://app.example/", Severity.LOW))
    checks = (CheckResult(id="PERF005", status=_F, duration_ms=1),
              CheckResult(id="SEC001", status=_F, duration_ms=1),
              CheckResult(id="WEB004", status=_F, duration_ms=1),
              CheckResult(id="SMOKE001", status=_S, duration_ms=0, error="no [smoke] section"),
              CheckResult(id="SMOKE002", status=_S, duration_ms=0, error="no [smoke] section"))
    return Report(tool_version="t", started_at=_T, finished_at=_T, score=40,
                  summary=Summary(critical=1, medium=36, low=1), checks=checks,
                  findings=findings)


def test_terminal_groups_repeats_lists_skips_once_and_ends_with_a_summary() -> None:
    out = render(_big_report(), Format.TERMINAL)
    assert out.count("PERF005  t  × 36") == 1  # one entry for 36 findings of one rule
    assert "… and 28 more" in out  # 8 locations listed, the rest counted
    assert out.count("no [smoke] section: SMOKE001, SMOKE002") == 1
    last = out.rstrip().splitlines()[-1]
    assert last == "score 40/100 · 1 critical 36 medium 1 low · ran 3/3 · plan 38 fixes"
    top = render(_big_report(), Format.TERMINAL, top=1)
    assert "SEC001" in top and "× 36" not in top
    assert "… 2 risk-list entries more" in top


def test_command_help_shows_its_own_options_first(tmp_path: Path) -> None:
    proc = run("secrets", "--help", cwd=tmp_path)
    usage = proc.stdout.split("\n\n")[0]
    assert "--history" in usage and "[common options]" in usage
    assert "--resolver" not in usage
