"""MAIL008 — does every DKIM selector publish a usable, strong key?

What: for each mail domain and each ``[email] dkim_selectors`` entry, the TXT record at
``<selector>._domainkey.<domain>`` (character-strings joined, RFC 6376 §3.6.2.2) is parsed: a
missing record, non-ASCII bytes, a tag list that does not parse, a wrong ``v=``, an unknown
``k=``, an empty ``p=`` (revoked), bad base64 or a key that does not load are high; an RSA key
under 1024 bits is high (RFC 8301 §3.2: verifiers must not accept it), under 2048 bits low
(RFC 8301 recommends at least 2048). Ed25519 keys (RFC 8463) are accepted.

Without configured selectors the common ones (Google ``google``, Microsoft 365
``selector1``/``selector2``, ``s1``/``s2``, ``k1``, ``mandrill`` …) are tried, the table says
which were tried and found, and finding none is only informational: the real selector may be
any name. ``launchready email verify MESSAGE.eml`` reports the selector a real message uses.

A timeout or SERVFAIL is "could not check (temperror)", never "missing".

Why: without a valid DKIM signature, DMARC can only pass through SPF, which breaks on every
forward; mail to buyers lands in spam.

Fix: publish the key your provider gives you, e.g.
``google._domainkey.acme.example. TXT "v=DKIM1; k=rsa; p=MIIBIjANBg…"`` (split long keys into
several quoted strings of the same record) and configure the selector.

Pass: ``google._domainkey`` holding a 2048-bit RSA key. Fail: ``s1._domainkey`` with ``p=``
empty (revoked), or a 1024-bit key (low).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.mail.common import NO_DOMAINS, could_not_check, mail_domains
from launchready.email.dkim import (
    COMMON_SELECTORS,
    DkimKey,
    DkimKeyProblem,
    KeyProblem,
    key_name,
    parse_key_record,
)
from launchready.model import Finding, Severity, Table, TableKind
from launchready.probes.dns import DnsAnswer, DnsStatus

__all__ = ["DkimChecks", "DkimDomain", "DkimObservation", "judge_answer"]

MIN_BITS = 1024      # RFC 8301 §3.2
GOOD_BITS = 2048     # RFC 8301 §3.2 recommendation


@dataclass(frozen=True, kw_only=True)
class DkimDomain:
    """The key answers of one domain; ``configured`` is False when common selectors were tried."""

    domain: str
    configured: bool
    answers: Mapping[str, DnsAnswer]


@dataclass(frozen=True, kw_only=True)
class DkimObservation:
    """Every domain's key answers."""

    domains: tuple[DkimDomain, ...]


def judge_answer(answer: DnsAnswer) -> DkimKey | DkimKeyProblem | None:
    """The key in a TXT answer, a problem, or None when nothing is published."""
    if answer.status is not DnsStatus.OK:
        return None
    # RFC 6376 §3.6.2.2: several TXT records at a key name are ambiguous; keep key-like ones.
    keys = [s for s in answer.txt if b"p=" in b"".join(s) or b"v=DKIM1" in b"".join(s)]
    if len(keys) > 1:
        return DkimKeyProblem(record=" | ".join(b"".join(k)[:60].decode("ascii", "replace")
                                                for k in keys),
                              kind=KeyProblem.SYNTAX,
                              message=f"{len(keys)} key records at one name; verifiers pick "
                                      "one at random (RFC 6376 §3.6.2.2)")
    if keys:
        return parse_key_record(keys[0])
    return parse_key_record(answer.txt[0] if answer.txt else ())


