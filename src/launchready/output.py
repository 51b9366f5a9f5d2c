"""Where reports go and what the exit code is (shared by every command that audits)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from launchready.errors import UsageError
from launchready.model import ErrorReason, Report, Severity
from launchready.report import Format, render
from launchready.report.verdict import incomplete_notice, summary_line
from launchready.urls import mask_credentials

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
STDOUT = "-"  # `-o -`: that format goes to standard output
_EXTENSIONS = {".json": Format.JSON, ".html": Format.HTML, ".htm": Format.HTML,
               ".md": Format.MD, ".sarif": Format.SARIF, ".xml": Format.JUNIT,
               ".txt": Format.TERMINAL}


def _outputs(args: argparse.Namespace) -> list[tuple[Format, str | None]]:
    formats = [Format(f) for f in args.formats]
    outputs: list[str] = list(args.outputs)
    pairs: list[tuple[Format, str | None]] = []
    for i, fmt in enumerate(formats):
        path = outputs[i] if i < len(outputs) else None
        pairs.append((fmt, None if path == STDOUT else path))
    for extra in outputs[len(formats):]:
        guessed = _EXTENSIONS.get(Path(extra).suffix.lower())
        if guessed is None:
            raise UsageError(f"-o {extra}: cannot tell the format from the extension; "
                             f"add --format")
        pairs.append((guessed, extra))
    return pairs or [(Format.TERMINAL, None)]


def _color(args: argparse.Namespace) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def check_outputs(args: argparse.Namespace) -> None:
    """Fail before any work when an ``-o FILE`` cannot be written (missing directory...)."""
    for path in getattr(args, "outputs", []) or []:
        if path == STDOUT:
            continue
        target = Path(path)
        parent = target.parent if str(target.parent) else Path(".")
        if target.is_dir():
            raise UsageError(f"-o {path}: is a directory; give a file name")
        if not parent.is_dir():
            raise UsageError(f"-o {path}: directory {parent} does not exist; create it first")
        if not os.access(parent, os.W_OK):
            raise UsageError(f"-o {path}: directory {parent} is not writable")


def emit(report: Report, args: argparse.Namespace) -> None:
    """Render the report in every requested format and destination."""
    width = 100
    outputs = _outputs(args)
    if not any(path is None for _, path in outputs):
        # every format goes to a file: the terminal gets the verdict, not a copy of the report
        notice = incomplete_notice(report)
        lines = [notice] if notice else []
        sys.stdout.write(mask_credentials("\n".join([*lines, summary_line(report)])) + "\n")
    for fmt, path in outputs:
        # the last gate before any byte leaves: no URL password in any format
        text = mask_credentials(render(report, fmt, color=_color(args) and path is None,
                                       width=width, top=getattr(args, "top", None)))
        if path is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def exit_code(report: Report, fail_on: str) -> int:
    """The exit code of a finished report (SPEC §2); the one place that decides it.

    130 when Ctrl-C stopped the run (its partial report was still written); 2 when the run
    checked nothing (every selected check skipped, or none selected) or a check could not
    run because of the config or a given file (reason ``usage``); 1 when an unsuppressed
    finding is at or above ``fail_on``; 3 when a selected check could not run and nothing
    reached ``fail_on``; else 0. So an incomplete run is never reported as clean.
    """
    if report.interrupted:
        return EXIT_INTERRUPTED
    if report.nothing_checked or any(c.reason is ErrorReason.USAGE for c in report.errored):
        return EXIT_USAGE
    if fail_on != "never":
        threshold = Severity(fail_on)
        if any(f.severity.at_least(threshold) for f in report.unsuppressed):
            return EXIT_FINDINGS
    if report.errored:
        return EXIT_INCOMPLETE
    return EXIT_OK
