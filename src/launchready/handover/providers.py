"""Who runs what: DNS, hosting/CDN and email providers inferred from public evidence.

Every function here is pure: it gets nameserver names, CNAME targets, addresses, HTTP response
headers, MX hosts or an SPF record and returns :class:`ProviderClaim` values that carry the
evidence they were inferred from, so a reader can check the claim instead of trusting it.
Nameserver operators come from :mod:`launchready.checks.dns.provider` and hosting suffixes
from :mod:`launchready.checks.dns.hosting_targets`, so the handover and the DNS checks name
providers the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from launchready.checks.dns.hosting_targets import hosting_target
from launchready.checks.dns.lookup import norm_name
from launchready.checks.dns.provider import operator_of
from launchready.checks.dns.recordmap import MAIL_OPERATORS

UNKNOWN = "unrecognised"


@dataclass(frozen=True, kw_only=True)
class ProviderClaim:
    """One inferred fact: ``provider`` plays ``role`` for ``subject``, because of ``evidence``."""

    role: str
    subject: str
    provider: str
    evidence: str


#: hosting/CDN names recognised from CNAME targets that the takeover table does not list
_EXTRA_CNAME: tuple[tuple[str, str], ...] = (
    ("cdn.cloudflare.net", "Cloudflare"),
    ("pages.dev", "Cloudflare Pages"),
    ("workers.dev", "Cloudflare Workers"),
    ("cloudfront.net", "AWS CloudFront"),
    ("elb.amazonaws.com", "AWS Elastic Load Balancing"),
    ("awsglobalaccelerator.com", "AWS Global Accelerator"),
    ("amplifyapp.com", "AWS Amplify"),
    ("run.app", "Google Cloud Run"),
    ("appspot.com", "Google App Engine"),
    ("ghs.googlehosted.com", "Google"),
    ("web.app", "Firebase Hosting"),
    ("firebaseapp.com", "Firebase Hosting"),
    ("railway.app", "Railway"),
    ("up.railway.app", "Railway"),
    ("akamaiedge.net", "Akamai"),
    ("edgekey.net", "Akamai"),
)

#: published anycast/edge ranges of hosts that ask users for A records at the apex
_ADDRESS_RANGES: tuple[tuple[str, str], ...] = (
    ("76.76.21.0/24", "Vercel"),
    ("75.2.60.5/32", "Netlify"),
    ("185.199.108.0/22", "GitHub Pages"),
    ("216.24.57.0/24", "Render"),
    ("104.16.0.0/13", "Cloudflare"),
    ("104.24.0.0/14", "Cloudflare"),
    ("172.64.0.0/13", "Cloudflare"),
    ("188.114.96.0/20", "Cloudflare"),
    ("2606:4700::/32", "Cloudflare"),
    ("66.241.124.0/24", "Fly.io"),
    ("66.241.125.0/24", "Fly.io"),
)

#: (header, value substring or "" for "present", provider); header names lower case
_HEADER_SIGNS: tuple[tuple[str, str, str], ...] = (
    ("cf-ray", "", "Cloudflare"),
    ("server", "cloudflare", "Cloudflare"),
    ("x-vercel-id", "", "Vercel"),
    ("server", "vercel", "Vercel"),
    ("x-nf-request-id", "", "Netlify"),
    ("server", "netlify", "Netlify"),
    ("fly-request-id", "", "Fly.io"),
    ("server", "fly/", "Fly.io"),
    ("rndr-id", "", "Render"),
    ("x-render-origin-server", "", "Render"),
    ("via", "vegur", "Heroku"),
    ("server", "heroku", "Heroku"),
    ("x-amz-cf-id", "", "AWS CloudFront"),
    ("server", "amazons3", "Amazon S3"),
    ("server", "awselb", "AWS Elastic Load Balancing"),
    ("x-amzn-requestid", "", "AWS"),
    ("server", "google frontend", "Google Cloud"),
    ("x-cloud-trace-context", "", "Google Cloud"),
    ("x-azure-ref", "", "Azure Front Door"),
    ("x-ms-request-id", "", "Azure"),
    ("x-github-request-id", "", "GitHub Pages"),
    ("server", "github.com", "GitHub Pages"),
    ("x-fastly-request-id", "", "Fastly"),
)

#: SPF include domains of well-known senders
_SPF_SENDERS: tuple[tuple[str, str], ...] = (
    ("_spf.google.com", "Google Workspace"),
    ("spf.protection.outlook.com", "Microsoft 365"),
    ("spf.messagingengine.com", "Fastmail"),
    ("zoho.com", "Zoho Mail"), ("zoho.eu", "Zoho Mail"),
    ("sendgrid.net", "SendGrid"),
    ("mailgun.org", "Mailgun"),
    ("amazonses.com", "Amazon SES"),
    ("spf.mtasv.net", "Postmark"),
    ("servers.mcsv.net", "Mailchimp"),
    ("_spf.resend.com", "Resend"),
    ("protonmail.ch", "Proton Mail"),
)


def _under(name: str, suffix: str) -> bool:
    return name == suffix or name.endswith("." + suffix)


def dns_provider(domain: str, ns_names: Sequence[str]) -> ProviderClaim:
    """The DNS operator of ``domain`` from its NS names (all of them, or a mix is named)."""
    names = sorted({norm_name(n) for n in ns_names if n.strip()})
    if not names:
        return ProviderClaim(role="DNS", subject=domain, provider="not known",
                             evidence="no NS records seen in this run")
    operators = sorted({op.name for n in names if (op := operator_of(n)) is not None})
    unrecognised = [n for n in names if operator_of(n) is None]
    if operators and not unrecognised:
        provider = " + ".join(operators)
    elif operators:
        provider = " + ".join([*operators, UNKNOWN])
    else:
        provider = f"self-hosted or {UNKNOWN}"
    return ProviderClaim(role="DNS", subject=domain, provider=provider,
                         evidence="NS " + ", ".join(names))


def _by_cname(chain: Sequence[str]) -> tuple[str, str] | None:
    found = hosting_target(chain)
    if found is not None:
        return found[0].provider, found[1]
    for raw in chain:
        name = norm_name(raw)
        for suffix, provider in _EXTRA_CNAME:
            if _under(name, suffix):
                return provider, name
    return None


def _by_address(addresses: Iterable[str]) -> tuple[str, str] | None:
    for text in addresses:
        try:
            addr = ipaddress.ip_address(text.strip())
        except ValueError:
            continue
        for network, provider in _ADDRESS_RANGES:
            net = ipaddress.ip_network(network)
            if addr.version == net.version and addr in net:
                return provider, str(addr)
    return None


def _by_headers(headers: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    for name, needle, provider in _HEADER_SIGNS:
        for key, value in headers:
            if key.lower() == name and (not needle or needle in value.lower()):
                shown = value if len(value) <= 60 else value[:57] + "..."
                return provider, f"{key}: {shown}"
    return None


def hosting_provider(host: str, *, cname_chain: Sequence[str] = (),
                     addresses: Sequence[str] = (),
                     headers: Sequence[tuple[str, str]] = ()) -> ProviderClaim:
    """Who serves ``host``: every signal that names a provider is listed as evidence.

    CNAME targets and response headers name the edge the visitor talks to; an address in a
    provider's published range does too. When nothing matches, the ``Server`` header (if any)
    and the addresses are the evidence for "self-hosted or unrecognised".
    """
    signals: list[tuple[str, str]] = []
    cname = _by_cname(cname_chain)
    if cname:
        signals.append((cname[0], f"CNAME {cname[1]}"))
    address = _by_address(addresses)
    if address:
        signals.append((address[0], f"A/AAAA {address[1]} is in {address[0]}'s range"))
    header = _by_headers(headers)
    if header:
        signals.append((header[0], f"header {header[1]}"))
    if signals:
        providers = list(dict.fromkeys(p for p, _ in signals))
        return ProviderClaim(role="hosting/CDN", subject=host, provider=" in front of ".join(
            providers) if len(providers) > 1 else providers[0],
            evidence="; ".join(e for _, e in signals))
    evidence: list[str] = []
    if cname_chain:
        evidence.append("CNAME " + " → ".join(norm_name(c) for c in cname_chain))
    if addresses:
        evidence.append("A/AAAA " + ", ".join(addresses))
    server = next((v for k, v in headers if k.lower() == "server"), None)
    if server:
        evidence.append(f"header Server: {server[:60]}")
    return ProviderClaim(role="hosting/CDN", subject=host,
                         provider=f"self-hosted or {UNKNOWN}" if evidence else "not known",
                         evidence="; ".join(evidence) or "no address, CNAME or response seen")


def mail_provider(domain: str, mx_values: Sequence[str]) -> ProviderClaim:
    """Who receives mail for ``domain``, from its MX hosts (``"10 aspmx.l.google.com."``)."""
    hosts = [norm_name(v.split()[-1]) for v in mx_values if v.split()]
    if not hosts:
        return ProviderClaim(role="email (inbound)", subject=domain, provider="none",
                             evidence="no MX records seen in this run")
    names = list(dict.fromkeys(
        name for host in hosts for suffix, name in MAIL_OPERATORS if _under(host, suffix)))
    provider = " + ".join(names) if names else f"self-hosted or {UNKNOWN}"
    return ProviderClaim(role="email (inbound)", subject=domain, provider=provider,
                         evidence="MX " + ", ".join(dict.fromkeys(hosts)))


def sending_providers(domain: str, spf_record: str | None) -> tuple[ProviderClaim, ...]:
    """Services the SPF record authorises to send as ``domain``, one claim per include."""
    if not spf_record:
        return ()
    claims: list[ProviderClaim] = []
    for term in spf_record.split()[1:]:
        mechanism, _, value = term.lstrip("+?~-").partition(":")
        if mechanism.lower() not in ("include", "redirect") and not mechanism.lower().startswith(
                "redirect="):
            continue
        target = norm_name(value or mechanism.partition("=")[2])
        provider = next((name for suffix, name in _SPF_SENDERS if _under(target, suffix)),
                        UNKNOWN)
        claims.append(ProviderClaim(role="email (sending)", subject=domain, provider=provider,
                                    evidence=f"SPF {term}"))
    return tuple(claims)
