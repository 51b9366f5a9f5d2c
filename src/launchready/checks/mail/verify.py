"""MAIL013 — does a real message sent from the app pass DKIM, SPF and DMARC?

What: ``launchready email verify MESSAGE.eml [--ip IP]`` reads a message the app really sent
(saved as .eml from the recipient's mailbox, "Show original" / "Download message"). Every
DKIM-Signature is verified with dkimpy against the key fetched through the configured
resolver; SPF ``check_host()`` runs for the connecting IP (``--ip``, else the Received-SPF
``client-ip=``, else the topmost Received header) and the envelope sender (Return-Path);
DMARC passes when a DKIM pass with ``d=`` aligned to the From domain, or an SPF pass for an
aligned envelope domain, exists (RFC 7489 §3.1, §4.2; ``adkim``/``aspf`` from the domain's
DMARC record, relaxed by default). The table names the selector each signature uses.

Findings (high): unsigned message, a signature that fails (tampered body, key mismatch,
missing or revoked key), SPF not pass, DMARC alignment failing. DNS timeouts and SERVFAIL are
"could not check (temperror)".

Why: this is the mail buyers receive; a failure here is mail in spam.

Fix: sign with your domain (``d=`` = the From domain) at the provider, publish its key, and
include the provider in SPF.

Pass: From ``sales@acme.example``, DKIM ``d=acme.example; s=google`` verifies. Fail: DKIM
``d=sendgrid.net`` only (unaligned), or a body changed after signing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.email.dkim import join_txt
from launchready.email.dmarc import (
    DmarcProblem,
    organizational_domain,
    parse_record,
    select_records,
)
from launchready.email.spf import SpfResult, SpfStatus, check_host
from launchready.email.verify import (
    DkimOutcome,
    MessageFacts,
    dmarc_outcome,
    read_message,
    verify_signatures,
)
from launchready.model import Finding, Table
from launchready.probes.dns import DnsAnswer, DnsStatus

__all__ = ["MessageObservation", "MessageVerification", "evaluate_message"]


@dataclass(frozen=True, kw_only=True)
class MessageObservation:
    """The message, its parsed facts and every DNS answer verification needs."""

    raw: bytes
    facts: MessageFacts
    keys: Mapping[str, DnsAnswer] = field(default_factory=dict)
    spf: SpfResult | None = None
    ip: str | None = None
    dmarc: DnsAnswer | None = None


class MessageVerification(CheckFamily[MessageObservation]):
    """MAIL013 for one message; skipped unless built with one (``email verify``)."""

    rule_ids = ("MAIL013",)

    def __init__(self, message: bytes | None = None, *, ip: str | None = None,
                 source: str = "message") -> None:
        self.message = message
        self.ip = ip
        self.source = source

    def skip_reason(self, ctx: Context) -> str | None:
        if self.message is None:
            return "needs a message: `launchready email verify MESSAGE.eml`"
        return None

    async def gather(self, ctx: Context) -> MessageObservation:
        raw = self.message or b""
        facts = read_message(raw)
        dns = ctx.probes.dns
        names = list(dict.fromkeys(s.key_name.lower() for s in facts.signatures
                                   if s.problem is None))
        answers = await asyncio.gather(*(dns.query(n, "TXT") for n in names))
        ip = self.ip or facts.client_ip
        sender = facts.mail_from
        spf_domain = sender.rpartition("@")[2] if sender else (facts.helo or "")
        spf = None
        if ip and spf_domain:
            spf = await check_host(ip, spf_domain, sender, resolver=dns, helo=facts.helo)
        dmarc = None
        if facts.from_domains:
            dmarc = await dns.query(f"_dmarc.{facts.from_domains[0]}", "TXT")
            org = organizational_domain(facts.from_domains[0])
            if dmarc.status in (DnsStatus.NXDOMAIN, DnsStatus.NODATA) \
                    and org != facts.from_domains[0]:
                dmarc = await dns.query(f"_dmarc.{org}", "TXT")
        return MessageObservation(raw=raw, facts=facts, keys=dict(zip(names, answers,
                                                                      strict=True)),
                                  spf=spf, ip=ip, dmarc=dmarc)

    def evaluate(self, obs: MessageObservation, ctx: Context) -> Outcome:
        return evaluate_message(obs, self.source)


def _modes(answer: DnsAnswer | None) -> tuple[str, str]:
    if answer is None or answer.status is not DnsStatus.OK:
        return "r", "r"
    records = select_records(answer.txt).records
    if len(records) != 1:
        return "r", "r"
    parsed = parse_record(records[0])
    if isinstance(parsed, DmarcProblem):
        return "r", "r"
    return str(parsed.adkim), str(parsed.aspf)


def evaluate_message(obs: MessageObservation, source: str) -> Outcome:
    """MAIL013 findings, the authentication table and temperror reasons; pure."""
    facts = obs.facts
    rule = meta("MAIL013")
    target = f"{source} ({facts.subject[:60]})" if facts.subject else source
    findings: list[Finding] = []
    errors: list[str] = []
    rows: list[tuple[str, str, str]] = []
    if len(facts.from_domains) != 1:
        findings.append(make_finding(
            rule, target=target, identity="from",
            evidence=f"From header has {len(facts.from_domains)} domains "
                     f"({', '.join(facts.from_domains) or 'none'}); DMARC needs exactly one "
                     "(RFC 7489 §6.6.1)",
            impact="Receivers reject or junk mail whose author cannot be determined.",
            fix="Send with exactly one From address at your domain."))
        return Outcome(findings=tuple(findings))
    from_domain = facts.from_domains[0]
    keys: dict[str, bytes | None] = {}
    temporary: dict[str, str] = {}
    for name, answer in obs.keys.items():
        if answer.status.is_temporary:
            temporary[name] = (f"could not check (temperror): TXT {name}: {answer.status}")
        elif answer.status is DnsStatus.OK and answer.txt:
            keys[name] = join_txt(answer.txt[0])
        else:
            keys[name] = None
    results = verify_signatures(obs.raw, facts, keys, temporary)
    findings.extend(_dkim_findings(results, target, from_domain))
    for item in results:
        sig = item.signature
        rows.append((f"DKIM d={sig.domain} s={sig.selector}", item.result, item.reason))
        if item.result == "temperror":
            errors.append(item.reason)
    if not facts.signatures:
        rows.append(("DKIM", "none", "the message has no DKIM-Signature header"))
    spf_result, spf_domain = _spf_part(obs, target, findings, errors, rows)
    adkim, aspf = _modes(obs.dmarc)
    if not errors:
        passes, why = dmarc_outcome(from_domain, results, spf_result, spf_domain,
                                    adkim=adkim, aspf=aspf)
        rows.append((f"DMARC alignment with From {from_domain}", "pass" if passes else "fail",
                     why))
        if not passes:
            findings.append(make_finding(
                rule, target=target, identity="dmarc", title="Message fails DMARC alignment",
                evidence=f"From {from_domain}: {why} (adkim={adkim}, aspf={aspf})",
                impact="Receivers with an enforcing DMARC policy reject or junk this mail; the "
                       "others score it as unauthenticated.",
                fix=f"Have your provider sign with d={from_domain} (custom DKIM domain in its "
                    f"settings, key published at <selector>._domainkey.{from_domain}), and use "
                    f"a bounce domain under {from_domain} (e.g. CNAME em.{from_domain} to the "
                    "provider) so SPF aligns too."))
    table = Table(title=f"Message authentication — {source}",
                  columns=("check", "result", "detail"), rows=tuple(rows))
    return Outcome(findings=tuple(findings), tables=(table,),
                   errors={"MAIL013": "; ".join(errors)} if errors and not findings else {})


def _dkim_findings(results: tuple[DkimOutcome, ...], target: str,
                   from_domain: str) -> list[Finding]:
    rule = meta("MAIL013")
    out: list[Finding] = []
    if not results:
        out.append(make_finding(
            rule, target=target, identity="unsigned", title="Message is not DKIM-signed",
            evidence="the message has no DKIM-Signature header",
            impact="DMARC can only pass through SPF, which breaks whenever the mail is "
                   "forwarded; many receivers junk unsigned mail.",
            fix=f"Turn on DKIM signing for {from_domain} at your mail provider and publish "
                f"the key it gives you at <selector>._domainkey.{from_domain}."))
    for item in results:
        if item.result in ("pass", "temperror"):
            continue
        sig = item.signature
        out.append(make_finding(
            rule, target=target, identity=f"dkim:{sig.domain}:{sig.selector}",
            title="DKIM signature fails",
            evidence=f"DKIM-Signature d={sig.domain} s={sig.selector} a={sig.algorithm}: "
                     f"{item.result}: {item.reason}",
            impact="The signature counts for nothing, so DMARC depends on SPF alone.",
            fix=f"Check the key at {sig.key_name} matches the provider's (re-copy it), and "
                "that nothing rewrites the message after signing (footers, link tracking, "
                "list software)."))
    return out


def _spf_part(obs: MessageObservation, target: str, findings: list[Finding],
              errors: list[str], rows: list[tuple[str, str, str]]) -> tuple[str, str]:
    facts = obs.facts
    spf = obs.spf
    sender = facts.mail_from or f"postmaster@{facts.helo or ''}"
    if spf is None:
        why = ("no connecting IP: pass --ip IP (the sending server's address)"
               if not obs.ip else "no envelope sender or HELO name in the message")
        rows.append(("SPF", "not checked", why))
        return "none", ""
    origin = facts.ip_source if obs.ip == facts.client_ip else "--ip"
    rows.append((f"SPF {obs.ip} ({origin}) as {sender}", str(spf.result),
                 spf.problem or spf.explanation or f"{spf.dns_lookups} DNS lookups"))
    if spf.result is SpfStatus.TEMPERROR:
        errors.append(f"could not check SPF (temperror): {spf.problem}")
    elif spf.result is not SpfStatus.PASS:
        findings.append(make_finding(
            meta("MAIL013"), target=target, identity=f"spf:{spf.result}",
            title=f"SPF {spf.result} for the sending server",
            evidence=f"check_host({obs.ip}, {spf.domain}, {sender}) = {spf.result}"
                     + (f": {spf.problem}" if spf.problem else ""),
            impact="Receivers treat the message as not coming from your servers.",
            fix=f"Add the sending service to the SPF record of {spf.domain} (e.g. its "
                f"include:), or send through a server it already lists."))
    return str(spf.result), spf.domain
