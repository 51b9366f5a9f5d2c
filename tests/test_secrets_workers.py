"""Large scans run in worker processes: the same result as a serial scan, in the same order,
and a worker that dies does not lose its batch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from launchready.probes.git import git_env
from launchready.secrets import history, tree
from launchready.secrets.rules import make_checksummed_token
from launchready.secrets.scanner import Scanner
from launchready.secrets.workers import run_batches, worker_pool

KEYS = ["sk_" + "live_" + body for body in (
    "51Hq8ZkW3nR5tY2uV9xB4cD7e", "51Zr7QpL2mN8vB3xC6kJ9wT4y", "51Mn4BvC8xZ2kL6jH9gF3dS7a")]
TOKEN = make_checksummed_token("ghp", "Zk3mQ9vT2xLp8RwN4bYc7HsJ1dFgA6")


def _fast_import(repo: Path, commits: int) -> None:
    """``commits`` commits on main, a secret added (and later changed) every 40th."""
    stream: list[bytes] = []
    for n in range(commits):
        files = {f"src/mod{n % 7}.py": f"VALUE_{n} = {n}\n"}
        if n % 40 == 5:
            files[f"conf/k{n}.env"] = f"STRIPE_KEY={KEYS[n % 3]}\n"
        if n == commits - 3:
            files["app/main.ts"] = "\n".join(["const a = 1;"] * 9 + [f'const t = "{TOKEN}";'])
        stream.append(f"commit refs/heads/main\nmark :{n + 1}\n"
                      f"committer t <t@acme.example> {1700000000 + n} +0000\n"
                      f"data 3\nc{n % 10}\n".encode())
        if n:
            stream.append(f"from :{n}\n".encode())
        for path, text in files.items():
            raw = text.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(raw)}\n".encode() + raw + b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream),
                   check=True, capture_output=True, env=git_env(), timeout=60)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True,
                   capture_output=True, env=git_env(), timeout=30)


def _rows(scan: history.HistoryScan) -> list[tuple[str, str, int, str, str, bool]]:
    return sorted((h.commit, h.path, h.line, h.match.rule.id, h.match.hash, h.in_head)
                  for h in scan.hits)


def test_history_in_workers_equals_the_serial_walk(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=git_env())
    _fast_import(repo, 260)
    scanner = Scanner()
    serial = history.scan_history(repo, scanner)
    monkeypatch.setattr(history, "MIN_SLICE", 30)
    with worker_pool() as pool:
        assert pool is not None  # these machines have two cores or more
        parallel = history.scan_history(repo, scanner, pool=pool)
    assert serial.complete and parallel.complete
    assert serial.commits == parallel.commits == 260
    assert _rows(parallel) == _rows(serial)
    # every planted value, attributed to the commit that added it, at its line
    assert len({r[4] for r in _rows(serial)}) == 4
    assert ("app/main.ts", 10) in {(r[1], r[2]) for r in _rows(serial)}


def test_tree_in_workers_equals_the_serial_scan(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    for n in range(40):
        d = root / f"pkg{n % 4}"
        d.mkdir(parents=True, exist_ok=True)
        body = f"value = {n}\n" * 50
        if n % 9 == 0:
            body += f"STRIPE_KEY = '{KEYS[n % 3]}'\n"
        (d / f"f{n:02}.py").write_text(body)
    (root / "pkg0" / "package-lock.json").write_text('{"k": "' + KEYS[0] + '"}')
    (root / "pkg1" / "logo.png").write_bytes(b"\x89PNG\0\0")
    scanner = Scanner()
    serial = tree.scan_tree([root], scanner, use_git=False)
    monkeypatch.setattr(tree, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(tree, "BATCH_FILES", 3)
    with worker_pool() as pool:
        parallel = tree.scan_tree([root], scanner, use_git=False, pool=pool)
    assert [(f.path, [(m.line, m.hash) for m in f.matches]) for f in parallel.files] == \
        [(f.path, [(m.line, m.hash) for m in f.matches]) for f in serial.files]
    assert parallel.skipped == serial.skipped and parallel.scanned == serial.scanned == 40
    assert len(serial.files) == 5 and {s.reason for s in serial.skipped} == {
        "binary", "excluded: lockfile (package-lock.json)"}


def _die_on_odd(n: int) -> int:
    if n % 2:
        os._exit(9)  # the worker is killed in the middle of a batch
    return n * 10


def _here(n: int) -> int:
    return n * 10


def test_a_batch_whose_worker_died_runs_again_here() -> None:
    with worker_pool() as pool:
        assert run_batches(pool, _die_on_odd, list(range(6)), _here) == [0, 10, 20, 30, 40, 50]


def test_history_leaves_excluded_paths_to_git(tmp_path: Path) -> None:
    """Lockfiles are excluded by a pathspec: git never diffs them, and a key in one is not
    reported, while the same key elsewhere is, and every commit is counted."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=git_env())
    stream = []
    for n, (path, text) in enumerate([("package-lock.json", f'{{"k": "{KEYS[0]}"}}\n'),
                                      ("web/yarn.lock", f"key {KEYS[1]}\n"),
                                      ("app/keys.py", f"STRIPE_KEY = '{KEYS[2]}'\n")]):
        raw = text.encode()
        stream.append(f"commit refs/heads/main\nmark :{n + 1}\ncommitter t <t@acme.example> "
                      f"{1700000000 + n} +0000\ndata 2\nc\n".encode()
                      + (f"from :{n}\n".encode() if n else b"")
                      + f"M 100644 inline {path}\ndata {len(raw)}\n".encode() + raw + b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream),
                   check=True, capture_output=True, env=git_env(), timeout=60)
    scan = history.scan_history(repo, Scanner())
    assert scan.complete and scan.commits == 3
    assert [h.path for h in scan.hits] == ["app/keys.py"]
