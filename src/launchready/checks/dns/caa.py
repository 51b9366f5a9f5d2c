"""DNS005 — is there a CAA record, and does it allow the CA that issued the live certificate?

What: the CAA record set that applies to the canonical host is found as CAs find it
(RFC 8659 §3: ask the host, then each parent up to the apex, and use the first non-empty set;
the resolver follows CNAMEs on the way). No CAA at all is low. When CAA exists, the issuer of
the certificate the canonical host serves (one TLS handshake) is mapped to the CA's CAA
identifiers (Let's Encrypt → ``letsencrypt.org``, Google Trust Services → ``pki.goog``,
DigiCert, Sectigo, Amazon, ZeroSSL …); if no ``issue`` property (``issuewild`` for a wildcard
certificate, RFC 8659 §4.3) names one of them, the renewal will be refused — high. An issuer
not in the table (a private CA) is shown but not judged. DNS timeouts and SERVFAIL are
"could not check (temperror)".

Why: without CAA any CA may issue for the domain; with a CAA that forgets the CA in use, the
next automatic renewal fails and the site shows a certificate error a few weeks later —
possibly on demo day.

Fix: publish ``acme.example. 3600 IN CAA 0 issue "letsencrypt.org"`` (one line per CA you use,
plus ``0 iodef "mailto:security@acme.example"``).

Pass: ``0 issue "letsencrypt.org"`` and a Let's Encrypt certificate. Fail: no CAA (low), or
``0 issue "digicert.com"`` while the live certificate comes from Let's Encrypt (high).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

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
from launchready.model import Finding, Severity, Table
from launchready.probes.dns import DnsAnswer, DnsStatus
from launchready.probes.tls import TlsObservation


@dataclass(frozen=True, kw_only=True)
class CertificateAuthority:
    """A CA recognised from the issuer organisation, with its CAA identifiers."""

    name: str
    organisations: tuple[str, ...]  # lower-case substrings of the issuer's O (or whole DN)
    caa: tuple[str, ...]


CERTIFICATE_AUTHORITIES: tuple[CertificateAuthority, ...] = (
    CertificateAuthority(name="Let's Encrypt", organisations=("let's encrypt",),
                         caa=("letsencrypt.org",)),
    CertificateAuthority(name="Google Trust Services",
                         organisations=("google trust services",), caa=("pki.goog",)),
    CertificateAuthority(name="ZeroSSL", organisations=("zerossl",),
                         caa=("sectigo.com", "zerossl.com")),
    CertificateAuthority(name="Sectigo", organisations=("sectigo", "comodo", "usertrust"),
                         caa=("sectigo.com", "comodoca.com", "comodo.com", "usertrust.com")),
    CertificateAuthority(name="DigiCert",
                         organisations=("digicert", "geotrust", "rapidssl", "thawte"),
                         caa=("digicert.com", "www.digicert.com", "geotrust.com",
                              "rapidssl.com", "thawte.com", "symantec.com")),
    CertificateAuthority(name="Amazon", organisations=("amazon",),
                         caa=("amazon.com", "amazontrust.com", "awstrust.com",
                              "amazonaws.com")),
    CertificateAuthority(name="GlobalSign", organisations=("globalsign",),
                         caa=("globalsign.com",)),
    CertificateAuthority(name="Buypass", organisations=("buypass",), caa=("buypass.com",)),
    CertificateAuthority(name="SSL.com", organisations=("ssl corporation", "ssl.com"),
                         caa=("ssl.com",)),
    CertificateAuthority(name="Entrust", organisations=("entrust",), caa=("entrust.net",)),
    CertificateAuthority(name="GoDaddy", organisations=("godaddy", "starfield"),
                         caa=("godaddy.com", "starfieldtech.com")),
    CertificateAuthority(name="Microsoft", organisations=("microsoft",),
                         caa=("microsoft.com",)),
)

_ORG = re.compile(r"(?:^|,)O=((?:[^,\\]|\\.)*)")


def issuer_ca(issuer: str) -> CertificateAuthority | None:
    """The CA of an issuer DN (RFC 4514 text), matched on its organisation."""
    match = _ORG.search(issuer)
    org = (match.group(1) if match else issuer).replace("\\", "").lower()
    for ca in CERTIFICATE_AUTHORITIES:
        if any(o in org for o in ca.organisations):
            return ca
    return None


@dataclass(frozen=True, kw_only=True)
class CaaProperty:
    """One CAA record: flags, tag (lower case) and value."""

    flags: int
    tag: str
    value: str

    @property
    def issuer_domain(self) -> str:
        """For issue/issuewild: the CA domain before any ``;`` parameters ('' forbids all)."""
        return norm_name(self.value.split(";", 1)[0])


def parse_caa(text: str) -> CaaProperty | None:
    """``0 issue "letsencrypt.org"`` -> property; None when it is not CAA presentation text."""
    parts = text.strip().split(None, 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    value = parts[2].strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return CaaProperty(flags=int(parts[0]), tag=parts[1].lower(), value=value)


@dataclass(frozen=True, kw_only=True)
class CaaObservation:
    """The CAA answers from the host up to the apex, and the live certificate's facts."""

    domain: str
    host: str
    answers: tuple[DnsAnswer, ...]  # host first, apex last
    tls: TlsObservation | None = None


