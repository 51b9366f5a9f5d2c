"""The in-process authoritative DNS server, queried over real UDP and TCP sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from launchready.demo.dnsserver import Records, ZoneServer
from launchready.probes.dns import DnsAnswer, DnsProbe, DnsStatus

LONG = "v=spf1 " + " ".join(f"ip4:203.0.113.{n}" for n in range(60)) + " -all"

ZONE: Records = {
    "example.test": [("A", "192.0.2.1"), ("MX", "10 mail.example.test"),
                     ("TXT", "v=spf1 mx -all"), ("TXT", "hello world")],
    "mail.example.test": [("A", "192.0.2.2"), ("AAAA", "2001:db8::2")],
    "deep.sub.example.test": [("A", "192.0.2.3")],
    "split.example.test": [("TXT", ["v=spf1 ", "ip4:192.0.2.1", " -all"])],
    "empty.example.test": [("TXT", [])],
    "raw.example.test": [("TXT", [b"\xef\xbb\xbfv=spf1", b"\xff\x00\x96"])],
    "long.example.test": [("TXT", LONG)],
    "slow.example.test": [("TXT", "v=spf1 -all"), ("TIMEOUT", True)],
    "broken.example.test": [("SERVFAIL", True)],
    "alias.example.test": [("CNAME", "example.test.")],
    "loop1.example.test": [("CNAME", "loop2.example.test.")],
    "loop2.example.test": [("CNAME", "loop1.example.test.")],
    "ordered.example.test": [("A", f"192.0.2.{n}") for n in (9, 3, 7, 1, 5)],
    "4.3.2.1.in-addr.arpa": [("PTR", "mail.example.test")],
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ZoneServer, int]]:
    zone = ZoneServer(ZONE)
    with zone.serve_in_thread() as (_host, port):
        yield zone, port


def udp(port: int, name: str, rdtype: str, *, timeout: float = 2.0) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port,
                         timeout=timeout)


def tcp(port: int, name: str, rdtype: str) -> dns.message.Message:
    return dns.query.tcp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port,
                         timeout=2.0)


def probe(port: int, name: str, rdtype: str, *, timeout: float = 2.0) -> DnsAnswer:
    async def run() -> DnsAnswer:
        return await DnsProbe(resolver=f"127.0.0.1:{port}", timeout=timeout).query(name, rdtype)
    return asyncio.run(run())


def test_answer_is_authoritative(server: tuple[ZoneServer, int]) -> None:
    response = udp(server[1], "example.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert not response.flags & dns.flags.RA
    assert [rd.to_text() for rd in response.answer[0]] == ["192.0.2.1"]


@pytest.mark.parametrize(("name", "rdtype", "rcode", "count"), [
    ("nothere.example.test", "A", dns.rcode.NXDOMAIN, 0),
    ("example.test", "AAAA", dns.rcode.NOERROR, 0),            # exists with other types
    ("sub.example.test", "A", dns.rcode.NOERROR, 0),           # empty non-terminal (RFC 8020)
    ("EXAMPLE.Test", "MX", dns.rcode.NOERROR, 1),               # names are case-insensitive
], ids=["nxdomain", "nodata", "empty-non-terminal", "case-insensitive"])
def test_nxdomain_vs_nodata(server: tuple[ZoneServer, int], name: str, rdtype: str, rcode: int,
                            count: int) -> None:
    response = udp(server[1], name, rdtype)
    assert response.rcode() == rcode
    assert len(response.answer) == count


def test_probe_sees_nxdomain_and_nodata(server: tuple[ZoneServer, int]) -> None:
    assert probe(server[1], "nothere.example.test", "TXT").status is DnsStatus.NXDOMAIN
    assert probe(server[1], "mail.example.test", "TXT").status is DnsStatus.NODATA


def test_relative_names_are_absolute(server: tuple[ZoneServer, int]) -> None:
    assert probe(server[1], "example.test", "MX").records == ("10 mail.example.test.",)
    assert probe(server[1], "4.3.2.1.in-addr.arpa", "PTR").records == ("mail.example.test.",)


def test_timeout_entry_never_answers(server: tuple[ZoneServer, int]) -> None:
    with pytest.raises(dns.exception.Timeout):
        udp(server[1], "slow.example.test", "A", timeout=0.3)
    answer = probe(server[1], "slow.example.test", "MX", timeout=0.3)
    assert answer.status is DnsStatus.TIMEOUT
    # Types the name has are still answered.
    assert probe(server[1], "slow.example.test", "TXT").status is DnsStatus.OK


def test_servfail(server: tuple[ZoneServer, int]) -> None:
    assert udp(server[1], "broken.example.test", "TXT").rcode() == dns.rcode.SERVFAIL
    assert probe(server[1], "broken.example.test", "TXT").status is DnsStatus.SERVFAIL


def test_split_txt_keeps_strings(server: tuple[ZoneServer, int]) -> None:
    answer = probe(server[1], "split.example.test", "TXT")
    assert answer.txt == ((b"v=spf1 ", b"ip4:192.0.2.1", b" -all"),)


def test_multiple_txt_records(server: tuple[ZoneServer, int]) -> None:
    answer = probe(server[1], "example.test", "TXT")
    assert sorted(answer.txt) == [(b"hello world",), (b"v=spf1 mx -all",)]


def test_empty_txt_is_one_empty_string(server: tuple[ZoneServer, int]) -> None:
    assert probe(server[1], "empty.example.test", "TXT").txt == ((b"",),)


def test_undecodable_bytes_served_raw(server: tuple[ZoneServer, int]) -> None:
    answer = probe(server[1], "raw.example.test", "TXT")
    assert answer.txt == ((b"\xef\xbb\xbfv=spf1", b"\xff\x00\x96"),)


def test_long_txt_truncated_over_udp_and_whole_over_tcp(server: tuple[ZoneServer, int]) -> None:
    assert len(LONG) > 512
    response = udp(server[1], "long.example.test", "TXT")
    assert response.flags & dns.flags.TC
    assert not response.answer
    response = tcp(server[1], "long.example.test", "TXT")
    assert not response.flags & dns.flags.TC
    rdata = response.answer[0][0]
    assert b"".join(rdata.strings).decode() == LONG
    assert all(len(s) <= 255 for s in rdata.strings)
    # A client that retries over TCP on TC (dnspython does) gets the whole record.
    answer = probe(server[1], "long.example.test", "TXT")
    assert b"".join(answer.txt[0]).decode() == LONG


def test_edns_payload_allows_larger_udp(server: tuple[ZoneServer, int]) -> None:
    query = dns.message.make_query("long.example.test", "TXT", use_edns=0, payload=4096)
    response = dns.query.udp(query, "127.0.0.1", port=server[1], timeout=2.0)
    assert not response.flags & dns.flags.TC
    assert response.answer


def test_cname_followed_within_zone(server: tuple[ZoneServer, int]) -> None:
    answer = probe(server[1], "alias.example.test", "TXT")
    assert answer.status is DnsStatus.OK
    assert answer.cname_chain == ("example.test.",)


def test_cname_loop_ends(server: tuple[ZoneServer, int]) -> None:
    response = udp(server[1], "loop1.example.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert {rrset.rdtype for rrset in response.answer} == {dns.rdatatype.CNAME}
    # The client gives up on the chain: "could not check", never "not published".
    assert probe(server[1], "loop1.example.test", "A").status.is_temporary


def test_rdata_order_is_kept(server: tuple[ZoneServer, int]) -> None:
    for _ in range(3):
        assert probe(server[1], "ordered.example.test", "A").records == (
            "192.0.2.9", "192.0.2.3", "192.0.2.7", "192.0.2.1", "192.0.2.5")


def test_set_records_replaces_zone() -> None:
    zone = ZoneServer({"one.test": [("A", "192.0.2.1")]})
    with zone.serve_in_thread() as (_host, port):
        assert probe(port, "one.test", "A").records == ("192.0.2.1",)
        zone.set_records({"two.test": [("A", "192.0.2.2")]})
        assert probe(port, "one.test", "A").status is DnsStatus.NXDOMAIN
        assert probe(port, "two.test", "A").records == ("192.0.2.2",)


def test_async_start_and_stop() -> None:
    async def run() -> tuple[DnsAnswer, tuple[str, int] | None]:
        zone = ZoneServer({"async.test": [("TXT", "hi")]})
        host, port = await zone.start()
        try:
            answer = await DnsProbe(resolver=f"{host}:{port}", timeout=2.0).query(
                "async.test", "TXT")
            reader, writer = await asyncio.open_connection(host, port)  # an idle TCP client
            del reader
        finally:
            await zone.stop()
        writer.close()
        await writer.wait_closed()
        return answer, zone.address
    answer, address = asyncio.run(run())
    assert answer.txt == ((b"hi",),)
    assert address is None


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="at most 255 bytes"):
        ZoneServer({"x.test": [("TXT", [b"x" * 256])]})
    with pytest.raises(TypeError, match="presentation text"):
        ZoneServer({"x.test": [("A", 1234)]})
