"""``launchready handover [-o FILE] [--format md|html]``: write the handover document.

Runs a fresh audit of the configured app and, at the same time, the handover's own lookups
(the live record map, the apex/www/canonical response headers, MTA-STS and DKIM TXT records)
through the same probes, then writes the document: Markdown by default, HTML with
``--format html`` or an ``-o`` file ending in ``.html``. The exit code follows the audit
(SPEC §2), so a CI job can write the document and still fail on open findings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from launchready.config.models import Config
from launchready.errors import UsageError
from launchready.handover import HandoverFormat, build_handover, gather_live, render_handover
from launchready.handover.model import Handover
from launchready.model import Report
from launchready.pipeline import arun_report, exit_status, load_command_config, network_overrides
from launchready.probes import Probes
from launchready.urls import mask_credentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments of its own: ``-o`` and ``--format`` are the common options."""


def _format(args: argparse.Namespace) -> HandoverFormat:
    formats: list[str] = list(args.formats)
    if len(formats) > 1 or len(args.outputs) > 1:
        raise UsageError("handover writes one document: give at most one --format and one -o")
    if formats:
        if formats[0] not in (HandoverFormat.MD.value, HandoverFormat.HTML.value):
            raise UsageError(f"handover: --format {formats[0]} is not supported; use md or html")
        return HandoverFormat(formats[0])
    if args.outputs and Path(args.outputs[0]).suffix.lower() in (".html", ".htm"):
        return HandoverFormat.HTML
    return HandoverFormat.MD


async def build(config: Config, args: argparse.Namespace) -> tuple[Handover, Report]:
    """Audit and look up concurrently, through one set of probes."""
    probes = Probes.from_network(config.network)
    try:
        report, live = await asyncio.gather(arun_report(config, args, probes=probes),
                                            gather_live(config, probes))
    finally:
        await probes.aclose()
    return build_handover(report, config, live=live), report


def run(args: argparse.Namespace) -> int:
    """Write the handover document (Markdown, or HTML) from a fresh audit."""
    fmt = _format(args)
    config = network_overrides(args, load_command_config(args, optional=False))
    handover, report = asyncio.run(build(config, args))
    text = mask_credentials(render_handover(handover, fmt))
    if args.outputs:
        path = Path(args.outputs[0])
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        if not args.quiet:
            sys.stderr.write(f"wrote {path}\n")
    else:
        sys.stdout.write(text)
    return exit_status(report, args)
