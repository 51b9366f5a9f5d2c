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
    """Asynchronous DNS queries through one resolver, with per-query and total timeouts."""

    def __init__(self, *, resolver: str | None = None, timeout: float = 5.0,
                 concurrency: int = 32) -> None:
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

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask for ``rdtype`` records of ``name``; never raises for DNS outcomes."""
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
