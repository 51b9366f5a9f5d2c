"""Files to scan: the working tree (tracked + untracked-not-ignored) and plain directories.

Reading is defensive: files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
``fstat`` to be regular files, so a symlink to ``/dev/random`` or a FIFO can neither hang nor
flood the scan; symlinks are followed only when their target stays inside the scan root and is
a regular file; huge files (a 2 GB sparse file), binaries (NUL bytes, image/archive suffixes)
and archives (a zip bomb) are skipped with a recorded reason instead of being read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from launchready.probes.git import GitError, repo_root, run_git
from launchready.secrets.scanner import Match, Scanner

DEFAULT_MAX_BYTES = 20 << 20
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


def read_capped(path: Path, *, root: Path | None, max_bytes: int) -> bytes | Skipped:
    """The file's bytes, or why it was not read. Never follows a symlink out of ``root``."""
    name = str(path)
    try:
        st = os.lstat(path)
    except OSError as exc:
        return Skipped(path=name, reason=f"unreadable: {exc.strerror}")
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(path=name, reason="symlink: dangling or loop")
        if root is None or not target.is_relative_to(root.resolve()):
            return Skipped(path=name, reason="symlink: target outside the scan root")
        path = target
    suffix = path.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return Skipped(path=name, reason="archive: not unpacked")
    if suffix in BINARY_SUFFIXES:
        return Skipped(path=name, reason="binary")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return Skipped(path=name, reason=f"unreadable: {exc.strerror}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Skipped(path=name, reason="not a regular file")
        if st.st_size > max_bytes:
            return Skipped(path=name, reason=f"size: {st.st_size} bytes > {max_bytes}")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(path=name, reason=f"unreadable: {exc.strerror}")
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return Skipped(path=name, reason=f"size: more than {max_bytes} bytes")
    if b"\x00" in data[:_SNIFF]:
        return Skipped(path=name, reason="binary")
    return data


def walk(root: Path) -> Iterator[Path]:
    """Every file under ``root`` without following directory symlinks (no loops)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for fname in sorted(filenames):
            yield Path(dirpath) / fname
        for d in dirnames:
            full = Path(dirpath) / d
            if full.is_symlink():
                yield full


def git_files(top: Path, under: Path) -> tuple[list[str], list[str]] | None:
    """(tracked, untracked-not-ignored) paths relative to ``top`` below ``under``, or None."""
    rel = os.path.relpath(under, top)
    spec = [] if rel == "." else ["--", rel]
    try:
        tracked = run_git(top, ["ls-files", "-z", "--cached", *spec])
        others = run_git(top, ["ls-files", "-z", "--others", "--exclude-standard", *spec])
    except GitError:
        return None
    return _split_z(tracked), _split_z(others)


def _split_z(raw: bytes) -> list[str]:
    return [os.fsdecode(p) for p in raw.split(b"\0") if p]


def scan_tree(paths: list[Path], scanner: Scanner, *, max_bytes: int = DEFAULT_MAX_BYTES,
              use_git: bool = True) -> TreeScan:
    """Scan files and directories; inside a git work tree, honour .gitignore."""
    hits: list[FileHits] = []
    skipped: list[Skipped] = []
    tracked_all: list[str] = []
    scanned = 0
    in_git = False
    seen: set[str] = set()
    for base in paths:
        top = repo_root(base) if use_git else None
        listing = git_files(top, base) if top is not None else None
        if base.is_file() or (base.is_symlink() and not base.is_dir()):
            candidates = [(base, base.parent, str(base))]
        elif listing is not None and top is not None:
            in_git = True
            tracked, others = listing
            tracked_all.extend(tracked)
            candidates = [(top / p, top, p) for p in [*tracked, *others]]
        else:
            candidates = [(p, base, os.path.relpath(p, base)) for p in walk(base)]
        for full, root, shown in candidates:
            key = str(full)
            if key in seen:
                continue
            seen.add(key)
            if full.is_dir() and not full.is_symlink():
                continue  # a submodule or nested repository: not part of this tree
            data = read_capped(full, root=root, max_bytes=max_bytes)
            if isinstance(data, Skipped):
                skipped.append(Skipped(path=shown, reason=data.reason))
                continue
            scanned += 1
            found = scanner.scan(data)
            if found:
                hits.append(FileHits(path=shown, matches=tuple(found)))
    return TreeScan(files=tuple(hits), skipped=tuple(skipped), scanned=scanned,
                    tracked=tuple(tracked_all), git=in_git)
