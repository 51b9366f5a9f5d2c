"""The ``launchready`` command: parse arguments, load config, call the library, render, exit.

Exit codes (SPEC §2): 0 nothing unsuppressed at or above --fail-on; 1 findings at or above it;
2 usage or config error; 3 the run itself could not complete.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import NoReturn

from launchready._version import __version__
from launchready.config.types import parse_resolver
from launchready.errors import ConfigError, LaunchreadyError, RunError, UsageError
from launchready.model import Severity
from launchready.output import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    check_outputs,
)
from launchready.report import Format
from launchready.report.text import visible
from launchready.urls import check_url, mask_credentials

# The pipeline, the config models (pydantic) and the check catalog are imported by the
# commands that use them, not here: `--version`, `--help` and a secret scan start faster.

#: commands living in ``launchready.commands``: name -> module with add_arguments() and run();
#: a module is imported only when its command runs, so each command loads only what it needs
PLUGINS: dict[str, str] = {name: f"launchready.commands.{name}" for name in (
    "secrets", "logs", "env", "dns", "smoke", "perf", "db", "handover", "init", "monitor", "build")}


PLUGIN_HELP = {
    "secrets": "secret scan of files, git history, bundles and source maps",
    "logs": "scan logs for secrets and personal data; --redact writes a masked copy",
    "env": "deployment env check (exit 1 when a required variable is missing)",
    "dns": "verify live DNS against the expected map; `dns map` prints the record map",
    "smoke": "run the smoke flow once, step by step",
    "perf": "latency budgets and burst test; compare with a perf baseline",
    "db": "database checks (slow statements, full scans, unindexed foreign keys), read-only",
    "handover": "write the handover document",
    "init": "write a commented launchready.toml for this project",
    "monitor": "run the uptime monitor with its status page; `monitor once`, `monitor test-alert`, "
               "`monitor status`",
    "build": "clean-checkout production build: install, build, scan the output and migrations",
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so main() owns the exit code."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}{_did_you_mean(message)}")


def _did_you_mean(message: str) -> str:
    """`` — did you mean 'json'?`` for argparse's "invalid choice" message, else ""."""
    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if m is None:
        return ""
    choices = re.findall(r"'([^']*)'", m.group(2))
    close = difflib.get_close_matches(m.group(1), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("common options")
    g.add_argument("--config", metavar="PATH",
                   help="config file (default ./launchready.toml, else [tool.launchready] in "
                        "./pyproject.toml)")
    g.add_argument("--format", dest="formats", action="append", default=[],
                   choices=[f.value for f in Format], help="output format (repeatable)")
    g.add_argument("-o", "--output", dest="outputs", action="append", default=[],
                   metavar="FILE", help="write the n-th --format to FILE (repeatable)")
    g.add_argument("--fail-on", default="high",
                   choices=[s.value for s in Severity] + ["never"],
                   help="exit 1 when an unsuppressed finding is at least this severe")
    g.add_argument("--only", default="", metavar="PREFIX,...", help="run only these check IDs")
    g.add_argument("--skip", default="", metavar="PREFIX,...", help="skip these check IDs")
    g.add_argument("--baseline", metavar="FILE", help="suppress findings listed in FILE")
    g.add_argument("--write-baseline", metavar="FILE",
                   help="write the fingerprints of this run's findings to FILE")
    g.add_argument("--resolve", action="append", default=[], metavar="HOST:PORT:ADDR",
                   help="connect to ADDR for HOST:PORT, like curl (repeatable)")
    g.add_argument("--resolver", metavar="ADDR[:PORT]", type=_resolver_arg,
                   help="DNS resolver to query")
    g.add_argument("--ca-bundle", metavar="FILE", help="trust these CA certificates")
    g.add_argument("--timeout", type=float, metavar="SECONDS", help="network timeout")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    g.add_argument("-v", "--verbose", action="store_true", help="more detail on errors")
    g.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is honoured)")
    g.add_argument("--top", type=_positive, metavar="N",
                   help="terminal: show only the N most urgent entries of the plan and list")
    _own_usage(p, g)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number


def _own_usage(p: argparse.ArgumentParser, common: argparse._ArgumentGroup) -> None:
    """A usage line with the command's own arguments first and ``[common options]`` after,
    instead of twenty common options burying them."""
    shared = set(common._group_actions)
    own = [a for a in p._actions if a not in shared]
    formatter = p._get_formatter()
    formatter.add_usage(None, own, [])
    text = formatter.format_help().strip().removeprefix("usage: ")
    p.usage = f"{text} [common options]"


