"""Scanning a repository never runs a program its git config names.

The hostile repository sets every key ``git help --config`` documents as naming a program (each
to its own marker script), the switches that make git call them (``log.showSignature``, a
``.gitattributes`` naming drivers, hooks), and carries commits signed in all three formats git
verifies. ``launchready secrets --history`` must still find the planted secret while no marker
file appears.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.probes.git import PROGRAM_KEYS, git_env, open_repo, run_git
from launchready.secrets.sample_repo import demo_secret, make_sample_repo

#: last part of a key that names a program for git to run
_PROGRAM_PART = re.compile(
    r"(program|command|cmd|helper|hookspath|external|textconv|pager|editor|fsmonitor|askpass"
    r"|gitproxy|driver|clean|smudge|process|receivepack|uploadpack|packobjectshook|difffilter"
    r"|browser|viewer)$", re.I)
#: keys the pattern matches that hold no program (booleans, a layout, a database driver name)
_NOT_PROGRAMS = {"color.pager", "gitcvs.dbdriver", "column.clean", "advice.waitingforeditor",
                 "diff.<driver>.cachetextconv"}
#: keys some git versions do not list but that run a program too
_ALSO = ("filter.<driver>.process", "pager.<cmd>", "credential.<url>.helper")
_PLACEHOLDERS = {"<driver>": ["lr"], "<tool>": ["lr"], "<name>": ["origin"], "<cmd>": ["log"],
                 "<format>": ["openpgp", "ssh", "x509"], "<url>": ["https://example.test"]}
#: the armour line of each signature format git verifies (gpg-interface.c)
_SIGNATURES = ("-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----",
               "-----BEGIN SIGNED MESSAGE-----")
_HOOKS = ("post-checkout", "post-index-change", "pre-auto-gc", "reference-transaction",
          "post-rewrite", "pre-commit", "fsmonitor-watchman")


def program_templates() -> list[str]:
    """Every key the installed git documents that names a program (``diff.<driver>.command``)."""
    listed = subprocess.run(["git", "help", "--config"], capture_output=True, text=True,
                            check=True, timeout=30, env=git_env()).stdout.split()
    return [k for k in [*listed, *_ALSO] if k.lower() not in _NOT_PROGRAMS and (
        _PROGRAM_PART.search(k.rsplit(".", 1)[-1]) or k.endswith("<tool>.path")
        or k.startswith("pager."))]


def documented_program_keys() -> list[str]:
    """:func:`program_templates` with every placeholder filled in."""
    out: list[str] = []
    for key in program_templates():
        expanded = [key]
        for hole, fills in _PLACEHOLDERS.items():
            expanded = [e.replace(hole, f) for e in expanded for f in (fills if hole in e
                                                                       else [""])]
        out.extend(e for e in expanded if "<" not in e and "*" not in e)
    return sorted(set(out))


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = git_env() | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@acme.example",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@acme.example"}
    return subprocess.run(["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
                          env=env, check=True, capture_output=True, timeout=30,
                          input=stdin).stdout


def _sign_commits(repo: Path) -> None:
    """Add one commit per signature format on top of main (the signatures need not verify)."""
    for armour in _SIGNATURES:
        tree = _git(repo, "rev-parse", "HEAD^{tree}").decode().strip()
        parent = _git(repo, "rev-parse", "HEAD").decode().strip()
        end = armour.replace("BEGIN", "END")
        body = (f"tree {tree}\nparent {parent}\nauthor t <t@t> 1767600000 +0000\n"
                f"committer t <t@t> 1767600000 +0000\ngpgsig {armour}\n \n iQEzBAABCAAd\n"
                f" =abcd\n {end}\n\nsigned\n")
        commit = _git(repo, "hash-object", "-t", "commit", "-w", "--stdin",
                      stdin=body.encode()).decode().strip()
        _git(repo, "update-ref", "refs/heads/main", commit)


def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repo with a secret in its history whose config names a marker script for every key."""
    repo = make_sample_repo(tmp_path / "evil", fixed=False)
    _sign_commits(repo)
    markers = tmp_path / "markers"
    markers.mkdir()
    scripts = tmp_path / "scripts"
    hooks = tmp_path / "hooks"
    scripts.mkdir()
    hooks.mkdir()

    def marker_script(where: Path, key: str) -> str:
        name = re.sub(r"[^A-Za-z0-9.-]+", "_", key)
        script = where / name
        script.write_text(f'#!/bin/sh\necho "$@" > "{markers}/{name}"\ncat > /dev/null\nexit 1\n')
        script.chmod(0o755)
        return str(script)

    for key in documented_program_keys():
        value = str(hooks) if key.lower() == "core.hookspath" else marker_script(scripts, key)
        _git(repo, "config", key, value)
    for hook in _HOOKS:
        marker_script(hooks, hook)
    # the switches that make git call the programs above
    for key, value in (("log.showSignature", "true"), ("diff.lr.cachetextconv", "true"),
                       ("filter.lr.required", "true"), ("remote.origin.url", str(tmp_path)),
                       ("gpg.ssh.allowedSignersFile", str(scripts / "allowed")),
                       ("include.path", str(tmp_path / "included"))):
        _git(repo, "config", key, value)
    (tmp_path / "included").write_text(f"[core]\n\tpager = {marker_script(scripts, 'inc')}\n")
    (scripts / "allowed").write_text("t@t ssh-ed25519 AAAA\n")
    (repo / ".gitattributes").write_text("* diff=lr merge=lr filter=lr\n")
    (repo / "untracked.txt").write_text("new\n")
    return repo, markers


