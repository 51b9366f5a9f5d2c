"""``launchready secrets [PATH...] [--history] [--since REV] [--bundle DIR_OR_URL] [--staged]``.

Scans files (SEC001, SEC006), git history (SEC002) and built bundles or live pages (SEC003).
Works without a config file when given paths. A PATH that does not exist is a usage error
(exit 2); exit 3 when the history scan was incomplete (shallow clone, git error): an
incomplete scan is never reported as clean.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from launchready.checks.base import CheckFamily
from launchready.checks.secrets.bundle import BundleSecrets
from launchready.checks.secrets.repo import RepoSecrets
from launchready.errors import UsageError
from launchready.pipeline import found_config, run_command
from launchready.probes.git import repo_root
from launchready.secrets.redact import safe_path

if TYPE_CHECKING:
    from launchready.config.models import Config

IDS = RepoSecrets.rule_ids + BundleSecrets.rule_ids


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-specific arguments."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories to scan (default: [secrets] paths, else .)")
    parser.add_argument("--history", action="store_true",
                        help="also scan every reachable commit of the git history")
    parser.add_argument("--since", metavar="REV",
                        help="scan only history added after REV (implies --history)")
    parser.add_argument("--bundle", action="append", default=[], metavar="DIR_OR_URL",
                        help="built frontend directory or live URL to scan (repeatable)")
    parser.add_argument("--staged", action="store_true",
                        help="scan only the lines the next commit adds, read from the git "
                             "index (for pre-commit hooks)")


def families_for(args: argparse.Namespace, config: Config | None) -> list[CheckFamily[Any]]:
    """The configured check families for these arguments (``config`` None: no config file,
    so no ``[secrets]`` section)."""
    if getattr(args, "staged", False):
        if args.history or args.since or args.bundle:
            raise UsageError("--staged scans the git index only; drop --history, --since "
                             "and --bundle")
        if repo_root(args.paths[0] if args.paths else ".") is None:
            raise UsageError("--staged: not inside a git repository")
        return [RepoSecrets(paths=list(args.paths) or ["."], history=False, staged=True)]
    section = config.secrets if config is not None else None
    paths = list(args.paths) or (None if section else ["."])
    history = True if (args.history or args.since) else (None if section else False)
    fams: list[CheckFamily[Any]] = [RepoSecrets(paths=paths, history=history,
                                                since=args.since)]
    urls = [b for b in args.bundle if b.startswith(("http://", "https://"))]
    dirs = [b for b in args.bundle if not b.startswith(("http://", "https://"))]
    if args.bundle:
        fams.append(BundleSecrets(dirs=dirs, urls=urls))
    elif section is not None:
        fams.append(BundleSecrets())
    return fams


def bad_path(path: str) -> str | None:
    """Why a PATH argument cannot be scanned, or None (a typo must not scan nothing and pass)."""
    if not os.path.lexists(path):
        return "does not exist"
    if not (os.path.isfile(path) or os.path.isdir(path)):
        return "is not a regular file or a directory"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the scan and emit the report; return the exit code."""
    for path in args.paths:
        why = bad_path(path)
        if why is not None:
            raise UsageError(f"secrets: {safe_path(path)} {why}; give a file or directory "
                             f"to scan")
    # without a config file the scan runs on the defaults, and pydantic is never loaded: a
    # pre-commit hook starts in a fifth of a second
    config = found_config(args)
    return run_command(config, args, families=families_for(args, config))