def plugin(name: str) -> ModuleType:
    """The module behind a ``launchready.commands`` command (``email`` included)."""
    return importlib.import_module(PLUGINS.get(name, f"launchready.commands.{name}"))


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the ``selected`` command's module is imported for its
    arguments (every command is listed in the help either way)."""
    parser = _Parser(prog="launchready", description="Make a SaaS prototype safe to demo: one "
                     "config, one command, one ranked risk list.")
    parser.add_argument("--version", action="version", version=f"launchready {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("audit", help="run every configured check and print the risk list")
    _common(p)
    p = sub.add_parser("checks", help="list every check ID with title, severity and docs")
    p.add_argument("ids", nargs="*", help="show the full doc of these IDs")
    _common(p)
    p = sub.add_parser("web", help="TLS, HSTS, redirects and headers of a URL")
    p.add_argument("url", nargs="?", help="URL to check (default: app.canonical)")
    _common(p)
    p = sub.add_parser("demo", help="start the bundled demo prototype locally and audit it")
    p.add_argument("--fixed", action="store_true", help="serve the repaired demo app")
    p.add_argument("--keep-running", action="store_true",
                   help="keep the demo servers up after the audit until Ctrl-C")
    _common(p)
    p.set_defaults(fail_on="never")  # the demo is flawed on purpose; `make demo` must succeed
    p = sub.add_parser("email", help="email authentication: SPF, DKIM, DMARC, MX, MTA-STS")
    email_sub = p.add_subparsers(dest="email_command", metavar="SUBCOMMAND", parser_class=_Parser)
    check = email_sub.add_parser("check", help="MAIL checks of DOMAIN (default: [email] domains)")
    verify = email_sub.add_parser("verify", help="verify a real sent message (.eml)")
    if selected == "email":
        email_command = plugin("email")
        email_command.add_arguments(check)
        email_command.add_verify_arguments(verify)
    _common(check)
    _common(verify)
    spf = email_sub.add_parser("spf", help="evaluate SPF check_host() for DOMAIN and IP")
    spf.add_argument("domain")
    spf.add_argument("ip")
    spf.add_argument("--sender", default="", help="MAIL FROM address (empty: check HELO)")
    spf.add_argument("--helo", default=None, help="HELO/EHLO name")
    _common(spf)
    for name in PLUGINS:
        p = sub.add_parser(name, help=PLUGIN_HELP[name])
        if name == selected:
            plugin(name).add_arguments(p)
        _common(p)
    return parser


def cmd_audit(args: argparse.Namespace) -> int:
    """``launchready audit``."""
    from launchready.config.loader import load_config  # noqa: PLC0415 - see the imports
    from launchready.pipeline import run_command  # noqa: PLC0415

    return run_command(load_config(args.config), args)


def cmd_web(args: argparse.Namespace) -> int:
    """``launchready web [URL]``: works without a config file when given a URL."""
    from launchready.checks.registry import families  # noqa: PLC0415 - see the imports
    from launchready.config.models import AppConfig  # noqa: PLC0415
    from launchready.pipeline import load_command_config, run_command  # noqa: PLC0415

    config = load_command_config(args, optional=bool(args.url))
    if args.url:
        check_url(args.url, what="web")
        app = AppConfig.model_validate({**config.app.model_dump(), "canonical": args.url,
                                        "domain": None})
        config = config.model_copy(update={"app": app})
    elif config.app.canonical is None:
        raise ConfigError("no URL given and app.canonical is not set", key="app.canonical",
                          fix="pass a URL: launchready web https://app.example.com")
    return run_command(config, args, families=families(areas=("tls", "web")))


def cmd_checks(args: argparse.Namespace) -> int:
    """``launchready checks [ID...]``."""
    from launchready.checks import registry  # noqa: PLC0415 - loaded on use
    from launchready.checks.catalog import CATALOG, meta  # noqa: PLC0415
    from launchready.checks.docs import rule_text  # noqa: PLC0415

    built = registry.implemented_ids()
    if args.ids:
        for rid in args.ids:
            try:
                m = meta(rid.upper())
            except KeyError:
                raise UsageError(f"checks: unknown check ID {rid!r}") from None
            sys.stdout.write(rule_text(m.id, available=m.id in built,
                                       family_doc=registry.doc_of(m.id)) + "\n")
        return EXIT_OK
    if Format.JSON.value in args.formats:
        rows = [{"id": m.id, "title": m.title, "severity": m.severity.value,
                 "stage": m.stage.value, "available": m.id in built, "doc": m.doc}
                for m in CATALOG]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    for m in CATALOG:
        mark = " " if m.id in built else "-"
        sys.stdout.write(f"{mark} {m.id:<9} {m.severity.value:<8} {m.title}\n")
    sys.stdout.write("\n'-' marks checks not available in this release. "
                     "`launchready checks ID` prints a check's doc.\n")
    return EXIT_OK


def cmd_email(args: argparse.Namespace) -> int:
    """``launchready email [DOMAIN]``, ``email verify FILE``, ``email spf DOMAIN IP``."""
    if args.email_command == "verify":
        return int(plugin("email").run_verify(args))
    if args.email_command != "spf":
        return int(plugin("email").run(args))
    return int(importlib.import_module("launchready.email.cli").spf_command(args))


def cmd_demo(args: argparse.Namespace) -> int:
    """``launchready demo [--fixed]``."""
    return int(importlib.import_module("launchready.demo.run").demo_command(args))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "audit": cmd_audit, "web": cmd_web, "checks": cmd_checks, "email": cmd_email,
    "demo": cmd_demo,
}


def _resolver_arg(value: str) -> str:
    try:
        parse_resolver(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _email_default(argv: list[str]) -> list[str]:
    """``email DOMAIN`` and a bare ``email`` mean ``email check ...``."""
    if argv[:1] == ["email"] and (len(argv) == 1 or argv[1] not in (
            "check", "verify", "spf", "-h", "--help")):
        return ["email", "check", *argv[1:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code and never lets an expected error become a traceback."""
    words = _email_default(list(sys.argv[1:] if argv is None else argv))
    selected = next((w for w in words if not w.startswith("-")), None)
    args: argparse.Namespace | None = None
    try:
        parser = build_parser(selected)
        args = parser.parse_args(words)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        check_outputs(args)
        if args.command in PLUGINS:
            return int(plugin(args.command).run(args))
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        sys.stderr.write(mask_credentials(f"error: {visible(str(exc))}\n"))
        return EXIT_USAGE
    except RunError as exc:
        sys.stderr.write(mask_credentials(
            f"error: the run could not complete: {visible(str(exc))}\n"))
        return EXIT_INCOMPLETE
    except LaunchreadyError as exc:
        sys.stderr.write(mask_credentials(f"error: {visible(str(exc))}\n"))
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args is not None and getattr(args, "verbose", False):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}; run again with -v for "
                         f"details and report it\n")
        return EXIT_INCOMPLETE
