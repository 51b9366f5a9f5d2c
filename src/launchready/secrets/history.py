"""Git history: the lines every reachable commit added, scanned once each.

``git log -p -U0 --all --diff-merges=first-parent`` streams every commit's added lines (merge
commits are diffed against their first parent, so a secret introduced only by a merge is seen).
The format line carries no commit message, so a message containing ``commit <sha>`` cannot be
mistaken for a header; paths come from the ``+++ b/...`` header with git's C quoting undone, so
names with spaces, newlines or non-ASCII characters are attributed correctly.

A shallow clone, a single-branch clone or any git error yields ``complete=False`` with the
reason: the caller must report "incomplete history", never "no leaks found".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from launchready.probes.git import GitError, run_git, stream_git, unquote_path
from launchready.secrets.scanner import Match, Scanner

MAX_SECTION_BYTES = 20 << 20
_HUNK = re.compile(rb"^@@+ (?:-\d+(?:,\d+)? )+\+(\d+)(?:,\d+)? @@")
_MARK = b"\x00\x00"


@dataclass(frozen=True, kw_only=True)
class HistoryHit:
    """The commit that introduced a secret into a path, and whether HEAD still has it."""

    match: Match
    commit: str
    date: str
    path: str
    line: int
    in_head: bool = False


@dataclass(frozen=True, kw_only=True)
class HistoryScan:
    """Every secret ever added, deduplicated per (rule, path, value)."""

    hits: tuple[HistoryHit, ...]
    commits: int
    complete: bool
    reason: str | None = None
    range_note: str | None = None


def history_problem(root: Path) -> str | None:
    """Why the history of ``root`` cannot be scanned completely, or None."""
    shallow = run_git(root, ["rev-parse", "--is-shallow-repository"], timeout=30).strip()
    if shallow == b"true":
        return "shallow clone: older commits are missing (run `git fetch --unshallow`)"
    fetch = run_git(root, ["config", "--get-all", "remote.origin.fetch"], timeout=30,
                    check=False).split()
    if fetch and not any(b"*" in spec for spec in fetch):
        return ("single-branch clone: other branches are missing (run `git config "
                "remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*' && git fetch`)")
    return None


def _has_commits(root: Path) -> bool:
    return bool(run_git(root, ["for-each-ref", "--count=1", "--format=%(refname)"],
                        timeout=30).strip()) or bool(
        run_git(root, ["rev-parse", "--verify", "-q", "HEAD"], timeout=30, check=False))


def scan_history(root: Path, scanner: Scanner, *, since: str | None = None) -> HistoryScan:
    """Scan every reachable commit's added lines (or only ``since..HEAD``)."""
    try:
        problem = None if since else history_problem(root)
        if problem:
            return HistoryScan(hits=(), commits=0, complete=False, reason=problem)
        if not _has_commits(root):
            return HistoryScan(hits=(), commits=0, complete=True)
        if since:
            run_git(root, ["rev-parse", "--verify", "-q", f"{since}^{{commit}}"], timeout=30)
        rev = [f"{since}..HEAD"] if since else ["--all"]
        hits, commits = _walk(root, scanner, rev)
        hits = _mark_in_head(root, scanner, hits)
    except GitError as exc:
        return HistoryScan(hits=(), commits=0, complete=False, reason=str(exc))
    note = (f"range mode ({since}..HEAD): only lines added in that range were scanned; "
            "secrets added earlier are seen only if still in the working tree"
            if since else None)
    return HistoryScan(hits=tuple(hits), commits=commits, complete=True, range_note=note)


def _walk(root: Path, scanner: Scanner, rev: list[str]) -> tuple[list[HistoryHit], int]:
    args = ["log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
            "--diff-merges=first-parent", "--format=%x00%x00%H %aI", *rev, "--"]
    found: dict[tuple[str, str, str], HistoryHit] = {}
    commits = 0
    commit = date = ""
    path: str | None = None
    lines: list[bytes] = []
    numbers: list[int] = []
    size = 0
    in_header = False
    next_no = 0

    def flush() -> None:
        nonlocal lines, numbers, size
        if path is not None and lines and size <= MAX_SECTION_BYTES:
            blob = b"\n".join(lines)
            for m in scanner.scan(blob):
                key = (m.rule.id, path, m.hash)
                # git log lists newest first: a later row is an older commit, i.e. closer to
                # the one that introduced the value
                found[key] = HistoryHit(match=m, commit=commit, date=date, path=path,
                                        line=numbers[m.line - 1] if m.line <= len(numbers)
                                        else 0)
        lines, numbers, size = [], [], 0

    with stream_git(root, args) as out:
        for raw in out:
            line = raw[:-1] if raw.endswith(b"\n") else raw
            if line.startswith(_MARK):
                flush()
                path = None
                head = line[2:].decode("ascii", "replace").split(" ", 1)
                commit, date = head[0], head[1] if len(head) > 1 else ""
                commits += 1
                continue
            if line.startswith(b"diff --git ") or line.startswith(b"diff --cc "):
                flush()
                path, in_header = None, True
                continue
            if in_header:
                if line.startswith(b"+++ "):
                    # git appends a TAB after names containing spaces (GNU patch format)
                    target = unquote_path(line[4:].rstrip(b"\t"))
                    path = os.fsdecode(target[2:]) if target.startswith(b"b/") else None
                    continue
                if not line.startswith(b"@@"):
                    continue
                in_header = False
            if line.startswith(b"@@"):
                m = _HUNK.match(line)
                next_no = int(m.group(1)) if m else 0
                continue
            if line.startswith(b"+") and path is not None:
                lines.append(line[1:])
                numbers.append(next_no)
                size += len(line)
                next_no += 1
        flush()
    return list(found.values()), commits


def _mark_in_head(root: Path, scanner: Scanner, hits: list[HistoryHit]) -> list[HistoryHit]:
    if not hits:
        return hits
    head = run_git(root, ["rev-parse", "--verify", "-q", "HEAD"], timeout=30, check=False)
    if not head.strip():
        return hits
    listing = run_git(root, ["ls-tree", "-r", "-z", "HEAD"], timeout=60)
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            blobs[os.fsdecode(name)] = parts[2].decode()
    wanted = sorted({h.path for h in hits if h.path in blobs})
    present: dict[str, set[str]] = {}
    for p in wanted:
        data = run_git(root, ["cat-file", "blob", blobs[p]], timeout=60)
        if len(data) <= MAX_SECTION_BYTES:
            present[p] = {m.hash for m in scanner.scan(data)}
    return [HistoryHit(match=h.match, commit=h.commit, date=h.date, path=h.path, line=h.line,
                       in_head=h.match.hash in present.get(h.path, set())) for h in hits]
