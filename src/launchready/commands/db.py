"""``launchready db``: database checks (slow statements, full scans, unindexed foreign keys)."""

from __future__ import annotations

import argparse

from launchready.engine import Selection
from launchready.errors import ConfigError
from launchready.pipeline import load_command_config, run_command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--analyze``: EXPLAIN ANALYZE the listed statements (executes them, read-only)."""
    parser.add_argument("--analyze", action="store_true",
                        help="EXPLAIN ANALYZE listed statements (runs them in a read-only "
                             "transaction)")


def run(args: argparse.Namespace) -> int:
    """Run DB001–DB003 against ``[database] url``."""
    config = load_command_config(args, optional=False)
    if config.database is None:
        raise ConfigError("no [database] section", key="database",
                          fix='add [database] url = "${DATABASE_URL}"')
    if args.analyze:
        config = config.model_copy(update={
            "database": config.database.model_copy(update={"analyze": True})})
    return run_command(config, args, selection=Selection(only=("DB",)))