def relevant_set(answers: Sequence[DnsAnswer]) -> tuple[DnsAnswer | None, DnsAnswer | None]:
    """(the first answer with CAA records, the temporary failure met before it)."""
    for answer in answers:
        if answer.status.is_temporary:
            return None, answer
        if answer.status is DnsStatus.OK and answer.records:
            return answer, None
    return None, None


def _wildcard_only(tls: TlsObservation, host: str) -> bool:
    leaf = tls.leaf
    if leaf is None:
        return False
    names = [norm_name(s) for s in leaf.sans]
    return host not in names and any(n.startswith("*.") for n in names)


def evaluate_caa(obs: CaaObservation) -> Outcome:
    """DNS005 for the canonical host (or the apex)."""
    rule = meta("DNS005")
    found, failed = relevant_set(obs.answers)
    if failed is not None:
        return Outcome(errors={"DNS005": f"{TEMPERROR}: {temp_reason(failed)}"})
    leaf = obs.tls.leaf if obs.tls is not None and obs.tls.failure is None else None
    ca = issuer_ca(leaf.issuer) if leaf is not None else None
    record_value = ca.caa[0] if ca else "letsencrypt.org"
    if found is None:
        finding = make_finding(
            rule, target=f"{obs.domain} CAA", identity="missing", severity=Severity.LOW,
            title="No CAA record",
            evidence=f"no CAA from {obs.host} up to {obs.domain}"
                     + (f"; live certificate issued by {leaf.issuer}" if leaf else ""),
            impact=("Any certificate authority may issue certificates for the domain, so a "
                    "mis-issued certificate is easier to obtain."),
            fix=(f"Publish `{obs.domain}. 3600 IN CAA 0 issue \"{record_value}\"` (one line per "
                 "CA you use) and `0 iodef \"mailto:security@" + obs.domain + "\"`."))
        return Outcome(findings=(finding,))
    props = [p for p in (parse_caa(r) for r in found.records) if p is not None]
    wildcard = obs.tls is not None and _wildcard_only(obs.tls, obs.host)
    tag = "issuewild" if wildcard and any(p.tag == "issuewild" for p in props) else "issue"
    allowed = [p.issuer_domain for p in props if p.tag == tag]
    findings: list[Finding] = []
    if ca is not None and allowed and not set(allowed) & set(ca.caa):
        shown = ", ".join(a or '";" (no CA)' for a in allowed)
        findings.append(make_finding(
            rule, target=f"{norm_name(found.name)} CAA", identity=f"forbids:{ca.caa[0]}",
            severity=Severity.HIGH, title=f"CAA forbids {ca.name}, the CA in use",
            evidence=(f"{norm_name(found.name)} CAA {tag} allows {shown}; the certificate "
                      f"served for {obs.host} was issued by {leaf.issuer if leaf else ca.name}"),
            impact=(f"{ca.name} must refuse the next renewal, so the certificate expires and "
                    "buyers get a security warning instead of the app."),
            fix=(f"Add `{norm_name(found.name)}. 3600 IN CAA 0 {tag} \"{ca.caa[0]}\"` next to "
                 "the existing CAA records (or switch the certificate to an allowed CA).")))
    rows = [(norm_name(found.name), r) for r in found.records]
    table = Table(title="CAA", columns=("name", "record"),
                  rows=(*rows, ("certificate issuer", leaf.issuer if leaf else "-")))
    return Outcome(findings=tuple(findings), tables=(table,))


def caa_names(host: str, domain: str) -> tuple[str, ...]:
    """``app.acme.example`` → (app.acme.example, acme.example): the climb of RFC 8659 §3."""
    host, domain = norm_name(host), norm_name(domain)
    if host != domain and not host.endswith("." + domain):
        return (host, domain)
    names = [host]
    while names[-1] != domain:
        names.append(names[-1].split(".", 1)[1])
    return tuple(names)


def _canonical(ctx: Context) -> tuple[str, int] | None:
    if not ctx.config.app.canonical:
        return None
    parts = urlsplit(ctx.config.app.canonical)
    if not parts.hostname:
        return None
    try:
        port = parts.port if parts.scheme == "https" else None
    except ValueError:
        return None
    return norm_name(parts.hostname), port or 443


class CaaChecks(CheckFamily[CaaObservation]):
    """DNS005: CAA present, and compatible with the CA of the live certificate."""

    rule_ids = ("DNS005",)

    def __init__(self, *, budget: float | None = None) -> None:
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.app.domain else "no [app] domain whose CAA to check"

    async def gather(self, ctx: Context) -> CaaObservation:
        domain = norm_name(ctx.config.app.domain or "")
        canonical = _canonical(ctx)
        host = canonical[0] if canonical else domain
        lookup = BudgetedLookup(ctx.probes.dns, Budget(self.budget or dns_budget(ctx.timeout)),
                                label="resolver")
        names = caa_names(host, domain)
        if canonical is not None:
            answers, tls = await asyncio.gather(
                asyncio.gather(*(lookup.query(n, "CAA") for n in names)),
                ctx.probes.tls.handshake(*canonical))
        else:
            answers, tls = await asyncio.gather(*(lookup.query(n, "CAA") for n in names)), None
        return CaaObservation(domain=domain, host=host, answers=tuple(answers), tls=tls)

    def evaluate(self, obs: CaaObservation, ctx: Context) -> Outcome:
        return evaluate_caa(obs)
