"""Allowlists users already have: excluded paths and gitleaks' ``.gitleaksignore``.

Excluded paths are not scanned and are listed with the reason: generated code, lockfiles and
vendored code by default (their "secrets" are hashes, fixtures and third-party examples), and
whatever ``[secrets] exclude`` adds. A pattern is a glob on the path relative to the repository
(``*`` crosses ``/``), tried at any depth: ``vendor/*`` also excludes ``web/vendor/x.js``.

``.gitleaksignore`` holds one fingerprint a line, as gitleaks writes them:
``path:rule:line`` for files and ``commit:path:rule:line`` for history. Rule names differ
between the two tools, so an entry suppresses whatever we find at that path and line (and
commit).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: (glob, why) excluded unless ``[secrets] exclude_defaults = false``
DEFAULT_EXCLUDES: tuple[tuple[str, str], ...] = (
    *((g, "generated code") for g in (
        "*.gen.ts", "*.gen.js", "*.gen.go", "*.generated.*", "*_pb2.py", "*.pb.go",
        "*/__generated__/*", "*.snap")),
    *((g, "lockfile") for g in (
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock",
        "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "go.sum",
        "composer.lock", "Gemfile.lock", "mix.lock", "pubspec.lock", "packages.lock.json",
        "flake.lock")),
    *((g, "vendored code") for g in ("vendor/*", "third_party/*", "third-party/*")),
)


def _matches(path: str, pattern: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern)
            or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern)))


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    """One regex that matches a path when :func:`_matches` is true for some pattern."""
    whole = [fnmatch.translate(p) for p in patterns]
    whole += [fnmatch.translate("*/" + p) for p in patterns]
    named = [fnmatch.translate(p) for p in patterns if "/" not in p]
    # a name pattern is tried on the last part of the path: after the last "/", or all of it
    parts = [f"(?:{w})" for w in whole] + [f"(?:(?s:.*/)?(?:{n}))" for n in named]
    return re.compile("|".join(parts) or r"(?!)")


@dataclass(frozen=True)
class Excludes:
    """The globs of one scan; :meth:`reason` says why a path is not scanned.

    A history scan asks about the same paths thousands of times: every pattern is tried at
    once through one regex, and answers are remembered per path.
    """

    user: tuple[str, ...] = ()
    defaults: bool = True

    @functools.cached_property
    def _patterns(self) -> tuple[tuple[str, str], ...]:
        own = tuple((p, f"excluded: [secrets] exclude {p!r}") for p in self.user)
        return own + (tuple((p, f"excluded: {why} ({p})") for p, why in DEFAULT_EXCLUDES)
                      if self.defaults else ())

    @functools.cached_property
    def _any(self) -> re.Pattern[str]:
        return _any_of([p for p, _ in self._patterns])

    @functools.cached_property
    def _seen(self) -> dict[str, str | None]:
        return {}

    def pathspecs(self, paths: Iterable[str], limit: int = 64) -> list[str]:
        """Git pathspecs leaving out the excluded ones of ``paths`` (literal names: a wildcard
        pathspec makes git match every path of every commit against it, which costs more
        than it saves); [] when none of them is excluded."""
        specs = [f":(exclude,literal){p}" for p in paths if self.reason(p) is not None]
        return [".", *specs[:limit]] if specs else []

    def reason(self, path: str) -> str | None:
        """Why ``path`` (relative, ``/``-separated) is excluded, or None."""
        path = path.replace("\\", "/")
        path = path[2:] if path.startswith("./") else path
        seen = self._seen
        if path not in seen:
            if len(seen) > 65536:
                seen.clear()
            seen[path] = (next((why for p, why in self._patterns if _matches(path, p)), None)
                          if self._any.match(path) else None)
        return seen[path]


_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True)
class GitleaksIgnore:
    """The entries of a ``.gitleaksignore`` file."""

    files: frozenset[tuple[str, int]] = frozenset()
    commits: frozenset[tuple[str, str, int]] = frozenset()

    @classmethod
    def parse(cls, text: str) -> GitleaksIgnore:
        """Entries of ``text``; comments, blank and malformed lines are skipped."""
        files: set[tuple[str, int]] = set()
        commits: set[tuple[str, str, int]] = set()
        for raw in text.splitlines():
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            head, sep, line = entry.rpartition(":")
            rest, sep2, _rule = head.rpartition(":")
            if not (sep and sep2 and line.isdigit() and rest):
                continue
            commit, sep3, path = rest.partition(":")
            if sep3 and _COMMIT.match(commit):
                commits.add((commit, path, int(line)))
            else:
                files.add((rest, int(line)))
        return cls(files=frozenset(files), commits=frozenset(commits))

    def __len__(self) -> int:
        return len(self.files) + len(self.commits)

    def covers(self, path: str, line: int, commit: str = "") -> bool:
        """True when an entry names this place (a commit entry needs the commit to match)."""
        if not commit:
            return (path, line) in self.files
        return any(commit.startswith(c) and p == path and n == line
                   for c, p, n in self.commits)

