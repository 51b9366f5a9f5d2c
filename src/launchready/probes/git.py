"""Git as a subprocess that never runs anything the repository configured.

A scanned repository is untrusted input: its ``.git/config`` may name programs for git to run
(``core.fsmonitor``, ``gpg.program`` with ``log.showSignature``, ``diff.<driver>.textconv``,
``filter.<driver>.clean``, a pager ...). Three layers keep every one of them from running:

1. Git never reads the repository's own config for the work. :func:`open_repo` builds a private
   git dir of symlinks to the real objects, refs, index and HEAD with a config of its own that
   holds only the repository-format keys, and every command runs against it. Driver keys with
   free names (``diff.<driver>.command``, ``filter.<driver>.smudge``, ``merge.<driver>.driver``,
   ``remote.<name>.uploadpack``, ``alias.*``, ``include.path`` ...) cannot be overridden one by
   one; without the repository's config they do not exist. System and global config are
   ignored too (``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``).
2. Every invocation, including the discovery that reads the real config, passes ``-c`` overrides
   for every fixed-name key git documents as naming a program (:data:`PROGRAM_KEYS`), turns
   signature display off, and disables hooks, the pager, prompts and every transport.
3. Commands that diff pass ``--no-ext-diff --no-textconv --no-show-signature``.

The private view costs a few symlinks and one ``git config --file`` call per scan.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from launchready.errors import ProbeError
from launchready.probes.files import UnreadableFile, read_capped

#: Every fixed-name key ``git help --config`` lists as naming a program to run, with the value
#: that makes it run nothing (or ``false``, which exits at once). Keys with a free ``<name>`` part
#: are handled by the private git dir (see the module docstring).
PROGRAM_KEYS: dict[str, str] = {
    "core.fsmonitor": "false", "core.hooksPath": "/dev/null", "core.pager": "cat",
    "core.editor": "false", "sequence.editor": "false", "core.askPass": "",
    "core.sshCommand": "false", "core.gitProxy": "", "core.alternateRefsCommand": "",
    "credential.helper": "", "diff.external": "", "interactive.diffFilter": "",
    "gpg.program": "false", "gpg.openpgp.program": "false", "gpg.ssh.program": "false",
    "gpg.x509.program": "false", "gpg.ssh.defaultKeyCommand": "false",
    "log.showSignature": "false", "uploadpack.packObjectsHook": "",
    "sendemail.toCmd": "", "sendemail.ccCmd": "", "help.browser": "false",
    "web.browser": "false", "instaweb.browser": "false", "man.viewer": "false",
    "diff.tool": "", "diff.guitool": "", "merge.tool": "", "merge.guitool": "",
}
SAFE_CONFIG = (
    *(arg for key, value in PROGRAM_KEYS.items() for arg in ("-c", f"{key}={value}")),
    "-c", "core.untrackedCache=false", "-c", "core.quotePath=true",
    "-c", "protocol.allow=never", "-c", "gc.auto=0", "-c", "maintenance.auto=false",
)
#: ``git config --get-regexp`` pattern of the keys the private git dir copies: git needs the
#: repository format to read objects and refs, and the case rules to match paths
_FORMAT_PATTERN = (r"^(core\.(repositoryformatversion|ignorecase|precomposeunicode)"
                   r"|extensions\.(objectformat|refstorage))$")
#: entries of a git dir the private view leaves out: config, hooks and worktree bookkeeping
_LEFT_OUT = frozenset({"config", "config.worktree", "hooks", "worktrees", "commondir", "gitdir",
                       "locked"})


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
            env: Mapping[str, str] | None = None) -> bytes:
    """Run git and return stdout; raise :class:`GitError` with git's first error line.

    This reads the repository's own config (with every program key overridden): scans go
    through :func:`open_repo`, which does not.
    """
    try:
        # without input, stdin is an empty pipe: nothing git starts can read the terminal
        proc = subprocess.run(
            git_argv(root, args), input=b"" if stdin is None else stdin, capture_output=True,
            env=git_env() | dict(env or {}), timeout=timeout, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:g}s") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_first_line(proc.stderr, proc.returncode)}")
    return proc.stdout


def _first_line(err: bytes, code: int) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else str(code)


@contextmanager
def stream_git(root: str | Path, args: Sequence[str],
               env: Mapping[str, str] | None = None) -> Iterator[IO[bytes]]:
    """Run git with stdout as a stream; raises :class:`GitError` if it exits non-zero."""
    try:
        proc = subprocess.Popen(
            git_argv(root, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=git_env() | dict(env or {}))
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
            raise GitError(f"git {args[0]} failed: {_first_line(err, code)}")


@dataclass(frozen=True, kw_only=True)
class GitRepo:
    """A work tree read through a private git dir: the repository's config is never used."""

    top: Path
    view: Path
    config: Path  # the repository's own config file, read only as data

    @property
    def _env(self) -> dict[str, str]:
        return {"GIT_DIR": str(self.view), "GIT_WORK_TREE": str(self.top)}

    def run(self, args: Sequence[str], *, timeout: float = 120.0,
            check: bool = True, index_file: str | None = None) -> bytes:
        """Like :func:`run_git`, in the work tree, through the private git dir.

        ``index_file`` reads that index instead of the repository's (``GIT_INDEX_FILE``: in a
        pre-commit hook of ``git commit -a`` or ``git commit PATH`` it is a temporary file).
        """
        env = self._env if index_file is None else {**self._env, "GIT_INDEX_FILE": index_file}
        return run_git(self.top, args, timeout=timeout, check=check, env=env)

    def stream(self, args: Sequence[str]) -> AbstractContextManager[IO[bytes]]:
        """Like :func:`stream_git`, through the private git dir."""
        return stream_git(self.top, args, env=self._env)

    def config_values(self, key: str) -> list[bytes]:
        """Every value of ``key`` in the repository's own config file (includes not followed)."""
        return _config_file(self.config, ["--get-all", key]).split(b"\n")[:-1]


