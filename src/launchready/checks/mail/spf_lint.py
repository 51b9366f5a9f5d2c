"""MAIL001–MAIL007 — is the domain's SPF record present, valid, within limits and strict?

What: for each ``[email] domains`` entry, the TXT record at the domain and at every
``include:``/``redirect=`` target it reaches are fetched as one graph; the record is then walked
in evaluation order (RFC 7208 §4.6.2: terms after ``all`` never run; ``redirect`` only when
there is no ``all``, §6.1), counting DNS-querying terms and void lookups per branch.

* MAIL001 — no ``v=spf1`` record (named when a TXT record almost is one: a leading space,
  ``v=spf10``, no space after ``v=spf1``).
* MAIL002 — more than one ``v=spf1`` record: every check is a permerror (§4.5).
* MAIL003 — the record, or one it includes, is a permerror: syntax error (with the hint when
  split strings were joined without a space, §3.3), non-ASCII bytes (§3.1), an include or
  redirect target without SPF (§5.2, §6.1), an include/redirect loop; also a record over 512
  bytes, which needs TCP or EDNS and fails at some receivers (§3.4; medium).
* MAIL004 — more than 10 include/a/mx/ptr/exists/redirect terms, more than 2 void lookups, or an
  ``mx`` with more than 10 MX names (§4.6.4). Counted over the worst case (nothing matches), as
  receivers hit it for mail that matches late or not at all.
* MAIL005 — the effective ``all`` is ``+all`` (high), ``?all`` or missing (medium), or ``~all``
  (low: softfail is accepted by most receivers unless DMARC enforces).
* MAIL006 / MAIL007 — with ``[email] senders``: a term of the domain's own records (and of
  includes under the same domain) not in the approved list; an approved source missing.

A DNS timeout or SERVFAIL gives "could not check (temperror)" for the rules it affects, never
"no SPF record". Each domain's include tree, with lookups per branch, is a report table.

Why: mail that fails SPF lands in spam or is rejected — the sales follow-up never arrives — and
a permissive record lets anyone send as you.

Fix: publish one record, e.g. ``acme.example. TXT "v=spf1 include:_spf.google.com -all"``.

Pass: ``v=spf1 include:_spf.google.com -all`` with ``senders = ["include:_spf.google.com"]``.
Fail: ``v=spf1 include:_spf.google.com include:mailer.cheap.example ~all`` (MAIL005 low, MAIL006).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.mail.common import NO_DOMAINS, could_not_check, mail_domains
from launchready.email.dmarc import organizational_domain
from launchready.email.spf import MAX_DNS_LOOKUPS, MAX_MX_NAMES, MAX_VOID_LOOKUPS
from launchready.email.spf_parse import (
    MacroString,
    Mechanism,
    MechanismKind,
    Qualifier,
    SpfRecord,
    SpfSyntaxProblem,
    parse_record,
    select_record,
)
from launchready.grammar import plural
from launchready.model import Finding, Severity, Table, TableKind
from launchready.probes.dns import DnsAnswer, DnsProbe, DnsStatus

__all__ = ["SpfChecks", "SpfGraph", "SpfProblem", "SpfWalk", "gather_graph", "walk"]

RULES = ("MAIL001", "MAIL002", "MAIL003", "MAIL004", "MAIL005", "MAIL006", "MAIL007")
MAX_RECORD_BYTES = 512   # RFC 7208 §3.4: keep the answer within one 512-byte UDP message
MAX_DEPTH = MAX_DNS_LOOKUPS + 2   # deeper than this is over the limit whatever else happens
MAX_NAMES = 60           # a bound on names fetched per domain, so DNS time stays bounded
WALK_CAP = 2 * MAX_DNS_LOOKUPS    # stop counting well past the limit (diamonds, long chains)


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _literal(spec: MacroString | None, domain: str) -> str | None:
    """The target of a term when it has no macros; the current domain when it has no spec."""
    if spec is None:
        return domain
    if any(not isinstance(p, str) for p in spec.parts):
        return None
    return _key(spec.text) or None


# --- gather --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class SpfGraph:
    """Every DNS answer the lint needs for one domain, keyed by lower-case name."""

    domain: str
    txt: Mapping[str, DnsAnswer]
    hosts: Mapping[tuple[str, str], DnsAnswer] = field(default_factory=dict)


def _parsed(answer: DnsAnswer | None) -> SpfRecord | None:
    if answer is None or answer.status is not DnsStatus.OK:
        return None
    selection = select_record(answer.txt)
    if selection.record is None:
        return None
    parsed = parse_record(selection.record)
    return parsed if isinstance(parsed, SpfRecord) else None


def _host_queries(record: SpfRecord, domain: str) -> Iterator[tuple[str, str]]:
    for mechanism in record.mechanisms:
        target = _literal(mechanism.domain, domain)
        if target is None:
            continue
        if mechanism.kind is MechanismKind.A:
            yield target, "A"
            yield target, "AAAA"
        elif mechanism.kind is MechanismKind.MX:
            yield target, "MX"
        elif mechanism.kind is MechanismKind.EXISTS:
            yield target, "A"


def _children(record: SpfRecord, domain: str) -> Iterator[str]:
    for mechanism in record.mechanisms:
        if mechanism.kind is MechanismKind.INCLUDE:
            target = _literal(mechanism.domain, domain)
            if target is not None:
                yield target
    if record.redirect is not None and not record.has_all:
        target = _literal(record.redirect.value, domain)
        if target is not None:
            yield target


async def gather_graph(dns: DnsProbe, domain: str) -> SpfGraph:
    """Fetch the include/redirect graph of ``domain`` level by level, bounded in size."""
    txt: dict[str, DnsAnswer] = {}
    hosts: dict[tuple[str, str], DnsAnswer] = {}
    level = [_key(domain)]
    depth = 0
    while level and depth <= MAX_DEPTH and len(txt) < MAX_NAMES:
        level = [n for n in dict.fromkeys(level) if n not in txt][:MAX_NAMES - len(txt)]
        answers = await asyncio.gather(*(dns.query(n, "TXT") for n in level))
        wanted: list[tuple[str, str]] = []
        following: list[str] = []
        for name, answer in zip(level, answers, strict=True):
            txt[name] = answer
            record = _parsed(answer)
            if record is None:
                continue
            wanted.extend(q for q in _host_queries(record, name) if q not in hosts)
            following.extend(_children(record, name))
        wanted = list(dict.fromkeys(wanted))
        results = await asyncio.gather(*(dns.query(n, t) for n, t in wanted))
        hosts.update(zip(wanted, results, strict=True))
        level = following
        depth += 1
    return SpfGraph(domain=_key(domain), txt=txt, hosts=hosts)


# --- the pure walk -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class SpfProblem:
    """A permerror (or size problem) found while walking; ``kind`` keeps fingerprints stable."""

    kind: str
    domain: str
    message: str
    temporary: bool = False


@dataclass(frozen=True, kw_only=True)
class TreeRow:
    """One line of the include tree table."""

    depth: int
    label: str
    lookups: int
    voids: int
    note: str = ""


@dataclass
class SpfWalk:
    """Totals, problems and the include tree of one domain's SPF, in evaluation order."""

    domain: str
    record: SpfRecord | None = None
    lookups: int = 0
    voids: int = 0
    problems: list[SpfProblem] = field(default_factory=list)
    rows: list[TreeRow] = field(default_factory=list)
    branches: list[tuple[str, int]] = field(default_factory=list)
    all_term: Mechanism | None = None
    all_domain: str | None = None
    capped: bool = False


