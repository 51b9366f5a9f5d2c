"""Staged changes: the lines the next commit adds, read from the git index.

``launchready secrets --staged`` (the pre-commit hook) scans what ``git commit`` is about to
record: ``git diff --cached -U0`` between HEAD (the empty tree before the first commit) and the
index, never the working tree, so an unstaged edit can neither hide a secret nor add one.

* Only added lines are scanned. A secret that is already committed belongs to the tree and
  history scans; it is not reported again on every commit that touches its file.
* Renames are followed (``-M``): moving a file does not add its lines again.
* ``.gitattributes`` cannot hide a file: the diff is taken as text (``--text``, no textconv
  drivers), and binary content is recognised here instead, by a NUL byte in its first 8 KiB or
  a binary/archive suffix, like the working-tree scan does.
* Inside a hook git names the commit's index in ``GIT_INDEX_FILE``; ``git commit -a`` and
  ``git commit PATH`` use a temporary one. The caller passes it as ``index_file``.
* Git reads the repository through :func:`~launchready.probes.git.open_repo`'s private git
  dir, so nothing the repository configures runs.

The result has the shape of a working-tree scan (:class:`~launchready.secrets.tree.TreeScan`),
with line numbers of the staged file, so the same SEC001/SEC006 judgement applies to it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

from launchready.probes.git import GitError, GitRepo, open_repo, unquote_path
from launchready.secrets.scanner import Scanner
from launchready.secrets.tracked_env import credential_names, is_env_file
from launchready.secrets.tree import (
    ARCHIVE_SUFFIXES,
    BINARY_SUFFIXES,
    DEFAULT_MAX_BYTES,
    FileHits,
    Skipped,
    TreeScan,
)

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_SNIFF = 8192
#: every option that repository config could otherwise change in the output we parse
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
                 "--src-prefix=a/", "--dst-prefix=b/", "-M")


def staged_paths(repo: GitRepo, *, pathspec: Sequence[str] = (),
                 index_file: str | None = None) -> tuple[str, ...]:
    """Paths the next commit adds or changes (deletions excluded), relative to the top."""
    out = repo.run(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT",
                    *_DIFF_OPTIONS, "--", *pathspec], index_file=index_file)
    return tuple(os.fsdecode(p) for p in out.split(b"\0") if p)


def scan_staged(root: Path, scanner: Scanner, *, pathspec: Sequence[str] = (),
                index_file: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> TreeScan:
    """Scan the lines the index adds over HEAD in the repository at ``root``.

    ``pathspec`` limits the scan (paths relative to ``root``); ``index_file`` is the index to
    read (default: the repository's own); a relative one is taken from the current directory,
    as git does in a hook.
    """
    index = os.path.abspath(index_file) if index_file else None
    with open_repo(root) as repo:
        if repo is None:
            raise GitError(f"{root} is not inside a git repository")
        changed = staged_paths(repo, pathspec=pathspec, index_file=index)
        if not changed:
            return TreeScan(files=(), skipped=(), scanned=0, tracked=(), git=True)
        diff = repo.run(["diff", "--cached", "-U0", "--text", "--diff-filter=ACMRT",
                         *_DIFF_OPTIONS, "--", *pathspec], index_file=index)
    hits: list[FileHits] = []
    skipped: list[Skipped] = []
    scanned = 0
    # an env file the commit adds no line to (emptied, or only lines removed) holds nothing new
    env: dict[str, tuple[str, ...]] = {path: () for path in changed if is_env_file(path)}
    for path, numbers, lines in _added_lines(diff):
        reason = _skip_reason(path, lines, max_bytes)
        if reason is not None:
            skipped.append(Skipped(path=path, reason=reason))
            env.pop(path, None)  # not read: judged as holding a credential
            continue
        scanned += 1
        added = b"\n".join(lines)
        found = scanner.scan(added)
        if path in env:
            env[path] = credential_names(added)
        if found:
            # a match's line is its line in the joined added lines; report the staged file's
            hits.append(FileHits(path=path, matches=tuple(
                dataclasses.replace(m, line=numbers[m.line - 1]) for m in found)))
    return TreeScan(files=tuple(hits), skipped=tuple(skipped), scanned=scanned,
                    tracked=changed, git=True, env_credentials=env)


def _skip_reason(path: str, lines: list[bytes], max_bytes: int) -> str | None:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in ARCHIVE_SUFFIXES:
        return "archive: not unpacked"
    if suffix in BINARY_SUFFIXES:
        return "binary"
    size = sum(len(line) + 1 for line in lines)
    if size > max_bytes:
        return f"size: {size} bytes added > {max_bytes}"
    head = b"\n".join(lines[:64])[:_SNIFF]
    if b"\x00" in head:
        return "binary"
    return None


def _added_lines(diff: bytes) -> list[tuple[str, list[int], list[bytes]]]:
    """(path, line numbers, added lines) per file of a ``git diff -U0`` patch."""
    out: list[tuple[str, list[int], list[bytes]]] = []
    path: str | None = None
    numbers: list[int] = []
    lines: list[bytes] = []
    next_no = 0
    in_hunks = False
    for line in diff.split(b"\n"):
        if line.startswith(b"diff --git "):
            if path is not None and lines:
                out.append((path, numbers, lines))
            path, numbers, lines, in_hunks = None, [], [], False
        elif not in_hunks and line.startswith(b"+++ "):
            # git appends a TAB after names containing spaces (GNU patch format)
            target = unquote_path(line[4:].rstrip(b"\t"))
            path = os.fsdecode(target[2:]) if target.startswith(b"b/") else None
        elif line.startswith(b"@@"):
            in_hunks = True
            hunk = _HUNK.match(line)
            next_no = int(hunk.group(1)) if hunk else 0
        elif in_hunks and line.startswith(b"+"):
            lines.append(line[1:])
            numbers.append(next_no)
            next_no += 1
    if path is not None and lines:
        out.append((path, numbers, lines))
    return out
