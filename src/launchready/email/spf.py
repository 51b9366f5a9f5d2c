"""RFC 7208 ``check_host()``: is this IP allowed to send mail for this domain?

``check_host(ip, domain, sender, resolver=...)`` returns an ``SpfResult``: the RFC result
(pass, fail, softfail, neutral, none, temperror, permerror), the ``exp=`` explanation on fail,
a human ``problem`` for errors, the lookup counts the limits of §4.6.4 apply to, and the whole
evaluation as a frozen tree (record, terms, per-term lookup counts, include/redirect children)
that checks can judge and the CLI can print as JSON.

Limits (RFC 7208 §4.6.4): at most 10 terms that query DNS (include, a, mx, ptr, exists,
redirect) per check, counted as they are evaluated; at most 10 MX names per ``mx`` (more is a
permerror); only the first 10 PTR names per ``ptr`` and ``%{p}``; at most 2 void lookups
(NXDOMAIN or an empty answer) per check. The lookups behind ``%{p}`` and ``exp=`` are not terms
and count toward neither limit. An include or redirect back to a domain already on the
current path is reported as a loop (a permerror) at once, so recursion depth stays bounded by
the lookup limit. DNS timeouts and SERVFAIL give temperror, never none (§2.6.6, §5). The whole
evaluation is bounded in time (``deadline``, 20 s by default, as §4.6.4 suggests).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from launchready.email.spf_macros import (
    IPAddress,
    client_address,
    domain_problem,
    expand,
    ip_macro_values,
    query_name,
    reverse_name,
)
from launchready.email.spf_parse import (
    MacroString,
    Mechanism,
    MechanismKind,
    Modifier,
    Qualifier,
    RecordSelection,
    SpfRecord,
    SpfSyntaxProblem,
    parse_explanation,
    parse_record,
    select_record,
)
from launchready.probes.dns import DnsAnswer, DnsStatus

__all__ = [
    "MAX_DNS_LOOKUPS",
    "MAX_MX_NAMES",
    "MAX_VOID_LOOKUPS",
    "RecordSelection",
    "SpfNode",
    "SpfRecord",
    "SpfResolver",
    "SpfResult",
    "SpfStatus",
    "SpfSyntaxProblem",
    "SpfTerm",
    "check_host",
    "parse_record",
    "select_record",
]

MAX_DNS_LOOKUPS = 10   # RFC 7208 §4.6.4
MAX_VOID_LOOKUPS = 2   # RFC 7208 §4.6.4 (SHOULD, default two)
MAX_MX_NAMES = 10      # RFC 7208 §4.6.4
MAX_PTR_NAMES = 10     # RFC 7208 §4.6.4
DEFAULT_DEADLINE = 20.0  # RFC 7208 §4.6.4: allow at least 20 seconds


class SpfStatus(enum.StrEnum):
    """The result of check_host() (RFC 7208 §2.6)."""

    PASS = "pass"  # noqa: S105 - an SPF result, not a password
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


_QUALIFIER_STATUS = {
    Qualifier.PASS: SpfStatus.PASS,
    Qualifier.FAIL: SpfStatus.FAIL,
    Qualifier.SOFTFAIL: SpfStatus.SOFTFAIL,
    Qualifier.NEUTRAL: SpfStatus.NEUTRAL,
}


class SpfResolver(Protocol):
    """What check_host() needs from DNS; ``launchready.probes.dns.DnsProbe`` satisfies it."""

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask for ``rdtype`` records of ``name``; report failures in the answer's status."""
        ...


@dataclass(frozen=True, kw_only=True)
class SpfTerm:
    """One term of a record as evaluated.

    ``dns_lookups``/``void_lookups`` count what this term cost, its include or redirect subtree
    included. ``evaluated`` is False for terms after the first match (and for modifiers other
    than a redirect that was followed).
    """

    text: str
    kind: str
    evaluated: bool = False
    matched: bool | None = None
    target: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0
    note: str | None = None
    child: SpfNode | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "text": self.text,
            "kind": self.kind,
            "evaluated": self.evaluated,
            "matched": self.matched,
            "target": self.target,
            "dns_lookups": self.dns_lookups,
            "void_lookups": self.void_lookups,
            "note": self.note,
            "child": self.child.to_dict() if self.child is not None else None,
        }


