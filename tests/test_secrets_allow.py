"""Allowlists users already have: inline markers, ``.gitleaksignore``, excluded paths."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from launchready.checks.secrets.repo import RepoSecrets
from launchready.config.models import Config, SecretsConfig
from launchready.engine import arun_audit
from launchready.model import Report
from launchready.probes.git import git_env
from launchready.secrets.allow import Excludes, GitleaksIgnore
from launchready.secrets.scanner import Scanner
from launchready.secrets.workers import Workers, worker_pool

STRIPE = "sk_" + "live_" + "51Hq8ZkW3nR5tY2uV9xB4cD7e"
OTHER = "sk_" + "live_" + "51Zr7QpL2mN8vB3xC6kJ9wT4y"


def _git(repo: Path, *args: str) -> None:
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@acme.example",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@acme.example"}
    subprocess.run(["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
                   env=env, check=True, capture_output=True, timeout=30)


def _head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], env=git_env(),
                          check=True, capture_output=True, timeout=30).stdout.decode().strip()


def _audit(config: Config, *, paths: list[str] | None = None, history: bool = False) -> Report:
    return asyncio.run(arun_audit(config, families=[RepoSecrets(paths=paths, history=history)],
                                  environ={}))


@pytest.mark.parametrize("marker", [
    "# gitleaks:allow", "# pragma: allowlist secret", "// launchready: ignore[SEC001]",
    "# launchready: ignore",
])
def test_inline_markers_of_other_scanners_are_honoured(marker: str) -> None:
    found = Scanner().scan(f"key = '{STRIPE}'  {marker}\n".encode(), "app.py")
    assert len(found) == 1 and found[0].ignored_for("SEC001")


def test_gitleaksignore_format() -> None:
    ig = GitleaksIgnore.parse(
        "# accepted\n\nsrc/app.py:stripe-access-token:3\n"
        f"{'a' * 40}:old/keys.py:generic-api-key:7\nnot an entry\n")
    assert len(ig) == 2
    assert ig.covers("src/app.py", 3) and not ig.covers("src/app.py", 4)
    assert ig.covers("old/keys.py", 7, "a" * 40) and not ig.covers("old/keys.py", 7, "b" * 40)
    assert not ig.covers("old/keys.py", 7)


def test_excludes_defaults_and_user_globs() -> None:
    ex = Excludes(user=("fixtures/*",))
    assert ex.reason("frontend/src/client/types.gen.ts") == \
        "excluded: generated code (*.gen.ts)"
    assert ex.reason("package-lock.json") == "excluded: lockfile (package-lock.json)"
    assert ex.reason("web/vendor/lib.js") == "excluded: vendored code (vendor/*)"
    assert ex.reason("tests/fixtures/keys.py") == "excluded: [secrets] exclude 'fixtures/*'"
    assert ex.reason("src/app.ts") is None
    assert Excludes(defaults=False).reason("yarn.lock") is None


def test_repo_scan_honours_gitleaksignore_and_excludes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "fixtures").mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "src" / "pay.py").write_text(f"a = 1\nKEY = '{STRIPE}'\n")
    (repo / "src" / "other.py").write_text(f"KEY = '{OTHER}'\n")
    (repo / "fixtures" / "keys.py").write_text(f"KEY = '{OTHER}'\n")
    (repo / "api.gen.ts").write_text(f"export const k = '{OTHER}';\n")
    (repo / ".gitleaksignore").write_text("src/pay.py:stripe-access-token:2\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    config = Config(secrets=SecretsConfig(paths=[str(repo)], history=False,
                                          exclude=["fixtures/*"]))
    report = _audit(config)
    assert [f.target for f in report.findings] == ["src/other.py:1"]
    text = str([t.rows for t in report.tables])
    assert "excluded: generated code (*.gen.ts)" in text
    assert "excluded: [secrets] exclude 'fixtures/*'" in text


def test_history_reports_every_location_of_a_value(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text(f"KEY = '{STRIPE}'\n")
    (repo / "d.py").write_text(f"KEY = '{STRIPE}'\nx = 1\nKEY2 = '{STRIPE}'\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "add")
    first = _head(repo)
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (repo / name).write_text("KEY = os.environ['KEY']\n")
    _git(repo, "commit", "-qam", "remove")
    (repo / ".gitleaksignore").write_text(f"{first}:c.py:stripe-access-token:1\n")
    report = _audit(Config(), paths=[str(repo)], history=True)
    sec002 = sorted(f.target for f in report.findings if f.rule_id == "SEC002")
    assert sec002 == ["a.py:1", "b.py:1", "d.py:1", "d.py:3"]
    assert len({f.fingerprint for f in report.findings}) == len(report.findings)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_files_are_scanned(tmp_path: Path, codec: str) -> None:
    from launchready.secrets.tree import scan_tree
    (tmp_path / "settings.ps1").write_bytes(f"$a = 1\r\n$key = '{STRIPE}'\r\n".encode(codec))
    (tmp_path / "blob.bin1").write_bytes(b"\x00\x01\x02" * 100)
    result = scan_tree([tmp_path], Scanner(), use_git=False)
    assert [(f.path, [m.line for m in f.matches]) for f in result.files] == \
        [("settings.ps1", [2])]
    assert [s.reason for s in result.skipped] == ["binary"]


def test_history_slices_agree_with_one_walk(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from launchready.secrets import history
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for i in range(7):
        (repo / ("f.py" if i < 6 else "g.py")).write_text(
            f"x = {i}\n" + (f"KEY = '{STRIPE}'\n" if i in (1, 4) else "")
            + (f"OTHER = '{OTHER}'\n" if i >= 5 else ""))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"c{i}")

    def walk(pool: Workers | None = None) -> list[tuple[str, str, int, str]]:
        scan = history.scan_history(repo, Scanner(), pool=pool)
        assert scan.complete and scan.commits == 7
        return sorted((h.path, h.commit, h.line, h.match.rule.id) for h in scan.hits)

    one = walk()
    monkeypatch.setattr(history, "MIN_SLICE", 1)  # four ranges of two commits
    with worker_pool() as pool:
        assert walk(pool) == one
    # the value added in c1, removed, added again in c4: the oldest commit is named
    assert [(p, line) for p, _, line, _ in one] == [("f.py", 2), ("f.py", 2), ("g.py", 2)]
    order = subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "HEAD"],
                           env=git_env(), check=True, capture_output=True,
                           timeout=30).stdout.decode().split()
    assert sorted(c for _, c, _, _ in one) == sorted([order[1], order[5], order[6]])


def test_evil_merge_line_is_found(tmp_path: Path) -> None:
    # a line that only the merge commit wrote into an existing file (a conflict resolution)
    from launchready.secrets import history
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("a = 1\nb = 2\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-q", "-b", "side")
    (repo / "app.py").write_text("a = 1\nb = 3\n")
    _git(repo, "commit", "-qam", "side")
    _git(repo, "checkout", "-q", "main")
    (repo / "app.py").write_text("a = 1\nb = 4\n")
    _git(repo, "commit", "-qam", "main")
    subprocess.run(["git", "-C", str(repo), "merge", "-q", "side"], env=git_env(),
                   capture_output=True, timeout=30, check=False)
    (repo / "app.py").write_text(f"a = 1\nb = 5\nKEY = '{STRIPE}'\n")
    _git(repo, "commit", "-qam", "merge")
    scan = history.scan_history(repo, Scanner())
    assert [(h.path, h.line, h.commit) for h in scan.hits] == [("app.py", 3, _head(repo))]
