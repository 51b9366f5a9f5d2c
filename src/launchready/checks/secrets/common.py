"""Shared pieces of the secret checks: turning a scanner match into a finding.

A finding never carries the value: evidence has the masked form, the fingerprint hashes the
rule, the file (not the line, so edits above it keep baselines valid) and the salted value
hash.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping

from launchready.checks.base import make_finding
from launchready.checks.catalog import meta
from launchready.model import Finding, Location, Severity, Table, fingerprint_of
from launchready.secrets.redact import safe_path
from launchready.secrets.scanner import Match
from launchready.secrets.tree import Skipped

PURGE = ("Rotate first: purging history does not revoke the key, and every clone, fork, CI "
         "cache and pull-request ref keeps a copy. Then purge it: put the old value in "
         "replacements.txt (one line, `VALUE==>REMOVED`), run `git filter-repo --replace-text "
         "replacements.txt`, force-push every branch and tag, and ask collaborators to "
         "re-clone.")


def secret_finding(rule_id: str, *, where: str, match: Match, line: int | None = None,
                   column: int | None = None, impact: str, fix_extra: str = "",
                   detail: str = "", severity: Severity | None = None,
                   location_path: str | None = None, attribution: str | None = None,
                   occurrence: int = 0, place: str | None = None) -> Finding:
    """One finding for one secret value at one place.

    ``occurrence`` numbers the second and later places of one value in one file, so each
    has its own fingerprint (the first keeps the fingerprint it always had). ``place``
    replaces the catalog title where it would be wrong ("Secret in an untracked file").
    """
    rule = match.rule
    shown_line = match.line if line is None else line
    target = f"{safe_path(where)}:{shown_line}" if shown_line else safe_path(where)
    encoded = f", {match.encoding}-encoded" if match.encoding else ""
    named = f"; the value of {attribution} is in {safe_path(where)}" if attribution else ""
    note = f"; {match.note}" if match.note else ""
    evidence = f"{rule.title}: {match.masked} (redacted{encoded}){named}{detail}{note}"
    if match.note:
        severity = Severity.LOW  # a local default or a key that is public by design
    fix = f"{rule.rotation} {fix_extra}".strip()
    finding = make_finding(
        meta(rule_id), target=target, evidence=evidence, impact=impact, fix=fix,
        severity=severity, title=f"{place or meta(rule_id).title}: {rule.title}",
        detail_key=rule.id,
        location=Location(path=location_path or where, line=shown_line or None,
                          column=column if column is not None else match.column or None))
    return dataclasses.replace(
        finding, fingerprint=fingerprint_of(
            rule_id, where, f"{rule.id}:{match.hash}" + (f"#{occurrence}" if occurrence else "")))


def skipped_table(title: str, skipped: Iterable[Skipped], limit: int = 50) -> Table | None:
    """A report table of files that were not scanned, with reasons."""
    items = list(skipped)
    if not items:
        return None
    reasons = Counter(s.reason.split(":", 1)[0] for s in items)
    rows = [(safe_path(s.path), s.reason) for s in items[:limit]]
    if len(items) > limit:
        rows.append((f"... {len(items) - limit} more", ", ".join(
            f"{k}: {v}" for k, v in sorted(reasons.items()))))
    return Table(title=title, columns=("path", "skipped because"), rows=tuple(rows))


def attribution_for(index: Mapping[str, str], match: Match) -> str | None:
    """The env variable that holds this value, if any."""
    return index.get(match.hash)