class DkimChecks(CheckFamily[DkimObservation]):
    """MAIL008 for each mail domain."""

    rule_ids = ("MAIL008",)

    def skip_reason(self, ctx: Context) -> str | None:
        return None if mail_domains(ctx) else NO_DOMAINS

    async def gather(self, ctx: Context) -> DkimObservation:
        configured = [s.strip() for s in (ctx.config.email.dkim_selectors
                                          if ctx.config.email else []) if s.strip()]
        selectors = configured or list(COMMON_SELECTORS)

        async def one(domain: str) -> DkimDomain:
            answers = await asyncio.gather(*(ctx.probes.dns.query(key_name(s, domain), "TXT")
                                             for s in selectors))
            return DkimDomain(domain=domain, configured=bool(configured),
                              answers=dict(zip(selectors, answers, strict=True)))

        domains = await asyncio.gather(*(one(d) for d in mail_domains(ctx)))
        return DkimObservation(domains=tuple(domains))

    def evaluate(self, obs: DkimObservation, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        tables: list[Table] = []
        errors: list[str] = []
        for item in obs.domains:
            got, table, errs = evaluate_domain(item)
            findings.extend(got)
            tables.append(table)
            errors.extend(errs)
        return Outcome(findings=tuple(findings), tables=tuple(tables),
                       errors={"MAIL008": "; ".join(errors)} if errors else {})


def _describe(result: DkimKey | DkimKeyProblem | None, answer: DnsAnswer) -> str:
    if answer.status.is_temporary:
        return could_not_check(answer)
    if result is None:
        return f"not published ({answer.status})"
    if isinstance(result, DkimKeyProblem):
        return f"unusable: {result.message}"
    return f"{result.key_type} {result.bits} bits" + (" (testing, t=y)" if result.testing
                                                        else "")


def evaluate_domain(item: DkimDomain) -> tuple[list[Finding], Table, list[str]]:
    """Findings, the selector table and temperror reasons for one domain; pure."""
    findings: list[Finding] = []
    errors: list[str] = []
    rows: list[tuple[str, str, str]] = []
    found = 0
    for selector, answer in item.answers.items():
        name = key_name(selector, item.domain)
        result = judge_answer(answer)
        if answer.status.is_temporary:
            errors.append(could_not_check(answer))
        elif result is not None:
            found += 1
        if item.configured or result is not None or answer.status.is_temporary:
            rows.append((selector, name, _describe(result, answer)))
        if answer.status.is_temporary:
            continue
        findings.extend(_key_findings(item, selector, name, answer, result))
    tried = ", ".join(item.answers)
    if not item.configured:
        rows.append(("(tried)", tried, f"{found} found"))
        if found == 0 and not errors:
            findings.append(make_finding(
                meta("MAIL008"), target=item.domain, identity="none-common",
                severity=Severity.INFO, title="No DKIM key under common selectors",
                evidence=f"no key at any of {len(item.answers)} common selectors ({tried}) "
                         f"under _domainkey.{item.domain}; no dkim_selectors configured",
                impact="If you do not sign mail, DMARC can only pass through SPF, which breaks "
                       "on forwarding.",
                fix="Find your selector with `launchready email verify sent-message.eml` (or "
                    "the s= tag of a DKIM-Signature header) and set [email] dkim_selectors = "
                    "[\"SELECTOR\"]; if you do not sign yet, turn DKIM on at your provider."))
    table = Table(title=f"DKIM selectors — {item.domain}",
                  columns=("selector", "name", "key"), rows=tuple(rows),
                  kind=TableKind.DKIM_SELECTORS, subject=item.domain)
    return findings, table, errors


def _key_findings(item: DkimDomain, selector: str, name: str, answer: DnsAnswer,
                  result: DkimKey | DkimKeyProblem | None) -> Iterator[Finding]:
    rule = meta("MAIL008")
    target = f"{item.domain} (selector {selector})"
    provider_fix = (f"Copy the DKIM key from your mail provider's admin page into one TXT record "
                    f"at {name} (`{name}. TXT \"v=DKIM1; k=rsa; p=MIIBIjANBg…\"`; split a "
                    "long key into several quoted strings of the same record), then send a "
                    "test message and run `launchready email verify` on it.")
    impact = ("Mail signed with this selector fails DKIM, so DMARC rests on SPF alone and "
              "forwarded mail to buyers fails.")
    if result is None:
        if item.configured:
            yield make_finding(rule, target=target, identity=f"missing:{selector}",
                               title="DKIM key missing",
                               evidence=f"TXT {name}: {answer.status} — no key published for "
                                        "configured selector " + repr(selector),
                               impact=impact, fix=provider_fix)
        return
    if isinstance(result, DkimKeyProblem):
        titles = {
            KeyProblem.REVOKED: "DKIM key revoked (empty p=)",
            KeyProblem.BAD_BASE64: "DKIM key is not valid base64",
            KeyProblem.UNKNOWN_KEY_TYPE: "DKIM key has an unknown k= type",
            KeyProblem.UNDECODABLE: "DKIM key record has non-ASCII bytes",
        }
        fix = provider_fix
        if result.kind is KeyProblem.REVOKED:
            fix = (f"If {selector!r} is retired, remove it from [email] dkim_selectors and make "
                   "sure your provider signs with the new selector; otherwise publish its "
                   "current key. " + provider_fix)
        yield make_finding(rule, target=target, identity=f"{result.kind}:{selector}",
                           title=titles.get(result.kind, "DKIM key record unparsable"),
                           evidence=f"TXT {name}: {result.message}; record "
                                    f"'{result.record[:90]}'",
                           impact=impact, fix=fix)
        return
    if result.key_type == "rsa" and result.bits < MIN_BITS:
        yield make_finding(rule, target=target, identity=f"weak:{selector}",
                           title="DKIM key under 1024 bits",
                           evidence=f"{name} holds a {result.bits}-bit RSA key; verifiers "
                                    "must not accept keys under 1024 bits (RFC 8301 §3.2)",
                           impact=impact,
                           fix="Generate a 2048-bit key at your provider (or `openssl genrsa "
                               "-out dkim.key 2048`), publish it under a new selector, switch "
                               "signing to it, then remove the old one.")
    elif result.key_type == "rsa" and result.bits < GOOD_BITS:
        yield make_finding(rule, target=target, identity=f"short:{selector}",
                           severity=Severity.LOW, title="DKIM key under 2048 bits",
                           evidence=f"{name} holds a {result.bits}-bit RSA key; RFC 8301 §3.2 "
                                    "recommends 2048",
                           impact="1024-bit RSA is within reach of well-funded attackers and "
                                  "some receivers score it lower.",
                           fix="Rotate to a 2048-bit key under a new selector, then retire "
                               "this one.")