_TERM_START = re.compile(rb"^[+\-~?]?(?:include:|ip4:|ip6:|a[:/ ]|a$|mx[:/ ]|mx$|ptr|exists:|all\b"
                         rb"|redirect=|exp=)", re.IGNORECASE)


def _glued_terms(strings: tuple[bytes, ...] | list[bytes]) -> list[str]:
    """Terms formed across a string boundary where a space was evidently forgotten."""
    out = []
    for left, right in itertools.pairwise(strings):
        if not left or not right or left.endswith(b" ") or right.startswith(b" "):
            continue
        if _TERM_START.match(right):
            tail = left.rsplit(b" ", 1)[-1]
            head = right.split(b" ", 1)[0]
            out.append((tail + head).decode("ascii", errors="backslashreplace"))
    return out


def _void(answers: list[DnsAnswer | None]) -> bool:
    """A void lookup (RFC 7208 §4.6.4): NXDOMAIN, or no records of any asked type."""
    present = [a for a in answers if a is not None]
    if not present or any(a.status.is_temporary for a in present):
        return False
    if any(a.status is DnsStatus.NXDOMAIN for a in present):
        return True
    return all(a.status is DnsStatus.NODATA for a in present)


class _Walker:
    def __init__(self, graph: SpfGraph) -> None:
        self.graph = graph
        self.out = SpfWalk(domain=graph.domain)

    def record_of(self, name: str, via: str) -> SpfRecord | None:
        """The parsed record at ``name``, noting why there is none."""
        answer = self.graph.txt.get(name)
        out = self.out
        if answer is None:
            out.capped = True
            return None
        if answer.status.is_temporary:
            out.problems.append(SpfProblem(kind="temperror", domain=name, temporary=True,
                                           message=could_not_check(answer)))
            return None
        selection = (select_record(answer.txt) if answer.status is DnsStatus.OK
                     else None)
        if selection is None or selection.found == 0:
            if via:
                what = "redirect" if via.startswith("redirect") else "include"
                section = "§6.1" if what == "redirect" else "§5.2"
                out.problems.append(SpfProblem(
                    kind=f"{what}-none", domain=name,
                    message=f"{via} points at {name}, which has no SPF record "
                            f"({answer.status}); that is a permerror (RFC 7208 {section})"))
            return None
        if selection.record is None:
            kind = "multiple" if selection.found > 1 else "undecodable"
            if via or kind == "undecodable":
                out.problems.append(SpfProblem(kind=kind, domain=name,
                                               message=f"{name}: {selection.problem}"))
            return None
        strings = next((s for s in answer.txt
                        if b"".join(s) == (selection.raw or b"")), ())
        if len(selection.record.encode()) > MAX_RECORD_BYTES and not via:
            out.problems.append(SpfProblem(
                kind="too-large", domain=name,
                message=f"the SPF record is {len(selection.record.encode())} bytes; over "
                        f"{MAX_RECORD_BYTES} the answer no longer fits one UDP message and "
                        "receivers behind strict resolvers get temperror (RFC 7208 §3.4)"))
        glued = _glued_terms(strings)
        if glued:
            out.problems.append(SpfProblem(
                kind="split", domain=name,
                message=f"{name}: the record is split into {len(strings)} strings, which are "
                        "joined with no space between them (RFC 7208 §3.3), so "
                        f"{', '.join(repr(g) for g in glued)} reads as one term"))
        parsed = parse_record(selection.record)
        if isinstance(parsed, SpfSyntaxProblem):
            hint = ""
            if len(strings) > 1:
                hint = (f" — the record is split into {len(strings)} strings, which are "
                        "joined with no space between them (RFC 7208 §3.3); end each string "
                        "with a space or start the next with one")
            out.problems.append(SpfProblem(kind="syntax", domain=name,
                                           message=f"{name}: {parsed}{hint}"))
            return None
        return parsed

    def visit(self, name: str, via: str, depth: int, path: tuple[str, ...],
              main: bool = True) -> tuple[int, int]:
        """Walk ``name``'s record; returns the (lookups, voids) it and its subtree cost."""
        out = self.out
        record = self.record_of(name, via)
        row_at = len(out.rows)
        out.rows.append(TreeRow(depth=depth, label=via or name, lookups=0, voids=0))
        if record is None:
            note = "not followed: limit already exceeded" if name not in self.graph.txt else \
                "no usable SPF record"
            out.rows[row_at] = TreeRow(depth=depth, label=via or name, lookups=0, voids=0,
                                       note=note)
            return 0, 0
        if depth == 0:
            out.record = record
        lookups = voids = 0
        matched_all = False
        for mechanism in record.mechanisms:
            if out.lookups > WALK_CAP:
                out.capped = True
                break
            if mechanism.kind is MechanismKind.ALL:
                if main:  # only the record's own chain of redirects decides (RFC 7208 §6.1)
                    out.all_term, out.all_domain = mechanism, name
                matched_all = True
                break  # §4.6.2: all always matches; later terms never run
            if not mechanism.kind.queries_dns:
                continue
            out.lookups += 1
            lookups += 1
            target = _literal(mechanism.domain, name)
            if mechanism.kind is MechanismKind.INCLUDE:
                sub = self.follow(mechanism.text, target, depth, path, main=False)
                lookups += sub[0]
                voids += sub[1]
                continue
            if depth == 0:
                out.branches.append((mechanism.text, 1))
            voids += self.host_terms(mechanism, target, name, depth)
        if record.redirect is not None and not matched_all and not record.has_all:
            out.lookups += 1
            lookups += 1
            target = _literal(record.redirect.value, name)
            sub = self.follow(record.redirect.text, target, depth, path, main=main)
            lookups += sub[0]
            voids += sub[1]
        # an include/redirect row counts the term itself plus everything below it
        out.rows[row_at] = TreeRow(depth=depth, label=via or name,
                                   lookups=lookups + (1 if via else 0), voids=voids,
                                   note=record.text if depth == 0 else "")
        return lookups, voids

    def follow(self, term: str, target: str | None, depth: int,
               path: tuple[str, ...], *, main: bool) -> tuple[int, int]:
        out = self.out
        if target is None:
            out.rows.append(TreeRow(depth=depth + 1, label=term, lookups=0, voids=0,
                                    note="target uses macros: not followed"))
            return 0, 0
        if target in path:
            chain = " → ".join((*path, target))
            kind = "redirect" if term.lower().startswith("redirect") else "include"
            out.problems.append(SpfProblem(kind="loop", domain=target,
                                           message=f"{kind} loop {chain} (RFC 7208 §4.6.4)"))
            out.rows.append(TreeRow(depth=depth + 1, label=term, lookups=0, voids=0,
                                    note="loop"))
            return 0, 0
        if depth == 0:
            before = out.lookups
            sub = self.visit(target, term, depth + 1, (*path, target), main)
            out.branches.append((term, 1 + out.lookups - before))
            return sub
        return self.visit(target, term, depth + 1, (*path, target), main)

    def host_terms(self, mechanism: Mechanism, target: str | None, name: str,
                   depth: int) -> int:
        """Void lookups of an a/mx/exists/ptr term (ptr is never judged void here)."""
        out = self.out
        if target is None or mechanism.kind is MechanismKind.PTR:
            return 0
        hosts = self.graph.hosts
        voids = 0
        if mechanism.kind is MechanismKind.MX:
            answer = hosts.get((target, "MX"))
            if answer is not None and answer.status is DnsStatus.OK \
                    and len(answer.records) > MAX_MX_NAMES:
                out.problems.append(SpfProblem(
                    kind="mx-names", domain=name,
                    message=f"{mechanism.text} in {name}: {target} has "
                            f"{len(answer.records)} MX names; RFC 7208 §4.6.4 allows "
                            f"{MAX_MX_NAMES} per mx term"))
            voids = int(_void([answer]))
        elif mechanism.kind is MechanismKind.A:
            voids = int(_void([hosts.get((target, "A")), hosts.get((target, "AAAA"))]))
        else:
            voids = int(_void([hosts.get((target, "A"))]))
        if voids:
            out.voids += voids
            out.rows.append(TreeRow(depth=depth + 1, label=f"{mechanism.text} ({name})", lookups=1,
                                    voids=1, note="void lookup: the name does not exist"))
        return voids


