"""DNS004 — are the nameservers the expected provider's, and do they agree?

What: the zone's NS records (``[app] domain``) are asked of the configured resolver and each
name is matched to an operator (Cloudflare ``*.ns.cloudflare.com``, Route 53 ``awsdns-``,
Google Cloud DNS ``googledomains.com``, Azure ``azure-dns.*``, DNSimple, Namecheap
``registrar-servers.com``, GoDaddy ``domaincontrol.com``, Hetzner, DigitalOcean, Vercel, Netlify
on NS1 …). It fails when ``[dns] provider`` is set and the NS names belong to someone else
(``provider`` may also be a domain the NS names end in, for self-hosted DNS), when the NS set
mixes operators (a half-finished migration), or — with ``--authoritative`` — when the
nameservers, asked directly, serve different SOA serials or NS sets.

Why: edits made in the expected provider's dashboard have no effect when the registrar
delegates elsewhere, and with mixed or out-of-sync nameservers half the buyers' resolvers see
the old records (RFC 1034 §4.3.5: every NS must serve the same zone).

Fix: at the registrar, set the nameservers to the provider's (e.g. Cloudflare's two
``*.ns.cloudflare.com`` names shown in the dashboard) and remove the others; for disagreeing
servers, fix zone transfers (NOTIFY/AXFR) or the provider's sync.

Pass: ``provider = "cloudflare"`` and NS ``ada.ns.cloudflare.com``, ``bob.ns.cloudflare.com``.
Fail: NS ``dns1.registrar-servers.com`` (Namecheap), or ns1 at serial 2026010101 while ns2
still serves 2025120101.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.dns.lookup import (
    TEMPERROR,
    Budget,
    BudgetedLookup,
    dns_budget,
    nameserver_views,
    norm_name,
    probe_timeout,
    temp_reason,
)
from launchready.model import Finding, Table, TableKind
from launchready.probes.dns import DnsAnswer, DnsStatus


@dataclass(frozen=True, kw_only=True)
class Operator:
    """A DNS operator recognised from its nameserver names."""

    key: str
    name: str
    suffixes: tuple[str, ...] = ()
    #: label prefixes (Route 53's ``ns-1.awsdns-01.org``)
    label_prefixes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


OPERATORS: tuple[Operator, ...] = (
    Operator(key="cloudflare", name="Cloudflare", suffixes=("ns.cloudflare.com",)),
    Operator(key="route53", name="Amazon Route 53", label_prefixes=("awsdns-",),
             aliases=("aws", "amazon", "amazonroute53", "route 53")),
    Operator(key="google", name="Google Cloud DNS",
             suffixes=("googledomains.com",), label_prefixes=("ns-cloud-",),
             aliases=("googleclouddns", "gcp", "clouddns", "googlecloud")),
    Operator(key="azure", name="Azure DNS",
             suffixes=("azure-dns.com", "azure-dns.net", "azure-dns.org", "azure-dns.info"),
             aliases=("azuredns", "microsoft")),
    Operator(key="dnsimple", name="DNSimple", suffixes=("dnsimple.com", "dnsimple-edge.net",
                                                        "dnsimple-edge.org")),
    Operator(key="namecheap", name="Namecheap", suffixes=("registrar-servers.com",)),
    Operator(key="godaddy", name="GoDaddy", suffixes=("domaincontrol.com",)),
    Operator(key="hetzner", name="Hetzner", suffixes=("hetzner.com", "hetzner.de",
                                                      "first-ns.de", "second-ns.de",
                                                      "second-ns.com")),
    Operator(key="digitalocean", name="DigitalOcean", suffixes=("digitalocean.com",)),
    Operator(key="vercel", name="Vercel", suffixes=("vercel-dns.com",)),
    Operator(key="netlify", name="Netlify (NS1)", suffixes=("nsone.net",), aliases=("ns1",)),
    Operator(key="gandi", name="Gandi", suffixes=("gandi.net",)),
    Operator(key="ovh", name="OVHcloud", suffixes=("ovh.net", "ovh.ca")),
    Operator(key="porkbun", name="Porkbun", suffixes=("porkbun.com",)),
    Operator(key="linode", name="Akamai Linode", suffixes=("linode.com",)),
)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def operator_of(ns_name: str) -> Operator | None:
    """The operator running the nameserver ``ns_name``, if recognised."""
    name = norm_name(ns_name)
    labels = name.split(".")
    for op in OPERATORS:
        if any(name == s or name.endswith("." + s) for s in op.suffixes):
            return op
        if any(label.startswith(p) for p in op.label_prefixes for label in labels):
            return op
    return None


def expected_operator(provider: str) -> Operator | None:
    """The operator a ``[dns] provider`` value names, if it is one we know."""
    wanted = _squash(provider)
    for op in OPERATORS:
        if wanted in {_squash(op.key), _squash(op.name), *(_squash(a) for a in op.aliases)}:
            return op
    return None


def provider_matches(provider: str, ns_name: str) -> bool:
    """True when ``ns_name`` is run by ``provider`` (a known operator or an NS domain)."""
    op = expected_operator(provider)
    if op is not None:
        found = operator_of(ns_name)
        return found is not None and found.key == op.key
    suffix = norm_name(provider)
    name = norm_name(ns_name)
    return name == suffix or name.endswith("." + suffix)


@dataclass(frozen=True, kw_only=True)
class ServerAnswer:
    """What one nameserver, asked directly, serves for the zone's SOA and NS."""

    server: str
    source: str
    soa: DnsAnswer
    ns: DnsAnswer


