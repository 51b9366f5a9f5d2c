"""MAIL009–MAIL011 — does the domain publish a DMARC policy that protects it?

What: for each mail domain, the TXT records at ``_dmarc.<domain>`` (RFC 7489 §6.1). When the
domain is a subdomain with none, the organisational domain's record applies with its ``sp=``
(§6.6.3; organisational domain from the Public Suffix List bundled in ``publicsuffixlist``).

* MAIL009 — no DMARC record (also named when a ``v=DMARC1`` record sits at the wrong name, such
  as the domain itself).
* MAIL010 — ``p=none``, a policy (or ``sp=`` for subdomains) weaker than
  ``[email] dmarc_min_policy``, ``pct`` under 100, ``t=y``, no ``rua=``, or a ``rua=`` address
  at another domain that has not published the authorisation record
  ``<domain>._report._dmarc.<destination>`` (§7.1), so its reports are dropped.
* MAIL011 — more than one record (receivers then apply no policy, §6.6.3), non-ASCII bytes,
  a record that does not parse (no ``v=DMARC1`` first, bad ``p=``, bad ``adkim``/``aspf``,
  ``pct``, ``fo``, ``rua`` URIs); as info, the tags RFC 9989 removed (``pct``, ``rf``, ``ri``).

A timeout or SERVFAIL is "could not check (temperror)", never "no DMARC record".

Why: without an enforcing DMARC policy, anyone can send mail as your domain to your buyers,
and mailbox providers (Gmail and Yahoo require DMARC of bulk senders) junk your own mail.

Fix: ``_dmarc.acme.example. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"``,
then move to ``p=reject`` once the reports show only your own senders.

Pass: ``v=DMARC1; p=reject; rua=mailto:dmarc@acme.example``. Fail: no record (MAIL009);
``v=DMARC1; p=none`` (MAIL010); two records (MAIL011).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.mail.common import NO_DOMAINS, could_not_check, mail_domains
from launchready.email.dmarc import (
    POLICY_STRENGTH,
    DmarcProblem,
    DmarcRecord,
    authorization_name,
    organizational_domain,
    parse_record,
    select_records,
)
from launchready.model import Finding, Severity
from launchready.probes.dns import DnsAnswer, DnsStatus

__all__ = ["DmarcChecks", "DmarcDomain", "DmarcObservation", "evaluate_domain"]

RULES = ("MAIL009", "MAIL010", "MAIL011")


@dataclass(frozen=True, kw_only=True)
class DmarcDomain:
    """What DNS said about one domain's DMARC."""

    domain: str
    record: DnsAnswer
    apex: DnsAnswer | None = None
    org_domain: str | None = None
    org_record: DnsAnswer | None = None
    authorizations: Mapping[str, DnsAnswer] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DmarcObservation:
    """Every domain's DMARC answers."""

    domains: tuple[DmarcDomain, ...]


def _single(answer: DnsAnswer | None) -> DmarcRecord | None:
    if answer is None or answer.status is not DnsStatus.OK:
        return None
    selection = select_records(answer.txt)
    if len(selection.records) != 1:
        return None
    parsed = parse_record(selection.records[0])
    return parsed if isinstance(parsed, DmarcRecord) else None


def _external(domain: str, record: DmarcRecord) -> list[str]:
    """Report destinations outside ``domain``'s organisational domain (RFC 7489 §7.1)."""
    org = organizational_domain(domain)
    out = []
    for uri in (*record.rua, *record.ruf):
        dest = uri.domain
        if dest and organizational_domain(dest) != org:
            out.append(dest)
    return list(dict.fromkeys(out))


async def gather_domain(ctx: Context, domain: str) -> DmarcDomain:
    """Fetch ``_dmarc``, the domain's own TXT, the org record and report authorisations."""
    dns = ctx.probes.dns
    org = organizational_domain(domain)
    queries = [dns.query(f"_dmarc.{domain}", "TXT"), dns.query(domain, "TXT")]
    if org != domain:
        queries.append(dns.query(f"_dmarc.{org}", "TXT"))
    answers = await asyncio.gather(*queries)
    record, apex = answers[0], answers[1]
    org_record = answers[2] if org != domain else None
    effective = _single(record) or (_single(org_record) if record.status in (
        DnsStatus.NXDOMAIN, DnsStatus.NODATA) else None)
    auth: dict[str, DnsAnswer] = {}
    if effective is not None:
        dests = _external(domain, effective)
        found = await asyncio.gather(*(dns.query(authorization_name(domain, d), "TXT")
                                       for d in dests))
        auth = dict(zip(dests, found, strict=True))
    return DmarcDomain(domain=domain, record=record, apex=apex,
                       org_domain=org if org != domain else None, org_record=org_record,
                       authorizations=auth)


