"""MAIL012 — can the sending domain receive replies and bounces?

What: for each mail domain (every ``[email] domains`` entry sends mail), the MX records, and the
A/AAAA records of each exchange. No MX (RFC 5321 §5.1 then falls back to the domain's own
address, which is rarely a mail server), a null MX ``0 .`` (RFC 7505: the domain accepts no
mail), or exchanges that all fail to resolve are findings.

A timeout or SERVFAIL is "could not check (temperror)", never "no MX".

Why: replies from buyers and bounce reports go nowhere; a domain that cannot receive mail also
fails many receivers' sender checks.

Fix: ``acme.example. MX 1 smtp.google.com.`` (or your provider's MX set).

Pass: ``MX 10 mail.acme.example.`` with an A record. Fail: no MX; ``MX 0 .``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.mail.common import NO_DOMAINS, could_not_check, mail_domains
from launchready.model import Finding
from launchready.probes.dns import DnsAnswer, DnsStatus

__all__ = ["MxChecks", "MxDomain", "MxObservation", "exchanges"]


def exchanges(answer: DnsAnswer) -> list[tuple[int, str]]:
    """(preference, exchange) pairs, sorted; exchange "" is a null MX (RFC 7505)."""
    out = []
    for record in answer.records:
        parts = record.split()
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        out.append((int(parts[0]), parts[1].rstrip(".").lower()))
    return sorted(out)


@dataclass(frozen=True, kw_only=True)
class MxDomain:
    """One domain's MX answer and its exchanges' address answers."""

    domain: str
    mx: DnsAnswer
    addresses: Mapping[str, tuple[DnsAnswer, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MxObservation:
    """Every domain's MX facts."""

    domains: tuple[MxDomain, ...]


async def gather_mx(ctx: Context, domain: str) -> MxDomain:
    """MX of ``domain`` and A/AAAA of each exchange (at most 10)."""
    dns = ctx.probes.dns
    mx = await dns.query(domain, "MX")
    hosts = [h for _, h in exchanges(mx) if h][:10] if mx.status is DnsStatus.OK else []
    results = await asyncio.gather(*(asyncio.gather(dns.query(h, "A"), dns.query(h, "AAAA"))
                                     for h in hosts))
    return MxDomain(domain=domain, mx=mx,
                    addresses={h: tuple(r) for h, r in zip(hosts, results, strict=True)})


class MxChecks(CheckFamily[MxObservation]):
    """MAIL012 for each mail domain."""

    rule_ids = ("MAIL012",)

    def skip_reason(self, ctx: Context) -> str | None:
        return None if mail_domains(ctx) else NO_DOMAINS

    async def gather(self, ctx: Context) -> MxObservation:
        found = await asyncio.gather(*(gather_mx(ctx, d) for d in mail_domains(ctx)))
        return MxObservation(domains=tuple(found))

    def evaluate(self, obs: MxObservation, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        errors: list[str] = []
        for item in obs.domains:
            finding, error = evaluate_domain(item)
            if finding is not None:
                findings.append(finding)
            if error is not None:
                errors.append(error)
        return Outcome(findings=tuple(findings),
                       errors={"MAIL012": "; ".join(errors)} if errors else {})


def evaluate_domain(item: MxDomain) -> tuple[Finding | None, str | None]:
    """The MAIL012 finding or temperror reason for one domain; pure."""
    domain, mx = item.domain, item.mx
    if mx.status.is_temporary:
        return None, could_not_check(mx)
    rule = meta("MAIL012")
    impact = ("Replies from buyers and bounce reports for your mail are lost, and some "
              "receivers distrust senders whose domain cannot receive mail.")
    fix = (f"Publish your mail provider's MX records, e.g. `{domain}. MX 1 smtp.google.com.` "
           "for Google Workspace or `MX 0 <tenant>.mail.protection.outlook.com.` for "
           "Microsoft 365.")
    pairs = exchanges(mx) if mx.status is DnsStatus.OK else []
    if not pairs:
        return make_finding(rule, target=domain, identity="missing",
                            evidence=f"MX {domain}: {mx.status} — no MX records",
                            impact=impact, fix=fix), None
    if all(not host for _, host in pairs):
        return make_finding(rule, target=domain, identity="null-mx",
                            title="Null MX on a sending domain",
                            evidence=f"MX {domain}: '0 .' — the domain says it accepts no mail "
                                     "(RFC 7505)",
                            impact=impact, fix=f"Replace the null MX: {fix}"), None
    temporary = [a for answers in item.addresses.values() for a in answers
                 if a.status.is_temporary]
    resolving = [h for h, answers in item.addresses.items()
                 if any(a.status is DnsStatus.OK for a in answers)]
    if item.addresses and not resolving:
        if temporary:
            return None, could_not_check(temporary[0])
        return make_finding(rule, target=domain, identity="unresolvable",
                            title="MX hosts do not resolve",
                            evidence=f"MX {domain}: " + ", ".join(item.addresses)
                                     + " — none has an A or AAAA record",
                            impact=impact, fix=fix), None
    return None, None
