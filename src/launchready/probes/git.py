"""Git as a subprocess that never runs anything the repository configured.

A scanned repository is untrusted input: its ``.git/config`` may set ``core.fsmonitor`` (run on
every index refresh), ``core.hooksPath``, ``diff.external``, textconv drivers or a pager. Every
invocation here therefore passes ``-c core.fsmonitor=false -c core.hooksPath=/dev/null``, uses
``--no-ext-diff --no-textconv`` where diffs are produced, ignores system and global config
(``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``), disables the pager and prompts,
and never fetches.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from launchready.errors import ProbeError

SAFE_CONFIG = (
    "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
    "-c", "diff.external=", "-c", "core.untrackedCache=false", "-c", "core.quotePath=true",
    "-c", "protocol.allow=never", "-c", "credential.helper=", "-c", "core.sshCommand=false",
    "-c", "gc.auto=0", "-c", "maintenance.auto=false",
)


class GitError(ProbeError):
    """Git failed (not a repository, bad revision, corrupt object ...)."""


def git_env() -> dict[str, str]:
    """The environment every git call runs in."""
    keep = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    keep.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                 "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat",
                 "GIT_OPTIONAL_LOCKS": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "",
                 "LC_ALL": "C"})
    return keep


def git_argv(root: str | Path, args: Sequence[str]) -> list[str]:
    """The full argv for ``git <args>`` in ``root``."""
    # safe.directory lets a repository owned by another user be read (only reading happens
    # here, with every repo-configured command disabled above)
    return ["git", "-C", str(root), "-c", f"safe.directory={Path(root).resolve()}",
            *SAFE_CONFIG, "--no-pager", *args]


def run_git(root: str | Path, args: Sequence[str], *, timeout: float = 120.0,
            stdin: bytes | None = None, check: bool = True,
            index_file: str | None = None) -> bytes:
    """Run git and return stdout; raise :class:`GitError` with git's first error line.

    ``index_file`` reads that index instead of the repository's own (``GIT_INDEX_FILE``: inside
    a pre-commit hook of ``git commit -a`` or ``git commit PATH`` the commit's index is a
    temporary file).
    """
    env = git_env()
    if index_file is not None:
        env["GIT_INDEX_FILE"] = index_file
    try:
        proc = subprocess.run(
            git_argv(root, args), input=stdin, capture_output=True, env=env,
            timeout=timeout, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:g}s") from None
    if check and proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {first[0] if first else proc.returncode}")
    return proc.stdout


@contextmanager
def stream_git(root: str | Path, args: Sequence[str]) -> Iterator[IO[bytes]]:
    """Run git with stdout as a stream; raises :class:`GitError` if it exits non-zero."""
    try:
        proc = subprocess.Popen(
            git_argv(root, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=git_env())
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    assert proc.stdout is not None and proc.stderr is not None  # noqa: S101 - PIPE given
    failed = False
    try:
        yield proc.stdout
    except BaseException:
        failed = True
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait()
        if not failed and code != 0:
            first = err.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {first[0] if first else code}")


def repo_root(path: str | Path) -> Path | None:
    """The top of the work tree containing ``path``, or None when it is not in a git repo."""
    p = Path(path)
    where = p if p.is_dir() else p.parent
    try:
        out = run_git(where, ["rev-parse", "--show-toplevel"], timeout=30)
    except GitError:
        return None
    return Path(os.fsdecode(out.rstrip(b"\n")))


def unquote_path(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"a\\nb"`` -> ``a<newline>b``)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"')):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    simple = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7,
              ord("b"): 8, ord("f"): 12, ord("r"): 13, ord("v"): 11}
    while i < len(body):
        c = body[i]
        if c == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            if 48 <= nxt <= 55 and i + 3 < len(body) + 0:
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(simple.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)
