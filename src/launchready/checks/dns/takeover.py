"""DNS003 — dangling CNAME: a subdomain that anyone could take over.

What: every name of the record map, the canonical host and a short list of usual subdomains
(``www``, ``app``, ``api``, ``status``, ``docs`` …) are followed through their CNAME chains, hop by
hop, through the configured resolver. A name fails when

* its chain ends in a name that does not exist (NXDOMAIN) — the app or bucket it pointed at was
  deleted; when the target is a hosting platform (Heroku, GitHub Pages, S3, Azure, Vercel,
  Netlify, Fly.io, Render …, see ``hosting_targets``) the name is free to register there;
* its chain points into a hosting platform whose live HTTP answer is that platform's "no such
  app" page (e.g. Heroku's "No such app", GitHub's "There isn't a GitHub Pages site here.",
  S3's ``NoSuchBucket``): the host name is unclaimed on the platform;
* its chain loops (``a → b → a``) or is longer than 8 hops: it never resolves (high).

Timeouts and SERVFAIL anywhere on the chain are "could not check (temperror)", never a finding.
A target that exists but has no address is not claimable and is left to the web checks.

Why: whoever claims the name on the platform serves their content — a phishing login, say — on
``status.acme.example``, with a valid certificate, under your domain, in the middle of the demo.

Fix: delete the CNAME at the DNS provider (``status.acme.example. CNAME
acme-status.herokuapp.com.``), or reclaim the target at the platform first
(``heroku domains:add status.acme.example -a acme-status``).

Pass: ``docs CNAME acme.github.io.`` and the Pages site answers with the docs. Fail:
``status CNAME acme-status.herokuapp.com.`` where ``acme-status.herokuapp.com`` is NXDOMAIN, or
answers "No such app".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.dns.hosting_targets import (
    HostingTarget,
    fingerprint_matches,
    hosting_target,
)
from launchready.checks.dns.lookup import (
    TEMPERROR,
    Budget,
    BudgetedLookup,
    Resolution,
    dns_budget,
    norm_name,
    record_fqdn,
    resolve,
    temp_reason,
)
from launchready.config.models import Config
from launchready.model import Finding, Severity, Table, TableKind
from launchready.probes.http import HttpResponse

#: subdomains worth checking even when the map does not list them
COMMON_SUBDOMAINS = ("www", "app", "api", "status", "docs", "blog", "help", "support",
                     "staging", "beta", "dev", "shop", "cdn", "assets", "mail")
_BODY_CAP = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class TakeoverObservation:
    """Each checked name's CNAME walk, and HTTP answers of names that point at a platform."""

    resolutions: tuple[Resolution, ...]
    http: Mapping[str, tuple[HttpResponse, ...]] = field(default_factory=dict)


def candidate_names(config: Config) -> tuple[str, ...]:
    """Names to follow: the map's, the canonical host, and the usual subdomains."""
    domain = config.app.domain
    names: list[str] = []
    if config.dns is not None:
        names += [record_fqdn(r.name, domain) for r in config.dns.records]
    if config.app.canonical:
        host = urlsplit(config.app.canonical).hostname
        if host:
            names.append(norm_name(host))
    if domain:
        names += [f"{sub}.{norm_name(domain)}" for sub in COMMON_SUBDOMAINS]
    return tuple(dict.fromkeys(names))


def _claimed_page(target: HostingTarget, responses: tuple[HttpResponse, ...]
                  ) -> HttpResponse | None:
    for resp in responses:
        if fingerprint_matches(target, resp.status, resp.headers, resp.text):
            return resp
    return None


def _delete_fix(res: Resolution) -> str:
    first = res.chain[0] if res.chain else res.final
    return f"delete `{res.name}. CNAME {first}.` at the DNS provider"