@dataclass(frozen=True, kw_only=True)
class ProviderObservation:
    """The NS answer of the resolver and, in authoritative mode, each server's view."""

    domain: str
    provider: str | None
    ns: DnsAnswer
    servers: tuple[ServerAnswer, ...] = ()
    authoritative: bool = False
    #: addresses of NS names that could not be resolved (temperror), authoritative mode
    unreachable: tuple[DnsAnswer, ...] = ()


def _serial(answer: DnsAnswer) -> str | None:
    if answer.status is not DnsStatus.OK or not answer.records:
        return None
    parts = answer.records[0].split()
    return parts[2] if len(parts) >= 3 else None


def _names(answer: DnsAnswer) -> tuple[str, ...]:
    return tuple(sorted(norm_name(r) for r in answer.records))


def _label(names: Sequence[str]) -> str:
    ops = {operator_of(n) for n in names}
    if len(ops) == 1:
        op = next(iter(ops))
        return op.name if op is not None else "unrecognised operator"
    return " + ".join(sorted(op.name if op else "unrecognised" for op in ops))


def _operator_findings(obs: ProviderObservation, names: tuple[str, ...]) -> list[Finding]:
    rule = meta("DNS004")
    findings: list[Finding] = []
    listed = ", ".join(names)
    if obs.provider and not all(provider_matches(obs.provider, n) for n in names):
        op = expected_operator(obs.provider)
        shown = op.name if op else obs.provider
        findings.append(make_finding(
            rule, target=f"{obs.domain} NS", identity=f"provider:{_squash(obs.provider)}",
            title=f"Nameservers are not {shown}'s",
            evidence=f"NS {listed} ({_label(names)}); [dns] provider = {obs.provider!r}",
            impact=(f"Changes made at {shown} do not reach buyers: the domain is served by "
                    "the nameservers listed, so records drift from what you edit."),
            fix=(f"At the registrar of {obs.domain}, set the nameservers to the ones {shown} "
                 f"assigns to the zone (shown in its dashboard) and remove the others; or, if "
                 f"the current operator is intended, set `[dns] provider` to it.")))
        return findings
    ops = {operator_of(n) for n in names}
    if len(ops) > 1:
        findings.append(make_finding(
            rule, target=f"{obs.domain} NS", identity="mixed-operators",
            title="Nameservers of several operators",
            evidence=f"NS {listed} ({_label(names)})",
            impact=("Resolvers pick a nameserver at random, so buyers see the records of "
                    "whichever operator they hit — changes appear for some and not others."),
            fix=(f"Keep one operator: at the registrar of {obs.domain} list only its "
                 "nameservers (a leftover from a migration is the usual cause).")))
    return findings


