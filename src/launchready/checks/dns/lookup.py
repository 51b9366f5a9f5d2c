"""Shared DNS plumbing for the DNS checks: names, a time budget per domain, CNAME walks.

Every DNS family asks its questions through a :class:`BudgetedLookup`: one deadline for the
whole domain (so a resolver that times out on every name cannot stretch a run to minutes), and
one answer per (name, type) however many rules ask. A question asked after the deadline comes
back as a ``timeout`` answer, which the rules report as "could not check (temperror)" — never as
a missing record (RFC 7208 §2.6.6 draws the same line between temperror and none).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from launchready.probes.dns import DnsAnswer, DnsProbe, DnsStatus

#: a CNAME chain longer than this is treated as broken (resolvers give up around 8-16 hops)
MAX_CHAIN = 8
#: the DNS budget per domain is this many query timeouts, capped at BUDGET_CAP seconds
BUDGET_FACTOR = 3.0
BUDGET_CAP = 20.0
TEMPERROR = "could not check (temperror)"


class DnsLookup(Protocol):
    """Anything that answers DNS questions the way :class:`DnsProbe` does."""

    async def query(self, name: str, rdtype: str) -> DnsAnswer: ...


def norm_name(name: str) -> str:
    """Lower case, no trailing dot: the form names are compared and shown in."""
    return name.strip().rstrip(".").lower()


def record_fqdn(name: str, domain: str | None) -> str:
    """The absolute name of a ``[[dns.records]]`` entry: ``@`` is the apex, ``www`` is relative.

    A name ending in a dot, or already ending in the domain, is taken as absolute.
    """
    raw = name.strip()
    apex = norm_name(domain) if domain else ""
    if raw in ("@", "") and apex:
        return apex
    if raw.endswith(".") or not apex:
        return norm_name(raw)
    lowered = norm_name(raw)
    if lowered == apex or lowered.endswith("." + apex):
        return lowered
    return f"{lowered}.{apex}"


def dns_budget(timeout: float) -> float:
    """Seconds of DNS time allowed per domain for a run whose network timeout is ``timeout``."""
    return min(BUDGET_FACTOR * min(timeout, 5.0), BUDGET_CAP)


def probe_timeout(timeout: float) -> float:
    """Per-query timeout of the DNS probes the checks make themselves (authoritative mode)."""
    return min(timeout, 5.0)


def resolver_spec(address: str, port: int) -> str:
    """``ADDR:PORT`` for :class:`DnsProbe`, with IPv6 addresses in brackets."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def describe(answer: DnsAnswer) -> str:
    """Short text for an answer: its values, or what went wrong."""
    if answer.status is DnsStatus.OK:
        return ", ".join(answer.records)
    if answer.status.is_temporary:
        return f"{TEMPERROR}: {answer.status.value}" + (f" ({answer.error})"
                                                        if answer.error else "")
    return answer.status.value


def temp_reason(answer: DnsAnswer) -> str:
    """Why ``answer`` could not be judged, for ``Outcome.errors``."""
    detail = f": {answer.error}" if answer.error else ""
    return f"{answer.name} {answer.rdtype} {answer.status.value}{detail}"


class Budget:
    """One deadline on the running loop's clock, shared by every lookup of a domain."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = asyncio.get_running_loop().time() + seconds

    def remaining(self) -> float:
        """Seconds left (may be negative)."""
        return self.deadline - asyncio.get_running_loop().time()


class BudgetedLookup:
    """Queries through one resolver under a :class:`Budget`; repeated questions share an answer."""

    def __init__(self, probe: DnsLookup, budget: Budget, *, label: str) -> None:
        self._probe = probe
        self._budget = budget
        self._label = label
        self._asked: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = {}

    @property
    def label(self) -> str:
        """Who answers: "resolver" or a nameserver's name and address."""
        return self._label

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """The answer for (``name``, ``rdtype``), or a timeout once the budget is spent."""
        key = (norm_name(name), rdtype.upper())
        task = self._asked.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask(*key))
            self._asked[key] = task
        return await task

    async def _ask(self, name: str, rdtype: str) -> DnsAnswer:
        left = self._budget.remaining()
        spent = DnsAnswer(name=name, rdtype=rdtype, status=DnsStatus.TIMEOUT,
                          error=f"DNS time budget of {self._budget.seconds:g}s used up")
        if left <= 0:
            return spent
        try:
            async with asyncio.timeout(left):
                return await self._probe.query(name, rdtype)
        except TimeoutError:
            return spent


