"""What every auditing command shares: network overrides from the CLI, selection, baseline,
running the audit, emitting the report and the exit code."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launchready.baseline import load_baseline, write_baseline
from launchready.config.models import Config, NetworkConfig, parse_resolve
from launchready.engine import Selection, arun_audit
from launchready.errors import UsageError
from launchready.output import emit, exit_code


def _split(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


def _network_overrides(args: argparse.Namespace, config: Config) -> Config:
    net = config.network
    update: dict[str, Any] = {}
    if args.resolve:
        for entry in args.resolve:
            try:
                parse_resolve(entry)
            except ValueError as exc:
                raise UsageError(f"--resolve: {exc}") from None
        update["resolve"] = [*net.resolve, *args.resolve]
    if args.resolver:
        update["resolver"] = args.resolver
    if args.ca_bundle:
        if not Path(args.ca_bundle).is_file():
            raise UsageError(f"--ca-bundle: {args.ca_bundle} does not exist")
        update["ca_bundle"] = args.ca_bundle
    if args.timeout is not None:
        if not 0 < args.timeout <= 300:
            raise UsageError("--timeout must be between 0 and 300 seconds")
        update["timeout"] = args.timeout
    if not update:
        return config
    new_net = NetworkConfig.model_validate({**net.model_dump(), **update})
    return config.model_copy(update={"network": new_net})


def _progress(args: argparse.Namespace) -> Callable[[str, int, int], None] | None:
    if args.quiet or not sys.stdout.isatty():
        return None

    def hook(name: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r  checks finished: {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return hook


def run_report(config: Config, args: argparse.Namespace,
               selection: Selection | None = None,
               loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> int:
    """Audit ``config`` with the CLI's options, emit the report, return the exit code.

    ``loop_factory`` picks the event loop (the perf command passes uvloop's when installed).
    """
    config = _network_overrides(args, config)
    sel = selection or Selection(only=_split(args.only), skip=_split(args.skip))
    if selection is not None and (args.only or args.skip):
        sel = Selection(only=_split(args.only) or selection.only,
                        skip=_split(args.skip) + selection.skip)
    suppress: frozenset[str] = frozenset()
    if args.baseline:
        suppress = load_baseline(args.baseline)
    elif config.secrets and config.secrets.baseline:
        # the configured baseline may not exist yet: `--write-baseline` creates it
        suppress = load_baseline(config.secrets.baseline, key="secrets.baseline",
                                 missing_ok=True)
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        report = runner.run(arun_audit(config, selection=sel, suppress=suppress,
                                       progress=_progress(args)))
    emit(report, args)
    if args.write_baseline:
        n = write_baseline(args.write_baseline, report.findings)
        if not args.quiet:
            sys.stderr.write(f"wrote {n} fingerprints to {args.write_baseline}\n")
    return exit_code(report, args.fail_on)


