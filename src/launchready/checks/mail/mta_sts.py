"""MAIL014 — is inbound mail TLS enforced (MTA-STS) and reported (TLS-RPT)?

What: for each mail domain that receives mail (has MX records):

* the MTA-STS TXT record ``_mta-sts.<domain>`` (``v=STSv1; id=…``, RFC 8461 §3.1);
* the policy file ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` fetched over HTTPS with
  certificate verification and no redirects (§3.3): ``version: STSv1``, ``mode`` enforce /
  testing / none, ``max_age`` 0–31557600, ``mx`` patterns that cover every MX host (§3.2,
  §4.1);
* the TLS-RPT record ``_smtp._tls.<domain>`` (``v=TLSRPTv1; rua=…``, RFC 8460 §3).

All findings are informational: these protect inbound mail, not the demo.

Why: without MTA-STS a network attacker can strip STARTTLS from mail sent to the domain and
read it; without TLS-RPT nobody hears when senders fail to deliver securely.

Fix: ``_mta-sts.acme.example. TXT "v=STSv1; id=20260101"``, serve
``version: STSv1`` / ``mode: enforce`` / ``mx: *.acme.example`` / ``max_age: 604800`` at the
policy URL, and ``_smtp._tls.acme.example. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@acme.example"``.

Pass: all three, policy in enforce mode covering the MX hosts. Fail: no ``_mta-sts`` record.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.mail.common import NO_DOMAINS, could_not_check, mail_domains
from launchready.checks.mail.mx import exchanges
from launchready.model import Finding
from launchready.probes.dns import DnsAnswer, DnsStatus
from launchready.probes.http import HttpResponse

__all__ = ["MtaStsChecks", "MtaStsDomain", "MtaStsPolicy", "parse_policy", "policy_url"]

MAX_AGE_LIMIT = 31557600  # RFC 8461 §3.2
_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


@dataclass(frozen=True, kw_only=True)
class MtaStsPolicy:
    """A policy file, parsed; ``problems`` lists what makes it invalid."""

    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    problems: tuple[str, ...]


def parse_policy(text: str) -> MtaStsPolicy:
    """Parse an MTA-STS policy body (RFC 8461 §3.2); never raises."""
    fields: dict[str, list[str]] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            continue
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    problems: list[str] = []
    if fields.get("version") != ["STSv1"]:
        problems.append(f"version is {fields.get('version')}, not exactly 'STSv1'")
    modes = fields.get("mode") or []
    mode = modes[0] if modes else None
    if mode not in ("enforce", "testing", "none"):
        problems.append(f"mode is {mode!r}, not enforce, testing or none")
    max_age: int | None = None
    raw_age = (fields.get("max_age") or [""])[0]
    if raw_age.isdigit() and int(raw_age) <= MAX_AGE_LIMIT:
        max_age = int(raw_age)
    else:
        problems.append(f"max_age {raw_age!r} is not 0-{MAX_AGE_LIMIT}")
    mx = tuple(m.lower().rstrip(".") for m in fields.get("mx", []))
    if mode in ("enforce", "testing") and not mx:
        problems.append("no mx: lines")
    return MtaStsPolicy(mode=mode, max_age=max_age, mx=mx, problems=tuple(problems))


def mx_covered(host: str, patterns: tuple[str, ...]) -> bool:
    """RFC 8461 §4.1: exact match, or ``*.`` matching exactly one leftmost label."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern == host:
            return True
        if pattern.startswith("*.") and host.partition(".")[2] == pattern[2:]:
            return True
    return False


def policy_url(domain: str, port: int = 443) -> str:
    """The well-known policy URL (RFC 8461 §3.3)."""
    host = f"mta-sts.{domain}" + ("" if port == 443 else f":{port}")
    return f"https://{host}/.well-known/mta-sts.txt"


@dataclass(frozen=True, kw_only=True)
class MtaStsDomain:
    """DNS and HTTPS facts for one domain."""

    domain: str
    mx: DnsAnswer
    sts: DnsAnswer
    tlsrpt: DnsAnswer
    policy: HttpResponse | None = None


@dataclass(frozen=True, kw_only=True)
class MtaStsObservation:
    """Every domain's facts."""

    domains: tuple[MtaStsDomain, ...]


def _records(answer: DnsAnswer, prefix: bytes) -> list[str]:
    out = []
    for strings in answer.txt:
        raw = b"".join(strings)
        if raw.startswith(prefix):
            out.append(raw.decode("ascii", errors="backslashreplace"))
    return out