@dataclass(frozen=True, kw_only=True)
class SpfNode:
    """One domain's SPF evaluation: its record, its terms, and its result.

    ``dns_lookups``/``void_lookups`` count this record's terms and everything below them.
    """

    domain: str
    record: str | None
    result: SpfStatus
    terms: tuple[SpfTerm, ...] = ()
    problem: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0

    @property
    def children(self) -> tuple[SpfNode, ...]:
        """The include and redirect subtrees, in record order."""
        return tuple(t.child for t in self.terms if t.child is not None)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "domain": self.domain,
            "record": self.record,
            "result": str(self.result),
            "problem": self.problem,
            "dns_lookups": self.dns_lookups,
            "void_lookups": self.void_lookups,
            "terms": [t.to_dict() for t in self.terms],
        }


@dataclass(frozen=True, kw_only=True)
class SpfResult:
    """What check_host() concluded, and how."""

    result: SpfStatus
    domain: str
    sender: str
    ip: str
    explanation: str | None
    problem: str | None
    dns_lookups: int
    void_lookups: int
    tree: SpfNode

    def to_json_dict(self) -> dict[str, object]:
        """The JSON object ``launchready email spf --format json`` prints (SPEC §10)."""
        return {
            "result": str(self.result),
            "explanation": self.explanation,
            "problem": self.problem,
            "domain": self.domain,
            "sender": self.sender,
            "ip": self.ip,
            "dns_lookups": self.dns_lookups,
            "void_lookups": self.void_lookups,
            "tree": self.tree.to_dict(),
        }


async def check_host(ip: str, domain: str, sender: str, *, resolver: SpfResolver,
                     helo: str | None = None, receiver: str = "unknown",
                     now: float | None = None,
                     deadline: float = DEFAULT_DEADLINE) -> SpfResult:
    """Evaluate SPF for ``ip`` sending as ``sender`` from ``domain`` (RFC 7208 §4).

    When ``sender`` is empty (a null reverse-path) the HELO identity is checked instead, as
    ``postmaster@<helo>`` (RFC 7208 §2.3, §2.4). ``helo`` is also the ``%{h}`` macro ("unknown"
    when not given), ``receiver`` the ``%{r}`` macro and ``now`` the ``%{t}`` timestamp (the
    current time when omitted). After ``deadline`` seconds the result is temperror. Raises
    ``ValueError`` when ``ip`` is not an IP address.
    """
    address = client_address(ip)
    sender = sender.strip()
    if sender in ("", "<>"):
        # RFC 7208 §2.4: with a null reverse-path, check "postmaster@" + the HELO domain.
        domain = helo.strip() if helo and helo.strip() else domain
        sender = f"postmaster@{domain}"
    local, at, sender_domain = sender.rpartition("@")
    if not at:
        sender_domain = sender
    if not local:
        # RFC 7208 §4.3: with no local-part, use "postmaster".
        local = "postmaster"
        sender = f"postmaster@{sender_domain}"
    domain = domain.strip()
    if domain.endswith("."):
        domain = domain[:-1]

    problem = domain_problem(domain)
    if problem is not None:
        # RFC 7208 §4.3: a malformed or single-label <domain> gives "none" at once.
        tree = SpfNode(domain=domain, record=None, result=SpfStatus.NONE, problem=problem)
        return SpfResult(result=SpfStatus.NONE, domain=domain, sender=sender, ip=str(address),
                         explanation=None, problem=problem, dns_lookups=0, void_lookups=0,
                         tree=tree)

    check = _Check(resolver=resolver, address=address, sender=sender, local=local,
                   sender_domain=sender_domain, helo=helo, receiver=receiver,
                   now=time.time() if now is None else now)
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    explanation: str | None = None
    try:
        async with asyncio.timeout_at(end):
            tree, exp = await check.evaluate(domain, (_key(domain),))
    except TimeoutError:
        problem = f"SPF evaluation took longer than {deadline:g}s (RFC 7208 §4.6.4)"
        tree = SpfNode(domain=domain, record=None, result=SpfStatus.TEMPERROR, problem=problem,
                       dns_lookups=check.lookups, void_lookups=check.voids)
        exp = None
    if tree.result is SpfStatus.FAIL and exp is not None:
        try:
            async with asyncio.timeout_at(end):
                explanation = await check.explain(exp)
        except TimeoutError:
            explanation = None  # §6.2: any problem with exp= means no explanation
    return SpfResult(result=tree.result, domain=domain, sender=sender, ip=str(address),
                     explanation=explanation, problem=tree.problem, dns_lookups=check.lookups,
                     void_lookups=check.voids, tree=tree)


# -- evaluation ----------------------------------------------------------------------------