def _agreement_findings(obs: ProviderObservation, names: tuple[str, ...]) -> list[Finding]:
    answered = [s for s in obs.servers if s.soa.status is DnsStatus.OK]
    serials = {s.source: _serial(s.soa) for s in answered}
    ns_sets = {s.source: _names(s.ns) for s in obs.servers if s.ns.status is DnsStatus.OK}
    problems: list[str] = []
    if len(set(serials.values())) > 1:
        problems.append("SOA serials differ: " + ", ".join(f"{k} {v}"
                                                          for k, v in serials.items()))
    if len(set(ns_sets.values())) > 1 or any(v != names for v in ns_sets.values()):
        problems.append("NS sets differ: " + "; ".join(
            f"{k} {', '.join(v)}" for k, v in ns_sets.items()) + f" (delegation: "
            f"{', '.join(names)})")
    if not problems:
        return []
    return [make_finding(
        meta("DNS004"), target=f"{obs.domain} NS", identity="disagree",
        title="Nameservers disagree",
        evidence="; ".join(problems),
        impact=("Resolvers pick a nameserver at random, so some buyers get stale records "
                "(an old address or a missing verification record) until the servers agree."),
        fix=("Make every nameserver serve the same zone: trigger a transfer from the primary "
             f"(`nsd-control notify {obs.domain}` / `rndc notify {obs.domain}`, or the "
             "provider's re-sync), make sure the serial increases on every change, and list "
             "in NS only servers that carry the zone."))]


def evaluate_provider(obs: ProviderObservation) -> Outcome:
    """DNS004 for one zone."""
    if obs.ns.status.is_temporary:
        return Outcome(errors={"DNS004": f"{TEMPERROR}: {temp_reason(obs.ns)}"})
    names = _names(obs.ns)
    if not names:
        finding = make_finding(
            meta("DNS004"), target=f"{obs.domain} NS", identity="no-ns",
            title="No nameservers published",
            evidence=f"{obs.domain} NS: {obs.ns.status.value}",
            impact="Without a delegation no resolver can find any record of the domain.",
            fix=(f"At the registrar of {obs.domain}, set the nameservers of your DNS "
                 "provider."))
        return Outcome(findings=(finding,))
    findings = _operator_findings(obs, names)
    errors: list[str] = [temp_reason(a) for a in obs.unreachable]
    if obs.authoritative:
        findings += _agreement_findings(obs, names)
        errors += [f"{s.source}: {temp_reason(s.soa)}" for s in obs.servers
                   if s.soa.status.is_temporary]
    table_rows: list[tuple[str, ...]] = [(n, _label([n]), "-", "-") for n in names]
    if obs.servers:
        table_rows = [(s.source, _label([s.server]), _serial(s.soa) or s.soa.status.value,
                       ", ".join(_names(s.ns)) or s.ns.status.value)
                      for s in obs.servers]
    table = Table(title=f"Nameservers of {obs.domain}",
                  columns=("nameserver", "operator", "SOA serial", "NS served"),
                  rows=tuple(table_rows), kind=TableKind.NAMESERVERS, subject=obs.domain)
    return Outcome(findings=tuple(findings), tables=(table,),
                   errors={"DNS004": f"{TEMPERROR}: " + "; ".join(errors)} if errors else {})


class ProviderChecks(CheckFamily[ProviderObservation]):
    """DNS004: NS operator vs ``[dns] provider``; with ``authoritative``, NS agreement."""

    rule_ids = ("DNS004",)

    def __init__(self, *, authoritative: bool = False, ns_port: int = 53,
                 budget: float | None = None) -> None:
        self.authoritative = authoritative
        self.ns_port = ns_port
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.app.domain else "no [app] domain whose nameservers to check"

    async def gather(self, ctx: Context) -> ProviderObservation:
        domain = norm_name(ctx.config.app.domain or "")
        budget = Budget(self.budget or dns_budget(ctx.timeout))
        lookup = BudgetedLookup(ctx.probes.dns, budget, label="resolver")
        ns = await lookup.query(domain, "NS")
        provider = ctx.config.dns.provider if ctx.config.dns else None
        if not self.authoritative or not ns.records:
            return ProviderObservation(domain=domain, provider=provider, ns=ns,
                                       authoritative=self.authoritative)
        views, failed = await nameserver_views(lookup, [norm_name(n) for n in ns.records],
                                               port=self.ns_port, budget=budget,
                                               timeout=probe_timeout(ctx.timeout))
        answers = await asyncio.gather(*(asyncio.gather(v.lookup.query(domain, "SOA"),
                                                        v.lookup.query(domain, "NS"))
                                         for v in views))
        servers = tuple(ServerAnswer(server=v.ns, source=v.lookup.label, soa=soa, ns=nsa)
                        for v, (soa, nsa) in zip(views, answers, strict=True))
        return ProviderObservation(domain=domain, provider=provider, ns=ns, servers=servers,
                                   authoritative=True, unreachable=failed)

    def evaluate(self, obs: ProviderObservation, ctx: Context) -> Outcome:
        return evaluate_provider(obs)
