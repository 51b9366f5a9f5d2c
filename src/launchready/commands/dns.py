"""``launchready dns`` (DNS001–DNS006) and ``launchready dns map [DOMAIN]`` (the live record map).

``--authoritative`` also asks every nameserver of the zone directly (``--ns-port`` for servers
that listen elsewhere than 53, e.g. a staging zone on a local server). ``dns map`` prints a
table (``--format md`` for Markdown, ``--format json`` for a list of rows) and works without a
config file when given a domain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from launchready.checks.dns import build_record_map, gather_record_map
from launchready.checks.dns.lookup import Budget, BudgetedLookup, dns_budget
from launchready.checks.dns.records import expected_records
from launchready.config.models import AppConfig, Config
from launchready.errors import RunError, UsageError
from launchready.model import Table
from launchready.output import EXIT_INCOMPLETE, EXIT_OK
from launchready.pipeline import load_command_config, network_overrides, run_command
from launchready.probes.dns import DnsProbe, resolver_problem
from launchready.report.markdown import text as md_text
from launchready.report.text import visible


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``dns [map [DOMAIN]] [--authoritative] [--ns-port N]``."""
    parser.add_argument("action", nargs="?", choices=("map",),
                        help="`map`: print the live record map instead of checking it")
    parser.add_argument("domain", nargs="?", help="domain for `dns map` (default: app.domain)")
    parser.add_argument("--authoritative", action="store_true",
                        help="also ask each nameserver of the zone directly")
    parser.add_argument("--ns-port", type=int, default=53, metavar="PORT",
                        help="port the nameservers answer on (default 53)")


def _config(args: argparse.Namespace) -> Config:
    config = load_command_config(args, optional=bool(args.domain))
    if args.domain:
        domain = args.domain.strip().rstrip(".").lower()
        if not domain or "/" in domain or ":" in domain:
            raise UsageError(f"dns map: {args.domain!r} is not a domain name")
        app = AppConfig.model_validate({**config.app.model_dump(), "domain": domain})
        config = config.model_copy(update={"app": app})
    return config


def run(args: argparse.Namespace) -> int:
    """Check DNS against the map, or print the live map."""
    if not 0 < args.ns_port < 65536:
        raise UsageError("--ns-port must be between 1 and 65535")
    if args.domain and args.action != "map":
        raise UsageError("dns: a DOMAIN argument is only taken by `dns map DOMAIN`")
    config = _config(args)
    if args.action == "map":
        return _map(network_overrides(args, config), args)
    from launchready.checks.registry import families  # noqa: PLC0415 - only for this command

    return run_command(config, args, families=families(
        ("DNS",), authoritative=args.authoritative, ns_port=args.ns_port))


async def _gather_map(config: Config) -> Table:
    net = config.network
    probe = DnsProbe(resolver=net.resolver, timeout=min(net.timeout, 5.0), cache=True)
    problem = await resolver_problem(probe, config.app.domain)
    if problem is not None:
        # an unusable resolver's NXDOMAINs would print as a map with nothing published
        raise RunError(problem)
    lookup = BudgetedLookup(probe, Budget(dns_budget(net.timeout)), label="resolver")
    expected = expected_records(config)
    answers = await gather_record_map(lookup, config.app.domain, expected)
    return build_record_map(answers, domain=config.app.domain, expected=expected)


def render_table(table: Table, fmt: str) -> str:
    """A table as Markdown (``md``), JSON rows (``json``) or aligned text (anything else)."""
    if fmt == "md":
        lines = [f"## {md_text(table.title)}", "",
                 "| " + " | ".join(md_text(c) for c in table.columns) + " |",
                 "|" + "---|" * len(table.columns)]
        lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in table.rows]
        return "\n".join(lines) + "\n"
    if fmt == "json":
        rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
        return json.dumps({"title": table.title, "rows": rows}, indent=2) + "\n"
    cells = [tuple(visible(c) for c in row) for row in (table.columns, *table.rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    out = [table.title, ""]
    for n, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


def _map(config: Config, args: argparse.Namespace) -> int:
    if not config.app.domain and not expected_records(config):
        raise UsageError("dns map: give a domain (`launchready dns map acme.example`) or set "
                         "[app] domain")
    table = asyncio.run(_gather_map(config))
    formats = list(args.formats) or ["terminal"]
    outputs = list(args.outputs)
    for i, fmt in enumerate(formats):
        rendered = render_table(table, fmt)
        if i < len(outputs):
            try:
                Path(outputs[i]).write_text(rendered, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {outputs[i]}: {exc.strerror}") from None
        else:
            sys.stdout.write(rendered)
    if any("(temperror)" in row[3] for row in table.rows):
        return EXIT_INCOMPLETE  # a lookup without an answer: the map is not complete
    return EXIT_OK
