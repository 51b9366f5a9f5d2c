"""``launchready perf``: latency budgets, the login burst and the CI baseline (PERF001–PERF004).

    launchready perf                                   # budgets + burst, report as usual
    launchready perf --save-baseline perf.json         # ... and store p95s for CI
    launchready perf --baseline perf.json --format md -o perf.md   # PR comment

Under ``perf``, ``--baseline``/``--save-baseline`` are the *perf* baseline (SPEC §2): a file of
p95s per endpoint, not the findings baseline of the other commands; ``--perf-baseline``/
``--save-perf-baseline`` are the same options under unambiguous names. ``--yes-load``
confirms loading a host that is neither loopback nor listed in ``[perf] allow_hosts``.

The first Ctrl-C stops the runs within a second and prints the partial results (marked
"partial" in the "Latency runs" table; no baseline is saved from a partial run); a second
Ctrl-C aborts.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import Any

from launchready.checks.perf.latency import PerfChecks
from launchready.errors import ConfigError
from launchready.perf.load import INTERRUPT, fast_loop_factory
from launchready.pipeline import load_command_config, run_command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``launchready perf`` (the common options come from cli.py)."""
    parser.add_argument("--perf-baseline", metavar="FILE",
                        help="compare each endpoint's p95 with this perf baseline (PERF003)")
    parser.add_argument("--save-perf-baseline", "--save-baseline", metavar="FILE",
                        dest="save_perf_baseline",
                        help="write this run's p95s to FILE as the perf baseline for CI")
    parser.add_argument("--yes-load", action="store_true",
                        help="confirm loading a host that is not loopback and not in "
                             "[perf] allow_hosts")


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    if INTERRUPT.is_set():
        raise KeyboardInterrupt
    INTERRUPT.set()
    sys.stderr.write("\nstopping the perf run: partial results follow "
                     "(press Ctrl-C again to abort)\n")


def run(args: argparse.Namespace) -> int:
    """Run the PERF checks with the command's options; returns the exit code."""
    config = load_command_config(args, optional=False)
    if config.perf is None:
        raise ConfigError("no [perf] section", key="perf",
                          fix='add [perf] with endpoints = [{ name = "home", path = "/" }]')
    update: dict[str, Any] = {}
    # the common --baseline means the perf baseline here, never a findings baseline
    perf_baseline = args.perf_baseline or args.baseline
    args.baseline = None
    if perf_baseline:
        update["baseline"] = perf_baseline
    if args.save_perf_baseline:
        update["save_baseline"] = args.save_perf_baseline
    if args.yes_load:
        update["confirm_load"] = True
    if update:
        config = config.model_copy(update={"perf": config.perf.model_copy(update=update)})
    INTERRUPT.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        return run_command(config, args, families=[PerfChecks()],
                           loop_factory=fast_loop_factory())
    finally:
        signal.signal(signal.SIGINT, previous)
        INTERRUPT.clear()