def test_git_documents_the_keys_the_test_sets() -> None:
    # the walk must find the keys that are known to run programs, or it proves nothing
    keys = {k.lower() for k in documented_program_keys()}
    assert {"core.fsmonitor", "gpg.program", "gpg.ssh.program", "gpg.x509.program",
            "diff.external", "diff.lr.textconv", "filter.lr.clean", "core.sshcommand",
            "credential.helper", "core.pager"} <= keys
    assert len(keys) > 30


def test_every_fixed_name_program_key_is_overridden_on_each_call() -> None:
    # keys with a free <name> part cannot be overridden one by one: the private git dir
    # leaves them out; every other one is overridden on the command line as well
    fixed = {k.lower() for k in program_templates() if "<" not in k and "*" not in k}
    assert fixed - {k.lower() for k in PROGRAM_KEYS} == set()


def test_secrets_history_runs_nothing_the_repository_configured(tmp_path: Path) -> None:
    repo, markers = hostile_repo(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "launchready", "secrets", str(repo), "--history",
         "--format", "json"], capture_output=True, text=True, timeout=120, env=env,
        check=False, stdin=subprocess.DEVNULL)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert proc.returncode == 1, proc.stderr
    found = {f["rule_id"] for f in json.loads(proc.stdout)["findings"]}
    assert {"SEC002", "SEC006"} <= found
    assert demo_secret() not in proc.stdout
    # and the same repository really does run them when git is used plainly
    subprocess.run(["git", "-C", str(repo), "log", "-p", "-3"], capture_output=True,
                   timeout=30, check=False, env=env | {"GIT_PAGER": "", "PAGER": ""},
                   stdin=subprocess.DEVNULL)
    ran = {p.name for p in markers.iterdir()}
    assert {"gpg.ssh.program", "gpg.x509.program"} <= ran
    assert {"gpg.program", "gpg.openpgp.program"} & ran


def test_overrides_alone_keep_git_log_from_running_programs(tmp_path: Path) -> None:
    # the -c overrides are a second layer: even run against the repository's own config,
    # the history command runs none of its programs
    repo, markers = hostile_repo(tmp_path)
    run_git(repo, ["log", "-p", "-U0", "--all", "--no-ext-diff", "--no-textconv",
                   "--no-show-signature", "--format=%H"])
    run_git(repo, ["ls-files", "-z", "--others", "--exclude-standard"])
    assert sorted(p.name for p in markers.iterdir()) == []


def test_private_view_reads_a_linked_worktree_and_its_own_head(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path / "main", fixed=False)
    _git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    (tmp_path / "wt" / "new.txt").write_text("x\n")
    with open_repo(tmp_path / "wt") as view:
        assert view is not None
        assert view.top == (tmp_path / "wt").resolve()
        assert view.run(["rev-parse", "--abbrev-ref", "HEAD"]).strip() == b"side"
        assert view.run(["ls-files", "--others", "--exclude-standard"]).strip() == b"new.txt"
        assert not (view.view / "hooks").exists()
        assert "pager" not in (view.view / "config").read_text()


@pytest.mark.parametrize("fmt", ["sha256"])
def test_private_view_keeps_the_object_format(tmp_path: Path, fmt: str) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q", f"--object-format={fmt}", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    _git(repo, "add", "a.txt")
    _git(repo, "commit", "-qm", "one")
    with open_repo(repo) as view:
        assert view is not None
        assert len(view.run(["rev-parse", "HEAD"]).strip()) == 64
