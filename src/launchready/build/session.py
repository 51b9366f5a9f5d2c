"""One clean production build: checkout, install, build, and (when it fails) the same build
with the working tree's untracked files, to tell DEPLOY001 from DEPLOY002.

``build_session`` is an async context manager: the checkout (and the build output in it) exists
inside the ``async with`` block and is removed on every exit, Ctrl-C and timeouts included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from launchready.build.detect import BuildPlan
from launchready.build.environment import phase_environment
from launchready.build.workspace import PREFIX, checkout_into, head_commit, overlay, untracked_files
from launchready.errors import ProbeError
from launchready.probes.build import PhaseResult, run_phase
from launchready.probes.git import GitRepo, open_repo
from launchready.secrets.redact import mask
from launchready.secrets.scanner import Scanner

TAIL_LINES = 12
MAX_MASKED_LOG = 32 << 20
#: tools that read .env.production from disk by themselves
DOTENV_READERS = ("Vite", "Next.js", "Nuxt", "Astro", "SvelteKit", "Remix", "Create React App")
_ERROR_LINE = re.compile(r"error|failed|cannot|could not|not found|missing|enoent|exception",
                         re.I)
#: the shell's exit codes for a command it cannot find, and for one it may not execute
_NOT_FOUND = 127
_NOT_EXECUTABLE = 126
_FRAME = re.compile(r"^\s+at |^\s+File \"|^\s*\^+\s*$")
#: what package managers print when the registry cannot be reached
_NETWORK = re.compile(r"E(?:AI_AGAIN|NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)\b|"
                      r"getaddrinfo|Could not resolve host|Failed to establish a new connection|"
                      r"Temporary failure in name resolution|Network is unreachable")
_SOURCE_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte", ".astro", ".py",
               ".json", ".toml", ".yaml", ".yml", ".html", ".css", ".scss")

Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class BuildRun:
    """What a clean build did. ``checkout`` and ``output_dir`` exist only inside the session."""

    plan: BuildPlan
    commit: str
    phases: tuple[PhaseResult, ...]
    log: Path
    #: the last error lines of the failed phase, secrets masked
    log_tail: tuple[str, ...]
    failed_phase: PhaseResult | None
    #: files git does not track that made the failed build pass (DEPLOY002)
    needed_files: tuple[str, ...] = ()
    checkout: Path | None = None
    output_dir: Path | None = None
    #: the install could not reach its package registry (the tool could not look; no finding)
    unreachable: str | None = None
    #: the program a failed phase starts with is not on this machine's PATH, or is a program of
    #: this machine this user may not run (no finding either; a project binary missing from the
    #: clean install, or committed without its executable bit, is a finding)
    missing_tool: str | None = None

    @property
    def ok(self) -> bool:
        """True when the clean build passed."""
        return self.failed_phase is None


def _secret_values(production: Mapping[str, str]) -> list[str]:
    # every production value long enough to be a credential is masked wherever it shows up
    return sorted((v for v in production.values() if len(v) >= 8), key=len, reverse=True)


def mask_text(text: str, production: Mapping[str, str], scanner: Scanner) -> str:
    """``text`` with production values and anything the secret scanner finds masked."""
    for value in _secret_values(production):
        text = text.replace(value, mask(value))
    data = text.encode("utf-8", "surrogateescape")
    for m in sorted(scanner.scan(data), key=lambda m: m.start, reverse=True):
        data = data[:m.start] + m.masked.encode() + data[m.end:]
    return data.decode("utf-8", "surrogateescape")


def _mask_log(log: Path, production: Mapping[str, str], scanner: Scanner) -> None:
    with contextlib.suppress(OSError):
        if log.stat().st_size <= MAX_MASKED_LOG:
            text = log.read_bytes().decode("utf-8", "surrogateescape")
            log.write_bytes(mask_text(text, production, scanner).encode(
                "utf-8", "surrogateescape"))


def _tail(text: str, checkout: Path) -> tuple[str, ...]:
    # paths inside the temporary checkout read as project paths; stack frames are noise
    text = text.replace(f"{checkout}/", "").replace(str(checkout), ".")
    lines = [ln.rstrip() for ln in text.splitlines()
             if ln.strip() and not _FRAME.match(ln)]
    errors = [ln for ln in lines if _ERROR_LINE.search(ln) and not ln.startswith("$ ")]
    picked = errors[-TAIL_LINES:] if errors else lines[-TAIL_LINES:]
    return tuple(ln[:300] for ln in picked)


def _referenced(copied: list[str], log_text: str, checkout: Path, plan: BuildPlan) -> list[str]:
    """The copied files the failed build asked for: named in its log, read by the framework
    (env files) or named in the tracked sources."""
    hits: list[str] = []
    for rel in copied:
        name = Path(rel).name
        stem = name.split(".")[0] if not name.startswith(".") else name
        named = rel in log_text or name in log_text or (len(stem) >= 4 and stem in log_text)
        if named or (name.startswith(".env") and plan.framework in DOTENV_READERS):
            hits.append(rel)
    if hits:
        return hits
    texts: list[str] = []
    for path in checkout.rglob("*"):
        if len(texts) >= 2000:
            break
        if path.suffix in _SOURCE_EXT and "node_modules" not in path.parts and path.is_file():
            with contextlib.suppress(OSError):
                texts.append(path.read_text(encoding="utf-8", errors="replace")[:1 << 20])
    blob = "\n".join(texts)
    return [rel for rel in copied if Path(rel).name in blob
            or (Path(rel).stem in blob and len(Path(rel).stem) >= 4)]


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def left(self) -> float:
        return self.end - time.monotonic()


async def _phases(plan: BuildPlan, where: Path, production: Mapping[str, str], log: Path,
                  deadline: _Deadline, progress: Progress | None, *, start: int = 0
                  ) -> list[PhaseResult]:
    steps = [("install", plan.install), ("build", plan.command)]
    done: list[PhaseResult] = []
    for name, command in steps[start:]:
        if not command:
            continue
        if progress is not None:
            progress(f"{name}: {command}")
        left = deadline.left()
        if left <= 0:
            done.append(PhaseResult(name=name, command=command, returncode=None, seconds=0.0,
                                    timed_out=True))
            break
        cwd = (where / plan.install_dir) if name == "install" else where
        result = await run_phase(name, command, cwd=cwd, log=log, timeout=left,
                                 env=phase_environment(production, install=name == "install"))
        done.append(result)
        if not result.ok:
            break
    return done


def _missing_tool(failed: PhaseResult | None, checkout: Path) -> str | None:
    if failed is None or failed.returncode not in (_NOT_FOUND, _NOT_EXECUTABLE):
        return None
    try:
        words = shlex.split(failed.command)
    except ValueError:  # unbalanced quotes: the shell said so already
        return None
    first = words[0] if words else ""
    if not first:
        return None
    if failed.returncode == _NOT_FOUND:
        return first if shutil.which(first) is None else None
    # a program of this machine (absolute, outside the checkout) this user may not run; a
    # committed script without its executable bit fails on the platform too
    path = Path(first)
    inside = path.is_absolute() and path.resolve().is_relative_to(checkout.resolve())
    return first if path.is_absolute() and not inside and not os.access(path, os.X_OK) else None


def new_log(root: Path) -> Path:
    """A new build log for the repository at ``root``: outside every tree, mode 0600, a name
    nobody can plant a symlink at beforehand."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", root.name)[:40] or "project"
    fd, name = tempfile.mkstemp(prefix=f"launchready-log-{slug}-", suffix=".build.log")
    os.close(fd)
    return Path(name)


