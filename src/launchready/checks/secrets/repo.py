"""SEC001, SEC002, SEC006 — secrets in the repository and its git history; tracked .env files.

What: SEC001 — a credential (any rule of ``launchready.secrets.rules``: cloud, payment, VCS,
messaging and AI provider keys, private keys, signed JWTs, database URLs with a password,
high-entropy ``password=``/``secret=``/``api_key=`` values) in a tracked or untracked,
not-ignored file of the working tree. SEC002 — a credential some reachable commit added that
is no longer in HEAD. SEC006 — a ``.env``-style file tracked by git: high when it holds a
credential (a secret-named variable with a value that could be real, such as
``SMTP_PASSWORD=Summer2024!``, or anything SEC001 reports in it) or cannot be read; low when it
holds only placeholders, local defaults and settings (``SECRET_KEY=changethis``,
``VITE_API_URL=http://localhost:8000``), as the templates of many starters do.

Why: anyone with read access to the repository — every contractor, every CI system, every
fork — holds the key; removing it in a later commit changes nothing for them.

Fix: rotate at the provider (each finding names the steps), read the value from the
environment, and for history purge with ``git filter-repo`` after rotating. A line can be
accepted with an inline comment on it: ``launchready: ignore[SEC001]`` (or ``ignore`` for every
rule), and the markers other scanners use, ``gitleaks:allow`` and ``pragma: allowlist secret``.
A ``.gitleaksignore`` at the top of the repository is honoured (gitleaks' fingerprints:
``path:rule:line``, ``commit:path:rule:line``; the entry suppresses what is found at that
place whatever the rule is called). ``[secrets] exclude = ["fixtures/*"]`` adds globs of paths
not scanned; generated code (``*.gen.ts``...), lockfiles and ``vendor/`` are excluded by
default (``exclude_defaults = false`` scans them) and listed with the reason. Known findings
can be baselined with ``--write-baseline``/``--baseline`` (fingerprints are hashes, never
values). A URL password for localhost or a container service, a well-known placeholder
password, the development and test sections of a per-environment YAML file (Rails'
``secrets.yml``, when it has a ``production:`` section too) and keys published to browsers by
design (Firebase web API keys) are low findings that say so; documentation hosts
(``example.com``) are no finding.

Pass: ``STRIPE_KEY = os.environ["STRIPE_SECRET_KEY"]``.
Fail: ``STRIPE_KEY = "sk_live_51H..."`` in ``src/billing.py`` (SEC001, critical), or the same
line in a commit that a later commit removed (SEC002).

A shallow or single-branch clone or any git error is reported as "incomplete history" (check
status error), never as a clean history.

``launchready secrets --staged`` (the pre-commit hook) scans only the lines the next commit
adds, read from the git index; history is not looked at there (SEC002 is skipped).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.secrets.common import PURGE, secret_finding, skipped_table
from launchready.model import Finding, Location, Severity, Table
from launchready.probes.git import GitError, repo_root
from launchready.secrets.allow import Excludes, GitleaksIgnore
from launchready.secrets.history import HistoryScan, scan_history
from launchready.secrets.redact import safe_path
from launchready.secrets.scanner import Scanner
from launchready.secrets.staged import scan_staged
from launchready.secrets.tracked_env import is_env_file
from launchready.secrets.tree import TreeScan, read_capped, scan_tree
from launchready.secrets.workers import worker_pool


@dataclass(frozen=True, kw_only=True)
class RepoObservations:
    """What the tree and history scans saw."""

    tree: TreeScan
    history: HistoryScan | None
    ignore: GitleaksIgnore = field(default_factory=GitleaksIgnore)
    #: scan roots that do not exist (a typo in ``[secrets] paths``)
    missing: tuple[str, ...] = ()


class RepoSecrets(CheckFamily[RepoObservations]):
    """Secrets in working-tree files and git history, and tracked .env files."""

    rule_ids = ("SEC001", "SEC002", "SEC006")
    network = False

    def __init__(self, *, paths: list[str] | None = None, history: bool | None = None,
                 since: str | None = None, staged: bool = False) -> None:
        self.paths = paths
        self.history = history
        self.since = since
        #: scan only the lines the next commit adds (the git index), not the working tree
        self.staged = staged

    def skip_reason(self, ctx: Context) -> str | None:
        if self.paths is None and (ctx.loaded is None or ctx.loaded.secrets is None):
            return "no [secrets] section in the config"
        return None

    def _targets(self, ctx: Context) -> list[Path]:
        if self.paths is not None:
            return [Path(p) for p in self.paths]
        base = ctx.config.base_dir
        conf = ctx.config.secrets
        return [base / p for p in (conf.paths if conf else ["."])]

    async def gather(self, ctx: Context) -> RepoObservations:
        return await asyncio.to_thread(self._gather_sync, ctx)

    def _gather_sync(self, ctx: Context) -> RepoObservations:
        scanner = Scanner()
        targets = self._targets(ctx)
        # no config file: no [secrets] section (and no need to build the config models)
        conf = ctx.loaded.secrets if ctx.loaded is not None else None
        excludes = Excludes(user=tuple(conf.exclude), defaults=conf.exclude_defaults) \
            if conf is not None else Excludes()
        if self.staged:
            return RepoObservations(tree=self._staged(targets, scanner, ctx), history=None,
                                    ignore=_gitleaksignore(targets))
        want_history = self.history if self.history is not None else (
            conf.history if conf else False)
        missing = tuple(safe_path(str(t)) for t in targets if not os.path.lexists(t))
        ignore = _gitleaksignore(targets)
        if not want_history:
            with worker_pool() as pool:
                tree = scan_tree(targets, scanner, excludes=excludes, pool=pool)
            return RepoObservations(tree=tree, history=None, missing=missing, ignore=ignore)
        top = next((r for r in (repo_root(t) for t in targets) if r is not None), None)
        if top is None:
            return RepoObservations(
                tree=scan_tree(targets, scanner, excludes=excludes),
                history=HistoryScan(hits=(), commits=0, complete=False,
                                    reason="not a git repository: no history to scan"),
                missing=missing, ignore=ignore)
        # the history is mostly git computing diffs and workers reading them: let it run
        # while this thread reads the working tree
        with worker_pool() as pool, ThreadPoolExecutor(max_workers=1) as thread:
            later = thread.submit(scan_history, top, scanner, since=self.since,
                                  excludes=excludes, pool=pool)
            tree = scan_tree(targets, scanner, excludes=excludes, pool=pool)
            history = later.result()
        return RepoObservations(tree=tree, history=history, missing=missing, ignore=ignore)

    @staticmethod
    def _staged(targets: list[Path], scanner: Scanner, ctx: Context) -> TreeScan:
        top = repo_root(targets[0])
        if top is None:
            raise GitError(f"{safe_path(str(targets[0]))} is not inside a git repository")
        spec = [rel for rel in (os.path.relpath(t.resolve(), top.resolve()) for t in targets)
                if rel != "."]
        return scan_staged(top, scanner, pathspec=spec,
                           index_file=ctx.environ.get("GIT_INDEX_FILE"))

    def evaluate(self, obs: RepoObservations, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        in_tree: set[tuple[str, str, str]] = set()
        in_index = set(obs.tree.tracked)
        allowed = 0
        seen: Counter[tuple[str, str, str, str]] = Counter()

        def occurrence(rid: str, path: str, rule: str, value: str) -> int:
            seen[(rid, path, rule, value)] += 1
            return seen[(rid, path, rule, value)] - 1

        for fh in obs.tree.files:
            untracked = obs.tree.git and fh.path not in in_index
            for m in fh.matches:
                in_tree.add((m.rule.id, fh.path, m.hash))
                if m.ignored_for("SEC001"):
                    continue
                if obs.ignore.covers(fh.path, m.line):
                    allowed += 1
                    continue
                findings.append(secret_finding(
                    "SEC001", where=fh.path, match=m,
                    occurrence=occurrence("SEC001", fh.path, m.rule.id, m.hash),
                    severity=Severity.CRITICAL if m.rule.live else Severity.HIGH,
                    place="Secret in an untracked file git does not ignore" if untracked
                    else None,
                    impact=(f"The file is not ignored: the next `git add -A` puts this "
                            f"{m.rule.provider} credential into the repository for anyone "
                            f"who can read it." if untracked else
                            f"Anyone who can read the repository can use this "
                            f"{m.rule.provider} credential.")))
        errors: dict[str, str] = {}
        skipped: dict[str, str] = {}
        if obs.missing:
            for rid in ("SEC001", "SEC006"):
                errors[rid] = f"path does not exist: {', '.join(obs.missing)}"
        elif obs.tree.scanned == 0 and not obs.tree.skipped:
            for rid in ("SEC001", "SEC006"):
                skipped[rid] = "no files to scan"
        tables: list[Table] = []
        h = obs.history
        if h is None:
            skipped["SEC002"] = "history not requested"
        if h is not None and not h.complete:
            errors["SEC002"] = f"incomplete history: {h.reason}"
        if h is not None:
            for hit in h.hits:
                key = (hit.match.rule.id, hit.path, hit.match.hash)
                if key in in_tree or hit.match.ignored_for("SEC002"):
                    continue
                if obs.ignore.covers(hit.path, hit.line, hit.commit):
                    allowed += 1
                    continue
                rid = "SEC001" if hit.in_head else "SEC002"
                findings.append(secret_finding(
                    rid, where=hit.path, match=hit.match, line=hit.line,
                    occurrence=occurrence(rid, hit.path, hit.match.rule.id, hit.match.hash),
                    severity=(Severity.CRITICAL if hit.match.rule.live else Severity.HIGH)
                    if rid == "SEC001" else None,
                    detail=f"; added in commit {hit.commit[:12]} ({hit.date})"
                           + ("" if hit.in_head else ", removed from HEAD since"),
                    impact="Anyone with a clone, fork or CI cache of the repository still "
                           "has this credential, even though HEAD no longer shows it.",
                    fix_extra=PURGE))
            tables.append(Table(
                title="Git history scan", columns=("commits", "status", "note"),
                rows=((str(h.commits), "complete" if h.complete else "incomplete history",
                       h.range_note or h.reason or ""),)))
        findings += [tracked_env_finding(path, obs.tree) for path in obs.tree.tracked
                     if is_env_file(path)]
        if len(obs.ignore):
            tables.append(Table(title=".gitleaksignore", columns=("entries", "suppressed"),
                                rows=((str(len(obs.ignore)), str(allowed)),)))
        not_scanned = skipped_table("Files not scanned for secrets", obs.tree.skipped)
        if not_scanned is not None:
            tables.append(not_scanned)
        if self.staged:
            skipped = {**skipped,
                       "SEC002": "history not scanned: --staged reads only the git index"}
        return Outcome(findings=tuple(findings), tables=tuple(tables), errors=errors,
                       skipped=skipped)


def tracked_env_finding(path: str, tree: TreeScan) -> Finding:
    """SEC006 for one tracked env file: high when it holds a credential (a secret-named value
    that could be real, anything the scanner reported in it) or could not be read; low when it
    holds only placeholders, local defaults and settings."""
    shown = safe_path(path)
    untrack = f"git rm --cached {_shell_quote(path)} && echo " \
              f"{_shell_quote(PurePosixPath(path).name)} >> .gitignore && git commit"
    names = tree.env_credentials.get(path)
    reported = any(fh.path == path and any(not m.note for m in fh.matches)
                   for fh in tree.files)
    if names is None or names or reported:
        held = f"; it holds {_listed(names)}" if names else ""
        return make_finding(
            meta("SEC006"), target=shown, identity=path, location=Location(path=path),
            evidence=f"{shown} is tracked by git{held} (values not shown)",
            impact="Every variable in it, including any secret, is in the repository and its "
                   "history for anyone with access.",
            fix=f"{untrack}; then rotate every secret it held and commit a .env.example with "
                f"empty values instead. {PURGE}")
    return make_finding(
        meta("SEC006"), target=shown, identity=path, location=Location(path=path),
        severity=Severity.LOW,
        evidence=f"{shown} is tracked by git; it holds no credential now, only placeholders, "
                 f"local defaults and settings (values not shown)",
        impact="Nothing secret is exposed by it today, but the first real value typed into it "
               "is committed with the next `git add`.",
        fix="Keep only shared defaults in it and put real values in an ignored file: add "
            "`.env*.local` to .gitignore and use .env.local; or stop tracking it with "
            f"{untrack}, and commit a .env.example with empty values instead.",
        effort_minutes=5)


def _listed(names: tuple[str, ...], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _gitleaksignore(targets: list[Path]) -> GitleaksIgnore:
    """The ``.gitleaksignore`` at the top of the first target's repository (or folder)."""
    for t in targets:
        top = repo_root(t) or (t if t.is_dir() else t.parent)
        data = read_capped(top / ".gitleaksignore", root=top, max_bytes=1 << 20)
        if isinstance(data, bytes):
            return GitleaksIgnore.parse(data.decode("utf-8", "replace"))
    return GitleaksIgnore()


def _shell_quote(text: str) -> str:
    if text and all(c.isalnum() or c in "._/-" for c in text):
        return text
    return "'" + safe_path(text).replace("'", "'\\''") + "'"
