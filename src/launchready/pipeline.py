"""The one command pipeline: what every auditing command does between its arguments and its exit.

    config (+ --resolve/--resolver/--ca-bundle/--timeout) → selection (--only/--skip over the
    command's own) → findings baseline (--baseline, else [secrets] baseline when it exists) →
    engine → rank → the files the checks produced (the perf baseline) → every requested
    format → --write-baseline → exit code

A command module parses its own arguments, builds its config and families, and calls
:func:`run_command` once; ``handover`` renders its own document and uses :func:`arun_report`
and :func:`exit_status`. Exit codes come from ``output.exit_code`` alone; a command may add one
rule of its own before it (``exit_rule``), e.g. ``env`` exits 1 on a missing variable whatever
``--fail-on`` says.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchready.baseline import load_baseline, write_baseline
from launchready.checks.base import CheckFamily
from launchready.config.locate import find_config
from launchready.engine import ProgressHook, Selection, arun_audit
from launchready.errors import UsageError
from launchready.model import OutputFile, Report
from launchready.output import emit, exit_code
from launchready.probes import Probes

if TYPE_CHECKING:
    from launchready.config.models import Config

#: a command's own exit rule, applied before the common one; None defers to ``exit_code``
ExitRule = Callable[[Report], int | None]
#: how the report reaches the user (default: ``output.emit``, every --format and -o)
Renderer = Callable[[Report, argparse.Namespace], None]

__all__ = ["ExitRule", "Renderer", "arun_report", "exit_status", "found_config",
           "load_command_config", "network_options", "network_overrides", "run_command",
           "selection_for", "split_ids", "write_output"]


def split_ids(value: str) -> tuple[str, ...]:
    """``"SEC,WEB004"`` → ``("SEC", "WEB004")`` (the form of --only and --skip)."""
    return tuple(x.strip() for x in value.split(",") if x.strip())


def load_command_config(args: argparse.Namespace, *, optional: bool) -> Config:
    """``--config PATH``, else ``./launchready.toml`` / ``[tool.launchready]`` when present.

    ``optional`` commands (given their target on the command line) run on an empty config
    when there is no file; the others raise the loader's ConfigError.
    """
    from launchready.config.loader import load_config  # noqa: PLC0415 - see found_config
    from launchready.config.models import Config  # noqa: PLC0415

    if find_config(args.config) is None and optional:
        return Config()
    return load_config(args.config)


def found_config(args: argparse.Namespace) -> Config | None:
    """The config file's config, or None when there is none (``--config`` must exist): a
    command that needs no section runs on None without loading the config models."""
    if find_config(args.config) is None:
        return None
    from launchready.config.loader import load_config  # noqa: PLC0415 - a file to validate

    return load_config(args.config)


def network_options(args: argparse.Namespace) -> bool:
    """True when any of --resolve, --resolver, --ca-bundle or --timeout is given."""
    return bool(args.resolve or args.resolver or args.ca_bundle or args.timeout is not None)


def network_overrides(args: argparse.Namespace, config: Config) -> Config:
    """``config`` with the common network options applied (validated like the config keys)."""
    if not network_options(args):
        return config
    from launchready.config.models import NetworkConfig, parse_resolve  # noqa: PLC0415

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
    new_net = NetworkConfig.model_validate({**net.model_dump(), **update})
    return config.model_copy(update={"network": new_net})


def selection_for(args: argparse.Namespace, default: Selection | None = None) -> Selection:
    """--only replaces the command's own prefixes; --skip adds to its skips."""
    only, skip = split_ids(args.only), split_ids(args.skip)
    if default is None:
        return Selection(only=only, skip=skip)
    return Selection(only=only or default.only, skip=skip + default.skip)


def _suppressions(config: Config | None, args: argparse.Namespace) -> frozenset[str]:
    if args.baseline:
        return load_baseline(args.baseline)
    configured = config.secrets.baseline if config is not None and config.secrets else None
    if configured:
        # the configured baseline may not exist yet: `--write-baseline` creates it
        return load_baseline(configured, key="secrets.baseline", missing_ok=True)
    return frozenset()


def _progress(args: argparse.Namespace) -> ProgressHook | None:
    if args.quiet or not sys.stdout.isatty():
        return None

    def hook(name: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r  checks finished: {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return hook


async def arun_report(config: Config | None, args: argparse.Namespace, *,
                      selection: Selection | None = None,
                      families: Iterable[CheckFamily[Any]] | None = None,
                      probes: Probes | None = None,
                      environ: Mapping[str, str] | None = None) -> Report:
    """Run the audit of an already prepared ``config`` (see :func:`network_overrides`) with
    the common selection and baseline options, then write the files its checks produced."""
    report = await arun_audit(config, selection=selection_for(args, selection),
                              suppress=_suppressions(config, args), families=families,
                              probes=probes, progress=_progress(args), environ=environ)
    for output in report.output_files:
        write_output(output)
    return report


def write_output(output: OutputFile) -> None:
    """Write a file a check produced, atomically (a crash never leaves half a file); a path
    that cannot be written is a usage error naming its key."""
    target = Path(output.path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(output.text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise UsageError(f"{output.key}: cannot write {output.what} {output.path}: "
                         f"{exc.strerror}") from None


def exit_status(report: Report, args: argparse.Namespace,
                exit_rule: ExitRule | None = None) -> int:
    """Print the traces of crashed checks under ``-v``, write ``--write-baseline`` and return
    the exit code of a finished run."""
    if args.verbose:
        for check in report.checks:
            if check.trace:
                sys.stderr.write(f"{check.id} failed inside launchready ({check.error}):\n"
                                 f"{check.trace}\n")
    if args.write_baseline:
        n = write_baseline(args.write_baseline, report.findings)
        if not args.quiet:
            sys.stderr.write(f"wrote {n} fingerprints to {args.write_baseline}\n")
    if exit_rule is not None:
        code = exit_rule(report)
        if code is not None:
            return code
    return exit_code(report, args.fail_on)


def run_command(config: Config | None, args: argparse.Namespace, *,
                selection: Selection | None = None,
                families: Iterable[CheckFamily[Any]] | None = None,
                exit_rule: ExitRule | None = None,
                render: Renderer = emit,
                loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> int:
    """The whole pipeline for one command; returns its exit code.

    ``selection`` is the command's own scope (``--only``/``--skip`` refine it), ``families``
    replaces the registry's, ``loop_factory`` picks the event loop (perf passes uvloop's).
    ``config`` None is a run without a config file (see :func:`found_config`).
    """
    if config is not None or network_options(args):
        from launchready.config.models import Config  # noqa: PLC0415 - see found_config

        config = network_overrides(args, config if config is not None else Config())
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        report = runner.run(arun_report(config, args, selection=selection, families=families))
    render(report, args)
    return exit_status(report, args, exit_rule)