class DmarcChecks(CheckFamily[DmarcObservation]):
    """MAIL009–MAIL011 for each mail domain."""

    rule_ids = RULES

    def skip_reason(self, ctx: Context) -> str | None:
        return None if mail_domains(ctx) else NO_DOMAINS

    async def gather(self, ctx: Context) -> DmarcObservation:
        domains = await asyncio.gather(*(gather_domain(ctx, d) for d in mail_domains(ctx)))
        return DmarcObservation(domains=tuple(domains))

    def evaluate(self, obs: DmarcObservation, ctx: Context) -> Outcome:
        minimum = ctx.config.email.dmarc_min_policy if ctx.config.email else "quarantine"
        findings: list[Finding] = []
        errors: dict[str, list[str]] = {}
        for item in obs.domains:
            got, errs = evaluate_domain(item, minimum)
            findings.extend(got)
            for rule, reason in errs.items():
                errors.setdefault(rule, []).append(reason)
        return Outcome(findings=tuple(findings),
                       errors={k: "; ".join(v) for k, v in errors.items()})


def _record_fix(domain: str, minimum: str) -> str:
    policy = minimum if minimum != "none" else "quarantine"
    return (f'`_dmarc.{domain}. TXT "v=DMARC1; p={policy}; rua=mailto:dmarc@{domain}"` '
            "(make sure that mailbox exists or use your DMARC report service's address)")


def evaluate_domain(item: DmarcDomain, minimum: str
                    ) -> tuple[list[Finding], dict[str, str]]:
    """Findings and rule errors for one domain; pure."""
    domain = item.domain
    answer = item.record
    if answer.status.is_temporary:
        return [], dict.fromkeys(RULES, could_not_check(answer))
    findings: list[Finding] = []
    selection = select_records(answer.txt) if answer.status is DnsStatus.OK else None
    name = f"_dmarc.{domain}"
    if selection is not None and selection.undecodable:
        findings.append(make_finding(
            meta("MAIL011"), target=domain, identity="undecodable",
            evidence=f"TXT {name}: a v=DMARC1 record contains non-ASCII bytes",
            impact="Receivers cannot read the policy, so none is applied.",
            fix=f"Re-enter it as plain ASCII: {_record_fix(domain, minimum)}"))
    records = selection.records if selection is not None else ()
    if len(records) > 1:
        findings.append(make_finding(
            meta("MAIL011"), target=domain, identity="multiple",
            title="More than one DMARC record",
            evidence=f"{len(records)} DMARC records at {name}: "
                     + " | ".join(repr(r[:100]) for r in records),
            impact="With more than one record receivers apply no DMARC policy at all "
                   "(RFC 7489 §6.6.3).",
            fix=f"Delete all but one: {_record_fix(domain, minimum)}"))
        return findings, {}
    inherited = False
    if not records:
        if selection is not None and selection.undecodable:
            return findings, {}
        org_records = (select_records(item.org_record.txt).records
                       if item.org_record is not None and item.org_record.status is DnsStatus.OK
                       else ())
        if item.org_record is not None and item.org_record.status.is_temporary:
            return findings, dict.fromkeys(RULES, could_not_check(item.org_record))
        if len(org_records) == 1 and item.org_domain:
            records, inherited = org_records, True
        else:
            findings.append(_missing(item, minimum))
            return findings, {}
    text = records[0]
    parsed = parse_record(text)
    source = f"_dmarc.{item.org_domain}" if inherited else name
    if isinstance(parsed, DmarcProblem):
        findings.append(make_finding(
            meta("MAIL011"), target=domain, identity="syntax",
            evidence=f"TXT {source}: '{text[:120]}': {parsed.message}",
            impact="Receivers ignore a DMARC record that does not parse, so no policy applies.",
            fix=f"Replace it with a valid record: {_record_fix(domain, minimum)}"))
        return findings, {}
    removed = [n for n in parsed.notes if "RFC 9989" in n and "removed" in n]
    if removed:
        findings.append(make_finding(
            meta("MAIL011"), target=domain, identity="removed-tags", severity=Severity.INFO,
            title="DMARC uses tags removed by RFC 9989",
            evidence=f"TXT {source}: " + "; ".join(removed),
            impact="Receivers following RFC 9989 ignore these tags.",
            fix="Drop pct=, rf= and ri= from the record (use t=y while testing a policy)."))
    findings.extend(_policy_findings(item, parsed, source, inherited, minimum))
    return findings, {}


