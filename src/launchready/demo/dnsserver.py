"""A small in-process authoritative DNS server for the demo zone and the test-suite.

``ZoneServer`` answers from a fixed table of records over UDP and TCP on one port, with the
behaviour a real authoritative server has and the failure modes tests need:

- ``NXDOMAIN`` for a name that does not exist, ``NOERROR`` with an empty answer (NODATA) for a
  name that exists with other types or only as an empty non-terminal (RFC 8020);
- the AA flag on every answer, no recursion; a CNAME is followed only within the table
  (RFC 1034 §4.3.2, step 3a), and a CNAME loop ends the chain;
- over UDP, an answer larger than 512 bytes (or the EDNS payload size the client announced) is
  sent empty with TC set, so clients retry over TCP (RFC 1035 §4.2.1, RFC 7766);
- rdata order is kept as given (no shuffling), so tests that depend on order are repeatable.

Records are ``{owner: [(rdtype, value), ...]}``. Values are presentation text for A, AAAA, MX,
CNAME, NS, CAA, PTR, SOA, SRV (relative names are taken as absolute). For TXT and SPF a value is
either one ``str`` (one character-string; split into 255-byte pieces when longer) or a sequence
of ``str``/``bytes``, meaning several character-strings in ONE record, so split records and
undecodable bytes can be served. ``str`` is encoded as UTF-8, ``bytes`` are sent as they are.
An empty sequence is served as one empty string: RFC 1035 §3.3.14 requires at least one.

Two pseudo-types make failures: ``("TIMEOUT", True)`` drops queries for that name, and
``("SERVFAIL", True)`` answers them with SERVFAIL. Either applies only to query types the name
has no records for, so a name can answer TXT and time out on everything else.

No wildcards, zone transfers, DNSSEC or negative-answer SOA records.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.SPF import SPF
from dns.rdtypes.ANY.TXT import TXT

Records = Mapping[str, Sequence[tuple[str, object]]]

_UDP_DEFAULT_LIMIT = 512  # RFC 1035 §4.2.1, without EDNS
_UDP_EDNS_CAP = 4096
_TCP_LIMIT = 65535
_MAX_CHAIN = 16


@dataclass
class _Node:
    rdatas: dict[int, list[dns.rdata.Rdata]] = field(default_factory=dict)
    timeout: bool = False
    servfail: bool = False


@dataclass(frozen=True)
class _Zone:
    nodes: dict[dns.name.Name, _Node]
    empty_non_terminals: frozenset[dns.name.Name]
    ttl: int


def _char_strings(value: object, owner: str) -> list[bytes]:
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    if isinstance(value, bytes):
        return [value[i:i + 255] for i in range(0, len(value), 255)] or [b""]
    if isinstance(value, Sequence):
        strings: list[bytes] = []
        for item in value:
            raw = item.encode("utf-8") if isinstance(item, str) else item
            if not isinstance(raw, bytes):
                raise TypeError(f"{owner}: TXT strings must be str or bytes, "
                                f"not {type(item).__name__}")
            if len(raw) > 255:
                raise ValueError(f"{owner}: one TXT character-string is at most 255 bytes "
                                 f"(RFC 1035 §3.3), got {len(raw)}; split it into several")
            strings.append(raw)
        # RFC 1035 §3.3.14: a TXT record holds one or more strings.
        return strings or [b""]
    raise TypeError(f"{owner}: TXT value must be str, bytes or a sequence of them")


def _make_rdata(rdtype_text: str, value: object, owner: str) -> dns.rdata.Rdata:
    rdtype = dns.rdatatype.from_text(rdtype_text)
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        strings = _char_strings(value, owner)
        cls = TXT if rdtype == dns.rdatatype.TXT else SPF
        return cls(dns.rdataclass.IN, rdtype, strings)
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {rdtype_text} value must be presentation text, "
                        f"got {type(value).__name__}")
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root,
                               relativize=False)


def _compile(records: Records, ttl: int) -> _Zone:
    nodes: dict[dns.name.Name, _Node] = {}
    for owner, entries in records.items():
        name = dns.name.from_text(owner)
        node = nodes.setdefault(name, _Node())
        for rdtype_text, value in entries:
            kind = rdtype_text.upper()
            if kind == "TIMEOUT":
                node.timeout = bool(value)
            elif kind == "SERVFAIL":
                node.servfail = bool(value)
            else:
                rdata = _make_rdata(kind, value, owner)
                node.rdatas.setdefault(rdata.rdtype, []).append(rdata)
    ents: set[dns.name.Name] = set()
    for name in nodes:
        parent = name
        while len(parent) > 1:
            parent = parent.parent()
            if parent not in nodes:
                ents.add(parent)
    return _Zone(nodes=nodes, empty_non_terminals=frozenset(ents), ttl=ttl)


class ZoneServer:
    """Authoritative answers from ``records`` over UDP and TCP; see the module docstring."""

    def __init__(self, records: Records | None = None, *, ttl: int = 300) -> None:
        self._ttl = ttl
        self._zone = _compile(records or {}, ttl)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._address: tuple[str, int] | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        """``(host, port)`` while serving, else ``None``."""
        return self._address

    def set_records(self, records: Records) -> None:
        """Replace every record; queries already being answered see the old or the new table."""
        self._zone = _compile(records, self._ttl)

    # -- answering --------------------------------------------------------------------------

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        """The response to ``query``, or ``None`` when the name is set to time out."""
        zone = self._zone
        response = dns.message.make_response(query, recursion_available=False)
        response.flags |= dns.flags.AA
        response.flags &= ~dns.flags.RA
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        if question.rdclass not in (dns.rdataclass.IN, dns.rdataclass.ANY):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        qtype = question.rdtype
        name = question.name
        seen = {name}
        for _ in range(_MAX_CHAIN):
            node = zone.nodes.get(name)
            if node is None:
                if name not in zone.empty_non_terminals:
                    # RFC 6604: after a CNAME the rcode describes the last name in the chain.
                    response.set_rcode(dns.rcode.NXDOMAIN)
                return response
            if qtype == dns.rdatatype.ANY and node.rdatas:
                for rdtype, present in node.rdatas.items():
                    response.answer.append(_rrset(name, zone.ttl, rdtype, present))
                return response
            rdatas = node.rdatas.get(qtype)
            if rdatas:
                response.answer.append(_rrset(name, zone.ttl, qtype, rdatas))
                return response
            cnames = node.rdatas.get(dns.rdatatype.CNAME)
            if cnames and qtype != dns.rdatatype.CNAME:
                response.answer.append(_rrset(name, zone.ttl, dns.rdatatype.CNAME, cnames))
                target = getattr(cnames[0], "target", None)
                if not isinstance(target, dns.name.Name) or target in seen:
                    return response  # a CNAME loop: hand back the chain, let the client judge
                seen.add(target)
                name = target
                continue
            if node.timeout:
                return None
            if node.servfail:
                response.set_rcode(dns.rcode.SERVFAIL)
                response.answer.clear()
            return response
        return response

    def _wire(self, query: dns.message.Message, *, udp: bool) -> bytes | None:
        response = self.answer(query)
        if response is None:
            return None
        if udp:
            limit = _UDP_DEFAULT_LIMIT
            if query.edns >= 0:
                limit = min(max(query.payload, _UDP_DEFAULT_LIMIT), _UDP_EDNS_CAP)
        else:
            limit = _TCP_LIMIT
        try:
            return response.to_wire(max_size=limit, want_shuffle=False)
        except dns.exception.TooBig:
            # RFC 1035 §4.2.1 / RFC 2181 §9: set TC and send what fits (here: nothing).
            response.flags |= dns.flags.TC
            response.answer.clear()
            response.authority.clear()
            response.additional.clear()
            return response.to_wire(max_size=limit, want_shuffle=False)

    def _handle(self, data: bytes, *, udp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        if query.flags & dns.flags.QR:
            return None
        return self._wire(query, udp=udp)

    # -- serving ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (UDP and TCP, same port; 0 picks a free one)."""
        if self._address is not None:
            raise RuntimeError("ZoneServer is already serving")
        loop = asyncio.get_running_loop()
        last_error: OSError | None = None
        for _ in range(20 if port == 0 else 1):
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(host, port))
            bound_port = int(transport.get_extra_info("sockname")[1])
            try:
                server = await asyncio.start_server(self._serve_tcp, host, bound_port)
            except OSError as exc:  # the TCP side of a free UDP port can be taken
                transport.close()
                last_error = exc
                continue
            self._udp = transport
            self._tcp = server
            self._address = (host, bound_port)
            return self._address
        raise last_error if last_error else OSError("could not bind UDP and TCP on one port")

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._writers):
                writer.close()
            if self._handlers:
                await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._tcp.wait_closed()
            self._tcp = None
        self._address = None

    async def _serve_tcp(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                try:
                    prefix = await reader.readexactly(2)
                    data = await reader.readexactly(int.from_bytes(prefix, "big"))
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                wire = self._handle(data, udp=False)
                if wire is None:
                    continue  # TIMEOUT: keep the connection, never answer this query
                writer.write(len(wire).to_bytes(2, "big") + wire)
                try:
                    await writer.drain()
                except ConnectionError:
                    return
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    @contextlib.contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[tuple[str, int]]:
        """Serve from a private event loop in a background thread; yields ``(host, port)``."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=run, name="zone-server", daemon=True)
        thread.start()
        try:
            ready.wait()
            address = asyncio.run_coroutine_threadsafe(self.start(host, port), loop).result()
            try:
                yield address
            finally:
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.run_until_complete(_cancel_all(asyncio.all_tasks(loop)))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


async def _cancel_all(tasks: set[asyncio.Task[object]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _rrset(name: dns.name.Name, ttl: int, rdtype: int,
           rdatas: Sequence[dns.rdata.Rdata]) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype))
    rrset.update_ttl(ttl)
    for rdata in rdatas:
        rrset.add(rdata)
    return rrset


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: ZoneServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # create_datagram_endpoint always hands a datagram transport to its protocol.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        wire = self._server._handle(data, udp=True)
        if wire is not None and self._transport is not None:
            self._transport.sendto(wire, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors from earlier replies are not ours to act on."""
