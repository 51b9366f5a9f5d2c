"""Check runners: HTTP(S) with expectations, the smoke flow, a DNS record, a TCP port.

Every runner returns a :class:`Outcome` and never raises for a network outcome. Causes are
short and never contain a URL, header or body ("status 503", "timeout after 5s"), so they can
be stored, alerted and shown on a status page. HTTP redirects are followed by hand (at most
``MAX_HOPS``), each hop through the address guard, with credentials dropped on a change of
origin (CVE-2023-32681 class of bug). Bodies are read up to a cap; expectations are judged on
the prefix (RELIABILITY 6).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from launchready.config.expect import Expectation, ResponseFacts, check
from launchready.config.models import Config, MonitorCheck
from launchready.monitor.guard import AddressPolicy, BlockedAddress
from launchready.probes.dns import DnsProbe, DnsStatus
from launchready.probes.http import (
    USER_AGENT,
    HttpProbe,
    Request,
    _MappedResolver,
    follow_redirects,
)
from launchready.probes.trust import ssl_context

MAX_HOPS = 5


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One run's verdict."""

    ok: bool
    latency_ms: float | None = None
    cause: str = ""
    slow: bool = False  # ok, but a time expectation failed: "degraded"
    network: bool = False  # failed before any answer (connect, DNS, timeout)


class _GuardedResolver(AbstractResolver):
    """Resolve, then refuse the whole answer if any address is refused (before connecting)."""

    def __init__(self, inner: AbstractResolver, policy: AddressPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            self._policy.check(result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


def guarded_session(config: Config, policy: AddressPolicy, tls: ssl.SSLContext | None = None,
                    *, shared: bool = False) -> aiohttp.ClientSession:
    """An aiohttp session whose every connection passes ``policy``.

    ``tls`` lets many sessions share one verifying context: building one loads the whole CA
    store (tens of milliseconds and most of a megabyte each), which at thousands of checks
    dominated start-up time and memory. A ``shared`` session serves many checks: it has no
    connection limit, so no check ever waits for another's connection (connections are never
    reused either way: each run opens its own).
    """
    network = config.network
    dns = DnsProbe(resolver=network.resolver) if network.resolver else None
    resolver = _GuardedResolver(_MappedResolver(network.resolve_map(), dns), policy)
    connector = aiohttp.TCPConnector(
        resolver=resolver, ssl=tls or ssl_context(network.ca_bundle),
        limit=0 if shared else 16, limit_per_host=0 if shared else 4,
        use_dns_cache=False, socket_factory=policy.socket_factory, force_close=True)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 headers={"User-Agent": USER_AGENT})


@dataclass
class GuardedHttpProbe(HttpProbe):
    """The shared :class:`HttpProbe` (used by the smoke flow) over a guarded session."""

    config: Config | None = None
    policy: AddressPolicy = field(default_factory=AddressPolicy)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if self.config is None:
                raise RuntimeError("GuardedHttpProbe needs a config")
            self._session = guarded_session(self.config, self.policy)
        return self._session


# getaddrinfo codes that are the resolver's definitive answer (the name has no address)
_DNS_ANSWERED = frozenset(getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA")
                          if hasattr(socket, n))
# connect errors that say nothing came back from the path: no route, link down, or silence
_NO_PATH = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ETIMEDOUT,
                      errno.EHOSTDOWN})


def connect_cause(err: OSError) -> tuple[str, bool]:
    """(short cause, network-level?) for a failed connect: ``connect: connection refused``.

    The text comes from the errno, never from the exception's message (which carries the
    address). A refusal or a reset is an answer from the target's host, so the path works:
    only "no route", "network down" and timeouts are network level."""
    code = err.errno
    reason = os.strerror(code) if isinstance(code, int) and code > 0 else "failed"
    return f"connect: {reason.lower()}", code in _NO_PATH or code is None


