"""``init --url``: look at the live site and DNS to pre-fill the config.

Follows the URL, the apex and www through their redirects (``HttpProbe.follow``) to find the
canonical origin and how apex and www behave; finds the zone apex by walking up to the first
name with NS records; reads NS (the DNS provider), A/AAAA/CNAME of the apex, www and the
canonical host, MX, SPF and DMARC. Everything is offered as "found live — confirm": it is what
the site does today, which is not necessarily what it should do. When the resolver is unusable
(see ``probes.dns.resolver_problem``) or a lookup gets no answer, nothing is offered as found
and nothing is said to be missing: the file says DNS could not be checked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.checks.dns.lookup import norm_name
from launchready.checks.dns.provider import operator_of
from launchready.config.models import NetworkConfig
from launchready.probes import Probes
from launchready.probes.dns import DnsAnswer, DnsStatus, resolver_problem
from launchready.probes.http import RedirectChain


@dataclass(frozen=True, kw_only=True)
class LiveRecord:
    """One record found live, with the relative name the config uses (``@``, ``www``)."""

    name: str
    rdtype: str
    values: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LiveSite:
    """What ``init --url`` found."""

    url: str
    apex: str
    canonical: str | None
    behaviour: tuple[str, ...]
    records: tuple[LiveRecord, ...]
    provider: str | None
    provider_evidence: str
    spf: str | None
    senders: tuple[str, ...]
    dmarc: str | None
    dmarc_policy: str | None
    #: why DNS could not be looked at (resolver unusable); then nothing DNS-based is offered
    dns_problem: str | None = None
    #: lookups that got no usable answer (timeout, SERVFAIL): "name TYPE: status"
    unanswered: tuple[str, ...] = ()

    def looked_up(self, name: str, rdtype: str) -> bool:
        """True when ``name rdtype`` got a real answer (records, or a definite "none")."""
        return self.dns_problem is None and not any(
            u.startswith(f"{name} {rdtype}:") for u in self.unanswered)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _describe(start: str, chain: RedirectChain) -> str:
    final = chain.final
    if final.status is None:
        return f"{start}: no answer ({final.error or 'error'})"
    if len(chain.hops) == 1:
        return f"{start}: serves content itself ({final.status})"
    hops = len(chain.hops) - 1
    return f"{start}: redirects to {final.url} ({final.status}, {hops} hop{'s' * (hops > 1)})"


def _relative(name: str, apex: str) -> str:
    name = norm_name(name)
    return "@" if name == apex else name.removesuffix("." + apex)


def _txt(answer: DnsAnswer) -> list[str]:
    return [b"".join(strings).decode("utf-8", "replace") for strings in answer.txt]


async def _zone_apex(probes: Probes, host: str) -> str:
    labels = norm_name(host).split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        answer = await probes.dns.query(candidate, "NS")
        if answer.status is DnsStatus.OK and not answer.cname_chain:
            return candidate
    return norm_name(host).removeprefix("www.")


def _provider(apex: str, ns: tuple[str, ...]) -> tuple[str | None, str]:
    if not ns:
        return None, "no NS records found"
    evidence = "NS " + ", ".join(ns)
    keys = {op.key for n in ns if (op := operator_of(n)) is not None}
    if len(keys) == 1 and all(operator_of(n) is not None for n in ns):
        return keys.pop(), evidence
    if all(n == apex or n.endswith("." + apex) for n in ns):
        return apex, evidence + " (nameservers inside the zone)"
    return None, evidence


async def probe_site(url: str, domain: str | None, network: NetworkConfig) -> LiveSite:
    """Probe ``url`` (and its apex/www) through probes built from ``network``."""
    probes = Probes.from_network(network)
    try:
        return await _probe(probes, url, domain)
    finally:
        await probes.aclose()


async def _probe(probes: Probes, url: str, domain: str | None) -> LiveSite:
    parts = urlsplit(url)
    host = norm_name(parts.hostname or "")
    dns_problem = await resolver_problem(probes.dns, norm_name(domain) if domain else host)
    if dns_problem is not None:
        apex = norm_name(domain) if domain else host.removeprefix("www.")
    else:
        apex = norm_name(domain) if domain else await _zone_apex(probes, host)
    port = f":{parts.port}" if parts.port else ""
    starts = list(dict.fromkeys([url, f"https://{apex}{port}/", f"https://www.{apex}{port}/"]))
    chains = await asyncio.gather(*(probes.http.follow(s) for s in starts))
    first = chains[0].final
    canonical = _origin(first.url) if first.status is not None else None
    canonical_host = norm_name(urlsplit(canonical).hostname or "") if canonical else host
    names = list(dict.fromkeys([apex, f"www.{apex}", canonical_host]))
    questions = [(apex, "NS"), (apex, "MX"), (apex, "TXT"), (f"_dmarc.{apex}", "TXT")]
    questions += [(n, t) for n in names for t in ("A", "AAAA", "CNAME")]
    answers = dict(zip(questions, await asyncio.gather(
        *(probes.dns.query(n, t) for n, t in questions)), strict=True)) if dns_problem is None \
        else {q: DnsAnswer(name=q[0], rdtype=q[1], status=DnsStatus.ERROR) for q in questions}
    unanswered = tuple(f"{n} {t}: {a.status.value}" for (n, t), a in answers.items()
                       if a.status.is_temporary and dns_problem is None)
    records: list[LiveRecord] = []
    for name in names:
        cname = answers[(name, "CNAME")]
        if cname.status is DnsStatus.OK:
            records.append(LiveRecord(name=_relative(name, apex), rdtype="CNAME",
                                      values=tuple(norm_name(v) + "." for v in cname.records)))
            continue
        for rdtype in ("A", "AAAA"):
            answer = answers[(name, rdtype)]
            if answer.status is DnsStatus.OK and not answer.cname_chain:
                records.append(LiveRecord(name=_relative(name, apex), rdtype=rdtype,
                                          values=answer.records))
    ns = tuple(sorted(norm_name(v) for v in answers[(apex, "NS")].records))
    if ns:
        records.append(LiveRecord(name="@", rdtype="NS", values=tuple(n + "." for n in ns)))
    mx = answers[(apex, "MX")]
    if mx.status is DnsStatus.OK:
        records.append(LiveRecord(name="@", rdtype="MX", values=tuple(
            f"{v.split()[0]} {norm_name(v.split()[-1])}." for v in mx.records if v.split())))
    spf = next((t for t in _txt(answers[(apex, "TXT")]) if t.lower().startswith("v=spf1")), None)
    senders = tuple(t.lstrip("+") for t in (spf or "").split()[1:]
                    if t.lstrip("+").lower().startswith("include:"))
    dmarc = next((t for t in _txt(answers[(f"_dmarc.{apex}", "TXT")])
                  if t.lower().startswith("v=dmarc1")), None)
    policy = None
    if dmarc:
        for tag in dmarc.split(";"):
            key, _, value = tag.strip().partition("=")
            if key.strip().lower() == "p" and value.strip().lower() in (
                    "none", "quarantine", "reject"):
                policy = value.strip().lower()
    provider, evidence = _provider(apex, ns)
    if dns_problem is not None:
        evidence = "DNS could not be checked"
    elif not ns and answers[(apex, "NS")].status not in (DnsStatus.NXDOMAIN, DnsStatus.NODATA):
        evidence = f"the NS lookup failed ({answers[(apex, 'NS')].status.value})"
    behaviour = [_describe(s, c) for s, c in zip(starts, chains, strict=True)]
    ends = {_origin(c.final.url) for c in chains if c.final.status is not None}
    if len(ends) > 1:
        behaviour.append("these end at different origins (" + ", ".join(sorted(ends))
                         + "): pick one canonical URL and redirect the others to it")
    return LiveSite(
        url=url, apex=apex, canonical=canonical, behaviour=tuple(behaviour),
        records=tuple(records), provider=provider, provider_evidence=evidence, spf=spf,
        senders=senders, dmarc=dmarc, dmarc_policy=policy, dns_problem=dns_problem,
        unanswered=unanswered)