class MtaStsChecks(CheckFamily[MtaStsObservation]):
    """MAIL014 for each mail domain; ``https_port`` lets tests serve the policy elsewhere."""

    rule_ids = ("MAIL014",)

    def __init__(self, *, https_port: int = 443) -> None:
        self.https_port = https_port

    def skip_reason(self, ctx: Context) -> str | None:
        return None if mail_domains(ctx) else NO_DOMAINS

    async def gather(self, ctx: Context) -> MtaStsObservation:
        dns = ctx.probes.dns

        async def one(domain: str) -> MtaStsDomain:
            mx, sts, tlsrpt = await asyncio.gather(
                dns.query(domain, "MX"), dns.query(f"_mta-sts.{domain}", "TXT"),
                dns.query(f"_smtp._tls.{domain}", "TXT"))
            policy = None
            if sts.status is DnsStatus.OK and _records(sts, b"v=STSv1"):
                # RFC 8461 §3.3: HTTPS with a valid certificate; redirects are not followed.
                policy = await ctx.probes.http.fetch(policy_url(domain, self.https_port),
                                                     max_body=64 * 1024)
            return MtaStsDomain(domain=domain, mx=mx, sts=sts, tlsrpt=tlsrpt, policy=policy)

        found = await asyncio.gather(*(one(d) for d in mail_domains(ctx)))
        return MtaStsObservation(domains=tuple(found))

    def evaluate(self, obs: MtaStsObservation, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        errors: list[str] = []
        for item in obs.domains:
            got, errs = evaluate_domain(item)
            findings.extend(got)
            errors.extend(errs)
        return Outcome(findings=tuple(findings),
                       errors={"MAIL014": "; ".join(errors)} if errors else {})


def evaluate_domain(item: MtaStsDomain) -> tuple[list[Finding], list[str]]:
    """MAIL014 findings and temperror reasons for one domain; pure."""
    domain = item.domain
    rule = meta("MAIL014")
    for answer in (item.mx, item.sts, item.tlsrpt):
        if answer.status.is_temporary:
            return [], [could_not_check(answer)]
    hosts = [h for _, h in exchanges(item.mx) if h] if item.mx.status is DnsStatus.OK else []
    if not hosts:
        return [], []  # no inbound mail: MAIL012 speaks for it
    findings: list[Finding] = []
    sts = _records(item.sts, b"v=STSv1") if item.sts.status is DnsStatus.OK else []
    policy_fix = (f"Publish `_mta-sts.{domain}. TXT \"v=STSv1; id=20260101\"` and serve "
                  f"{policy_url(domain)} with `version: STSv1`, `mode: enforce`, "
                  + "".join(f"`mx: {h}`, " for h in hosts[:3]) + "`max_age: 604800`.")
    if not sts:
        findings.append(make_finding(
            rule, target=domain, identity="no-mta-sts", title="No MTA-STS policy",
            evidence=f"TXT _mta-sts.{domain}: {item.sts.status} — no v=STSv1 record",
            impact="Mail sent to you can be downgraded to plaintext by an attacker on the path.",
            fix=policy_fix))
    elif len(sts) > 1 or not any(_ID_RE.match(p.split("=", 1)[1].strip())
                                 for r in sts for p in r.split(";")[1:2]
                                 if p.strip().startswith("id=")):
        findings.append(make_finding(
            rule, target=domain, identity="bad-sts-record", title="MTA-STS record invalid",
            evidence=f"TXT _mta-sts.{domain}: {' | '.join(sts)} — needs exactly one record "
                     "'v=STSv1; id=<1-32 letters/digits>' (RFC 8461 §3.1)",
            impact="Senders ignore the policy.", fix=policy_fix))
    if sts:
        findings.extend(_policy_findings(item, hosts, policy_fix))
    if not _records(item.tlsrpt, b"v=TLSRPTv1") if item.tlsrpt.status is DnsStatus.OK \
            else True:
        findings.append(make_finding(
            rule, target=domain, identity="no-tlsrpt", title="No TLS-RPT record",
            evidence=f"TXT _smtp._tls.{domain}: {item.tlsrpt.status} — no v=TLSRPTv1 record",
            impact="You are not told when senders fail to deliver to you over TLS.",
            fix=f"Publish `_smtp._tls.{domain}. TXT \"v=TLSRPTv1; "
                f"rua=mailto:tlsrpt@{domain}\"` (RFC 8460)."))
    return findings, []


def _policy_findings(item: MtaStsDomain, hosts: list[str], fix: str) -> list[Finding]:
    rule = meta("MAIL014")
    domain = item.domain
    response = item.policy
    url = policy_url(domain)
    if response is None or response.status != 200:
        what = (response.error if response is not None and response.error
                else f"HTTP {response.status}" if response is not None else "not fetched")
        return [make_finding(rule, target=domain, identity="policy-unreachable",
                             title="MTA-STS policy file not served",
                             evidence=f"{url}: {what}",
                             impact="Senders cannot fetch the policy, so it is not applied.",
                             fix=fix)]
    policy = parse_policy(response.text)
    media = (response.header("content-type") or "").split(";")[0].strip().lower()
    problems = list(policy.problems)
    if media != "text/plain":
        problems.append(f"Content-Type is {media or 'missing'}, not text/plain (RFC 8461 §3.3)")
    uncovered = [h for h in hosts if not mx_covered(h, policy.mx)]
    if policy.mx and uncovered:
        problems.append(f"mx patterns {', '.join(policy.mx)} do not cover "
                        f"{', '.join(uncovered)}")
    out = []
    if problems:
        out.append(make_finding(rule, target=domain, identity="policy-invalid",
                                title="MTA-STS policy invalid",
                                evidence=f"{url}: " + "; ".join(problems),
                                impact="Senders reject the policy or, in enforce mode, refuse "
                                       "to deliver to MX hosts it does not list.",
                                fix=fix))
    elif policy.mode != "enforce":
        out.append(make_finding(rule, target=domain, identity="policy-not-enforced",
                                title="MTA-STS not enforced",
                                evidence=f"{url}: mode: {policy.mode}",
                                impact="Senders still deliver over plaintext when TLS fails.",
                                fix="Set `mode: enforce` once TLS-RPT reports are clean, and "
                                    "change the id= of the _mta-sts record."))
    return out
