"""What the MAIL families share: which domains to check, and how DNS failures are worded.

A timeout or SERVFAIL says nothing about what is published, so it is reported as "could not
check (temperror)" in the rule's error, never as a missing record (RFC 7208 §2.6.6 wording,
applied to DKIM and DMARC too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from launchready.checks.base import Context
from launchready.probes.dns import DnsAnswer

__all__ = ["NO_DOMAINS", "could_not_check", "mail_domains", "merge_errors"]

NO_DOMAINS = ("no domain to check: pass one (`launchready email acme.example`) or set "
              "[email] domains")


def mail_domains(ctx: Context) -> tuple[str, ...]:
    """``[email] domains``, else ``[app] domain`` when an ``[email]`` section exists."""
    email = ctx.config.email
    if email is None:
        return ()
    names = [d.strip().rstrip(".").lower() for d in email.domains if d.strip()]
    if not names and ctx.config.app.domain:
        names = [ctx.config.app.domain]
    return tuple(dict.fromkeys(names))


def could_not_check(answer: DnsAnswer) -> str:
    """``could not check (temperror): TXT _dmarc.x.example: timeout (…)``."""
    detail = f" ({answer.error})" if answer.error else ""
    return (f"could not check (temperror): {answer.rdtype} {answer.name}: "
            f"{answer.status}{detail}")


def merge_errors(pairs: Iterable[tuple[Iterable[str], str]]) -> dict[str, str]:
    """``{rule: "reason; reason"}`` from (rules, reason) pairs, reasons in order, no repeats."""
    out: dict[str, list[str]] = {}
    for rules, reason in pairs:
        for rule in rules:
            bucket = out.setdefault(rule, [])
            if reason not in bucket:
                bucket.append(reason)
    return {rule: "; ".join(reasons) for rule, reasons in out.items()}


def only(errors: Mapping[str, str], rules: Iterable[str]) -> dict[str, str]:
    """The entries of ``errors`` for ``rules``."""
    wanted = set(rules)
    return {k: v for k, v in errors.items() if k in wanted}
