"""``launchready env [--environment NAME] [--env-file F] [--from-shell]`` — the pre-deploy gate.

Checks the target environment against the env contract (ENV001–ENV008, see
:mod:`launchready.checks.env.contract`), prints the "Environment contract" table (variable →
status) with the findings, and exits 1 when a required variable is missing or empty — whatever
``--fail-on`` says, so a pipeline step ``launchready env --env-file .env.vercel.production``
stops the deploy. Otherwise the usual exit codes apply (1 for findings at or above
``--fail-on``, 2 for usage/config errors, 3 when the environment could not be read).

The target is ``--env-file F`` (a dotenv file or a platform's JSON export), else ``[env]
environment_file``, else — only with ``--from-shell`` — this shell's environment. With none of
them the command says how to name one and exits 2: the developer's laptop is not production.
``--environment NAME`` sets which rules apply (production gets all; see the contract module).
Works without a config file: the code under the current directory is scanned and its
templates are read from there.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from launchready.checks.env.contract import NO_SOURCE, EnvContractChecks
from launchready.config.models import Config, EnvConfig, environment_name
from launchready.errors import ConfigError, UsageError
from launchready.model import CheckStatus, Report, Severity
from launchready.output import EXIT_FINDINGS, EXIT_INCOMPLETE
from launchready.pipeline import load_command_config, run_command


def _environment(value: str) -> str:
    try:
        return environment_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``launchready env`` (the common options are added by the CLI)."""
    parser.add_argument("--environment", metavar="NAME", type=_environment,
                        help="environment to judge: production (default: [app] environment), "
                             "preview, staging, development")
    parser.add_argument("--env-file", metavar="F",
                        help="dotenv file or platform JSON export holding the target "
                             "environment (default: [env] environment_file)")
    parser.add_argument("--from-shell", action="store_true",
                        help="judge this shell's environment (e.g. in the deploy job where the "
                             "platform injected the production variables)")


def _config(args: argparse.Namespace) -> Config:
    config = load_command_config(args, optional=True)
    if config.env is None:
        config = config.model_copy(update={"env": EnvConfig()})
    env = config.env
    if args.env_file is None and env is not None and env.environment_file:
        named = config.base_dir / env.environment_file
        if not named.is_file():
            state = "is not a regular file" if named.exists() else "does not exist"
            raise ConfigError(f"{env.environment_file} {state}",
                              key="env.environment_file", source=config.source,
                              fix="pull it from the platform (e.g. `vercel env pull "
                                  "--environment=production .env.production`) or pass "
                                  "--env-file")
    return config


def missing_required(report: Report) -> bool:
    """True when the report has an unsuppressed critical ENV001 (missing/empty required var)."""
    return any(f.rule_id == "ENV001" and f.severity is Severity.CRITICAL
               for f in report.unsuppressed)


def run(args: argparse.Namespace) -> int:
    """Run the env gate; return the exit code."""
    if args.env_file is not None and not Path(args.env_file).is_file():
        state = "is not a regular file" if Path(args.env_file).exists() else "does not exist"
        raise UsageError(f"--env-file: {args.env_file} {state}")
    config = _config(args)
    if args.env_file is None and not args.from_shell and not (
            config.env is not None and config.env.environment_file):
        raise UsageError(f"env: {NO_SOURCE}")
    env_file = str(Path(args.env_file).resolve()) if args.env_file else None
    family = EnvContractChecks(environment=args.environment, env_file=env_file,
                               environ=os.environ if args.from_shell else None)
    return run_command(config, args, families=[family], exit_rule=_gate)


def _gate(report: Report) -> int | None:
    if any(c.status is CheckStatus.ERROR for c in report.checks):
        # the gate could not read what it had to judge: never report that as a pass
        return EXIT_INCOMPLETE
    if missing_required(report):
        return EXIT_FINDINGS
    return None
