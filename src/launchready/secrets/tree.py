"""Files to scan: the working tree (tracked + untracked-not-ignored) and plain directories.

Reading is defensive: files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
``fstat`` to be regular files, so a symlink to ``/dev/random`` or a FIFO can neither hang nor
flood the scan; symlinks are followed only when their target stays inside the scan root and is
a regular file; huge files (a 2 GB sparse file), binaries (NUL bytes, image/archive suffixes)
and archives (a zip bomb) are skipped with a recorded reason instead of being read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from launchready.probes.git import GitError, open_repo, repo_root
from launchready.secrets.allow import Excludes
from launchready.secrets.scanner import Match, Scanner
from launchready.secrets.tracked_env import credential_names, is_env_file
from launchready.secrets.workers import Workers, run_batches, worker_scanner

DEFAULT_MAX_BYTES = 20 << 20
#: a tree with fewer bytes than this is scanned in this process: below it, starting worker
#: processes costs more than it saves (a starter repository is 2-10 MB)
PARALLEL_BYTES = 16 << 20
#: files handed to a worker at a time
BATCH_FILES = 256
_SNIFF = 8192
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tiff", ".avif", ".pdf",
    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".mov", ".wav",
    ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".class", ".jar", ".pyc", ".wasm", ".bin",
    ".sqlite", ".db",
})
ARCHIVE_SUFFIXES = frozenset({".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar",
                              ".tar", ".br", ".lz4"})
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache"})


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A file that was not scanned, and why ("size", "binary", "archive", "symlink" ...)."""

    path: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class FileHits:
    """Secrets found in one file; ``path`` is relative to the scan root (or absolute)."""

    path: str
    matches: tuple[Match, ...]


@dataclass(frozen=True, kw_only=True)
class TreeScan:
    """Result of scanning a set of files."""

    files: tuple[FileHits, ...]
    skipped: tuple[Skipped, ...]
    scanned: int
    tracked: tuple[str, ...] = ()
    git: bool = False
    #: every env file read (``.env``, ``.env.production``): the secret-named variables it
    #: holds with a value that could be real (:mod:`launchready.secrets.tracked_env`)
    env_credentials: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def read_capped(path: Path, *, root: Path | None, max_bytes: int) -> bytes | Skipped:
    """The file's bytes, or why it was not read. Never follows a symlink out of ``root``."""
    data = _read(str(path), str(path), root=root, max_bytes=max_bytes)
    return Skipped(path=str(path), reason="not a regular file") if data is None else data


def _read(full: str, name: str, *, root: Path | None, max_bytes: int) -> bytes | Skipped | None:
    """Like :func:`read_capped`, but None for a directory (a submodule: not part of the tree).

    The common case costs one ``open``, one ``fstat`` and one ``read``: ``O_NOFOLLOW`` makes
    the open itself report a symlink (``ELOOP``), which only then gets resolved and checked.
    """
    data = _open_read(full, name, max_bytes)
    if data is not _SYMLINK:
        return data
    try:
        target = Path(full).resolve(strict=True)
    except (OSError, RuntimeError):
        return Skipped(path=name, reason="symlink: dangling or loop")
    if root is None or not target.is_relative_to(root.resolve()):
        return Skipped(path=name, reason="symlink: target outside the scan root")
    data = _open_read(str(target), name, max_bytes)
    if data is _SYMLINK:  # swapped for a symlink between resolve and open
        return Skipped(path=name, reason="symlink: changed while reading")
    return Skipped(path=name, reason="not a regular file") if data is None else data


class _Symlink(Skipped):
    """Marker: the path is a symlink, to be resolved by the caller."""


_SYMLINK = _Symlink(path="", reason="symlink")


def _suffix_reason(full: str) -> str | None:
    suffix = os.path.splitext(full)[1].lower()
    if suffix in ARCHIVE_SUFFIXES:
        return "archive: not unpacked"
    if suffix in BINARY_SUFFIXES:
        return "binary"
    return None


def _open_read(full: str, name: str, max_bytes: int) -> bytes | Skipped | None:
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _SYMLINK
        return Skipped(path=name, reason=_suffix_reason(full) or f"unreadable: {exc.strerror}")
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return None
        reason = _suffix_reason(full)
        if reason is not None:
            return Skipped(path=name, reason=reason)
        if not stat.S_ISREG(st.st_mode):
            return Skipped(path=name, reason="not a regular file")
        if st.st_size > max_bytes:
            return Skipped(path=name, reason=f"size: {st.st_size} bytes > {max_bytes}")
        # ask for one byte more than the size: a file that grew since fstat is caught below
        chunks = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(max_bytes + 1 - total, max(st.st_size + 1, _SNIFF)))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        return Skipped(path=name, reason=f"unreadable: {exc.strerror}")
    finally:
        os.close(fd)
    if total > max_bytes:
        return Skipped(path=name, reason=f"size: more than {max_bytes} bytes")
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if data.find(b"\x00", 0, _SNIFF) != -1:
        text = _utf16_text(data)
        return Skipped(path=name, reason="binary") if text is None else text
    return data


