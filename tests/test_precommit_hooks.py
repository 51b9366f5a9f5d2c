"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by the real pre-commit from PyPI.

A snapshot of this checkout (its tracked and untracked-not-ignored files, so uncommitted work
is what gets tested) becomes a hook repository; pre-commit installs launchready from it into its
own virtualenv, as it does for a user, with the dependencies from the session's wheelhouse
(fetched from the package index once, see ``wheelhouse.py``). One hook environment is shared by
every test of this module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from wheelhouse import Built

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
LIVE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "Qx81Zm"
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def run(args: list[str], cwd: Path, env: dict[str, str],
        check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def snapshot_of_checkout(dest: Path, env: dict[str, str]) -> str:
    """Copy this checkout's files into a fresh repository at ``dest``; return its commit."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "-co",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in (os.fsdecode(p) for p in listed.split(b"\0") if p):
        src = ROOT / rel
        if not src.is_file():
            continue  # deleted in the work tree but still in the index
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    run(["git", "init", "-q", "-b", "main"], dest, env)
    run(["git", "add", "-A"], dest, env)
    run(["git", "commit", "-q", "--no-verify", "-m", "snapshot"], dest, env)
    return run(["git", "rev-parse", "HEAD"], dest, env).stdout.strip()


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory,
          built_package: Built) -> tuple[Path, str, dict[str, str]]:
    """(hook repository, its commit, the environment pre-commit runs with)."""
    base = tmp_path_factory.mktemp("precommit")
    # pre-commit's own `pip install .` takes the dependencies from the session's wheelhouse
    env = built_package.pip_env({
        **os.environ, **IDENTITY, "PRE_COMMIT_HOME": str(base / "home"),
        "PATH": f"{PRE_COMMIT.parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    env.pop("GIT_INDEX_FILE", None)
    snapshot = base / "launchready"
    snapshot.mkdir()
    return snapshot, snapshot_of_checkout(snapshot, env), env


@pytest.fixture
def project(tmp_path: Path, hooks: tuple[Path, str, dict[str, str]]) -> Path:
    """A user's repository with both hooks installed as git pre-commit hooks."""
    snapshot, rev, env = hooks
    repo = tmp_path / "app"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo, env)
    config = {"repos": [{"repo": str(snapshot), "rev": rev, "hooks": [
        {"id": "launchready-secrets"}, {"id": "launchready-env"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (repo / "app.py").write_text("import os\nDB = os.environ['DATABASE_URL']\n")
    (repo / ".env.example").write_text("DATABASE_URL=\n")
    run(["git", "add", "-A"], repo, env)
    run([str(PRE_COMMIT), "install"], repo, env)
    run(["git", "commit", "-q", "-m", "start"], repo, env)  # installs the hook environment
    return repo


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    run(["git", "add", "-A"], repo, env)
    return run(["git", "commit", "-m", message], repo, env, check=False)


def test_hooks_file_is_valid_for_pre_commit() -> None:
    schema = json.loads((DATA / "schemastore" / "pre-commit-hooks.json").read_text())
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    jsonschema.validate(hooks, schema)
    assert [h["id"] for h in hooks] == ["launchready-secrets", "launchready-env"]


def test_staged_secret_blocks_the_commit(project: Path,
                                         hooks: tuple[Path, str, dict[str, str]]) -> None:
    env = hooks[2]
    (project / "billing.py").write_text(f"STRIPE = '{LIVE}'\n")
    blocked = commit(project, env, "add billing")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    output = blocked.stdout + blocked.stderr
    assert "launchready secrets" in output and "Failed" in output
    assert "billing.py:1" in output and LIVE not in output
    assert run(["git", "rev-list", "--count", "HEAD"], project, env).stdout.strip() == "1"


def test_clean_change_and_gitleaks_allow_pass(project: Path,
                                              hooks: tuple[Path, str, dict[str, str]]) -> None:
    env = hooks[2]
    (project / "util.py").write_text("def add(a, b):\n    return a + b\n")
    clean = commit(project, env, "add util")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (project / "fixture.py").write_text(f"EXAMPLE = '{LIVE}'  # gitleaks:allow\n")
    allowed = commit(project, env, "add fixture")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert run(["git", "rev-list", "--count", "HEAD"], project, env).stdout.strip() == "3"


def test_env_hook_runs_on_template_changes(project: Path,
                                           hooks: tuple[Path, str, dict[str, str]]) -> None:
    env = hooks[2]
    # the code reads a variable the template does not declare: blocked once the template changes
    (project / "app.py").write_text("import os\nDB = os.environ['DATABASE_URL']\n"
                                    "KEY = os.environ['STRIPE_SECRET_KEY']\n")
    (project / ".env.example").write_text("DATABASE_URL=\nLOG_LEVEL=\n")
    blocked = commit(project, env, "template")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "ENV006" in blocked.stdout + blocked.stderr
    (project / ".env.example").write_text("DATABASE_URL=\nLOG_LEVEL=\nSTRIPE_SECRET_KEY=\n")
    fixed = commit(project, env, "template")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_try_repo_on_this_checkout(project: Path,
                                   hooks: tuple[Path, str, dict[str, str]]) -> None:
    snapshot, rev, env = hooks
    (project / "leak.py").write_text(f"KEY = '{LIVE}'\n")
    run(["git", "add", "leak.py"], project, env)
    # try-repo installs into a temporary store of its own: one more hook environment
    tried = run([str(PRE_COMMIT), "try-repo", str(snapshot), "launchready-secrets",
                 "--ref", rev], project, env, check=False)
    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "leak.py:1" in tried.stdout
