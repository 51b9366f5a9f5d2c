"""Git history: the lines every reachable commit added, scanned once each.

``git log -p -U0 --all --diff-merges=dense-combined`` streams every commit's added lines. A
merge shows only what differs from every parent (a conflict resolution, a file added in the
merge itself), so a secret introduced only by a merge is seen, while the lines a merge brings
from a branch, already listed with the branch's own commits, are not diffed a second time (on
a history of merged pull requests that halves git's work).
The format line carries no commit message, so a message containing ``commit <sha>`` cannot be
mistaken for a header; paths come from the ``+++ b/...`` header with git's C quoting undone, so
names with spaces, newlines or non-ASCII characters are attributed correctly.

A shallow clone, a single-branch clone or any git error yields ``complete=False`` with the
reason: the caller must report "incomplete history", never "no leaks found".
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from launchready.probes.git import GitError, GitRepo, open_repo, unquote_path
from launchready.secrets.allow import Excludes
from launchready.secrets.scanner import Match, Scanner

MAX_SECTION_BYTES = 20 << 20
#: git processes listing history at once, and the commits each lists (bounded command line)
MAX_GIT_PROCESSES = 4
MIN_SLICE = 100
MAX_SLICE = 2000
#: how much of git's output is read at a time (a block is cut at its last record start)
READ_BYTES = 4 << 20
_HUNK = re.compile(rb"^@@+ (?:-\d+(?:,\d+)? )+\+(\d+)(?:,\d+)? @@")
_MARK = b"\x00\x00"
_RECORD = re.compile(rb"\n(?:\x00\x00|diff --git |diff --cc )")
#: longest record start plus its newline: how much of the previous block a cut may need
_TAIL = len(b"\ndiff --git ")


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


def history_problem(repo: GitRepo) -> str | None:
    """Why the history of ``repo`` cannot be scanned completely, or None."""
    shallow = repo.run(["rev-parse", "--is-shallow-repository"], timeout=30).strip()
    if shallow == b"true":
        return "shallow clone: older commits are missing (run `git fetch --unshallow`)"
    fetch = [v.strip() for v in repo.config_values("remote.origin.fetch")]
    if fetch and not any(b"*" in spec for spec in fetch):
        return ("single-branch clone: other branches are missing (run `git config "
                "remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*' && git fetch`)")
    return None


def _has_commits(repo: GitRepo) -> bool:
    return bool(repo.run(["for-each-ref", "--count=1", "--format=%(refname)"],
                         timeout=30).strip()) or bool(
        repo.run(["rev-parse", "--verify", "-q", "HEAD"], timeout=30, check=False))


def scan_history(root: Path, scanner: Scanner, *, since: str | None = None,
                 excludes: Excludes | None = None) -> HistoryScan:
    """Scan every reachable commit's added lines (or only ``since..HEAD``).

    Paths ``excludes`` names are not scanned in any commit.
    """
    try:
        with open_repo(root) as repo:
            if repo is None:
                return HistoryScan(hits=(), commits=0, complete=False,
                                   reason=f"{root} is not in a git work tree")
            problem = None if since else history_problem(repo)
            if problem:
                return HistoryScan(hits=(), commits=0, complete=False, reason=problem)
            if not _has_commits(repo):
                return HistoryScan(hits=(), commits=0, complete=True)
            if since:
                repo.run(["rev-parse", "--verify", "-q", f"{since}^{{commit}}"], timeout=30)
            rev = [f"{since}..HEAD"] if since else ["--all"]
            hits, commits = _walk(repo, scanner, rev, excludes or Excludes())
            hits = _mark_in_head(repo, scanner, hits)
    except GitError as exc:
        return HistoryScan(hits=(), commits=0, complete=False, reason=str(exc))
    note = (f"range mode ({since}..HEAD): only lines added in that range were scanned; "
            "secrets added earlier are seen only if still in the working tree"
            if since else None)
    return HistoryScan(hits=tuple(hits), commits=commits, complete=True, range_note=note)


def _walk(repo: GitRepo, scanner: Scanner, rev: list[str],
          excludes: Excludes) -> tuple[list[HistoryHit], int]:
    """Every commit of ``rev`` through ``git log -p``, several git processes at a time.

    ``git log -p`` spends most of the time computing diffs, in one process on one core; so the
    commits (``git rev-list``, newest first) are cut into consecutive slices, each listed by
    its own ``git log --no-walk=unsorted`` in a thread, and the slices' results are merged in
    order, so "the oldest commit that added a value" means the same as for one walk.
    """
    commits = repo.run(["rev-list", *rev, "--"], timeout=600).split()
    workers = min(MAX_GIT_PROCESSES, os.cpu_count() or 1)
    if len(commits) < 2 * MIN_SLICE or workers < 2:
        slices = [rev]
    else:
        size = max(MIN_SLICE, min(MAX_SLICE, -(-len(commits) // workers)))
        slices = [["--no-walk=unsorted", *(c.decode() for c in commits[i:i + size])]
                  for i in range(0, len(commits), size)]
    walkers = [_LogWalker(scanner, excludes) for _ in slices]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: _walk_slice(repo, job[0], job[1]), zip(walkers, slices,
                                                                          strict=True)))
    found: dict[tuple[str, str, str], list[HistoryHit]] = {}
    for w in walkers:
        found.update(w.found)  # a later slice holds older commits
    return [h for hits in found.values() for h in hits], sum(w.commits for w in walkers)


def _walk_slice(repo: GitRepo, walker: _LogWalker, rev: list[str]) -> None:
    args = ["log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
            "--no-show-signature", "--diff-merges=dense-combined", "--format=%x00%x00%H %aI",
            *rev, "--"]
    with repo.stream(args) as out:
        pending: list[bytes] = []
        for block in iter(partial(out.read, READ_BYTES), b""):
            # cut after the last record start, so every piece handed on holds whole records
            tail = pending[-1][-_TAIL:] if pending else b""
            cut = _last_record_start(tail + block)
            if cut == -1:
                pending.append(block)
                continue
            data = b"".join([*pending, block])
            cut += len(data) - len(tail) - len(block)
            walker.feed(data, cut)
            pending = [data[cut:]]
        data = b"".join(pending)
        walker.feed(data, len(data))


def _last_record_start(data: bytes) -> int:
    """Offset just after the newline that precedes the last record start in ``data``, or -1."""
    at = max(data.rfind(b"\n" + _MARK), data.rfind(b"\ndiff --git "),
             data.rfind(b"\ndiff --cc "))
    return -1 if at == -1 else at + 1


class _LogWalker:
    """Parses ``git log -p`` output a block of whole records at a time.

    A record is a commit line (``\\0\\0<sha> <date>``) or one file's diff. A diff whose hunk
    lines hold nothing the scanner could start from (no keyword, no base64 run, no escape)
    is skipped without looking at its lines; the others are split into lines here.
    """

    def __init__(self, scanner: Scanner, excludes: Excludes) -> None:
        self.scanner = scanner
        self.excludes = excludes
        #: per (rule, path, value): every place the oldest commit that added it put it
        self.found: dict[tuple[str, str, str], list[HistoryHit]] = {}
        self.commits = 0
        self.commit = self.date = ""

    def feed(self, data: bytes, end: int) -> None:
        """Handle the records in ``data[:end]``, which starts at a record start."""
        starts = [0, *(m.start() + 1 for m in _RECORD.finditer(data, 0, end))]
        if not (data.startswith(_MARK) or data.startswith(b"diff --")):
            starts = starts[1:]  # before the first commit line: nothing to attribute
        for i, at in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else end
            if data.startswith(_MARK, at):
                eol = data.find(b"\n", at, stop)
                head = data[at + 2:stop if eol == -1 else eol].decode("ascii", "replace")
                commit, _, date = head.partition(" ")
                self.commit, self.date = commit, date
                self.commits += 1
            else:
                self._diff(data, at, stop)

    def _diff(self, data: bytes, at: int, stop: int) -> None:
        body = data.find(b"\n@@", at, stop)
        if body == -1:
            return  # binary file, mode change, or an empty file: no added lines
        body += 1
        plus = data.find(b"\n+++ ", at, body)
        if plus == -1 or not self.scanner.could_match(data, body, stop):
            return
        eol = data.find(b"\n", plus + 1, body)
        # git appends a TAB after names containing spaces (GNU patch format)
        target = unquote_path(data[plus + 5:eol].rstrip(b"\t"))
        if not target.startswith(b"b/"):
            return  # a deletion (+++ /dev/null)
        path = os.fsdecode(target[2:])
        if self.excludes.reason(path) is not None:
            return
        lines: list[bytes] = []
        numbers: list[int] = []
        size = 0
        next_no = 0
        for line in data[body:stop].split(b"\n"):
            if line.startswith(b"@@"):
                hunk = _HUNK.match(line)
                next_no = int(hunk.group(1)) if hunk else 0
            elif line.startswith(b"+"):
                lines.append(line[1:])
                numbers.append(next_no)
                size += len(line)
                next_no += 1
        if not lines or size > MAX_SECTION_BYTES:
            return
        here: dict[tuple[str, str, str], list[HistoryHit]] = {}
        for m in self.scanner.scan(b"\n".join(lines), path):
            here.setdefault((m.rule.id, path, m.hash), []).append(HistoryHit(
                match=m, commit=self.commit, date=self.date, path=path,
                line=numbers[m.line - 1] if m.line <= len(numbers) else 0))
        # git log lists newest first: a later row is an older commit, i.e. closer to the one
        # that introduced the value
        self.found.update(here)


def _mark_in_head(repo: GitRepo, scanner: Scanner, hits: list[HistoryHit]
                  ) -> list[HistoryHit]:
    if not hits:
        return hits
    head = repo.run(["rev-parse", "--verify", "-q", "HEAD"], timeout=30, check=False)
    if not head.strip():
        return hits
    listing = repo.run(["ls-tree", "-r", "-z", "HEAD"], timeout=60)
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            blobs[os.fsdecode(name)] = parts[2].decode()
    wanted = sorted({h.path for h in hits if h.path in blobs})
    present: dict[str, set[str]] = {}
    for p in wanted:
        data = repo.run(["cat-file", "blob", blobs[p]], timeout=60)
        if len(data) <= MAX_SECTION_BYTES:
            present[p] = {m.hash for m in scanner.scan(data, p)}
    return [HistoryHit(match=h.match, commit=h.commit, date=h.date, path=h.path, line=h.line,
                       in_head=h.match.hash in present.get(h.path, set())) for h in hits]
