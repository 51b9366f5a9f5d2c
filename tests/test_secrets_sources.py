"""Each secret source end to end: tree, history, bundle dir, live URL, log file, stdin.

Every test plants a secret, checks it is found once at the right place, and renders the report
in every format to make sure the full value appears nowhere.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from launchready.checks.secrets.bundle import BundleSecrets
from launchready.checks.secrets.logs import LogSecrets
from launchready.checks.secrets.repo import RepoSecrets
from launchready.config.models import Config
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report
from launchready.probes.git import git_env
from launchready.report import Format, render
from launchready.secrets import history
from launchready.secrets.logs import blocks, scan_stream
from launchready.secrets.sample_repo import demo_secret, make_sample_repo
from launchready.secrets.scanner import Scanner

STRIPE = "sk_" + "live_" + "51Hq8ZkW3nR5tY2uV9xB4cD7e"
OTHER = "sk_" + "live_" + "51Zr7QpL2mN8vB3xC6kJ9wT4y"


def _git(repo: Path, *args: str) -> None:
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@acme.example",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@acme.example"}
    subprocess.run(["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
                   env=env, check=True, capture_output=True, timeout=30)


def _audit(*families: Any, environ: dict[str, str] | None = None) -> Report:
    return asyncio.run(arun_audit(Config(), families=list(families), environ=environ or {}))


def _assert_never_printed(report: Report, *secrets: str) -> None:
    for fmt in Format:
        text = render(report, fmt)
        for s in secrets:
            assert s not in text, fmt
            assert s[-12:] not in text, fmt


def _new_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    return repo


def test_tree_scan_finds_planted_secret_once_and_survives_bad_files(tmp_path: Path) -> None:
    # Given a repo with a secret in an oddly named file and every kind of hostile file
    repo = _new_repo(tmp_path)
    odd = repo / "dir with space" / "ünï\ncode.py"
    odd.parent.mkdir()
    odd.write_text(f"# config\nSTRIPE = '{STRIPE}'\n")
    (repo / "fine.py").write_text("import os\nKEY = os.environ['STRIPE_SECRET_KEY']\n")
    (repo / "ignored.py").write_text(f"k = '{OTHER}'  # launchready: ignore[SEC001]\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (repo / "blob.dat").write_bytes(b"\x00\x01" * 100 + STRIPE.encode())
    with (repo / "huge.log").open("wb") as fh:
        fh.truncate(2 << 30)  # 2 GB sparse file
    (repo / "bomb.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (repo / "passwd").symlink_to("/etc/passwd")
    (repo / "random").symlink_to("/dev/random")
    (repo / "loop").symlink_to(repo)
    os.mkfifo(repo / "pipe")
    _git(repo, "add", "fine.py", "dir with space")
    # When the tree is scanned
    report = _audit(RepoSecrets(paths=[str(repo)], history=False))
    # Then exactly one finding, at the right file and line, and the value nowhere
    (f,) = [f for f in report.findings if f.rule_id == "SEC001"]
    assert f.location is not None and f.location.path == "dir with space/ünï\ncode.py"
    assert f.location.line == 2 and f.target.endswith(":2") and "\n" not in f.target
    assert f.severity.value == "critical" and "sk_live_****" in f.evidence
    skipped = {row[0]: row[1] for t in report.tables for row in t.rows}
    assert skipped["huge.log"].startswith("size")
    assert skipped["logo.png"] == "binary" and skipped["blob.dat"] == "binary"
    assert skipped["bomb.zip"].startswith("archive")
    assert skipped["passwd"].startswith("symlink") and skipped["random"].startswith("symlink")
    assert skipped.get("pipe", "not a regular file") == "not a regular file"
    _assert_never_printed(report, STRIPE, OTHER)


def test_history_secret_removed_from_head_is_sec002(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path / "flawed", fixed=False)
    report = _audit(RepoSecrets(paths=[str(repo)], history=True))
    by_id = {}
    for f in report.findings:
        by_id.setdefault(f.rule_id, []).append(f)
    (f,) = by_id["SEC002"]
    assert f.target == "src/billing.py:1" and "2026-01-05" in f.evidence
    assert "git filter-repo" in f.fix and "Rotate first" in f.fix
    assert [x.target for x in by_id["SEC006"]] == [".env"]
    assert "SEC001" not in by_id
    _assert_never_printed(report, demo_secret())
    fixed = make_sample_repo(tmp_path / "fixed", fixed=True)
    clean = _audit(RepoSecrets(paths=[str(fixed)], history=True))
    assert clean.findings == ()
    assert all(c.status is CheckStatus.PASS for c in clean.checks)


@pytest.mark.parametrize(("name", "text", "severity", "held"), [
    (".env", "SMTP_PASSWORD=" + "Summer" + "2024!\nJWT_SECRET=ops-team-jwt-signing-2024\n",
     "high", "SMTP_PASSWORD, JWT_SECRET"),
    (".env", "SECRET_KEY=changethis\nPOSTGRES_PASSWORD=postgres\nSTRIPE_SECRET_KEY=\n"
             "ACCESS_TOKEN_EXPIRE_MINUTES=11520\nAPI_TOKEN=${API_TOKEN}\n"
             "DATABASE_URL=postgresql://postgres:changethis@localhost:5432/app\n", "low", ""),
    ("frontend/.env", "VITE_API_URL=http://localhost:8000\n", "low", ""),
    (".env.production", "NEXT_PUBLIC_APP_URL=https://app.acme.test\nLOG_LEVEL=info\n", "low", ""),
    (".env.production", f"PAYMENTS={STRIPE}\n", "high", ""),
    (".overmind.env", "OVERMIND_PROCFILE=Procfile.dev\n", "low", ""),
], ids=["weak-passwords", "template-placeholders", "vite-url", "next-settings",
        "provider-key-under-a-plain-name", "process-manager"])
def test_tracked_env_file_is_judged_by_what_it_holds(
        tmp_path: Path, name: str, text: str, severity: str, held: str) -> None:
    """A tracked env file holding a credential is high and names the variables (never the
    values); one holding only placeholders, local defaults and settings is low."""
    repo = _new_repo(tmp_path)
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    _git(repo, "add", "-A")
    report = _audit(RepoSecrets(paths=[str(repo)], history=False))
    (f,) = [f for f in report.findings if f.rule_id == "SEC006"]
    assert (f.target, f.severity.value) == (name, severity)
    if held:
        assert f"it holds {held} (values not shown)" in f.evidence
    if severity == "low":
        assert "no credential now" in f.evidence and "Rotate" not in f.fix
    _assert_never_printed(report, STRIPE, "Summer" + "2024!", "ops-team-jwt-signing-2024")


def test_unreadable_tracked_env_file_stays_high(tmp_path: Path) -> None:
    """An env file the scan could not read (binary) is judged as holding a credential."""
    repo = _new_repo(tmp_path)
    (repo / ".env").write_bytes(b"\x00\x01KEY=\xff" * 4)
    _git(repo, "add", "-A")
    report = _audit(RepoSecrets(paths=[str(repo)], history=False))
    (f,) = [f for f in report.findings if f.rule_id == "SEC006"]
    assert f.severity.value == "high"


def test_history_merge_only_secret_and_odd_paths(tmp_path: Path) -> None:
    repo = _new_repo(tmp_path)
    (repo / "a.txt").write_text("base\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "commit 0123456789abcdef0123456789abcdef01234567")
    _git(repo, "checkout", "-q", "-b", "side")
    (repo / "b.txt").write_text("side\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "side")
    _git(repo, "checkout", "-q", "main")
    (repo / "c.txt").write_text("main\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "main")
    _git(repo, "merge", "-q", "--no-commit", "side")
    odd = repo / "ünï code\nname.cfg"
    odd.write_text(f"key={OTHER}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "merge")
    odd.unlink()
    _git(repo, "commit", "-q", "-am", "remove")
    report = _audit(RepoSecrets(paths=[str(repo)], history=True))
    (f,) = report.findings
    assert f.rule_id == "SEC002" and f.location is not None
    assert f.location.path == "ünï code\nname.cfg"


@pytest.mark.parametrize("block", [7, 64, 1 << 22], ids=["7B", "64B", "4MiB"])
def test_history_parse_does_not_depend_on_read_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    # git's output is read a block at a time and cut at record starts: a block edge inside a
    # commit line, a diff header or a hunk must not lose or misplace anything
    repo = _new_repo(tmp_path)
    filler = "".join(f"line {i} of ordinary code\n" for i in range(40))
    for n, (name, value) in enumerate([("a b.py", STRIPE), ("sub/ü.cfg", OTHER),
                                       ("z.env", STRIPE)]):
        path = repo / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(filler + f"KEY = '{value}'\n" + filler[: 20 * n])
        (repo / "noise.txt").write_text(filler * (n + 1))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"diff --git commit {n}")
    (repo / "z.env").write_text(filler)
    _git(repo, "commit", "-q", "-am", "drop")
    monkeypatch.setattr(history, "READ_BYTES", block)
    scan = history.scan_history(repo, Scanner())
    assert scan.complete and scan.commits == 4
    assert sorted((h.path, h.line, h.in_head) for h in scan.hits) == [
        ("a b.py", 41, True), ("sub/ü.cfg", 41, True), ("z.env", 41, False)]


def test_shallow_clone_is_incomplete_not_clean(tmp_path: Path) -> None:
    src = make_sample_repo(tmp_path / "src", fixed=True)
    (src / "more.txt").write_text("x\n")
    _git(src, "add", "-A")
    _git(src, "commit", "-q", "-m", "more")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{src}", str(shallow)],
                   env=git_env(), check=True, capture_output=True, timeout=30)
    report = _audit(RepoSecrets(paths=[str(shallow)], history=True))
    (c,) = [c for c in report.checks if c.id == "SEC002"]
    assert c.status is CheckStatus.ERROR and "incomplete history" in (c.error or "")
    assert "shallow" in (c.error or "")


def test_repo_configured_commands_never_run(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path / "evil", fixed=False)
    marker = tmp_path / "pwned"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    for key in ("core.fsmonitor", "core.sshCommand", "diff.external", "core.pager",
                "diff.txt.textconv"):
        _git(repo, "config", key, str(hook))
    _git(repo, "config", "core.hooksPath", str(tmp_path))
    (repo / ".gitattributes").write_text("* diff=txt\n")
    (repo / "untracked.txt").write_text("new\n")
    report = _audit(RepoSecrets(paths=[str(repo)], history=True))
    assert not marker.exists()
    assert any(f.rule_id == "SEC002" for f in report.findings)


def test_bundle_dir_with_minified_js_and_source_map(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "static" / "js").mkdir(parents=True)
    js = ("!function(){var c={stripe:{publishableKey:\"pk_live_51Hq8ZkW3nR5tY2uV9xB4\","
          f"secretKey:\"{STRIPE}\"}}}};" + "x=1;" * 80_000).encode()
    (dist / "static" / "js" / "main.4f2a.js").write_bytes(js)
    sources = ["export const a = 1;\n", f"// config\nexport const key = \"{OTHER}\";\n"]
    import json
    (dist / "static" / "js" / "main.4f2a.js.map").write_text(json.dumps(
        {"version": 3, "sources": ["src/a.ts", "src/config.ts"], "sourcesContent": sources,
         "mappings": "AAAA"}))
    (dist / "bomb.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    report = _audit(BundleSecrets(dirs=[str(dist)], urls=[]),
                    environ={"STRIPE_SECRET_KEY": STRIPE})
    targets = sorted(f.target for f in report.findings)
    assert targets == [f"{dist}/static/js/main.4f2a.js.map -> src/config.ts:2",
                       f"{dist}/static/js/main.4f2a.js:1"]
    attributed = [f for f in report.findings if "STRIPE_SECRET_KEY" in f.evidence]
    assert len(attributed) == 1 and "main.4f2a.js" in attributed[0].evidence
    _assert_never_printed(report, STRIPE, OTHER)


def test_live_url_page_scripts_and_probed_map(tmp_path: Path) -> None:
    page = (b"<html><script src=\"/static/app.js\"></script><script src=\"https://cdn."
            b"other.example/x.js\"></script><script id=\"__NEXT_DATA__\">{\"env\":"
            b"{\"K\":\"" + OTHER.encode() + b"\"}}</script></html>")
    script = b"console.log(1);\n"
    srcmap = ('{"version":3,"sources":["s.ts"],"sourcesContent":["const k = \\"'
              + STRIPE + '\\";\\n"],"mappings":""}').encode()
    routes = {"/": page, "/static/app.js": script, "/static/app.js.map": srcmap}

    async def handler(request: web.Request) -> web.Response:
        body = routes.get(request.path)
        return web.Response(body=body) if body is not None else web.Response(status=404)

    async def main() -> Report:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            return await arun_audit(Config(), families=[BundleSecrets(
                dirs=[], urls=[f"http://127.0.0.1:{port}/"])], environ={})
        finally:
            await runner.cleanup()

    report = asyncio.run(main())
    targets = sorted(f.target.split("/", 3)[-1] for f in report.findings)
    assert targets == [":1", "static/app.js.map -> s.ts:1"]
    _assert_never_printed(report, STRIPE, OTHER)


LOG = (f"2026-01-05T10:00:00Z INFO login ok user=ana@acme.example phone=+1 415 555 0100\n"
       f"2026-01-05T10:00:01Z \x1b[31mERROR\x1b[0m charge failed key={STRIPE}\n"
       '{"msg": "proxy", "url": "https://deploy:Tq9Zk2Lm7Vx4@registry.acme.example/v2"}\n'
       "GET /api Authorization: Bearer abcdefghij0123456789KLMNOP\n"
       f"retry key={STRIPE}")


def test_log_file_secrets_and_pii(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(LOG)
    report = _audit(LogSecrets(paths=[str(log)]), environ={"STRIPE_SECRET_KEY": STRIPE})
    sec5 = sorted(f.target.rsplit("/", 1)[-1] for f in report.findings if f.rule_id == "SEC005")
    assert sec5 == ["app.log:2", "app.log:3"]
    stripe = next(f for f in report.findings if f.target.endswith("app.log:2"))
    assert "seen 2 times" in stripe.evidence and "STRIPE_SECRET_KEY" in stripe.evidence
    kinds = sorted(f.title for f in report.findings if f.rule_id == "SEC007")
    assert kinds == ["Personal data in logs: bearer tokens", "Personal data in logs: e-mail "
                     "addresses", "Personal data in logs: phone numbers"]
    _assert_never_printed(report, STRIPE, "Tq9Zk2Lm7Vx4", "ana@acme.example",
                          "abcdefghij0123456789KLMNOP")


def test_redacted_copy_and_chunk_boundaries() -> None:
    out = io.BytesIO()
    scan = scan_stream(io.BytesIO(LOG.encode()), "x", Scanner(), redact_to=out)
    text = out.getvalue().decode()
    assert STRIPE not in text and "ana@acme.example" not in text and "Tq9Zk2Lm7Vx4" not in text
    assert text.count("\n") == LOG.count("\n") and "charge failed" in text
    assert len(scan.secrets) == 2
    # a secret straddling a forced cut inside a 5 MB line is found once
    line = b"a" * (4 << 20) + b" key=" + STRIPE.encode() + b" " + b"b" * (1 << 20)
    red = io.BytesIO()
    long_scan = scan_stream(io.BytesIO(line), "y", Scanner(), redact_to=red)
    assert len(long_scan.secrets) == 1 and len(red.getvalue()) < len(line)
    assert STRIPE.encode() not in red.getvalue()
    assert sum(len(b.data) - b.overlap for b in blocks(io.BytesIO(line))) == len(line)


def _ns(**kw: Any) -> argparse.Namespace:
    base = {"config": None, "formats": [], "outputs": [], "fail_on": "high", "only": "",
            "skip": "", "baseline": None, "write_baseline": None, "quiet": True,
            "verbose": False, "no_color": True, "resolve": [], "resolver": None,
            "ca_bundle": None, "timeout": None}
    return argparse.Namespace(**(base | kw))


def test_logs_command_reads_stdin_and_redacts(tmp_path: Path) -> None:
    code = ("import sys, argparse; from launchready.commands.logs import run; "
            "sys.exit(run(argparse.Namespace(**eval(sys.argv[1]))))")
    ns = vars(_ns(files=["-"], follow=False, redact=True))
    proc = subprocess.run([sys.executable, "-c", code, repr(ns)], input=LOG.encode(),
                          capture_output=True, timeout=60, cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    assert STRIPE.encode() not in proc.stdout + proc.stderr
    assert b"charge failed" in proc.stdout and b"SEC005" in proc.stderr


def test_secrets_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from launchready.commands.secrets import run
    repo = make_sample_repo(tmp_path / "r", fixed=False)
    assert run(_ns(paths=[str(repo)], history=True, since=None, bundle=[],
                   formats=["json"])) == 1
    out = capsys.readouterr().out
    assert '"SEC002"' in out and demo_secret() not in out
    fixed = make_sample_repo(tmp_path / "f", fixed=True)
    assert run(_ns(paths=[str(fixed)], history=True, since=None, bundle=[])) == 0
