"""Where reports go and what the exit code is (shared by every command that audits)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from launchready.errors import UsageError
from launchready.model import CheckStatus, Report, Severity
from launchready.report import Format, render

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
_EXTENSIONS = {".json": Format.JSON, ".html": Format.HTML, ".htm": Format.HTML,
               ".md": Format.MD, ".sarif": Format.SARIF, ".xml": Format.JUNIT,
               ".txt": Format.TERMINAL}


def _outputs(args: argparse.Namespace) -> list[tuple[Format, str | None]]:
    formats = [Format(f) for f in args.formats]
    outputs: list[str] = list(args.outputs)
    pairs: list[tuple[Format, str | None]] = []
    for i, fmt in enumerate(formats):
        pairs.append((fmt, outputs[i] if i < len(outputs) else None))
    for extra in outputs[len(formats):]:
        guessed = _EXTENSIONS.get(Path(extra).suffix.lower())
        if guessed is None:
            raise UsageError(f"-o {extra}: cannot tell the format from the extension; "
                             f"add --format")
        pairs.append((guessed, extra))
    if not any(path is None for _, path in pairs):
        pairs.insert(0, (Format.TERMINAL, None))
    return pairs


def _color(args: argparse.Namespace) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def emit(report: Report, args: argparse.Namespace) -> None:
    """Render the report in every requested format and destination."""
    width = 100
    for fmt, path in _outputs(args):
        text = render(report, fmt, color=_color(args) and path is None, width=width)
        if path is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def exit_code(report: Report, fail_on: str) -> int:
    """0/1/3 from a finished report (SPEC §2): 3 when every network check that ran errored."""
    from launchready.checks.registry import network_ids  # noqa: PLC0415 - loaded on use

    networked = network_ids()
    ran = [c for c in report.checks
           if c.status is not CheckStatus.SKIPPED and c.id in networked]
    if ran and all(c.status is CheckStatus.ERROR for c in ran):
        return EXIT_INCOMPLETE
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on)
    if any(f.severity.at_least(threshold) for f in report.unsuppressed):
        return EXIT_FINDINGS
    return EXIT_OK


