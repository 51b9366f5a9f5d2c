"""DNS002 — does the bare domain resolve, without a CNAME?

What: the apex (``[app] domain``) is asked for A, AAAA and CNAME through the configured
resolver. It fails when neither A nor AAAA exists (NXDOMAIN or no data), or when the apex
carries a CNAME. A timeout or SERVFAIL is "could not check (temperror)", never a failure.

Why: buyers type ``acme.example`` without ``www``; if it does not resolve, the demo link in the
sales email is dead. A CNAME at the apex is invalid — a CNAME cannot coexist with the SOA and NS
records every apex has (RFC 1034 §3.6.2, RFC 1912 §2.4) — so resolvers, and mail servers looking
up MX, behave unpredictably.

Fix: publish ``acme.example. 300 IN A 203.0.113.10`` (the production address), or use the DNS
provider's apex alias (Cloudflare "CNAME flattening", Route 53 ALIAS, DNSimple ALIAS) instead
of a CNAME.

Pass: ``acme.example. A 203.0.113.10``. Fail: NXDOMAIN for ``acme.example``, or
``acme.example. CNAME acme.netlify.app.``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.dns.lookup import (
    TEMPERROR,
    Budget,
    BudgetedLookup,
    dns_budget,
    norm_name,
    temp_reason,
)
from launchready.model import Finding
from launchready.probes.dns import DnsAnswer, DnsStatus


@dataclass(frozen=True, kw_only=True)
class ApexObservation:
    """The apex's A, AAAA and CNAME answers."""

    domain: str
    a: DnsAnswer
    aaaa: DnsAnswer
    cname: DnsAnswer


def _cname_target(obs: ApexObservation) -> str | None:
    if obs.cname.status is DnsStatus.OK and obs.cname.records:
        return norm_name(obs.cname.records[0])
    for answer in (obs.a, obs.aaaa):
        if answer.cname_chain:
            return norm_name(answer.cname_chain[0])
    return None


def evaluate_apex(obs: ApexObservation) -> Outcome:
    """DNS002 for one apex."""
    rule = meta("DNS002")
    findings: list[Finding] = []
    target = _cname_target(obs)
    if target is not None:
        findings.append(make_finding(
            rule, target=f"{obs.domain} CNAME", identity="cname",
            title="CNAME at the apex",
            evidence=f"{obs.domain} has CNAME {target}",
            impact=("A CNAME at the bare domain is invalid next to its SOA/NS records, so some "
                    "resolvers and mail servers fail on it and buyers' links break at random."),
            fix=(f"Delete the CNAME at {obs.domain} and publish A/AAAA records "
                 f"(`{obs.domain}. 300 IN A <production IPv4>`), or use the provider's apex "
                 f"alias (Cloudflare CNAME flattening, Route 53 ALIAS) pointing at {target}.")))
    answers = (obs.a, obs.aaaa)
    temporary = [a for a in answers if a.status.is_temporary]
    resolved = any(a.status is DnsStatus.OK for a in answers)
    errors: dict[str, str] = {}
    if not resolved and not temporary and target is None:
        states = " / ".join(f"{a.rdtype} {a.status.value}" for a in answers)
        findings.append(make_finding(
            rule, target=f"{obs.domain} A", identity="unresolved",
            title="Apex does not resolve",
            evidence=f"{obs.domain}: {states}",
            impact=(f"Anyone opening https://{obs.domain}/ (the link most buyers type) gets "
                    "'server not found'."),
            fix=(f"Publish the apex address at the DNS provider: "
                 f"`{obs.domain}. 300 IN A <production IPv4>` (and AAAA if served over "
                 "IPv6), or an ALIAS/flattened record to the hosting target.")))
    elif not resolved and temporary:
        errors["DNS002"] = f"{TEMPERROR}: " + "; ".join(temp_reason(a) for a in temporary)
    return Outcome(findings=tuple(findings), errors=errors)


class ApexChecks(CheckFamily[ApexObservation]):
    """DNS002: the apex resolves and has no CNAME."""

    rule_ids = ("DNS002",)

    def __init__(self, *, budget: float | None = None) -> None:
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.app.domain else "no [app] domain to check"

    async def gather(self, ctx: Context) -> ApexObservation:
        domain = norm_name(ctx.config.app.domain or "")
        lookup = BudgetedLookup(ctx.probes.dns, Budget(self.budget or dns_budget(ctx.timeout)),
                                label="resolver")
        a, aaaa, cname = await asyncio.gather(lookup.query(domain, "A"),
                                              lookup.query(domain, "AAAA"),
                                              lookup.query(domain, "CNAME"))
        return ApexObservation(domain=domain, a=a, aaaa=aaaa, cname=cname)

    def evaluate(self, obs: ApexObservation, ctx: Context) -> Outcome:
        return evaluate_apex(obs)