def _key(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass(frozen=True)
class _Explanation:
    modifier: Modifier
    domain: str


class _Stop(Exception):
    """Ends the evaluation of one record with a temperror or permerror."""

    def __init__(self, status: SpfStatus, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


@dataclass
class _TermBuilder:
    text: str
    kind: str
    evaluated: bool = False
    matched: bool | None = None
    target: str | None = None
    note: str | None = None
    child: SpfNode | None = None
    lookups: int = 0
    voids: int = 0

    def freeze(self) -> SpfTerm:
        return SpfTerm(text=self.text, kind=self.kind, evaluated=self.evaluated,
                       matched=self.matched, target=self.target, dns_lookups=self.lookups,
                       void_lookups=self.voids, note=self.note, child=self.child)


@dataclass
class _Validated:
    """The PTR-validated names of the client (RFC 7208 §5.5), found once per check."""

    answer: DnsAnswer
    names: tuple[str, ...] = ()


@dataclass
class _Check:
    resolver: SpfResolver
    address: IPAddress
    sender: str
    local: str
    sender_domain: str
    helo: str | None
    receiver: str
    now: float
    lookups: int = 0
    voids: int = 0
    _validated: _Validated | None = field(default=None, repr=False)

    @property
    def ipv4(self) -> bool:
        return isinstance(self.address, ipaddress.IPv4Address)

    # -- counters (RFC 7208 §4.6.4) ---------------------------------------------------------

    def _charge_lookup(self) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_LOOKUPS:
            raise _Stop(SpfStatus.PERMERROR,
                        f"too many DNS lookups: {self.lookups}/{MAX_DNS_LOOKUPS} (RFC 7208 "
                        "§4.6.4 allows 10 include, a, mx, ptr, exists and redirect terms per "
                        "check; flatten includes or drop unused ones)")

    def _charge_void(self, term: _TermBuilder, answer: DnsAnswer) -> None:
        # §4.6.4: a "void lookup" is an answer with no records, or NXDOMAIN.
        self.voids += 1
        term.note = f"void lookup ({answer.rdtype} {answer.name}: {answer.status})"
        if self.voids > MAX_VOID_LOOKUPS:
            raise _Stop(SpfStatus.PERMERROR,
                        f"too many void lookups: {self.voids}/{MAX_VOID_LOOKUPS} (RFC 7208 "
                        f"§4.6.4; the last was {answer.rdtype} {answer.name}: {answer.status}); "
                        "remove terms that name hosts which do not exist")

    # -- one record --------------------------------------------------------------------------

    async def evaluate(self, domain: str,
                       path: tuple[str, ...]) -> tuple[SpfNode, _Explanation | None]:
        """check_host() for one domain; ``path`` holds the include/redirect chain so far."""
        lookups0, voids0 = self.lookups, self.voids
        record_text: str | None = None
        builders: list[_TermBuilder] = []

        def node(result: SpfStatus, problem: str | None = None) -> SpfNode:
            return SpfNode(domain=domain, record=record_text, result=result,
                           terms=tuple(b.freeze() for b in builders), problem=problem,
                           dns_lookups=self.lookups - lookups0,
                           void_lookups=self.voids - voids0)

        # RFC 7208 §4.4: look up TXT records only (type SPF is no longer used, §3.1).
        answer = await self.resolver.query(domain, "TXT")
        if answer.status.is_temporary:
            # §4.4: a DNS error other than NXDOMAIN is a temperror.
            return node(SpfStatus.TEMPERROR, _dns_problem(answer)), None
        if answer.status in (DnsStatus.NXDOMAIN, DnsStatus.NODATA):
            return node(SpfStatus.NONE, f"no SPF record at {domain} ({answer.status})"), None
        selection = select_record(answer.txt)
        if selection.found == 0:
            # §4.5: no record starts with "v=spf1".
            return node(SpfStatus.NONE, f"no SPF record at {domain} (no TXT record starts "
                                        "with 'v=spf1')"), None
        if selection.record is None:
            if selection.raw is not None:
                record_text = selection.raw.decode("ascii", errors="backslashreplace")
            return node(SpfStatus.PERMERROR, f"{domain}: {selection.problem}"), None
        record_text = selection.record
        parsed = parse_record(record_text)
        if isinstance(parsed, SpfSyntaxProblem):
            # §4.6: a syntax error anywhere in the record is a permerror, found before any
            # term is evaluated.
            return node(SpfStatus.PERMERROR, f"{domain}: syntax error: {parsed}"), None

        by_term: dict[int, _TermBuilder] = {}
        for term in parsed.terms:
            kind = str(term.kind) if isinstance(term, Mechanism) else term.name
            builder = _TermBuilder(text=term.text, kind=kind)
            builders.append(builder)
            by_term[id(term)] = builder

        own_exp = (_Explanation(parsed.explanation, domain)
                   if parsed.explanation is not None else None)
        try:
            # §4.6.2: mechanisms are evaluated in order; the first match decides.
            for mechanism in parsed.mechanisms:
                builder = by_term[id(mechanism)]
                if await self._mechanism(mechanism, domain, path, builder):
                    return node(_QUALIFIER_STATUS[mechanism.qualifier]), own_exp
            # §6.1: redirect applies only when nothing matched and there is no "all".
            if parsed.redirect is not None and not parsed.has_all:
                builder = by_term[id(parsed.redirect)]
                child, child_exp = await self._redirect(parsed.redirect, domain, path, builder)
                # §6.2: the explanation comes from the redirect target, not from here.
                return node(child.result, child.problem), child_exp
        except _Stop as stop:
            return node(stop.status, stop.problem), None
        # §4.7: nothing matched and no redirect: neutral.
        return node(SpfStatus.NEUTRAL), own_exp

    async def _redirect(self, modifier: Modifier, domain: str, path: tuple[str, ...],
                        term: _TermBuilder) -> tuple[SpfNode, _Explanation | None]:
        with _tally(self, term):
            term.evaluated = True
            self._charge_lookup()  # §4.6.4: redirect counts toward the limit
            target = await self._target(modifier.value, domain, term)
            if target is None:
                raise _Stop(SpfStatus.PERMERROR, f"{domain}: redirect={term.target} is not a "
                                                 f"valid domain name ({term.note}) (RFC 7208 §6.1)")
            self._check_loop("redirect", target, path, term)
            child, child_exp = await self.evaluate(target, (*path, _key(target)))
            term.child = child
            if child.result is SpfStatus.NONE:
                # §6.1: a redirect target without an SPF record is a permerror.
                raise _Stop(SpfStatus.PERMERROR,
                            f"{domain}: redirect={target} has no SPF record (RFC 7208 §6.1)")
            return child, child_exp

    def _check_loop(self, how: str, target: str, path: tuple[str, ...],
                    term: _TermBuilder) -> None:
        if _key(target) in path:
            # An include/redirect back to a domain on the current path never terminates; RFC
            # 7208 §4.6.4 would stop it at the lookup limit, this stops it at once.
            term.note = "loop"
            chain = " → ".join((*path, _key(target)))
            raise _Stop(SpfStatus.PERMERROR, f"{how} loop {chain} (RFC 7208 §4.6.4)")

    # -- mechanisms (RFC 7208 §5) ------------------------------------------------------------

    async def _mechanism(self, mechanism: Mechanism, domain: str, path: tuple[str, ...],
                         term: _TermBuilder) -> bool:
        with _tally(self, term):
            term.evaluated = True
            matched = await self._match(mechanism, domain, path, term)
            term.matched = matched
            return matched

    async def _match(self, mechanism: Mechanism, domain: str, path: tuple[str, ...],
                     term: _TermBuilder) -> bool:
        kind = mechanism.kind
        match kind:
            case MechanismKind.ALL:
                return True  # §5.1
            case MechanismKind.IP4 | MechanismKind.IP6:
                # §5.6: an IPv4 client never matches ip6 and vice versa.
                return mechanism.network is not None and self.address in mechanism.network
            case _:
                pass
        self._charge_lookup()  # §4.6.4: include, a, mx, ptr and exists count
        target = await self._target(mechanism.domain, domain, term)
        match kind:
            case MechanismKind.INCLUDE:
                return await self._include(target, domain, path, term)
            case MechanismKind.A:
                if target is None:
                    return False
                return await self._a(target, mechanism, term)
            case MechanismKind.MX:
                if target is None:
                    return False
                return await self._mx(target, mechanism, term)
            case MechanismKind.PTR:
                return await self._ptr(target, term)
            case MechanismKind.EXISTS:
                if target is None:
                    return False
                return await self._exists(target, term)
        raise AssertionError(kind)  # pragma: no cover

    async def _target(self, spec: MacroString | None, domain: str,
                      term: _TermBuilder) -> str | None:
        """The expanded target name, or None (noted on the term) when it cannot be queried."""
        if spec is None:
            term.target = domain
            return domain
        expanded = await self._expand(spec, domain)
        name, why = query_name(expanded)
        term.target = name if name is not None else expanded
        if name is None:
            term.note = f"not a valid domain name: {why}; treated as non-existent"
        return name

    async def _include(self, target: str | None, domain: str, path: tuple[str, ...],
                       term: _TermBuilder) -> bool:
        if target is None:
            raise _Stop(SpfStatus.PERMERROR, f"{domain}: include:{term.target} is not a valid "
                                             f"domain name ({term.note}) (RFC 7208 §5.2)")
        self._check_loop("include", target, path, term)
        child, _exp = await self.evaluate(target, (*path, _key(target)))  # §6.2: exp ignored
        term.child = child
        # §5.2: pass matches; fail, softfail and neutral do not; errors propagate; "none"
        # inside an include is a permerror.
        match child.result:
            case SpfStatus.PASS:
                return True
            case SpfStatus.FAIL | SpfStatus.SOFTFAIL | SpfStatus.NEUTRAL:
                return False
            case SpfStatus.TEMPERROR:
                raise _Stop(SpfStatus.TEMPERROR, child.problem or f"include:{target} temperror")
            case SpfStatus.PERMERROR:
                raise _Stop(SpfStatus.PERMERROR, child.problem or f"include:{target} permerror")
            case SpfStatus.NONE:
                raise _Stop(SpfStatus.PERMERROR,
                            f"{domain}: include:{target} has no SPF record (RFC 7208 §5.2: "
                            "'none' inside an include is a permerror)")

    async def _addresses(self, name: str, term: _TermBuilder, *,
                         void_counts: bool) -> list[IPAddress] | None:
        """A or AAAA records of ``name`` by client family; None when the lookup was void."""
        rdtype = "A" if self.ipv4 else "AAAA"
        answer = await self.resolver.query(name, rdtype)
        if answer.status.is_temporary:
            # §5: a DNS error while evaluating a mechanism is a temperror.
            raise _Stop(SpfStatus.TEMPERROR, _dns_problem(answer))
        if answer.status is not DnsStatus.OK:
            if void_counts:
                self._charge_void(term, answer)
            return None
        return _parse_addresses(answer.records)

    async def _a(self, target: str, mechanism: Mechanism, term: _TermBuilder) -> bool:
        # §5.3: match if the client is in <address>/<cidr> for any A/AAAA of the target.
        addresses = await self._addresses(target, term, void_counts=True)
        return addresses is not None and self._in_any(addresses, mechanism)

    async def _mx(self, target: str, mechanism: Mechanism, term: _TermBuilder) -> bool:
        # §5.4: look up MX, then the addresses of each exchange.
        answer = await self.resolver.query(target, "MX")
        if answer.status.is_temporary:
            raise _Stop(SpfStatus.TEMPERROR, _dns_problem(answer))
        if answer.status is not DnsStatus.OK:
            self._charge_void(term, answer)  # §5.4/4: no implicit MX, no fallback to A
            return False
        if len(answer.records) > MAX_MX_NAMES:
            # §4.6.4: an mx may not cause more than 10 address lookups; beyond: permerror.
            raise _Stop(SpfStatus.PERMERROR,
                        f"mx:{target} has {len(answer.records)} MX records; RFC 7208 §4.6.4 "
                        f"allows at most {MAX_MX_NAMES} per mx mechanism")
        exchanges = [_mx_exchange(record) for record in answer.records]
        term.note = f"{len(exchanges)} MX name(s)"
        for exchange in exchanges:
            if not exchange:
                continue  # RFC 7505 null MX: no host to look up
            addresses = await self._addresses(exchange, term, void_counts=False)
            if addresses is not None and self._in_any(addresses, mechanism):
                return True
        return False

    async def _ptr(self, target: str | None, term: _TermBuilder) -> bool:
        # §5.5: match if a validated name of the client equals or ends in the target.
        validated = await self._validated_names()
        if validated.answer.status in (DnsStatus.NXDOMAIN, DnsStatus.NODATA):
            self._charge_void(term, validated.answer)
            return False
        if validated.answer.status is not DnsStatus.OK:
            term.note = f"{_dns_problem(validated.answer)}; no match (RFC 7208 §5.5)"
            return False
        if target is None:
            return False
        wanted = _key(target)
        return any(_key(n) == wanted or _key(n).endswith("." + wanted) for n in validated.names)

    async def _exists(self, target: str, term: _TermBuilder) -> bool:
        # §5.7: an A lookup whatever the client's family; any answer matches.
        answer = await self.resolver.query(target, "A")
        if answer.status.is_temporary:
            raise _Stop(SpfStatus.TEMPERROR, _dns_problem(answer))
        if answer.status is not DnsStatus.OK:
            self._charge_void(term, answer)
            return False
        return True

    def _in_any(self, addresses: list[IPAddress], mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ipv4 else mechanism.cidr6
        for address in addresses:
            if address.version != self.address.version:
                continue
            length = prefix if prefix is not None else address.max_prefixlen
            if self.address in ipaddress.ip_network((address, length), strict=False):
                return True
        return False

    async def _validated_names(self) -> _Validated:
        """§5.5: PTR names of the client whose A/AAAA include the client (first 10 only)."""
        if self._validated is not None:
            return self._validated
        answer = await self.resolver.query(reverse_name(self.address), "PTR")
        if answer.status is not DnsStatus.OK:
            # §5.5: a DNS error on the PTR lookup means no match, not a temperror.
            self._validated = _Validated(answer=answer)
            return self._validated
        names: list[str] = []
        rdtype = "A" if self.ipv4 else "AAAA"
        # §4.6.4: records beyond the first 10 PTR names are ignored.
        for record in answer.records[:MAX_PTR_NAMES]:
            name = record.rstrip(".")
            if not name:
                continue
            addresses = await self.resolver.query(name, rdtype)
            if addresses.status is not DnsStatus.OK:
                continue  # §5.5: a DNS error on the address lookup skips that name
            if self.address in _parse_addresses(addresses.records):
                names.append(name)
        self._validated = _Validated(answer=answer, names=tuple(names))
        return self._validated

    # -- macros and explanation --------------------------------------------------------------

    async def _expand(self, spec: MacroString, domain: str) -> str:
        values = {
            "s": self.sender,
            "l": self.local,
            "o": self.sender_domain,
            "d": domain,
            "h": self.helo if self.helo else "unknown",
            "r": self.receiver,
            "t": str(int(self.now)),
            **ip_macro_values(self.address),
        }
        if "p" in spec.letters:
            values["p"] = await self._p_value(domain)
        return expand(spec, values)

    async def _p_value(self, domain: str) -> str:
        # §7.3: prefer <domain> itself, then a subdomain of it, then any validated name;
        # "unknown" when there is none or DNS failed.
        validated = await self._validated_names()
        wanted = _key(domain)
        names = validated.names
        for name in names:
            if _key(name) == wanted:
                return name
        for name in names:
            if _key(name).endswith("." + wanted):
                return name
        return names[0] if names else "unknown"

    async def explain(self, exp: _Explanation) -> str | None:
        """§6.2: fetch and expand the explanation; any problem means no explanation."""
        expanded = await self._expand(exp.modifier.value, exp.domain)
        name, _why = query_name(expanded)
        if name is None:
            return None
        # The exp lookup is not a term lookup: it counts toward neither limit (§4.6.4).
        answer = await self.resolver.query(name, "TXT")
        if answer.status is not DnsStatus.OK or len(answer.txt) != 1:
            return None
        raw = b"".join(answer.txt[0])
        if any(b > 0x7F for b in raw):
            return None  # §6.2: the explanation string is US-ASCII
        text = parse_explanation(raw.decode("ascii"))
        if isinstance(text, SpfSyntaxProblem):
            return None
        return await self._expand(text, exp.domain)


@contextlib.contextmanager
def _tally(check: _Check, term: _TermBuilder) -> Iterator[None]:
    """Record on ``term`` the lookups and void lookups spent inside the block."""
    lookups, voids = check.lookups, check.voids
    try:
        yield
    finally:
        term.lookups = check.lookups - lookups
        term.voids = check.voids - voids


def _dns_problem(answer: DnsAnswer) -> str:
    detail = f": {answer.error}" if answer.error else ""
    return f"{answer.rdtype} lookup for {answer.name} failed ({answer.status}{detail})"


def _parse_addresses(records: tuple[str, ...]) -> list[IPAddress]:
    out: list[IPAddress] = []
    for record in records:
        try:
            out.append(ipaddress.ip_address(record))
        except ValueError:
            continue
    return out


def _mx_exchange(record: str) -> str:
    """The exchange of an MX record's presentation text; "" for a null MX (RFC 7505)."""
    parts = record.split(None, 1)
    exchange = parts[1] if len(parts) == 2 else parts[0] if parts else ""
    return exchange.strip().rstrip(".")
