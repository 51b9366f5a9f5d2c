"""DNS probe: asks the configured resolver, keeping every failure kind distinct.

Timeouts and SERVFAIL ("could not check") are never folded into NXDOMAIN/NODATA ("not
published"); callers decide what each means (RFC 7208 §5: temperror vs none).
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from launchready.config.types import parse_resolver


class DnsStatus(enum.StrEnum):
    """How a query ended."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    ERROR = "error"

    @property
    def is_temporary(self) -> bool:
        """True when the answer says nothing about what is published."""
        return self in (DnsStatus.SERVFAIL, DnsStatus.TIMEOUT, DnsStatus.ERROR)


@dataclass(frozen=True, kw_only=True)
class DnsAnswer:
    """One query's outcome. ``records`` are presentation-format strings.

    For TXT (and SPF) records, ``txt`` holds each record's raw character-strings, so callers can
    join split strings and detect undecodable bytes themselves.
    """

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[str, ...] = ()
    txt: tuple[tuple[bytes, ...], ...] = ()
    ttl: int | None = None
    cname_chain: tuple[str, ...] = ()
    error: str | None = None


class DnsProbe:
    """Asynchronous DNS queries through one resolver, with per-query and total timeouts.

    With ``cache=True`` (one audit run) each (name, type) is asked once and every check sees
    the same answer, timeouts included: one run never calls one MX lookup "nxdomain" in one
    check and "timeout" in another. Long-lived users (the monitor) keep ``cache=False``.
    """

    def __init__(self, *, resolver: str | None = None, timeout: float = 5.0,
                 concurrency: int = 32, cache: bool = False) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=resolver is None)
        if resolver is not None:
            addr, port = parse_resolver(resolver)
            self._resolver.nameservers = [addr]
            self._resolver.port = port
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout
        self._resolver.cache = None
        self._timeout = timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._cache: dict[tuple[str, str], asyncio.Task[DnsAnswer]] | None = (
            {} if cache else None)
        self.resolver = resolver

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask for ``rdtype`` records of ``name``; never raises for DNS outcomes."""
        if self._cache is None:
            return await self._ask(name, rdtype)
        key = (name.lower().rstrip(".") or ".", rdtype.upper())
        task = self._cache.get(key)
        if task is None or (task.done() and task.cancelled()):
            task = asyncio.ensure_future(self._ask(name, rdtype))
            self._cache[key] = task
        # shielded: a check that times out must not cancel the lookup other checks share
        answer = await asyncio.shield(task)
        return answer if answer.name == name else _renamed(answer, name)

    async def _ask(self, name: str, rdtype: str) -> DnsAnswer:
        async with self._limit:
            try:
                answer = await self._resolver.resolve(name, rdtype, raise_on_no_answer=False,
                                                      search=False)
            except dns.resolver.NXDOMAIN:
                return DnsAnswer(name=name, rdtype=rdtype, status=DnsStatus.NXDOMAIN)
            except dns.resolver.NoNameservers as exc:
                return DnsAnswer(name=name, rdtype=rdtype, status=DnsStatus.SERVFAIL,
                                 error=str(exc.kwargs.get("errors", "")) or "SERVFAIL")
            except (dns.exception.Timeout, dns.resolver.LifetimeTimeout):
                return DnsAnswer(name=name, rdtype=rdtype, status=DnsStatus.TIMEOUT,
                                 error=f"no answer within {self._timeout:g}s")
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                return DnsAnswer(name=name, rdtype=rdtype, status=DnsStatus.ERROR,
                                 error=type(exc).__name__)
        return _to_answer(name, rdtype, answer)


def _renamed(answer: DnsAnswer, name: str) -> DnsAnswer:
    return DnsAnswer(name=name, rdtype=answer.rdtype, status=answer.status,
                     records=answer.records, txt=answer.txt, ttl=answer.ttl,
                     cname_chain=answer.cname_chain, error=answer.error)


def _to_answer(name: str, rdtype: str, answer: dns.resolver.Answer) -> DnsAnswer:
    wanted = dns.rdatatype.from_text(rdtype)
    chain: list[str] = []
    records: list[str] = []
    txt: list[tuple[bytes, ...]] = []
    ttl: int | None = None
    response = answer.response
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME and wanted != dns.rdatatype.CNAME:
            chain.extend(rd.to_text() for rd in rrset)
            continue
        if rrset.rdtype != wanted:
            continue
        ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
        for rd in rrset:
            records.append(rd.to_text())
            strings = getattr(rd, "strings", None)
            if strings is not None:
                txt.append(tuple(strings))
    status = DnsStatus.OK if records else DnsStatus.NODATA
    return DnsAnswer(name=name, rdtype=rdtype, status=status, records=tuple(records),
                     txt=tuple(txt), ttl=ttl, cname_chain=tuple(chain))


async def addresses_via(dns: DnsProbe, host: str) -> list[str]:
    """IPv4 then IPv6 addresses of ``host`` through ``dns`` (empty when it does not resolve)."""
    a, aaaa = await asyncio.gather(dns.query(host, "A"), dns.query(host, "AAAA"))
    return [*a.records, *aaaa.records]


def _usable(answer: DnsAnswer) -> bool:
    return answer.status in (DnsStatus.OK, DnsStatus.NODATA)


def _said(answer: DnsAnswer) -> str:
    return answer.status.value + (f" ({answer.error})" if answer.error else "")


async def resolver_problem(probe: DnsProbe, domain: str | None) -> str | None:
    """Why the resolver cannot be trusted for this run, or None when it answers.

    Asks the SOA of ``domain``, then of each parent zone up to the TLD, then of the root,
    stopping at the first answer that says the name exists (the SOA, or NODATA for a name
    below a zone apex). The domain's own SOA is what a private test zone or a staging server
    can answer; the root is what every working recursive resolver answers. Only when every
    one of them fails — NXDOMAIN, a timeout, SERVFAIL, REFUSED — is the resolver unusable: an
    NXDOMAIN for the domain from a resolver that also denies its parents and the root proves
    nothing about the domain. An NXDOMAIN for the domain from a resolver that answers for a
    parent or the root is a real answer (the domain does not exist) and the checks report it.
    """
    labels = domain.strip(".").split(".") if domain else []
    names = [".".join(labels[i:]) for i in range(len(labels))] + ["."]
    said: list[str] = []
    for name in names:
        answer = await probe.query(name, "SOA")
        if _usable(answer):
            return None
        said.append(f"{name if name != '.' else 'root'} SOA: {_said(answer)}")
    via = f" {probe.resolver}" if probe.resolver else ""
    shown = said if len(said) <= 2 else [said[0], said[-1]]
    return (f"could not check: resolver{via} unusable ({'; '.join(shown)}); "
            f"set [network] resolver or --resolver to a working resolver")


async def host_problem(host: str, *, probe: DnsProbe | None, timeout: float) -> str | None:
    """Why ``host`` cannot be reached by name, or None when it resolves.

    ``probe`` is the configured resolver (SPEC §8: it answers HTTP's lookups too; the caller
    has checked it with :func:`resolver_problem`); without one the system resolver is asked,
    as the HTTP client will.
    """
    if probe is not None:
        if await addresses_via(probe, host):
            return None
        return f"could not check: host {host} does not resolve (via {probe.resolver})"
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, None)
    except TimeoutError:
        return f"could not check: no answer for {host} from the system resolver in {timeout:g}s"
    except OSError as exc:
        return f"could not check: host {host} does not resolve ({exc.strerror or exc})"
    return None if infos else f"could not check: host {host} does not resolve"