@contextlib.asynccontextmanager
async def build_session(*, project: Path, plan: BuildPlan, production: Mapping[str, str],
                        timeout: float, progress: Progress | None = None
                        ) -> AsyncIterator[BuildRun]:
    """Build HEAD of the repository holding the project folder ``project``."""
    # git runs in a thread: the event loop may be serving other checks (or the demo app)
    opened = open_repo(project)
    repo = await asyncio.to_thread(opened.__enter__)
    try:
        if repo is None:
            raise ProbeError(f"{project} is not in a git repository: there is no HEAD to build")
        async with _session(repo=repo, project=project, plan=plan, production=production,
                            timeout=timeout, progress=progress) as run:
            yield run
    finally:
        opened.__exit__(None, None, None)


@contextlib.asynccontextmanager
async def _session(*, repo: GitRepo, project: Path, plan: BuildPlan,
                   production: Mapping[str, str], timeout: float, progress: Progress | None
                   ) -> AsyncIterator[BuildRun]:
    root = repo.top
    commit = await asyncio.to_thread(head_commit, repo)
    sub = await asyncio.to_thread(lambda: project.resolve().relative_to(root.resolve()))
    log = await asyncio.to_thread(new_log, root)
    tmp = Path(tempfile.mkdtemp(prefix=PREFIX))
    scanner = Scanner()
    clone: asyncio.Future[None] | None = None
    try:
        if progress is not None:
            progress(f"checkout: {commit[:12]} into a temporary folder")
        dest = tmp / "checkout"
        clone = asyncio.ensure_future(asyncio.to_thread(checkout_into, repo, dest, commit))
        await asyncio.shield(clone)
        where = dest / sub
        deadline = _Deadline(timeout)
        phases = await _phases(plan, where, production, log, deadline, progress)
        failed = next((p for p in phases if not p.ok), None)
        needed: list[str] = []
        unreachable = None
        if failed is not None and not failed.timed_out:
            clean_log = await asyncio.to_thread(log.read_text, encoding="utf-8",
                                                errors="replace")
            unreachable = _NETWORK.search(clean_log) if failed.name == "install" else None
            spec = "" if str(sub) == "." else sub.as_posix()
            names = await asyncio.to_thread(untracked_files, repo, spec)
            copied = [] if unreachable else await asyncio.to_thread(overlay, root, dest, names)
            if copied:
                if progress is not None:
                    progress(f"retry with {len(copied)} untracked file(s) of the working tree")
                again = await _phases(plan, where, production, log, deadline, progress,
                                      start=0 if failed.name == "install" else 1)
                if again and all(p.ok for p in again):
                    needed = await asyncio.to_thread(_referenced, copied, clean_log, dest, plan)
                    needed = needed or copied[:10]
            tail = _tail(mask_text(clean_log, production, scanner), dest)
        elif failed is not None:
            tail = (f"{failed.name} stopped after {deadline.seconds:g}s (build.timeout)",)
        else:
            tail = ()
        await asyncio.to_thread(_mask_log, log, production, scanner)
        output = where / plan.output if plan.output and failed is None else None
        yield BuildRun(plan=plan, commit=commit, phases=tuple(phases), log=log, log_tail=tail,
                       failed_phase=failed, needed_files=tuple(needed), checkout=where,
                       unreachable=unreachable.group(0) if unreachable else None,
                       missing_tool=_missing_tool(failed, dest),
                       output_dir=output if output is not None and output.exists() else None)
    finally:
        if clone is not None and not clone.done():
            with contextlib.suppress(BaseException):
                await clone  # the clone thread must finish before its folder is removed
        try:
            # node_modules takes a while to delete: off the event loop when it can be
            await asyncio.to_thread(shutil.rmtree, tmp, True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
