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

import bisect
import os
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from launchready.probes.git import GitError, GitRepo, open_repo, unquote_path
from launchready.secrets.allow import Excludes
from launchready.secrets.generic import is_test_path, language_of
from launchready.secrets.rules import CONTEXT_REACH
from launchready.secrets.scanner import MAX_DECODED_BYTES, Match, Scanner
from launchready.secrets.workers import Workers, run_batches, worker_scanner

MAX_SECTION_BYTES = 20 << 20
#: commit ranges per core (more than one, so a core that finishes early takes another), and
#: the commits each lists (a bounded command line)
SLICES_PER_CORE = 2
MIN_SLICE = 100
MAX_SLICE = 2000
#: how much of git's output is read at a time (a block is cut at its last record start)
READ_BYTES = 4 << 20
_HUNK = re.compile(rb"^@@+ (?:-\d+(?:,\d+)? )+\+(\d+)(?:,\d+)? @@")
#: the added lines of many diffs of one language family are scanned as one text, up to this
#: size: one scan call per megabyte instead of one per diff, and never more than one scan's
#: decoding budget, so no diff loses the decoding it had alone
BATCH_BYTES = MAX_DECODED_BYTES
#: between two diffs of a batch: no pattern crosses a run of newlines this long, and no
#: context judgement reaches over it
_GAP = b"\n" * (CONTEXT_REACH + 1)
#: an added line of a diff section (its text after the ``+``)
_ADDED = re.compile(rb"^\+(.*)", re.M)
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
                 excludes: Excludes | None = None,
                 pool: Workers | None = None) -> HistoryScan:
    """Scan every reachable commit's added lines (or only ``since..HEAD``).

    Paths ``excludes`` names are not scanned in any commit. With a ``pool``, commit ranges
    are listed and scanned by its workers.
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
            hits, commits = _walk(repo, scanner, rev, excludes or Excludes(), pool)
            hits = _mark_in_head(repo, scanner, hits)
    except GitError as exc:
        return HistoryScan(hits=(), commits=0, complete=False, reason=str(exc))
    note = (f"range mode ({since}..HEAD): only lines added in that range were scanned; "
            "secrets added earlier are seen only if still in the working tree"
            if since else None)
    return HistoryScan(hits=tuple(hits), commits=commits, complete=True, range_note=note)


def _walk(repo: GitRepo, scanner: Scanner, rev: list[str], excludes: Excludes,
          pool: Workers | None) -> tuple[list[HistoryHit], int]:
    """Every commit of ``rev`` through ``git log -p``, a commit range per worker process.

    ``git log -p`` spends most of its time computing diffs, in one process on one core, and
    reading its output is CPU-bound Python; so the commits (``git rev-list``, newest first) are
    cut into consecutive ranges, each listed by its own ``git log --no-walk=unsorted`` and
    read in a worker, and the ranges' results are merged in order, so "the oldest commit that
    added a value" means the same as for one walk.
    """
    commits = repo.run(["rev-list", *rev, "--"], timeout=600).split()
    if pool is None or len(commits) < 2 * MIN_SLICE:
        slices = [rev]
    else:
        ranges = SLICES_PER_CORE * pool.count
        size = max(MIN_SLICE, min(MAX_SLICE, -(-len(commits) // ranges)))
        slices = [["--no-walk=unsorted", *(c.decode() for c in commits[i:i + size])]
                  for i in range(0, len(commits), size)]
    specs = _exclusions(repo, excludes)
    results = run_batches(pool if len(slices) > 1 else None,
                          partial(_walk_in_worker, repo, excludes, specs), slices,
                          partial(_walk_here, repo, scanner, excludes, specs))
    found: dict[tuple[str, str, str], list[HistoryHit]] = {}
    for hits in results:
        found.update(hits)  # a later range holds older commits
    # every commit was looked at, also those that changed excluded paths only (git does not
    # print those under the pathspec)
    return [h for hits in found.values() for h in hits], len(commits)


_Walked = dict[tuple[str, str, str], list[HistoryHit]]


def _exclusions(repo: GitRepo, excludes: Excludes) -> list[str]:
    """Pathspecs that leave the excluded files of HEAD (lockfiles above all) to git: their
    diffs are most of what git computes on a JavaScript project's history (a 2,280-commit
    Next.js starter: 27 MB of diffs, 23 MB of them package-lock.json; 4.9 s of git instead of
    0.2 s). Excluded files that HEAD no longer has are still skipped, after git diffs them."""
    listing = repo.run(["ls-tree", "-r", "-z", "--name-only", "HEAD"], timeout=60, check=False)
    return excludes.pathspecs(os.fsdecode(p) for p in listing.split(b"\0") if p)


def _walk_here(repo: GitRepo, scanner: Scanner, excludes: Excludes, specs: list[str],
               rev: list[str]) -> _Walked:
    walker = _LogWalker(scanner, excludes)
    _walk_slice(repo, walker, rev, specs)
    return walker.found


def _walk_in_worker(repo: GitRepo, excludes: Excludes, specs: list[str],
                    rev: list[str]) -> _Walked:
    return _walk_here(repo, worker_scanner(), excludes, specs, rev)


def _walk_slice(repo: GitRepo, walker: _LogWalker, rev: list[str],
                specs: list[str] | None = None) -> None:
    # ``--full-history``: under a pathspec git would otherwise simplify side branches away
    args = ["log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
            "--no-show-signature", "--diff-merges=dense-combined", "--full-history",
            "--format=%x00%x00%H %aI", *rev, "--", *(specs or [])]
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


@dataclass
class _Batch:
    """Added lines of several diffs of one language family, joined for one scan."""

    texts: list[bytes] = field(default_factory=list)
    #: per diff: (commit, date, path, its diff section, first line of its text in the batch)
    diffs: list[tuple[str, str, str, bytes, int]] = field(default_factory=list)
    size: int = 0
    lines: int = 0

    def add(self, lines: list[bytes], commit: str, date: str, path: str,
            section: bytes) -> None:
        self.diffs.append((commit, date, path, section, self.lines + 1))
        self.texts.append(b"\n".join(lines))
        self.size += sum(map(len, lines)) + len(lines) + len(_GAP)
        # each text ends where the gap starts: its own lines, then the gap's newlines
        self.lines += len(lines) - 1 + len(_GAP)


class _LogWalker:
    """Parses ``git log -p`` output a block of whole records at a time.

    A record is a commit line (``\\0\\0<sha> <date>``) or one file's diff. A diff whose hunk
    lines hold nothing the scanner could start from (no keyword, no base64 run, no escape)
    is skipped without looking at its lines; the added lines of the others are collected per
    language family (and test files apart) and scanned a batch at a time.
    """

    def __init__(self, scanner: Scanner, excludes: Excludes) -> None:
        self.scanner = scanner
        self.excludes = excludes
        #: per (rule, path, value): every place the oldest commit that added it put it
        self.found: dict[tuple[str, str, str], list[HistoryHit]] = {}
        self.commit = self.date = ""
        #: per (language family, test file or not)
        self._batches: dict[tuple[str, bool], _Batch] = {}

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
            else:
                self._diff(data, at, stop)
        for kind in list(self._batches):
            self._flush(kind)

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
        section = data[body:stop]
        lines = _ADDED.findall(section)  # in C: most sections hold no secret
        if not lines or sum(map(len, lines)) + len(lines) > MAX_SECTION_BYTES:
            return
        kind = (language_of(path), is_test_path(path))
        batch = self._batches.setdefault(kind, _Batch())
        batch.add(lines, self.commit, self.date, path, section)
        if batch.size >= BATCH_BYTES:
            self._flush(kind)

    def _flush(self, kind: tuple[str, bool]) -> None:
        batch = self._batches.pop(kind)
        found = self.scanner.scan(_GAP.join(batch.texts), lang=kind[0], test=kind[1])
        if not found:
            return
        firsts = [d[4] for d in batch.diffs]
        per_diff: dict[int, list[Match]] = {}
        for m in found:
            per_diff.setdefault(bisect.bisect_right(firsts, m.line) - 1, []).append(m)
        for i in sorted(per_diff):
            commit, date, path, section, first = batch.diffs[i]
            numbers = _added_line_numbers(section)
            here: dict[tuple[str, str, str], list[HistoryHit]] = {}
            for m in per_diff[i]:
                k = m.line - first
                here.setdefault((m.rule.id, path, m.hash), []).append(HistoryHit(
                    match=m, commit=commit, date=date, path=path,
                    line=numbers[k] if 0 <= k < len(numbers) else 0))
            # git log lists newest first: a later diff is an older commit, i.e. closer to the
            # one that introduced the value
            self.found.update(here)


def _added_line_numbers(section: bytes) -> list[int]:
    """The new-file line number of each added line of a diff section, in order."""
    numbers: list[int] = []
    next_no = 0
    for line in section.split(b"\n"):
        if line.startswith(b"@@"):
            hunk = _HUNK.match(line)
            next_no = int(hunk.group(1)) if hunk else 0
        elif line.startswith(b"+"):
            numbers.append(next_no)
            next_no += 1
    return numbers


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
