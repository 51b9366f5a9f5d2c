"""``launchready email [DOMAIN]`` and ``launchready email verify MESSAGE.eml [--ip IP]``.

``email [DOMAIN]`` runs the MAIL checks for DOMAIN (no config file needed), else for
``[email] domains``. ``email verify`` authenticates one real message (MAIL013) and prints the
selector, the SPF result and DMARC alignment. (``email spf`` lives in ``launchready.email.cli``.)
"""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

from launchready.checks.mail import MessageVerification
from launchready.config.models import EmailConfig
from launchready.engine import Selection
from launchready.errors import ConfigError, UsageError
from launchready.pipeline import load_command_config, run_command
from launchready.probes.files import MESSAGE_LIMIT, UnreadableFile, read_capped

__all__ = ["add_arguments", "add_verify_arguments", "run", "run_verify"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``email [DOMAIN]``."""
    parser.add_argument("domain", nargs="?", help="domain to check (default: [email] domains)")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """``email verify MESSAGE.eml [--ip IP]``."""
    parser.add_argument("message", metavar="MESSAGE.eml", help="a message the app sent, as .eml")
    parser.add_argument("--ip", help="IP address of the server that sent it (default: from the "
                                     "Received-SPF or topmost Received header)")


def run(args: argparse.Namespace) -> int:
    """Audit the MAIL checks for DOMAIN or ``[email] domains``."""
    config = load_command_config(args, optional=True)
    domain = getattr(args, "domain", None)
    if domain:
        name = domain.strip().rstrip(".").lower()
        if not name or "/" in name or ":" in name or "." not in name:
            raise UsageError(f"email: {domain!r} is not a domain name such as acme.example")
        base = config.email or EmailConfig()
        email = EmailConfig.model_validate({**base.model_dump(), "domains": [name]})
        config = config.model_copy(update={"email": email})
    elif config.email is None or not (config.email.domains or config.app.domain):
        raise ConfigError("no domain to check", key="email.domains",
                          fix="pass one (launchready email acme.example) or set "
                              "[email] domains = [\"acme.example\"]")
    # the domain checks; a message is verified by `email verify`
    return run_command(config, args, selection=Selection(only=("MAIL",),
                                                         skip=MessageVerification.rule_ids))


def run_verify(args: argparse.Namespace) -> int:
    """Verify one message: DKIM, SPF for the sending IP, DMARC alignment."""
    path = Path(args.message)
    try:
        message = read_capped(path, limit=MESSAGE_LIMIT, what=f"email verify: {args.message}")
    except UnreadableFile as exc:
        raise UsageError(str(exc)) from None
    if args.ip:
        try:
            ipaddress.ip_address(args.ip)
        except ValueError:
            raise UsageError(f"email verify: --ip {args.ip!r} is not an IP address") from None
    family = MessageVerification(message, ip=args.ip, source=path.name)
    return run_command(load_command_config(args, optional=True), args, families=[family])
