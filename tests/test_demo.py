"""`launchready demo`: serves the bundled prototype on 127.0.0.1, audits it, writes the report."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.demo.run import run_demo
from launchready.demo.webapp import build_command, make_web_repo
from launchready.model import CheckStatus, Severity


def test_demo_command_writes_the_report(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "launchready", "demo", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout[:3000]
    assert "Acme Dashboard" in proc.stdout
    html = (tmp_path / "launchready-report.html").read_text(encoding="utf-8")
    assert "Acme Dashboard" in html
    assert "Content-Security-Policy" in html


def test_demo_build_runs_when_this_user_cannot_start_this_python_by_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Python whose path this user cannot execute (as an interpreter under another
    # user's home, started with root's capabilities kept for that one exec)
    locked = tmp_path / "python"
    locked.write_text("")
    locked.chmod(0o644)
    monkeypatch.setattr(sys, "executable", str(locked))
    repo = make_web_repo(tmp_path / "web", fixed=True)
    # When the demo's build command runs in its repository
    command = build_command()
    proc = subprocess.run(["/bin/sh", "-c", command], cwd=repo, capture_output=True, text=True,
                          timeout=60, check=False)
    # Then it starts a Python this user can run, and builds
    assert shlex.split(command)[0] != str(locked)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "dist" / "assets" / "app.js").is_file()


#: every deliberate flaw of the demo and the rule that must catch it
FLAWS = {
    "revenue report scans the invoices table": "DB002",
    "invoices.account_id has no index": "DB003",
    "Stripe secret key under NEXT_PUBLIC_": "ENV002",
    "preview shares the production database": "ENV003",
    "sk_test_ key in production": "ENV004",
    "requests.get without a timeout": "PERF005",
    "source map served publicly": "SEC004",
    "no CSP / X-Content-Type-Options / Referrer-Policy / frame-ancestors": "WEB004",
    "traceback and version on the error page": "WEB007",
    "SPF includes a newsletter service nobody approved": "MAIL006",
    "SPF ends in ~all": "MAIL005",
    "no DMARC record": "MAIL009",
    "session still works after logout": "SMOKE003",
    "dashboard cacheable by shared caches": "WEB006",
    "live Stripe key in the JS bundle and its source map": "SEC003",
    "live Stripe key added then removed in git history": "SEC002",
    ".env tracked by git": "SEC006",
    "status subdomain CNAME to an unclaimed Heroku app": "DNS003",
    "no CAA record": "DNS005",
    "HTTP redirects to another host before HTTPS": "TLS007",
    "www serves content instead of redirecting to canonical": "WEB001",
    "no HSTS": "TLS006",
    "revenue report p95 over its budget (full scan)": "PERF002",
    "no uptime monitor on homepage, auth flow or core route": "OBS002",
    "no alert route": "OBS003",
    "login stalls under a burst (503s)": "PERF004",
    "the frontend build ships a source map and a localhost API URL": "DEPLOY003",
    "a pending migration drops a column and cannot be downgraded": "DEPLOY004",
    "no release tag and no recorded rollback command": "DEPLOY005",
}


def test_flawed_demo_reports_every_flaw(tmp_path: Path) -> None:
    result = asyncio.run(run_demo(fixed=False, workdir=tmp_path))
    found = {f.rule_id for f in result.report.unsuppressed}
    missed = {flaw: rule for flaw, rule in FLAWS.items() if rule not in found}
    assert not missed
    # the score says how far the broken demo is from ready: neither 0 nor nearly clean
    assert 5 <= result.report.score <= 60
    assert result.report.complete


def test_fixed_demo_audits_clean(tmp_path: Path) -> None:
    result = asyncio.run(run_demo(fixed=True, workdir=tmp_path))
    statuses = {c.id: c.status for c in result.report.checks}
    assert statuses["TLS001"] is CheckStatus.PASS
    assert not [f for f in result.report.unsuppressed if f.severity.at_least(Severity.LOW)]
    assert not [c for c in result.report.checks if c.status is CheckStatus.ERROR]
    assert result.report.score >= 95 and result.report.complete