def _utf16_text(data: bytes) -> bytes | None:
    """UTF-16 text (Windows editors, PowerShell output) as UTF-8, or None for a binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    else:
        sniff = data[:_SNIFF - _SNIFF % 2]
        even, odd = sniff[0::2], sniff[1::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
            codec = "utf-16-le"
        elif even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
            codec = "utf-16-be"
        else:
            return None
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        return None


def walk(root: Path) -> Iterator[Path]:
    """Every file under ``root`` without following directory symlinks (no loops)."""
    for full, _ in _walk_rel(str(root)):
        yield Path(full)


def _walk_rel(root: str) -> Iterator[tuple[str, str]]:
    """(path, path relative to ``root``) for every file under ``root``, in sorted order."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel + os.sep
        for fname in sorted(filenames):
            yield os.path.join(dirpath, fname), prefix + fname
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                yield full, prefix + d


def git_files(top: Path, under: Path) -> tuple[list[str], list[str]] | None:
    """(tracked, untracked-not-ignored) paths relative to ``top`` below ``under``, or None."""
    rel = os.path.relpath(under, top)
    spec = [] if rel == "." else ["--", rel]
    try:
        with open_repo(top) as repo:
            if repo is None:
                return None
            tracked = repo.run(["ls-files", "-z", "--cached", *spec])
            others = repo.run(["ls-files", "-z", "--others", "--exclude-standard", *spec])
    except GitError:
        return None
    return _split_z(tracked), _split_z(others)


def _split_z(raw: bytes) -> list[str]:
    return [os.fsdecode(p) for p in raw.split(b"\0") if p]


#: one file to scan: (path to open, path to show, the root its symlinks must stay in)
_File = tuple[str, str, str]
_Result = tuple[list[FileHits], list[Skipped], int, dict[str, tuple[str, ...]]]


def _scan_files(files: Sequence[_File], scanner: Scanner, max_bytes: int,
                excludes: Excludes) -> _Result:
    """Hits, skips, the number of files scanned and what env files hold, in the order of
    ``files``."""
    hits: list[FileHits] = []
    skipped: list[Skipped] = []
    scanned = 0
    env: dict[str, tuple[str, ...]] = {}
    for full, shown, root in files:
        why = excludes.reason(shown)
        if why is not None:
            skipped.append(Skipped(path=shown, reason=why))
            continue
        data = _read(full, shown, root=Path(root), max_bytes=max_bytes)
        if data is None:
            continue  # a submodule or nested repository: not part of this tree
        if isinstance(data, Skipped):
            skipped.append(data)
            continue
        scanned += 1
        found = scanner.scan(data, shown)
        if found:
            hits.append(FileHits(path=shown, matches=tuple(found)))
        if is_env_file(shown):
            env[shown] = credential_names(data)
    return hits, skipped, scanned, env


def _scan_files_in_worker(files: Sequence[_File], max_bytes: int,
                          excludes: Excludes) -> _Result:
    return _scan_files(files, worker_scanner(), max_bytes, excludes)


def _size(files: Sequence[_File]) -> int:
    total = 0
    for full, _, _ in files:
        with contextlib.suppress(OSError):
            total += os.lstat(full).st_size
    return total


def scan_tree(paths: list[Path], scanner: Scanner, *, max_bytes: int = DEFAULT_MAX_BYTES,
              use_git: bool = True, excludes: Excludes | None = None,
              pool: Workers | None = None) -> TreeScan:
    """Scan files and directories; inside a git work tree, honour .gitignore.

    Paths ``excludes`` names (generated code, lockfiles, vendored code by default) are listed
    as skipped with the reason, never read. A tree of at least ``PARALLEL_BYTES`` is scanned
    by the ``pool``'s workers, ``BATCH_FILES`` files at a time; the result is the same.
    """
    excludes = Excludes() if excludes is None else excludes
    files: list[_File] = []
    tracked_all: list[str] = []
    in_git = False
    seen: set[str] = set()
    for base in paths:
        top = repo_root(base) if use_git else None
        listing = git_files(top, base) if top is not None else None
        candidates: Iterable[tuple[str, str]]
        if base.is_file() or (base.is_symlink() and not base.is_dir()):
            root, candidates = base.parent, [(str(base), str(base))]
        elif listing is not None and top is not None:
            in_git = True
            tracked, others = listing
            tracked_all.extend(tracked)
            root, candidates = top, [(os.path.join(top, p), p) for p in [*tracked, *others]]
        else:
            root, candidates = base, _walk_rel(str(base))
        for full, shown in candidates:
            if full not in seen:
                seen.add(full)
                files.append((full, shown, str(root)))
    if pool is not None and _size(files) < PARALLEL_BYTES:
        pool = None
    batches = [files[i:i + BATCH_FILES] for i in range(0, len(files), BATCH_FILES)]
    results = run_batches(pool, partial(_scan_files_in_worker, max_bytes=max_bytes,
                                        excludes=excludes), batches,
                          partial(_scan_files, scanner=scanner, max_bytes=max_bytes,
                                  excludes=excludes))
    return TreeScan(files=tuple(h for r in results for h in r[0]),
                    skipped=tuple(k for r in results for k in r[1]),
                    scanned=sum(r[2] for r in results),
                    tracked=tuple(tracked_all), git=in_git,
                    env_credentials={k: v for r in results for k, v in r[3].items()})