def _missing(item: DmarcDomain, minimum: str) -> Finding:
    domain = item.domain
    misplaced = None
    if item.apex is not None and item.apex.status is DnsStatus.OK:
        misplaced = next(iter(select_records(item.apex.txt).records), None)
    if misplaced is not None:
        evidence = (f"no record at _dmarc.{domain}, but '{misplaced[:80]}' is published at "
                    f"{domain} itself; receivers only look at _dmarc.{domain} (RFC 7489 §6.1)")
        identity = "wrong-name"
        fix = (f"Move the record from {domain} to _dmarc.{domain}: "
               f"{_record_fix(domain, minimum)}")
    else:
        status = item.record.status
        evidence = f"TXT _dmarc.{domain}: {status} — no v=DMARC1 record"
        if item.org_domain:
            evidence += f", and none at _dmarc.{item.org_domain} either"
        identity = "missing"
        fix = (f"Publish {_record_fix(domain, minimum)}; start with p=none for a week only if "
               "you must, and read the reports before enforcing.")
    return make_finding(
        meta("MAIL009"), target=domain, identity=identity, evidence=evidence,
        impact="Anyone can send mail as your domain to your buyers, and Gmail/Yahoo junk or "
               "reject bulk mail from domains without DMARC.",
        fix=fix)


def _policy_findings(item: DmarcDomain, record: DmarcRecord, source: str, inherited: bool,
                     minimum: str) -> Iterator[Finding]:
    rule = meta("MAIL010")
    domain = item.domain
    policy = record.effective_subdomain_policy if inherited else record.policy
    tag = "sp" if inherited and record.subdomain_policy else "p"
    fix = f"Set an enforcing policy: {_record_fix(domain, minimum)}"
    impact = "Receivers deliver mail that fails DMARC, so forged mail reaches your buyers."
    if policy == "none":
        yield make_finding(rule, target=domain, identity="p=none",
                           title="DMARC policy is p=none",
                           evidence=f"TXT {source}: {tag}=none ('{record.text[:100]}')",
                           impact=impact, fix=fix)
    elif POLICY_STRENGTH[policy] < POLICY_STRENGTH[minimum]:
        yield make_finding(rule, target=domain, identity="below-minimum",
                           evidence=f"TXT {source}: {tag}={policy}, weaker than "
                                    f"dmarc_min_policy = \"{minimum}\"",
                           impact=impact, fix=fix)
    if not inherited and record.subdomain_policy is not None and \
            POLICY_STRENGTH[record.subdomain_policy] < POLICY_STRENGTH[minimum]:
        yield make_finding(rule, target=domain, identity="sp-weak",
                           title="DMARC subdomain policy weaker than required",
                           evidence=f"TXT {source}: sp={record.subdomain_policy} while "
                                    f"dmarc_min_policy = \"{minimum}\"",
                           impact="Forged mail from made-up subdomains (billing.yourdomain) is "
                                  "delivered.",
                           fix=f"Remove sp= (it then follows p=) or set sp={minimum}.")
    if record.pct < 100:
        yield make_finding(rule, target=domain, identity="pct",
                           evidence=f"TXT {source}: pct={record.pct}, so the policy applies to "
                                    f"{record.pct}% of failing mail",
                           impact="Most forged mail is still treated as if there were no policy.",
                           fix="Remove pct= (it defaults to 100; RFC 9989 removed it).")
    if record.testing:
        yield make_finding(rule, target=domain, identity="t=y",
                           evidence=f"TXT {source}: t=y (testing mode, RFC 9989): receivers "
                                    "apply the next weaker policy",
                           impact=impact, fix="Remove t=y once the reports look clean.")
    if not record.rua:
        yield make_finding(rule, target=domain, identity="no-rua",
                           title="DMARC without aggregate reports (no rua)",
                           evidence=f"TXT {source}: no rua= tag",
                           impact="You never learn which servers send as your domain or why "
                                  "your own mail fails.",
                           fix=f"Add rua=: {_record_fix(domain, minimum)}")
    for dest, answer in item.authorizations.items():
        if answer.status.is_temporary:
            continue
        ok = answer.status is DnsStatus.OK and any(
            b"".join(s).upper().startswith(b"V=DMARC1") for s in answer.txt)
        if ok:
            continue
        auth = authorization_name(domain, dest)
        yield make_finding(rule, target=domain, identity=f"unauthorised:{dest}",
                           title="DMARC reports go to an unauthorised external address",
                           evidence=f"rua/ruf sends reports to {dest}, but TXT {auth} is "
                                    f"{answer.status} (RFC 7489 §7.1)",
                           impact="Receivers drop the reports, so you are flying blind.",
                           fix=f"Have {dest} publish `{auth}. TXT \"v=DMARC1\"` (report "
                               "services do this when you add the domain), or send reports "
                               f"to an address at {domain}.")
