"""What secrets findings call things: a credential URL is not an e-mail address, and a file git
does not track is not "a tracked file". Both through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from launchready.probes.git import git_env
from launchready.secrets.pii import find_pii

STRIPE = "sk_" + "live_" + "51Hq8ZkW3nR5tY2uV9xB4cD7e"
PASSWORD = "Tq9Zk2Lm7Vx4"


def launchready(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False,
                          stdin=subprocess.DEVNULL,
                          env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})


def test_credential_url_in_a_log_is_a_secret_not_an_email(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text(
        f'{{"msg": "proxy", "url": "https://deploy:{PASSWORD}@registry.acme.example/v2"}}\n'
        "GET https://cdn.acme.example/u/ana@acme.example/avatar.png\n")
    proc = launchready("logs", "app.log", "--format", "json", cwd=tmp_path)
    findings = json.loads(proc.stdout)["findings"]
    assert [f["rule_id"] for f in findings if f["rule_id"] == "SEC005"] == ["SEC005"]
    emails = [f for f in findings if f["title"].endswith("e-mail addresses")]
    assert len(emails) == 1  # only ana@, in the URL's path
    assert emails[0]["evidence"].startswith("1 e-mail address, first at line 2")
    assert PASSWORD not in proc.stdout and PASSWORD[0] + "***" not in proc.stdout


def test_userinfo_is_not_an_email_but_addresses_elsewhere_are() -> None:
    def emails(text: str) -> list[bytes]:
        return [m.value for m in find_pii(text.encode()) if m.kind == "email"]

    assert emails(f"https://deploy:{PASSWORD}@registry.acme.example/v2") == []
    assert emails("postgres://app:pw@db.acme.example:5432/app") == []
    assert emails("contact ana@acme.example or https://x.example/u/bo@acme.example") == [
        b"ana@acme.example", b"bo@acme.example"]
    assert emails("user:ana@acme.example") == [b"ana@acme.example"]


def test_secret_in_an_untracked_file_is_titled_as_such(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "a"]):
        subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, timeout=30,
                       capture_output=True)
    (repo / "tracked.py").write_text(f'KEY = "{STRIPE}"\n')
    subprocess.run(["git", "-C", str(repo), "add", "tracked.py"], env=env, check=True,
                   timeout=30)
    (repo / "scratch.py").write_text(f'KEY = "{STRIPE}"\n')
    proc = launchready("secrets", ".", "--format", "json", cwd=repo)
    titles = {f["target"]: f["title"] for f in json.loads(proc.stdout)["findings"]}
    assert titles["tracked.py:1"].startswith("Secret in a tracked file: ")
    assert titles["scratch.py:1"].startswith("Secret in an untracked file git does not ignore")