@dataclass(frozen=True, kw_only=True)
class Resolution:
    """A name followed through its CNAME chain to its addresses.

    ``chain`` lists the CNAME targets in order. ``stopped`` is the answer that ended the walk
    early with a temporary failure; ``loop`` is set when a target repeats or the chain is longer
    than :data:`MAX_CHAIN`. ``exists`` is False when the last name is NXDOMAIN.
    """

    name: str
    chain: tuple[str, ...] = ()
    exists: bool = True
    a: DnsAnswer | None = None
    aaaa: DnsAnswer | None = None
    stopped: DnsAnswer | None = None
    loop: bool = False

    @property
    def final(self) -> str:
        """The last name of the chain (the name itself without a CNAME)."""
        return self.chain[-1] if self.chain else self.name

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every A and AAAA value, normalised."""
        out: list[str] = []
        for answer in (self.a, self.aaaa):
            if answer is not None and answer.status is DnsStatus.OK:
                out.extend(norm_address(v) for v in answer.records)
        return tuple(out)

    @property
    def temporary(self) -> DnsAnswer | None:
        """The first temporary failure met on the way, if any."""
        if self.stopped is not None:
            return self.stopped
        for answer in (self.a, self.aaaa):
            if answer is not None and answer.status.is_temporary:
                return answer
        return None

    def path(self) -> str:
        """``name → target → ...`` for evidence."""
        return " → ".join((self.name, *self.chain))


def norm_address(value: str) -> str:
    """An IP address in canonical form (``2001:db8::1``), or the text lower-cased."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value.strip().lower()


async def resolve(lookup: DnsLookup, name: str) -> Resolution:
    """Walk ``name``'s CNAME chain one hop at a time, then ask A and AAAA of the last name.

    The walk is done by hand rather than left to the resolver so that every hop's outcome is
    known (an authoritative server only follows CNAMEs inside its own zones, RFC 1034 §4.3.2).
    """
    current = norm_name(name)
    seen = {current}
    chain: list[str] = []
    for _ in range(MAX_CHAIN + 1):
        answer = await lookup.query(current, "CNAME")
        if answer.status.is_temporary:
            return Resolution(name=norm_name(name), chain=tuple(chain), stopped=answer)
        if answer.status is DnsStatus.NXDOMAIN:
            return Resolution(name=norm_name(name), chain=tuple(chain), exists=False)
        if answer.status is DnsStatus.NODATA or not answer.records:
            break
        target = norm_name(answer.records[0])
        chain.append(target)
        if target in seen or len(chain) > MAX_CHAIN:
            return Resolution(name=norm_name(name), chain=tuple(chain), loop=True)
        seen.add(target)
        current = target
    a, aaaa = await asyncio.gather(lookup.query(current, "A"), lookup.query(current, "AAAA"))
    exists = DnsStatus.NXDOMAIN not in (a.status, aaaa.status)
    return Resolution(name=norm_name(name), chain=tuple(chain), exists=exists, a=a, aaaa=aaaa)


@dataclass(frozen=True, kw_only=True)
class NameserverView:
    """One authoritative server of the zone, reached directly."""

    ns: str
    address: str
    lookup: BudgetedLookup


async def nameserver_views(lookup: DnsLookup, ns_names: Sequence[str], *, port: int,
                           budget: Budget, timeout: float
                           ) -> tuple[tuple[NameserverView, ...], tuple[DnsAnswer, ...]]:
    """A lookup per address of every NS name; also the address answers that failed."""
    answers = await asyncio.gather(*(lookup.query(ns, rdtype) for ns in ns_names
                                     for rdtype in ("A", "AAAA")))
    views: list[NameserverView] = []
    failed: list[DnsAnswer] = []
    for answer in answers:
        if answer.status.is_temporary:
            failed.append(answer)
            continue
        for value in answer.records:
            address = norm_address(value)
            probe = DnsProbe(resolver=resolver_spec(address, port), timeout=timeout)
            views.append(NameserverView(
                ns=answer.name, address=address,
                lookup=BudgetedLookup(probe, budget, label=f"{answer.name} ({address})")))
    return tuple(views), tuple(failed)
