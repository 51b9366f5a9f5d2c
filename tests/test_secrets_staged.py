"""``secrets --staged``: the lines the next commit adds, read from the git index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.cli import main
from launchready.secrets.scanner import Scanner
from launchready.secrets.staged import scan_staged

# built at run time so this file holds no live-looking key
LIVE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "Qx81Zm"
OTHER = "sk_" + "live_" + "9fR2kLmN4pQ7sT1vW3xY5zA8" + "Bc62Hd"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", **(env or {})}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=full).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def staged_json(repo: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        code = main(["secrets", "--staged", "--format", "json", "-q", *extra])
    finally:
        os.chdir(cwd)
    return code, json.loads(capsys.readouterr().out)


def test_reads_the_index_not_the_working_tree(repo: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # Given a clean staged file, then a secret added to the working tree but not staged
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text(f"print('hello')\nKEY = '{LIVE}'\n")
    code, report = staged_json(repo, capsys=capsys)
    assert code == 0 and report["findings"] == []
    # When the secret is staged, the commit is blocked and the finding points at its line
    git(repo, "add", "app.py")
    code, report = staged_json(repo, capsys=capsys)
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule_id"] == "SEC001" and finding["target"] == "app.py:2"
    assert LIVE not in json.dumps(report)
    # And removing it from the working tree only does not unblock: the index still has it
    (repo / "app.py").write_text("print('hello')\n")
    code, _ = staged_json(repo, capsys=capsys)
    assert code == 1


def test_only_added_lines_count(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a secret already committed (the tree and history scans report it)
    body = "".join(f"step_{i} = {i}\n" for i in range(12))
    (repo / "old.py").write_text(f"KEY = '{LIVE}'\n{body}X = 1\n")
    git(repo, "add", "old.py")
    git(repo, "commit", "-q", "-m", "old")
    # When the file is edited elsewhere and renamed, nothing new is added
    git(repo, "mv", "old.py", "moved.py")
    (repo / "moved.py").write_text(f"KEY = '{LIVE}'\n{body}X = 2\n")
    git(repo, "add", "moved.py")
    code, report = staged_json(repo, capsys=capsys)
    assert (code, report["findings"]) == (0, [])
    # But a second secret on a new line of the same file is reported at its staged line
    (repo / "moved.py").write_text(f"KEY = '{LIVE}'\n{body}X = 2\nY = '{OTHER}'\n")
    git(repo, "add", "moved.py")
    code, report = staged_json(repo, capsys=capsys)
    assert code == 1
    assert [f["target"] for f in report["findings"]] == ["moved.py:15"]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["SEC002"] == "skipped"  # history is not looked at: never "passed"


def test_gitleaks_allow_and_inline_ignore_accept_a_line(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "a.py").write_text(f"KEY = '{LIVE}'  # gitleaks:allow\n"
                               f"K2 = '{OTHER}'  # launchready: ignore[SEC001]\n")
    git(repo, "add", "a.py")
    code, report = staged_json(repo, capsys=capsys)
    assert (code, report["findings"]) == (0, [])


def test_attributes_cannot_hide_a_file_but_binaries_are_skipped(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".gitattributes").write_text("*.cfg -diff\n")
    (repo / "prod.cfg").write_text(f"stripe={LIVE}\n")
    (repo / "blob.dat").write_bytes(b"\x00\x01" + LIVE.encode() + b"\n")
    git(repo, "add", ".")
    code, report = staged_json(repo, capsys=capsys)
    assert code == 1
    assert [f["target"] for f in report["findings"]] == ["prod.cfg:1"]
    skipped = [t for t in report.get("tables", []) if "not scanned" in t["title"]]
    assert skipped and ["blob.dat", "binary"] in [list(r) for r in skipped[0]["rows"]]


def test_staged_env_file_is_sec006(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SEC006 judges what the commit adds to the env file: nothing secret is low (exit 0), a
    credential is high (exit 1)."""
    (repo / ".env").write_text("")
    (repo / ".env.example").write_text("DATABASE_URL=\n")
    git(repo, "add", ".env", ".env.example")
    code, report = staged_json(repo, capsys=capsys)
    assert [(f["rule_id"], f["severity"]) for f in report["findings"]] == [("SEC006", "low")]
    assert code == 0
    (repo / ".env").write_text("LOG_LEVEL=info\nADMIN_PASSWORD=tulip-harbor-42\n")
    git(repo, "add", ".env")
    code, report = staged_json(repo, capsys=capsys)
    (f,) = [f for f in report["findings"] if f["rule_id"] == "SEC006"]
    assert f["severity"] == "high" and "ADMIN_PASSWORD" in f["evidence"]
    assert "tulip-harbor-42" not in json.dumps(report)
    assert code == 1


def test_commit_all_reads_the_commits_temporary_index(repo: Path) -> None:
    # Given a pre-commit hook running the staged scan, and a tracked file
    hook = repo / ".git" / "hooks" / "pre-commit"
    exe = Path(sys.executable).parent / "launchready"
    hook.write_text(f"#!/bin/sh\nexec {exe} secrets --staged -q\n")
    hook.chmod(0o755)
    (repo / "app.py").write_text("X = 1\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "first")
    # When the secret is only in the working tree and `git commit -a` picks it up
    (repo / "app.py").write_text(f"X = 1\nKEY = '{LIVE}'\n")
    blocked = subprocess.run(["git", "-C", str(repo), "commit", "-q", "-a", "-m", "leak"],
                             check=False, capture_output=True, text=True,
                             env={**os.environ, "GIT_AUTHOR_NAME": "t",
                                  "GIT_AUTHOR_EMAIL": "t@example.com",
                                  "GIT_COMMITTER_NAME": "t",
                                  "GIT_COMMITTER_EMAIL": "t@example.com"})
    # Then the hook saw git's temporary index (GIT_INDEX_FILE) and blocked the commit
    assert blocked.returncode != 0, blocked.stderr
    assert "app.py:2" in blocked.stdout + blocked.stderr  # git shows a hook's stdout on stderr
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_pathspec_limits_the_scan(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text(f"KEY = '{LIVE}'\n")
    (repo / "docs.md").write_text(f"key {OTHER}\n")
    git(repo, "add", ".")
    scan = scan_staged(repo, Scanner(), pathspec=["src"])
    assert [f.path for f in scan.files] == ["src/a.py"]
    assert scan.tracked == ("src/a.py",)
    assert [m.line for m in scan.files[0].matches] == [1]


def test_usage_errors(tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["secrets", "--staged", "-q"]) == 2
        assert "not inside a git repository" in capsys.readouterr().err
        os.chdir(repo)
        assert main(["secrets", "--staged", "--history", "-q"]) == 2
        assert "--staged scans the git index only" in capsys.readouterr().err
    finally:
        os.chdir(cwd)
