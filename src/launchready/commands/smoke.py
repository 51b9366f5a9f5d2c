"""``launchready smoke``: run the ``[smoke]`` flow once, step by step, and report SMOKE001–004.

The report lists every step (request, status, time, result) in the "Smoke flow" table, the
post-logout replay, and one measurement per step; ``--format junit``/``md``/... work as for
every command. Credentials come from ``${VAR}`` in the config and are masked in every output.
"""

from __future__ import annotations

import argparse

from launchready.checks.smoke.flow import flow_base_url
from launchready.config.models import SmokeConfig
from launchready.engine import Selection
from launchready.errors import ConfigError, UsageError
from launchready.pipeline import load_command_config, run_command

_EXAMPLE = ('add [smoke] base_url = "https://app.example.com" and [[smoke.steps]] '
            'name = "login", method = "POST", path = "/api/login", '
            'json = { email = "${SMOKE_EMAIL}", password = "${SMOKE_PASSWORD}" }')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--base-url``: run the flow against another deployment (e.g. a preview URL)."""
    parser.add_argument("--base-url", metavar="URL",
                        help="run the flow against this URL instead of smoke.base_url")


def run(args: argparse.Namespace) -> int:
    """Run the smoke flow through the common report pipeline (only SMOKE checks)."""
    config = load_command_config(args, optional=False)
    smoke = config.smoke
    if smoke is None or not smoke.steps:
        raise ConfigError("no smoke steps configured", key="smoke", fix=_EXAMPLE)
    if args.base_url:
        try:
            base_url = SmokeConfig.model_validate({"base_url": args.base_url}).base_url
        except ValueError:
            raise UsageError(f"--base-url: {args.base_url!r} is not an http(s) URL") from None
        config = config.model_copy(update={"smoke": smoke.model_copy(
            update={"base_url": base_url})})
    if flow_base_url(config) is None:
        raise ConfigError("the smoke flow has no base URL", key="smoke.base_url",
                          fix='set smoke.base_url = "https://app.example.com" or '
                              'app.canonical')
    return run_command(config, args, selection=Selection(only=("SMOKE",)))
