"""DNS001 — does live DNS match the expected record map?

What: every entry of ``[[dns.records]]`` (A, AAAA, CNAME, MX, TXT, NS, CAA, SRV) is asked of the
configured resolver and compared with the map. Values are compared in a normal form: names in
lower case without the trailing dot (``@`` is the apex), IP addresses in canonical form, TXT as
the concatenation of its character-strings whether or not the map writes the quotes
(RFC 7208 §3.3 joins split strings the same way), MX as ``preference host`` (a map value without
a preference matches any preference), CAA as ``flags tag "value"``. TXT is a subset match —
the map lists the TXT records it cares about, and the apex usually carries other verification
strings too; every other type must match exactly. With ``authoritative=True`` (``launchready dns
--authoritative``) each nameserver of the zone is also asked directly (NS → address → query on
``ns_port``), which catches a secondary that never picked up a change.

Why: a record that was never created, or still points at last month's host, is the usual
reason a demo URL "works on my machine": the founder's laptop has a cached answer, the buyer's
network does not. A timeout or SERVFAIL is reported as "could not check (temperror)", never as
missing.

Fix: create or correct the record at the DNS provider exactly as the finding shows, e.g.
``www.acme.example. 300 IN CNAME acme.example.``, then re-run ``launchready dns``.

Pass: the map says ``www CNAME acme.example.`` and the resolver answers ``www.acme.example.
CNAME acme.example.``. Fail: the map says ``app CNAME acme-prod.fly.dev.`` and there is no such
record (missing), or it points at ``acme-staging.fly.dev.`` (different).
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.dns.lookup import (
    TEMPERROR,
    Budget,
    BudgetedLookup,
    DnsLookup,
    dns_budget,
    nameserver_views,
    norm_address,
    norm_name,
    probe_timeout,
    record_fqdn,
    temp_reason,
)
from launchready.config.models import Config
from launchready.model import Finding, Table, TableKind
from launchready.probes.dns import DnsAnswer

DEFAULT_TTL = 300
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(rb"\\(\d{3}|.)", re.DOTALL)
_NAME_TYPES = frozenset({"CNAME", "NS"})


class Verdict(enum.StrEnum):
    """How one record compares with the map."""

    OK = "ok"
    MISSING = "missing"
    DIFFERENT = "different"
    TEMPERROR = TEMPERROR


@dataclass(frozen=True, kw_only=True)
class ExpectedRecord:
    """One ``[[dns.records]]`` entry with its absolute name."""

    name: str
    rdtype: str
    values: tuple[str, ...]
    ttl: int | None = None


@dataclass(frozen=True, kw_only=True)
class RecordView:
    """The answers one source gave: the configured resolver, or one nameserver directly."""

    source: str
    answers: Mapping[tuple[str, str], DnsAnswer] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordObservation:
    """Everything DNS001 judges."""

    domain: str | None
    expected: tuple[ExpectedRecord, ...]
    views: tuple[RecordView, ...]
    authoritative: bool = False
    #: why the nameservers could not be asked directly (authoritative mode), if they could not
    ns_problem: str | None = None


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """The verdict for one record in one view, with the normalised values behind it."""

    verdict: Verdict
    live: str
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()


def expected_records(config: Config) -> tuple[ExpectedRecord, ...]:
    """The map from ``[dns] records`` with absolute names."""
    if config.dns is None:
        return ()
    domain = config.app.domain
    return tuple(ExpectedRecord(name=record_fqdn(r.name, domain), rdtype=r.type,
                                values=tuple(r.values), ttl=r.ttl)
                 for r in config.dns.records)


# --- normal forms -------------------------------------------------------------------------------

def _unescape(text: str) -> bytes:
    """Presentation-format escapes (``\\DDD``, ``\\X``, RFC 1035 §5.1) to bytes."""
    def sub(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        return bytes([int(code)]) if code.isdigit() and int(code) < 256 else code[-1:]
    return _ESCAPE.sub(sub, text.encode("utf-8"))


def txt_text(strings: Sequence[bytes]) -> str:
    """A TXT record's character-strings joined, undecodable bytes shown as ``\\xNN``."""
    return b"".join(strings).decode("utf-8", errors="backslashreplace")


def _expected_txt(value: str) -> str:
    stripped = value.strip()
    if stripped.startswith('"') and stripped.endswith('"'):
        parts = _QUOTED.findall(stripped)
        if parts:
            return txt_text([_unescape(p) for p in parts])
    return value


def _target(value: str, domain: str | None) -> str:
    value = value.strip()
    if value == "@" and domain:
        return norm_name(domain)
    return norm_name(value)


def _caa(value: str) -> str:
    parts = value.strip().split(None, 2)
    if len(parts) == 2:  # "issue letsencrypt.org": flags left out
        parts = ["0", *parts]
    if len(parts) != 3 or not parts[0].isdigit():
        return value.strip()
    flags, tag, rest = parts
    rest = rest.strip()
    if rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
        rest = rest[1:-1]
    return f'{int(flags)} {tag.lower()} "{rest.strip()}"'