def _config_file(path: Path, args: Sequence[str]) -> bytes:
    """``git config --file path <args>`` as data; empty when the key is not set."""
    return run_git(path.parent, ["config", "--file", str(path), "--no-includes", *args],
                   timeout=30, check=False, env={"GIT_DIR": os.devnull})


@contextmanager
def open_repo(path: str | Path) -> Iterator[GitRepo | None]:
    """The git work tree containing ``path`` seen through a private git dir, or None.

    :class:`GitError` when the git dir is there but cannot be read.
    """
    p = Path(path)
    where = p if p.is_dir() else p.parent
    try:
        out = run_git(where, ["rev-parse", "--path-format=absolute", "--show-toplevel",
                              "--git-dir", "--git-common-dir"], timeout=30)
    except GitError:
        yield None
        return
    lines = [Path(os.fsdecode(line)) for line in out.split(b"\n")[:3]]
    if len(lines) != 3:
        yield None
        return
    top, git_dir, common = lines
    with tempfile.TemporaryDirectory(prefix="launchready-git-") as tmp:
        view = Path(tmp) / "git"
        try:
            _build_view(view, git_dir, common)
        except (OSError, UnreadableFile) as exc:
            raise GitError(f"cannot read the git dir {git_dir}: {exc}") from None
        yield GitRepo(top=top, view=view, config=common / "config")


def _build_view(view: Path, git_dir: Path, common: Path) -> None:
    """Symlink ``common``'s entries (a worktree's HEAD and index from ``git_dir``) into ``view``.

    HEAD is copied; the view's own config holds only the repository-format keys of the real one.
    """
    view.mkdir()
    entries = {e.name: e for e in common.iterdir() if e.name not in _LEFT_OUT}
    if git_dir != common:  # a linked worktree: its HEAD, index ... override the common ones
        entries.update({e.name: e for e in git_dir.iterdir()
                        if e.name not in _LEFT_OUT and e.name not in ("refs", "logs")})
    for name, target in entries.items():
        if name == "HEAD":
            # git accepts a symlinked HEAD only if it points into refs/: a copy it is
            (view / name).write_bytes(read_capped(target, limit=4096, what="HEAD"))
        else:
            (view / name).symlink_to(target)
    lines = []
    raw = _config_file(common / "config", ["--get-regexp", _FORMAT_PATTERN])
    for line in raw.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        section, _, name = key.partition(".")
        if value.replace("-", "").isalnum():
            lines.append(f"[{section}]\n\t{name} = {value}\n")
    (view / "config").write_text("".join(lines))


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