def walk(graph: SpfGraph) -> SpfWalk:
    """Walk the graph from its domain; pure."""
    walker = _Walker(graph)
    walker.visit(graph.domain, "", 0, (graph.domain,))
    return walker.out


# --- evaluation ----------------------------------------------------------------------------------

_NEAR_MISS = re.compile(rb"^\s*v\s*=\s*spf", re.IGNORECASE)


def _near_misses(answer: DnsAnswer) -> list[str]:
    out = []
    for strings in answer.txt:
        raw = b"".join(strings)
        if _NEAR_MISS.match(raw):
            out.append(raw[:80].decode("ascii", errors="backslashreplace"))
    return out


def _near_miss_reason(text: str) -> str:
    if text[:1].isspace():
        return "it starts with a space"
    head = text.split(" ", 1)[0]
    if head.lower() != "v=spf1":
        return f"its version is {head!r}, not exactly 'v=spf1'"
    return "'v=spf1' is not followed by a space"


@dataclass(frozen=True, kw_only=True)
class SpfObservation:
    """The graphs of every checked domain."""

    graphs: tuple[SpfGraph, ...]


class SpfChecks(CheckFamily[SpfObservation]):
    """MAIL001–MAIL007 for each configured mail domain."""

    rule_ids = RULES

    def skip_reason(self, ctx: Context) -> str | None:
        return None if mail_domains(ctx) else NO_DOMAINS

    async def gather(self, ctx: Context) -> SpfObservation:
        graphs = await asyncio.gather(*(gather_graph(ctx.probes.dns, d)
                                        for d in mail_domains(ctx)))
        return SpfObservation(graphs=tuple(graphs))

    def evaluate(self, obs: SpfObservation, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        tables: list[Table] = []
        errors: dict[str, list[str]] = {}
        senders = ctx.config.email.senders if ctx.config.email else []
        for graph in obs.graphs:
            got, table, errs = evaluate_domain(graph, senders)
            findings.extend(got)
            if table is not None:
                tables.append(table)
            for rule, reason in errs.items():
                errors.setdefault(rule, []).append(reason)
        return Outcome(findings=tuple(findings), tables=tuple(tables),
                       errors={k: "; ".join(v) for k, v in errors.items()})


def _fix_record(domain: str, record: SpfRecord | None, senders: list[str]) -> str:
    terms = [s.strip() for s in senders if s.strip()]
    if not terms and record is not None:
        terms = [t.text for t in record.mechanisms
                 if t.kind is not MechanismKind.ALL]
    body = " ".join(["v=spf1", *terms, "-all"])
    return f'`{domain}. TXT "{body}"`'


def evaluate_domain(graph: SpfGraph, senders: list[str]
                    ) -> tuple[list[Finding], Table | None, dict[str, str]]:
    """Findings, the include-tree table and rule errors for one domain; pure."""
    domain = graph.domain
    top = graph.txt.get(domain)
    if top is None or top.status.is_temporary:
        reason = could_not_check(top) if top is not None else "could not check: no answer"
        return [], None, dict.fromkeys(RULES, reason)
    findings: list[Finding] = []
    target = domain
    selection = select_record(top.txt) if top.status is DnsStatus.OK else None
    if selection is None or selection.found == 0:
        misses = _near_misses(top) if top.status is DnsStatus.OK else []
        if misses:
            evidence = (f"TXT {domain} has {misses[0]!r}, which receivers do not treat as SPF: "
                        f"{_near_miss_reason(misses[0])} (RFC 7208 §4.5)")
            identity = "near-miss"
        else:
            evidence = (f"no TXT record at {domain} starts with 'v=spf1' "
                        f"(TXT lookup: {top.status}, {plural(len(top.txt), 'record')})")
            identity = "missing"
        findings.append(make_finding(
            meta("MAIL001"), target=target, identity=identity, evidence=evidence,
            impact="Receivers cannot tell your mail servers from forgers, so your mail is "
                   "more likely to land in spam and anyone can send as you.",
            fix=f"Publish one SPF record: {_fix_record(domain, None, senders)}"))
        return findings, None, {}
    if selection.found > 1:
        records = [b"".join(s).decode("ascii", errors="backslashreplace") for s in top.txt
                   if b"".join(s)[:6].lower() == b"v=spf1"]
        findings.append(make_finding(
            meta("MAIL002"), target=target, identity="multiple",
            evidence=f"{selection.found} SPF records at {domain}: "
                     + " | ".join(repr(r[:120]) for r in records),
            impact="Every SPF check of your mail is a permerror (RFC 7208 §4.5), so receivers "
                   "treat it as unauthenticated.",
            fix="Merge them into one record and delete the others, e.g. "
                f"{_fix_record(domain, None, senders)}"))
        return findings, None, {}

    result = walk(graph)
    errors: dict[str, str] = {}
    for problem in result.problems:
        if problem.temporary:
            for rule in ("MAIL003", "MAIL004"):
                errors[rule] = f"{problem.message} (include tree incomplete)"
            continue
        findings.append(_permerror_finding(problem, target, domain, senders, result))
    if result.lookups > MAX_DNS_LOOKUPS:
        per = ", ".join(f"{term}: {n}" for term, n in result.branches if n)
        findings.append(make_finding(
            meta("MAIL004"), target=target, identity="lookups",
            evidence=f"{result.lookups}{'+' if result.capped else ''}/{MAX_DNS_LOOKUPS} DNS "
                     f"lookups (RFC 7208 §4.6.4) for mail that matches no earlier term; "
                     f"per branch: {per or 'n/a'}",
            impact="Receivers stop at 10 lookups and return permerror, so mail from the "
                   "senders listed after that point fails SPF.",
            fix="Remove includes you no longer use, replace an include by the ip4:/ip6: ranges "
                "it lists (only for senders with stable addresses), or move a sender to a "
                "subdomain with its own SPF record; keep the total at 10 or fewer."))
    if result.voids > MAX_VOID_LOOKUPS:
        findings.append(make_finding(
            meta("MAIL004"), target=target, identity="voids", title="SPF void lookup limit "
            "exceeded",
            evidence=f"{result.voids}/{MAX_VOID_LOOKUPS} void lookups (names that do not "
                     "exist or have no address): "
                     + ", ".join(r.label for r in result.rows if r.note.startswith("void")),
            impact="Receivers stop after 2 void lookups and return permerror, so your mail "
                   "fails SPF.",
            fix="Remove the terms that name hosts which no longer exist."))
    findings.extend(_all_findings(result, target, domain, senders))
    findings.extend(_sender_findings(result, graph, target, senders))
    return findings, _table(result), errors


def _permerror_finding(problem: SpfProblem, target: str, domain: str, senders: list[str],
                       result: SpfWalk) -> Finding:
    impact = ("Receivers get permerror for every message, so your mail counts as "
              "unauthenticated and DMARC can only pass through DKIM.")
    rule = meta("MAIL003")
    match problem.kind:
        case "too-large":
            return make_finding(rule, target=target, identity="too-large",
                                severity=Severity.MEDIUM, title="SPF record larger than 512 bytes",
                                evidence=problem.message,
                                impact="Receivers whose resolvers cannot fall back to TCP get "
                                       "temperror and may defer or junk your mail.",
                                fix="Shorten it: drop unused terms, replace long ip4: lists by "
                                    "an include of a subdomain record (`include:_spf."
                                    f"{domain}`).")
        case "mx-names":
            return make_finding(meta("MAIL004"), target=target, identity="mx-names",
                                evidence=problem.message, impact=impact,
                                fix="Replace the mx term by ip4:/ip6: ranges or an include.")
        case "loop":
            fix = ("Remove the include or redirect that points back up the chain; each domain "
                   "should appear once on any path.")
        case "include-none" | "redirect-none":
            fix = (f"Remove the term, or publish SPF at {problem.domain} "
                   f"(`{problem.domain}. TXT \"v=spf1 ... -all\"`).")
        case "multiple":
            fix = f"Keep exactly one v=spf1 record at {problem.domain}."
        case "undecodable":
            fix = (f"Re-enter the record at {problem.domain} as plain ASCII (no smart quotes "
                   f"or non-breaking spaces): {_fix_record(domain, result.record, senders)}")
        case _:
            fix = (f"Correct the record at {problem.domain}; a valid one looks like "
                   f"{_fix_record(domain, result.record, senders)}")
    return make_finding(rule, target=target, identity=f"{problem.kind}:{problem.domain}",
                        evidence=problem.message, impact=impact, fix=fix)


def _all_findings(result: SpfWalk, target: str, domain: str,
                  senders: list[str]) -> Iterator[Finding]:
    if result.record is None or result.problems:
        return
    rule = meta("MAIL005")
    fix = f"End the record in -all: {_fix_record(domain, result.record, senders)}"
    term = result.all_term
    if term is None:
        if result.capped:
            return
        yield make_finding(rule, target=target, identity="no-all", severity=Severity.MEDIUM,
                           title="SPF has no all mechanism",
                           evidence=f"'{result.record.text}' has neither all nor redirect, so "
                                    "unmatched senders get neutral (RFC 7208 §4.7)",
                           impact="Forged mail from any other server is not rejected.", fix=fix)
        return
    where = "" if result.all_domain == domain else f" (via {result.all_domain})"
    qualifier = term.qualifier
    if qualifier is Qualifier.PASS:
        yield make_finding(rule, target=target, identity="+all",
                           evidence=f"the record ends in '{term.text}'{where}: every server on "
                                    "the internet passes SPF for this domain",
                           impact="Anyone can send mail that passes SPF as your domain.",
                           fix=fix)
    elif qualifier is Qualifier.NEUTRAL:
        yield make_finding(rule, target=target, identity="?all", severity=Severity.MEDIUM,
                           evidence=f"the record ends in '{term.text}'{where}: unlisted "
                                    "servers get neutral, as if there were no SPF",
                           impact="Forged mail from any other server is not rejected.",
                           fix=fix)
    elif qualifier is Qualifier.SOFTFAIL:
        yield make_finding(rule, target=target, identity="~all", severity=Severity.LOW,
                           title="SPF ends in ~all (softfail)",
                           evidence=f"the record ends in '{term.text}'{where}: mail from "
                                    "unlisted servers is only marked, not refused",
                           impact="Without an enforcing DMARC policy, forged mail is usually "
                                  "still delivered.",
                           fix=fix)


def _normal(term: str) -> str:
    text = term.strip().lower()
    return text[1:] if text[:1] == "+" else text


def _own_terms(result: SpfWalk, graph: SpfGraph) -> list[tuple[str, str]]:
    """(term, where) for mechanisms of the domain's record and of includes under its org."""
    org = organizational_domain(graph.domain)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    queue = [graph.domain]
    approved_cache: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        record = _parsed(graph.txt.get(name))
        if record is None:
            continue
        for mechanism in record.mechanisms:
            if mechanism.kind is MechanismKind.ALL:
                continue
            target = _literal(mechanism.domain, name)
            if (mechanism.kind is MechanismKind.INCLUDE and target is not None
                    and organizational_domain(target) == org and target not in approved_cache):
                queue.append(target)
                out.append((mechanism.text, name))
                continue
            out.append((mechanism.text, name))
        if record.redirect is not None and not record.has_all:
            target = _literal(record.redirect.value, name)
            if target is not None and organizational_domain(target) == org:
                queue.append(target)
    return out


def _sender_findings(result: SpfWalk, graph: SpfGraph, target: str,
                     senders: list[str]) -> Iterator[Finding]:
    if not senders or result.record is None:
        return
    approved = {_normal(s) for s in senders if s.strip()}
    org = organizational_domain(graph.domain)
    terms = _own_terms(result, graph)
    present = {_normal(t) for t, _ in terms}
    for term, where in terms:
        norm = _normal(term)
        if norm in approved:
            continue
        if norm.startswith("include:") and organizational_domain(norm[8:]) == org:
            continue  # the domain's own sub-record: its terms are judged one by one
        place = "" if where == graph.domain else f" (in {where})"
        yield make_finding(
            meta("MAIL006"), target=target, identity=norm,
            evidence=f"SPF for {graph.domain} authorises '{term}'{place}, which is not in "
                     f"[email] senders ({', '.join(sorted(approved))})",
            impact="Mail sent through that source passes SPF as your domain; if it is an old "
                   "or shared service, others can send as you through it.",
            fix=f"Remove '{term}' from the record ({_fix_record(graph.domain, None, senders)}), "
                f"or add \"{term}\" to [email] senders if you do send through it.")
    for sender in sorted(approved - present):
        yield make_finding(
            meta("MAIL007"), target=target, identity=sender,
            evidence=f"[email] senders lists '{sender}' but the SPF record of {graph.domain} "
                     f"does not include it: '{result.record.text}'",
            impact="Mail from that provider fails SPF and may be rejected or junked.",
            fix=f"Add it before the all term: {_fix_record(graph.domain, None, senders)}")


def _table(result: SpfWalk) -> Table:
    rows = tuple((f"{'  ' * r.depth}{r.label}", str(r.lookups), str(r.voids), r.note)
                 for r in result.rows)
    rows = (*rows, ("total", f"{result.lookups}/{MAX_DNS_LOOKUPS}",
                    f"{result.voids}/{MAX_VOID_LOOKUPS}", ""))
    return Table(title=f"SPF include tree — {result.domain}",
                 columns=("term", "DNS lookups", "void lookups", "note"), rows=rows,
                 kind=TableKind.SPF_TREE, subject=result.domain)