def normalise(rdtype: str, value: str, *, domain: str | None = None) -> str:
    """The normal form of one value of ``rdtype``, as written in the map or served live."""
    kind = rdtype.upper()
    if kind in ("A", "AAAA"):
        return norm_address(value)
    if kind in _NAME_TYPES:
        return _target(value, domain)
    if kind == "MX":
        parts = value.split()
        if len(parts) == 2 and parts[0].isdigit():
            return f"{int(parts[0])} {_target(parts[1], domain)}"
        return _target(value, domain)
    if kind == "TXT":
        return _expected_txt(value)
    if kind == "CAA":
        return _caa(value)
    if kind == "SRV":
        parts = value.split()
        if len(parts) == 4 and all(p.isdigit() for p in parts[:3]):
            return " ".join([*(str(int(p)) for p in parts[:3]), _target(parts[3], domain)])
    return " ".join(value.split())


def live_values(answer: DnsAnswer, *, domain: str | None = None) -> tuple[str, ...]:
    """The normalised values of a live answer (TXT from its raw character-strings)."""
    if answer.rdtype.upper() == "TXT" and answer.txt:
        return tuple(txt_text(strings) for strings in answer.txt)
    return tuple(normalise(answer.rdtype, v, domain=domain) for v in answer.records)


def compare(record: ExpectedRecord, answer: DnsAnswer | None, *,
            domain: str | None = None) -> Comparison:
    """Judge one live answer against one map entry."""
    if answer is None or answer.status.is_temporary:
        why = answer.status.value if answer is not None else "not asked"
        return Comparison(verdict=Verdict.TEMPERROR, live=f"{TEMPERROR}: {why}")
    live = live_values(answer, domain=domain)
    if not live:
        if answer.cname_chain and record.rdtype != "CNAME":
            return Comparison(verdict=Verdict.DIFFERENT,
                              live=f"CNAME {norm_name(answer.cname_chain[0])}",
                              missing=tuple(record.values))
        return Comparison(verdict=Verdict.MISSING, live=f"({answer.status.value})",
                          missing=tuple(record.values))
    expected = [normalise(record.rdtype, v, domain=domain) for v in record.values]
    have = list(live)
    if record.rdtype == "MX" and any(" " not in v for v in expected):
        # a map value without a preference matches the host at any preference
        expected = [v.split()[-1] for v in expected]
        have = [v.split()[-1] for v in have]
    missing = tuple(v for v in dict.fromkeys(expected) if v not in have)
    extra = () if record.rdtype == "TXT" else tuple(v for v in dict.fromkeys(have)
                                                    if v not in expected)
    shown = ", ".join(live)
    if answer.cname_chain and record.rdtype != "CNAME":
        shown = f"CNAME {norm_name(answer.cname_chain[0])} → {shown}"
    verdict = Verdict.DIFFERENT if missing or extra else Verdict.OK
    return Comparison(verdict=verdict, live=shown, missing=missing, extra=extra)


# --- findings -----------------------------------------------------------------------------------

def zone_line(record: ExpectedRecord, value: str, *, domain: str | None = None) -> str:
    """The record as one zone-file line, for the fix text."""
    ttl = record.ttl or DEFAULT_TTL
    kind = record.rdtype
    shown = value.strip()
    if kind == "TXT":
        raw = _expected_txt(value)
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [""]
        shown = " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"'
                         for c in chunks)
    elif kind in _NAME_TYPES or kind == "MX":
        pref, _, host = shown.rpartition(" ")
        shown = f"{pref} {_target(host, domain)}.".strip()
    return f"{record.name}. {ttl} IN {kind} {shown}"


def _shown(record: ExpectedRecord, value: str, domain: str | None) -> str:
    """A map value as the evidence shows it: ``@`` spelled out as the apex."""
    if record.rdtype in _NAME_TYPES and value.strip() == "@" and domain:
        return norm_name(domain)
    return value