def _cause_of(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """(short cause, network-level?) for an exception from a request."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BlockedAddress):
            return str(seen), False
        seen = seen.__cause__ or getattr(seen, "os_error", None) or seen.__context__
        if seen is exc:
            break
    if isinstance(exc, TimeoutError):
        return f"timeout after {timeout:g}s", True
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "tls: certificate not trusted", False
    if isinstance(exc, aiohttp.ClientSSLError):
        return "tls: handshake failed", False
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        # NXDOMAIN / no data is an answer: the resolver was reached
        definitive = exc.os_error.errno in _DNS_ANSWERED
        return "dns: name does not resolve", not definitive
    if isinstance(exc, aiohttp.ClientConnectorError):
        return connect_cause(exc.os_error)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "connection closed without a response", False
    return f"{type(exc).__name__}", isinstance(exc, aiohttp.ClientError | OSError)


def _days_left(resp: aiohttp.ClientResponse) -> float | None:
    if resp.connection is None or resp.connection.transport is None:
        return None
    obj = resp.connection.transport.get_extra_info("ssl_object")
    if not isinstance(obj, ssl.SSLObject):
        return None
    cert = obj.getpeercert()
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return None
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / 86400.0


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap:
            break  # the rest is never read: memory stays flat (RELIABILITY 6)
    return b"".join(chunks)[:cap]


def judge(expectations: list[Expectation], facts: ResponseFacts) -> Outcome:
    """Pure: expectations against one response. Time expectations only make it slow."""
    failed: list[str] = []
    slow = False
    for exp in expectations:
        ok, seen = check(exp, facts)
        if ok:
            continue
        if exp.subject == "time":
            slow = True
        else:
            failed.append(f"expected {exp.source}, saw {seen}")
    if not expectations and (facts.status is None or facts.status >= 400):
        failed.append(f"status {facts.status}")
    if failed:
        return Outcome(ok=False, latency_ms=facts.elapsed_ms, cause="; ".join(failed)[:200])
    return Outcome(ok=True, latency_ms=facts.elapsed_ms, slow=slow)


@dataclass(frozen=True, kw_only=True)
class _Hop:
    """One response of a monitor check: a redirect, or the judged final answer."""

    status: int
    location: str | None = None
    outcome: Outcome | None = None


async def run_http(session: aiohttp.ClientSession, chk: MonitorCheck, *, timeout: float,
                   max_body: int, policy: AddressPolicy) -> Outcome:
    """One HTTP(S) check; redirects go through ``probes.http.follow_redirects`` (the one
    policy: headers, which may hold credentials, stay on the check's origin) and every hop's
    connected address through the guard."""
    headers = {k: v.get_secret_value() for k, v in chk.headers.items()}
    started = time.perf_counter()

    async def send(request: Request) -> _Hop:
        async with session.request(request.method, request.url, headers=dict(request.headers),
                                   allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=None)) as resp:
            transport = resp.connection.transport if resp.connection else None
            peer = transport.get_extra_info("peername") if transport else None
            if peer:
                policy.check(str(peer[0]))  # the connected socket, once more
            location = resp.headers.get("Location")
            if 300 <= resp.status < 400 and location:
                return _Hop(status=resp.status, location=urljoin(request.url, location))
            days = _days_left(resp)
            body = await _read_capped(resp, max_body)
            facts = ResponseFacts(
                status=resp.status, elapsed_ms=_ms(started),
                headers={k.lower(): v for k, v in resp.headers.items()},
                body=body.decode("utf-8", errors="replace"), cert_days_left=days)
            return _Hop(status=resp.status, outcome=judge(list(chk.expect), facts))

    try:
        async with asyncio.timeout(timeout):
            chain = await follow_redirects(send, Request(url=chk.url or "", method=chk.method),
                                           credentials=headers, max_redirects=MAX_HOPS)
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
        cause, network = _cause_of(exc, timeout)
        return Outcome(ok=False, cause=cause, network=network, latency_ms=None)
    if chain.final.outcome is not None:
        return chain.final.outcome
    # causes never name a URL: only why the chain stopped
    cause = ("redirect loop" if chain.loop else f"more than {MAX_HOPS} redirects"
             if chain.capped else "redirect to a non-http(s) URL refused")
    return Outcome(ok=False, cause=cause, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


async def run_flow_check(config: Config, probe: HttpProbe, environ: Mapping[str, str],
                         timeout: float) -> Outcome:
    """The ``[smoke]`` flow as one check: ok when every step did its job."""
    from launchready.smoke.runner import new_run_id, run_flow  # noqa: PLC0415

    if config.smoke is None:
        return Outcome(ok=False, cause="no [smoke] flow configured")
    base = config.smoke.base_url or config.app.canonical
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            result = await run_flow(config.smoke, http=probe, environ=environ,
                                    run_id=new_run_id(), base_url=base)
    except TimeoutError:
        return Outcome(ok=False, cause=f"timeout after {timeout:g}s", network=True)
    elapsed = _ms(started)
    if result.unreachable:
        return Outcome(ok=False, cause="flow: target unreachable", network=True)
    for step in result.steps:
        if step.failed:
            what = (f"status {step.status}" if step.status is not None else "no answer")
            if step.failures:
                what = f"expected {step.failures[0].expectation}, saw {step.failures[0].seen}"
            return Outcome(ok=False, cause=f"step {step.name!r}: {what}"[:200],
                           latency_ms=elapsed, network=step.status is None)
    slow = any(step.slow for step in result.steps)
    return Outcome(ok=True, latency_ms=elapsed, slow=slow)


def _norm(value: str) -> str:
    return value.strip().rstrip(".").lower()


async def run_dns(dns: DnsProbe, chk: MonitorCheck) -> Outcome:
    """A DNS record check: resolves, and matches ``values`` when given (any order)."""
    started = time.perf_counter()
    answer = await dns.query(chk.host or "", chk.record or "A")
    elapsed = _ms(started)
    if answer.status is not DnsStatus.OK:
        return Outcome(ok=False, cause=f"dns {answer.status.value}", latency_ms=elapsed,
                       network=answer.status.is_temporary)
    if chk.values and sorted(map(_norm, answer.records)) != sorted(map(_norm, chk.values)):
        return Outcome(ok=False, cause=f"dns {chk.record} records differ from the expected "
                                       f"values ({len(answer.records)} found)",
                       latency_ms=elapsed)
    return Outcome(ok=True, latency_ms=elapsed)


async def run_tcp(config: Config, chk: MonitorCheck, *, timeout: float,
                  policy: AddressPolicy) -> Outcome:
    """A TCP connect check, through the guard."""
    host, port = chk.host or "", chk.port or 0
    started = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            pinned = config.network.resolve_map().get((host.lower(), port))
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(pinned or host, port, type=1)
            except socket.gaierror as exc:
                return Outcome(ok=False, cause="dns: name does not resolve",
                               network=exc.errno not in _DNS_ANSWERED)
            for info in infos:
                policy.check(str(info[4][0]))
            addr = str(infos[0][4][0])
            _, writer = await asyncio.open_connection(addr, port)
            peer = writer.get_extra_info("peername")
            if peer:
                policy.check(str(peer[0]))
        return Outcome(ok=True, latency_ms=_ms(started))
    except BlockedAddress as exc:
        return Outcome(ok=False, cause=str(exc))
    except TimeoutError:
        return Outcome(ok=False, cause=f"timeout after {timeout:g}s", network=True)
    except OSError as exc:
        cause, network = connect_cause(exc)
        return Outcome(ok=False, cause=cause, network=network)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def utcnow() -> datetime:
    """Wall-clock time in UTC, for stored timestamps only (scheduling uses the monotonic
    clock)."""
    return datetime.now(UTC)
