"""The few lookups the ``handover`` command makes itself, next to the audit.

The live record map (the same questions ``launchready dns map`` asks), the apex, www and
canonical pages followed through their redirects (only the response headers that name a
hosting provider are kept: never ``Set-Cookie`` or anything else a session could be read
from), and the TXT records of MTA-STS, TLS-RPT and the DKIM selectors. All of it goes through
the run's probes, so ``--resolver``, ``--resolve`` and ``--ca-bundle`` apply.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from launchready.checks.dns import build_record_map, gather_record_map
from launchready.checks.dns.lookup import Budget, BudgetedLookup, dns_budget, norm_name
from launchready.checks.dns.records import expected_records
from launchready.config.models import Config
from launchready.handover.model import LiveFacts, PageView
from launchready.probes import Probes
from launchready.probes.dns import DnsAnswer, DnsStatus, resolver_problem

#: response headers that identify a host or CDN (see ``providers._HEADER_SIGNS``)
KEPT_HEADERS = frozenset({
    "server", "via", "cf-ray", "x-vercel-id", "x-nf-request-id", "fly-request-id", "rndr-id",
    "x-render-origin-server", "x-amz-cf-id", "x-amzn-requestid", "x-cloud-trace-context",
    "x-azure-ref", "x-ms-request-id", "x-github-request-id", "x-fastly-request-id",
    "x-served-by", "x-cache",
})


def page_urls(config: Config) -> tuple[str, ...]:
    """The canonical URL and the apex and www over HTTPS (on the canonical's port)."""
    urls: list[str] = []
    port = ""
    if config.app.canonical:
        urls.append(config.app.canonical)
        parsed = urlsplit(config.app.canonical)
        port = f":{parsed.port}" if parsed.port else ""
    if config.app.domain:
        apex = norm_name(config.app.domain)
        urls += [f"https://{apex}{port}/", f"https://www.{apex}{port}/"]
    return tuple(dict.fromkeys(urls))


async def _page(probes: Probes, url: str) -> PageView:
    chain = await probes.http.follow(url)
    final = chain.final
    headers = tuple((k, v) for k, v in final.headers if k.lower() in KEPT_HEADERS)
    return PageView(url=url, final_url=final.url, status=final.status, hops=len(chain.hops),
                    headers=headers, error=final.error)


async def gather_live(config: Config, probes: Probes) -> LiveFacts:
    """Look up the record map, the pages and the extra TXT records concurrently."""
    net = config.network
    lookup = BudgetedLookup(probes.dns, Budget(dns_budget(net.timeout)), label="resolver")
    domain = norm_name(config.app.domain) if config.app.domain else None
    expected = expected_records(config)
    txt_names: list[str] = []
    if domain:
        txt_names += [f"_mta-sts.{domain}", f"_smtp._tls.{domain}"]
        if config.email:
            txt_names += [f"{s}._domainkey.{domain}" for s in config.email.dkim_selectors]
    answers, pages, txts = await asyncio.gather(
        gather_record_map(lookup, domain, expected) if domain or expected else _no_answers(),
        asyncio.gather(*(_page(probes, u) for u in page_urls(config))),
        asyncio.gather(*(lookup.query(n, "TXT") for n in txt_names)),
    )
    # an unusable resolver's NXDOMAINs would read as "missing": then no live map at all (the
    # audit's DNS checks say "could not check" with the reason)
    usable = domain is None or await resolver_problem(probes.dns, domain) is None
    record_map = (build_record_map(answers, domain=domain, expected=expected)
                  if answers and usable else None)
    txt = tuple(
        (name, tuple(b"".join(strings).decode("utf-8", "replace") for strings in a.txt))
        for name, a in zip(txt_names, txts, strict=True) if a.status is DnsStatus.OK)
    return LiveFacts(record_map=record_map, pages=tuple(pages), txt=txt)


async def _no_answers() -> dict[tuple[str, str], DnsAnswer]:
    return {}