def _finding(record: ExpectedRecord, failed: Sequence[tuple[str, Comparison]],
             views: int, domain: str | None) -> Finding:
    worst = (Verdict.MISSING if all(c.verdict is Verdict.MISSING for _, c in failed)
             else Verdict.DIFFERENT)
    # sources that saw the same thing are listed together: "resolver, ns1 (…): different (…)"
    grouped: dict[tuple[Verdict, str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for source, comp in failed:
        grouped.setdefault((comp.verdict, comp.live, comp.missing, comp.extra), []).append(source)
    parts = []
    for (verdict, live, missing, extra), sources in grouped.items():
        detail = f"live {live}"
        if missing and verdict is Verdict.DIFFERENT:
            detail += f"; lacks {', '.join(missing)}"
        if extra:
            detail += f"; extra {', '.join(extra)}"
        parts.append(f"{', '.join(sources)}: {verdict.value} ({detail})")
    where = "" if len(failed) == views else f" on {len(failed)} of {views} sources"
    lines = "; ".join(f"`{zone_line(record, v, domain=domain)}`" for v in record.values)
    fix = f"At the DNS provider, set {record.name} {record.rdtype} to exactly: {lines}"
    if any(c.extra for _, c in failed):
        fix += " and delete the other values"
    if len(failed) < views:
        fix += ("; a nameserver that still serves the old data is not receiving zone "
                "updates: check its zone transfer (NOTIFY/AXFR) or the provider's sync status")
    title = ("DNS record missing" if worst is Verdict.MISSING
             else "DNS record differs from the map")
    return make_finding(
        meta("DNS001"), target=f"{record.name} {record.rdtype}", title=title + where,
        identity=f"{record.name}/{record.rdtype}/{worst.value}",
        evidence=(f"expected {', '.join(_shown(record, v, domain) for v in record.values)}; "
                  + "; ".join(parts)),
        impact=(f"Browsers and mail servers looking up {record.name} {record.rdtype} get "
                f"{'no answer' if worst is Verdict.MISSING else 'other values than planned'}, "
                "so what it should point to is unreachable or the wrong server answers."),
        fix=fix + ". Then run `launchready dns` again.")


def evaluate_records(obs: RecordObservation) -> Outcome:
    """DNS001 over every map entry and every view."""
    findings: list[Finding] = []
    errors: list[str] = []
    rows: list[tuple[str, ...]] = []
    for record in obs.expected:
        failed: list[tuple[str, Comparison]] = []
        for view in obs.views:
            answer = view.answers.get((record.name, record.rdtype))
            comp = compare(record, answer, domain=obs.domain)
            row = (record.name, record.rdtype, ", ".join(record.values), comp.live,
                   comp.verdict.value)
            rows.append((*row, view.source) if obs.authoritative else row)
            if comp.verdict in (Verdict.MISSING, Verdict.DIFFERENT):
                failed.append((view.source, comp))
            elif comp.verdict is Verdict.TEMPERROR:
                errors.append(f"{view.source}: " + (temp_reason(answer) if answer is not None
                                                    else f"{record.name} {record.rdtype}"))
        if failed:
            findings.append(_finding(record, failed, len(obs.views), obs.domain))
    if obs.ns_problem:
        errors.append(obs.ns_problem)
    columns = ("name", "type", "expected", "live", "verdict")
    table = Table(title="DNS record map vs live",
                  columns=(*columns, "source") if obs.authoritative else columns,
                  rows=tuple(rows), kind=TableKind.DNS_RECORDS)
    out_errors = {"DNS001": f"{TEMPERROR}: " + "; ".join(errors)} if errors else {}
    return Outcome(findings=tuple(findings), tables=(table,) if rows else (), errors=out_errors)


# --- gathering ----------------------------------------------------------------------------------

async def ask_all(lookup: DnsLookup, records: Sequence[ExpectedRecord]
                  ) -> dict[tuple[str, str], DnsAnswer]:
    """Ask every (name, type) of the map once."""
    keys = list(dict.fromkeys((r.name, r.rdtype) for r in records))
    answers = await asyncio.gather(*(lookup.query(n, t) for n, t in keys))
    return dict(zip(keys, answers, strict=True))


class RecordChecks(CheckFamily[RecordObservation]):
    """DNS001: the expected record map against the resolver (and, optionally, every NS)."""

    rule_ids = ("DNS001",)

    def __init__(self, *, authoritative: bool = False, ns_port: int = 53,
                 budget: float | None = None) -> None:
        self.authoritative = authoritative
        self.ns_port = ns_port
        self.budget = budget

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.config.dns is None or not ctx.config.dns.records:
            return "no [dns] records to compare (add [[dns.records]] entries)"
        return None

    async def gather(self, ctx: Context) -> RecordObservation:
        budget = Budget(self.budget or dns_budget(ctx.timeout))
        resolver = BudgetedLookup(ctx.probes.dns, budget, label="resolver")
        records = expected_records(ctx.config)
        domain = ctx.config.app.domain
        views = [RecordView(source="resolver", answers=await ask_all(resolver, records))]
        problem: str | None = None
        if self.authoritative:
            if not domain:
                problem = "authoritative mode needs [app] domain (the zone to ask NS of)"
            else:
                ns = await resolver.query(domain, "NS")
                if ns.status.is_temporary:
                    problem = f"NS of {domain}: {temp_reason(ns)}"
                elif not ns.records:
                    problem = f"{domain} has no NS records ({ns.status.value})"
                else:
                    found, failed = await nameserver_views(
                        resolver, [norm_name(n) for n in ns.records], port=self.ns_port,
                        budget=budget, timeout=probe_timeout(ctx.timeout))
                    if failed:
                        problem = "address of " + "; ".join(temp_reason(a) for a in failed)
                    elif not found:
                        problem = (f"no nameserver of {domain} has an address "
                                   f"({', '.join(ns.records)})")
                    answered = await asyncio.gather(*(ask_all(v.lookup, records)
                                                      for v in found))
                    views.extend(RecordView(source=v.lookup.label, answers=a)
                                 for v, a in zip(found, answered, strict=True))
        return RecordObservation(domain=domain, expected=records, views=tuple(views),
                                 authoritative=self.authoritative, ns_problem=problem)

    def evaluate(self, obs: RecordObservation, ctx: Context) -> Outcome:
        return evaluate_records(obs)
