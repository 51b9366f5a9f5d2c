"""Usage through the real CLI: fail fast on bad input, never echo a URL password, Ctrl-C.

Bad output paths, enum values and config keys are exit 2 before any work, with a one-line
message naming the argument or key (and "did you mean" when a close name exists). A
``user:password@`` URL is masked in every output. Ctrl-C stops at once with exit 130 and the
partial report marked interrupted.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest

from launchready.urls import MaskingFormatter, mask_credentials


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_url_password_is_never_echoed(tmp_path: Path) -> None:
    url = f"http://sam:PASSWORD@127.0.0.1:{closed_port()}/"
    proc = run("web", url, "--timeout", "2", "--format", "terminal", "--format", "json",
               "--format", "html", "--format", "md", "-o", "r.txt", "-o", "r.json",
               "-o", "r.html", "-o", "r.md", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    outputs = [proc.stdout, proc.stderr] + [
        (tmp_path / name).read_text(encoding="utf-8")
        for name in ("r.txt", "r.json", "r.html", "r.md")]
    assert all("PASSWORD" not in text for text in outputs)
    assert "sam:****@" in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_url_password_is_masked_in_usage_errors(tmp_path: Path) -> None:
    proc = run("web", "https://sam:PASSWORD@[::1", cwd=tmp_path)
    assert proc.returncode == 2
    assert "PASSWORD" not in proc.stderr and "sam:****@" in proc.stderr


@pytest.mark.parametrize(("files", "args", "needle"), [
    ({}, ("secrets", ".", "-o", "missing/dir/report.html"), "missing/dir does not exist"),
    ({"sub": None}, ("secrets", ".", "-o", "sub"), "is a directory"),
    ({"launchready.toml": '[app]\nenvironment = "prod"\n'}, ("audit",),
     "did you mean 'production'?"),
    ({"launchready.toml": '[app]\ndomian = "example.com"\n'}, ("audit",),
     "did you mean 'domain'?"),
    ({"launchready.toml": '[app]\nname = "x"\n'}, ("env", "--environment", "qa"),
     "environment 'qa' is not one of"),
    ({}, ("secrets", ".", "--format", "jsn"), "did you mean 'json'?"),
    ({}, ("scerets",), "did you mean 'secrets'?"),
], ids=["output-dir-missing", "output-is-dir", "app-environment", "unknown-key",
        "env-environment", "format-choice", "command-choice"])
def test_bad_usage_fails_before_any_work(tmp_path: Path, files: dict[str, str | None],
                                          args: tuple[str, ...], needle: str) -> None:
    for name, content in files.items():
        if content is None:
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(content, encoding="utf-8")
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr
    assert proc.stdout == ""  # nothing ran
    assert "Traceback" not in proc.stderr


def _long_history(repo: Path, commits: int = 3000) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    rng = random.Random(7)
    parts = []
    for i in range(commits):
        data = "".join(rng.choice(string.ascii_letters + " \n") for _ in range(3000))
        parts.append(f"blob\nmark :{2 * i + 1}\ndata {len(data)}\n{data}\n")
        parts.append(f"commit refs/heads/main\nmark :{2 * i + 2}\n"
                     f"committer a <a@example.com> {1_600_000_000 + i} +0000\ndata 2\nc\n"
                     + (f"from :{2 * i}\n" if i else "")
                     + f"M 100644 :{2 * i + 1} f{i % 50}.txt\n\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input="".join(parts).encode(),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)


def _read_proc(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        return ""


def _children(pid: int) -> list[str]:
    return [child for task in Path(f"/proc/{pid}/task").glob("*/children")
            for child in _read_proc(task).split()]


def _wait_for_git_child(pid: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # a child started by any thread (the scan runs git from a worker thread); threads and
        # children come and go while we look, so a vanished /proc entry is simply skipped
        for child in _children(pid):
            if _read_proc(Path(f"/proc/{child}/comm")).strip().startswith("git"):
                time.sleep(0.3)
                return
        time.sleep(0.05)
    raise AssertionError("the history scan did not start within 60 s")


def test_ctrl_c_stops_at_once_with_a_partial_report(tmp_path: Path) -> None:
    # Given a history scan that takes seconds, When Ctrl-C arrives mid-scan, Then the tool
    # exits 130 within a second, prints the report so far marked interrupted, no traceback
    _long_history(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "launchready", "secrets", ".", "--history", "--no-color"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    _wait_for_git_child(proc.pid)  # the history scan has started (it runs git)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert took < 2.0, f"Ctrl-C took {took:.1f}s"
    assert "Traceback" not in err
    assert "interrupted (Ctrl-C)" in out and "did not finish" in out
    assert "Nothing has to be fixed" not in out


def test_log_lines_mask_url_passwords() -> None:
    record = logging.LogRecord("m", logging.INFO, __file__, 1,
                               "check %s failed", ("https://ops:s3cret@status.example/",), None)
    assert MaskingFormatter("%(message)s").format(record) == \
        "check https://ops:****@status.example/ failed"
    assert mask_credentials("postgresql://app:pw@db:5432/x and https://u@h/") == \
        "postgresql://app:****@db:5432/x and https://u@h/"