def _finding_for(res: Resolution, responses: tuple[HttpResponse, ...]) -> Finding | None:
    rule = meta("DNS003")
    found = hosting_target(res.chain)
    if res.loop:
        return make_finding(
            rule, target=f"{res.name} CNAME", identity="loop", severity=Severity.HIGH,
            title="CNAME chain loops",
            evidence=f"{res.path()} (a loop or more than 8 hops)",
            impact=f"{res.name} never resolves, so anything linking to it is dead.",
            fix=f"Point {res.name} at one real host: {_delete_fix(res)} and create the "
                "record the map intends (`launchready dns map` shows the current chain).")
    if not res.exists:
        where = (f" on {found[0].provider}; anyone can register {found[1]} there"
                 if found else "")
        reclaim = (f"; or reclaim it first: {found[0].reclaim.replace('HOST', res.name)}"
                   if found else "")
        return make_finding(
            rule, target=f"{res.name} CNAME", identity=f"dangling:{res.final}",
            title="Dangling CNAME",
            evidence=f"{res.path()}: {res.final} does not exist (NXDOMAIN){where}",
            impact=(f"Whoever claims {res.final} serves their own pages on {res.name}, under "
                    "your domain and with a valid certificate."),
            fix=f"Now: {_delete_fix(res)}{reclaim}.")
    if found is None or res.temporary is not None:
        return None
    target = found[0]
    page = _claimed_page(target, responses)
    if page is None:
        return None
    return make_finding(
        rule, target=f"{res.name} CNAME", identity=f"unclaimed:{target.provider}",
        title=f"Unclaimed {target.provider} target",
        evidence=(f"{res.path()}; {page.url} answers {page.status} with "
                  f"{target.provider}'s unclaimed-host page"),
        impact=(f"Anyone with a {target.provider} account can add {res.name} to their app "
                "and serve their content under your domain."),
        fix=(f"Now: {_delete_fix(res)}, or reclaim it: "
             f"{target.reclaim.replace('HOST', res.name)}."))


def evaluate_takeover(obs: TakeoverObservation) -> Outcome:
    """DNS003 over every followed name."""
    findings: list[Finding] = []
    errors: list[str] = []
    rows: list[tuple[str, ...]] = []
    for res in obs.resolutions:
        if not res.chain:
            if res.stopped is not None:
                errors.append(temp_reason(res.stopped))
            continue
        found = hosting_target(res.chain)
        temporary = res.temporary
        finding = _finding_for(res, obs.http.get(res.name, ()))
        if finding is not None:
            findings.append(finding)
            verdict = finding.title.lower()
        elif temporary is not None:
            errors.append(temp_reason(temporary))
            verdict = TEMPERROR
        else:
            verdict = "ok"
        rows.append((res.name, " → ".join(res.chain), found[0].provider if found else "-",
                     ", ".join(res.addresses) or "-", verdict))
    table = Table(title="CNAME chains", columns=("name", "chain", "provider", "addresses",
                                                 "verdict"), rows=tuple(rows),
                  kind=TableKind.CNAME_CHAINS)
    return Outcome(findings=tuple(findings), tables=(table,) if rows else (),
                   errors={"DNS003": f"{TEMPERROR}: " + "; ".join(errors)} if errors else {})


class TakeoverChecks(CheckFamily[TakeoverObservation]):
    """DNS003: dangling CNAMEs and unclaimed hosting targets.

    ``http_port``/``https_port`` are where the platform fingerprint is fetched (80/443 in real
    use; tests point them at a local server reached through ``--resolve``).
    """

    rule_ids = ("DNS003",)

    def __init__(self, *, http_port: int = 80, https_port: int = 443,
                 budget: float | None = None) -> None:
        self.http_port = http_port
        self.https_port = https_port
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        if candidate_names(ctx.config):
            return None
        return "no [app] domain, canonical or [dns] records to follow"

    def _urls(self, name: str) -> tuple[str, ...]:
        http = "" if self.http_port == 80 else f":{self.http_port}"
        https = "" if self.https_port == 443 else f":{self.https_port}"
        return f"http://{name}{http}/", f"https://{name}{https}/"

    async def gather(self, ctx: Context) -> TakeoverObservation:
        lookup = BudgetedLookup(ctx.probes.dns, Budget(self.budget or dns_budget(ctx.timeout)),
                                label="resolver")
        names = candidate_names(ctx.config)
        resolutions = await asyncio.gather(*(resolve(lookup, n) for n in names))
        wanted = [r for r in resolutions
                  if r.chain and r.exists and not r.loop and r.addresses
                  and hosting_target(r.chain) is not None]
        limit = min(ctx.timeout, 5.0)
        fetched = await asyncio.gather(*(
            asyncio.gather(*(ctx.probes.http.fetch(url, max_body=_BODY_CAP, timeout=limit)
                             for url in self._urls(r.name)))
            for r in wanted))
        return TakeoverObservation(
            resolutions=tuple(resolutions),
            http={r.name: tuple(responses) for r, responses in zip(wanted, fetched,
                                                                   strict=True)})

    def evaluate(self, obs: TakeoverObservation, ctx: Context) -> Outcome:
        return evaluate_takeover(obs)
