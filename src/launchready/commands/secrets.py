"""``launchready secrets [PATH...] [--history] [--since REV] [--bundle DIR_OR_URL]``.

Scans files (SEC001, SEC006), git history (SEC002) and built bundles or live pages (SEC003).
Works without a config file when given paths. Exit 3 when the history scan was incomplete
(shallow clone, git error): an incomplete scan is never reported as clean.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from launchready.baseline import load_baseline, write_baseline
from launchready.checks.base import CheckFamily
from launchready.checks.secrets.bundle import BundleSecrets
from launchready.checks.secrets.repo import RepoSecrets
from launchready.config.loader import find_config, load_config
from launchready.config.models import Config
from launchready.engine import Selection, arun_audit
from launchready.model import CheckStatus, Report
from launchready.output import EXIT_INCOMPLETE, emit, exit_code

IDS = ("SEC001", "SEC002", "SEC003", "SEC006")


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


def _split(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


def families_for(args: argparse.Namespace, config: Config) -> list[CheckFamily[Any]]:
    """The configured check families for these arguments."""
    paths = list(args.paths) or (None if config.secrets else ["."])
    history = True if (args.history or args.since) else (None if config.secrets else False)
    fams: list[CheckFamily[Any]] = [RepoSecrets(paths=paths, history=history,
                                                since=args.since)]
    urls = [b for b in args.bundle if b.startswith(("http://", "https://"))]
    dirs = [b for b in args.bundle if not b.startswith(("http://", "https://"))]
    if args.bundle:
        fams.append(BundleSecrets(dirs=dirs, urls=urls))
    elif config.secrets is not None:
        fams.append(BundleSecrets())
    return fams


def incomplete(report: Report) -> bool:
    """True when a secret check could not finish (e.g. incomplete history)."""
    return any(c.status is CheckStatus.ERROR for c in report.checks if c.id in IDS)


def run(args: argparse.Namespace) -> int:
    """Run the scan and emit the report; return the exit code."""
    found = find_config(args.config) if args.config or not args.paths else None
    config = load_config(args.config) if found else Config()
    sel = Selection(only=_split(args.only) or IDS, skip=_split(args.skip))
    suppress: frozenset[str] = frozenset()
    if args.baseline:
        suppress = load_baseline(args.baseline)
    elif config.secrets and config.secrets.baseline:
        # the configured baseline may not exist yet: `--write-baseline` creates it
        suppress = load_baseline(config.secrets.baseline, key="secrets.baseline",
                                 missing_ok=True)
    report = asyncio.run(arun_audit(config, families=families_for(args, config),
                                    selection=sel, suppress=suppress))
    emit(report, args)
    if args.write_baseline:
        n = write_baseline(args.write_baseline, report.findings)
        if not args.quiet:
            sys.stderr.write(f"wrote {n} fingerprints to {args.write_baseline}\n")
    if incomplete(report):
        for c in report.checks:
            if c.status is CheckStatus.ERROR and c.id in IDS:
                sys.stderr.write(f"error: {c.id} could not complete: {c.error}\n")
        return EXIT_INCOMPLETE
    return exit_code(report, args.fail_on)
