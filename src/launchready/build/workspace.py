"""A clean checkout of HEAD in a temporary folder, and the working-tree files git does not track.

The checkout is a ``git clone --shared`` of the repository: it reads the user's objects and
writes nothing into their repository or working tree (``git worktree add`` would register the
folder in the user's ``.git``). The repository is read through the private git dir of
:func:`launchready.probes.git.open_repo`, so its own config (filters, hooks, drivers) is never
used, neither for the clone nor for the checkout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from launchready.probes.git import GitError, GitRepo, run_git

#: folders that are installed or generated, never copied between trees
GENERATED = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".next",
                       ".nuxt", ".output", ".svelte-kit", ".turbo", ".cache", ".parcel-cache",
                       ".pytest_cache", ".mypy_cache", ".ruff_cache", "dist", "build", "out"})
MAX_OVERLAY_FILES = 2000
MAX_OVERLAY_BYTES = 5 << 20
PREFIX = "launchready-build-"


def head_commit(repo: GitRepo) -> str:
    """The commit HEAD points at."""
    return repo.run(["rev-parse", "--verify", "HEAD^{commit}"], timeout=30).decode().strip()


def checkout_into(repo: GitRepo, dest: Path, commit: str) -> None:
    """Check ``commit`` of ``repo`` out into the new folder ``dest``."""
    # a local clone is the "file" transport, which the safe git config refuses by default
    run_git(dest.parent, ["-c", "protocol.file.allow=always", "clone", "--quiet", "--shared",
                          "--no-checkout", str(repo.view), str(dest)], timeout=300)
    # borrow the real object store, not the private view that goes away with open_repo
    alternates = dest / ".git" / "objects" / "info" / "alternates"
    alternates.write_text(os.path.realpath(repo.view / "objects") + "\n")
    run_git(dest, ["checkout", "--quiet", "--detach", commit], timeout=300)


def untracked_files(repo: GitRepo, sub: str = "") -> list[str]:
    """Files in the working tree (under ``sub``) that HEAD's checkout would not have:
    untracked and ignored ones, without installed or generated folders; relative to the top."""
    root = repo.top
    try:
        out = repo.run(["ls-files", "-z", "--others", "--exclude-standard", "--", sub or "."],
                       timeout=120)
        ignored = repo.run(["ls-files", "-z", "--others", "--ignored", "--exclude-standard",
                            "--directory", "--", sub or "."], timeout=120)
    except GitError:
        return []
    names: list[str] = []
    for raw in (out + ignored).split(b"\0"):
        rel = os.fsdecode(raw).rstrip("/")
        if not rel or set(Path(rel).parts) & GENERATED:
            continue
        path = root / rel
        if path.is_dir():
            names.extend(_walk(root, path))
        elif path.is_file():
            names.append(rel)
    return sorted(set(names))[:MAX_OVERLAY_FILES]


def _walk(root: Path, folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in GENERATED]
        for name in filenames:
            yield str((Path(dirpath) / name).relative_to(root))


def overlay(root: Path, dest: Path, names: list[str]) -> list[str]:
    """Copy ``names`` (relative to ``root``) into ``dest`` where it has no such file; the
    copied names. Symlinks and large files are left out."""
    copied = []
    for rel in names:
        src, target = root / rel, dest / rel
        if src.is_symlink() or not src.is_file() or target.exists():
            continue
        if src.stat().st_size > MAX_OVERLAY_BYTES:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        copied.append(rel)
    return copied
