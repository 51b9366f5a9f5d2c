"""``launchready logs [FILE... or -] [--follow] [--redact]``.

Scans log files, globs or standard input for secrets (SEC005) and personal data (SEC007),
streaming with flat memory. ``--redact`` writes ``FILE.redacted`` beside each file (for ``-``,
the masked log goes to standard output and the report to standard error or ``-o`` files).
``--follow`` keeps reading one growing file, printing each new kind of finding as it appears,
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from launchready.checks.secrets.logs import LogSecrets, expand_log_paths
from launchready.errors import UsageError
from launchready.model import Report
from launchready.output import emit
from launchready.pipeline import load_command_config, run_command
from launchready.report import Format, render
from launchready.secrets.logs import LogScan, follow_file, scan_stream
from launchready.secrets.redact import safe_path
from launchready.secrets.scanner import Scanner


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-specific arguments."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="log files or globs, or - for standard input "
                             "(default: [secrets] logs)")
    parser.add_argument("--follow", action="store_true",
                        help="keep reading one file as it grows (until Ctrl-C)")
    parser.add_argument("--redact", action="store_true",
                        help="write a masked copy: FILE.redacted, or standard output for -")


def _live(scan: LogScan) -> None:
    kinds = [f"SEC005 {k[0]} at line {v.line}: {v.match.masked}" for k, v in scan.secrets.items()]
    kinds += [f"SEC007 {k} at line {v.line}: {v.example}" for k, v in scan.pii.items()]
    sys.stderr.write(f"{safe_path(scan.source)}: {kinds[-1]}\n")
    sys.stderr.flush()


def _scan_one(name: str, scanner: Scanner, args: argparse.Namespace) -> LogScan:
    if name == "-":
        out = sys.stdout.buffer if args.redact else None
        return scan_stream(sys.stdin.buffer, "<stdin>", scanner, redact_to=out)
    path = Path(name)
    red: IO[bytes] | None = None
    try:
        if args.redact:
            red = path.with_name(path.name + ".redacted").open("wb")
        if args.follow:
            follower = follow_file(name)
            try:
                return scan_stream(follower.fh, name, scanner, redact_to=red, on_new=_live,
                                   follow=lambda: True, reopen=follower.reopen)
            except KeyboardInterrupt:
                sys.stderr.write("stopped following\n")
                return LogScan(source=name)
            finally:
                follower.close()
        with path.open("rb") as fh:
            return scan_stream(fh, name, scanner, redact_to=red)
    except OSError as exc:
        return LogScan(source=name, error=exc.strerror or str(exc))
    finally:
        if red is not None:
            red.close()


def run(args: argparse.Namespace) -> int:
    """Scan the logs and emit the report; return the exit code."""
    config = load_command_config(args, optional=True)
    names = list(args.files)
    if not names:
        patterns = config.secrets.logs if config.secrets else []
        if not patterns:
            raise UsageError("logs: give FILE... or -, or set [secrets] logs in the config")
        names = [str(p) for p in expand_log_paths(patterns, config.base_dir)]
    else:
        expanded: list[str] = []
        for n in names:
            globbed = ([str(p) for p in expand_log_paths([n], Path.cwd())]
                       if any(c in n for c in "*?[") else [n])
            if not globbed:
                raise UsageError(f"logs: {safe_path(n)} matches no file")
            literal = n != "-" and not any(c in n for c in "*?[")
            if literal and not args.follow and (not Path(n).exists() or Path(n).is_dir()):
                why = "is a directory" if Path(n).is_dir() else "does not exist"
                raise UsageError(f"logs: {safe_path(n)} {why}; give a log file, a glob or -")
            expanded.extend(globbed)
        names = expanded
    if args.follow and (len(names) != 1 or names[0] == "-"):
        raise UsageError("logs --follow takes exactly one FILE")
    scanner = Scanner()
    scans = tuple(_scan_one(n, scanner, args) for n in names)
    for s in scans:
        if s.error:
            sys.stderr.write(f"error: {safe_path(s.source)}: {s.error}\n")
    to_stderr = args.redact and "-" in names
    return run_command(config, args, families=[LogSecrets(scans=scans)],
                       render=_beside_redacted_stdout if to_stderr else emit)


def _beside_redacted_stdout(report: Report, args: argparse.Namespace) -> None:
    """Standard output holds the masked log: the report goes to -o files and standard error."""
    for fmt, out in zip(args.formats, args.outputs, strict=False):
        Path(out).write_text(render(report, Format(fmt)), encoding="utf-8")
    sys.stderr.write(render(report, Format.TERMINAL))
