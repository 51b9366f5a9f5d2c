"""``launchready build [--env-file F]`` — the production build from a clean checkout of HEAD.

Checks HEAD out into a temporary folder, installs from the lockfile, builds with the production
environment only, then judges the build (DEPLOY001–DEPLOY003), the secrets in its output (SEC003
on the built files, attributed to the env variable that holds each value) and the way back
(DEPLOY004, DEPLOY005). The checkout is removed on every exit, Ctrl-C included; the working
tree is never written to. Works without a config file (the current directory is the project).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from launchready.build.environment import env_file_path, production_environment
from launchready.build.session import build_session
from launchready.checks.base import CheckFamily
from launchready.checks.deploy import CleanBuildChecks, RollbackChecks
from launchready.checks.deploy.build import build_timeout, observe, plan_for, project_of
from launchready.checks.secrets.bundle import BundleSecrets
from launchready.config.models import BuildConfig, Config
from launchready.engine import Selection
from launchready.errors import ConfigError, UsageError
from launchready.model import CheckStatus, Report
from launchready.output import EXIT_INCOMPLETE, EXIT_OK, emit, exit_code
from launchready.pipeline import arun_report, exit_status, load_command_config, network_overrides
from launchready.probes import Probes
from launchready.probes.git import repo_root

SCOPE = Selection(only=("DEPLOY", "SEC003"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``launchready build`` (the common options are added by the CLI)."""
    parser.add_argument("--env-file", metavar="F",
                        help="the production environment (default: [build] env_file, else "
                             "[env] environment_file)")


def _config(args: argparse.Namespace) -> Config:
    config = network_overrides(args, load_command_config(args, optional=True))
    # the folder is fixed now: the audit of the built files runs inside the checkout
    update: dict[str, Any] = {"folder": config.base_dir.resolve()}
    if config.build is None:
        update["build"] = BuildConfig()
    return config.model_copy(update=update)


@contextlib.contextmanager
def _inside(path: Path) -> Iterator[None]:
    # SEC003 names built files relative to the checkout ("dist/assets/app.js"), so findings
    # and their fingerprints are the same from run to run
    here = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(here)


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None

    def show(line: str) -> None:
        sys.stderr.write(f"  {line}\n")

    return show


async def _build(config: Config, args: argparse.Namespace) -> Report:
    plan = plan_for(config)
    if plan is None:
        raise ConfigError("no build detected (no package.json build script or framework, no "
                          "pyproject build backend)", key="build.command",
                          source=config.source, fix='set [build] command = "npm run build"')
    project = project_of(config)
    if not project.is_dir():
        raise ConfigError(f"{project} is not a folder", key="build.path", source=config.source,
                          fix="point [build] path at the project folder")
    if await asyncio.to_thread(repo_root, project) is None:
        raise UsageError(f"build: {project} is not in a git repository (a clean build checks "
                         "out HEAD)")
    production = production_environment(config, args.env_file)
    env_file = env_file_path(config, args.env_file)
    probes = Probes.from_network(config.network)
    try:
        async with build_session(project=project, plan=plan, production=production,
                                 timeout=build_timeout(config), progress=_progress(args)) as run:
            obs = await asyncio.to_thread(observe, run, config)
            families: list[CheckFamily[Any]] = [
                CleanBuildChecks(observations=obs), RollbackChecks()]
            if run.output_dir is None or run.checkout is None:
                return await arun_report(config, args, selection=SCOPE, families=families,
                                         probes=probes, environ=production)
            families.append(BundleSecrets(
                dirs=[str(run.output_dir.relative_to(run.checkout))], urls=[],
                env_files=[str(env_file)] if env_file else []))
            with _inside(run.checkout):
                return await arun_report(config, args, selection=SCOPE, families=families,
                                         probes=probes, environ=production)
    finally:
        await probes.aclose()


def run(args: argparse.Namespace) -> int:
    """Run the clean build and its checks; return the exit code."""
    if args.env_file is not None and not Path(args.env_file).is_file():
        raise UsageError(f"--env-file: {args.env_file} does not exist")
    config = _config(args)
    env_file = env_file_path(config, args.env_file)
    if env_file is not None and not env_file.is_file():
        raise ConfigError(f"{env_file.name} does not exist", key="build.env_file",
                          source=config.source,
                          fix="pull it from the platform (e.g. `vercel env pull "
                              "--environment=production .env.production`) or pass --env-file")
    report = asyncio.run(_build(config, args))
    emit(report, args)

    def incomplete(done: Report) -> int | None:
        # a build that could not run (registry unreachable ...) is never reported as clean
        if exit_code(done, args.fail_on) == EXIT_OK and any(
                c.status is CheckStatus.ERROR for c in done.checks):
            return EXIT_INCOMPLETE
        return None

    return exit_status(report, args, incomplete)
