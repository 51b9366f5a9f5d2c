"""SPF processing limits, loops and failure kinds against a real local DNS server.

RELIABILITY 46-48 (lookup limit, void limit, loops) and 49-50 (record selection, temperror vs
none), through check_host() over a ZoneServer on 127.0.0.1 and the real DnsProbe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from launchready.demo.dnsserver import Records, ZoneServer
from launchready.email.spf import SpfResult, SpfStatus, check_host, parse_record, select_record
from launchready.email.spf_parse import SpfRecord, SpfSyntaxProblem
from launchready.probes.dns import DnsProbe

CLIENT = "198.51.100.7"
ELSEWHERE = "192.0.2.99"  # an address no host in the zone has

HOSTS: Records = {f"h{n}.example": [("A", f"192.0.2.{n}")] for n in range(1, 13)}

ZONE: Records = {
    **HOSTS,
    "mx.example": [("MX", "10 h1.example"), ("MX", "20 h2.example"), ("MX", "30 h3.example")],
    "inner.example": [("TXT", "v=spf1 a:h9.example")],
    # RELIABILITY 46: exactly 10 DNS-querying terms (7 a + mx + include + the a inside it);
    # ip4/ip6/all do not count, and mx counts once for its three address lookups.
    "ten.example": [("TXT", "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 ip4:203.0.114.1 "
                            + " ".join(f"a:h{n}.example" for n in range(1, 8))
                            + f" mx:mx.example include:inner.example ip4:{CLIENT} -all")],
    "eleven.example": [("TXT", "v=spf1 "
                               + " ".join(f"a:h{n}.example" for n in range(1, 9))
                               + f" mx:mx.example include:inner.example ip4:{CLIENT} -all")],
    "ips.example": [("TXT", "v=spf1 " + " ".join(f"ip4:203.0.113.{n}" for n in range(40))
                            + " ip6:2001:db8::1 a:h1.example " + f"ip4:{CLIENT} -all")],
    "mx10.example": [("MX", f"{n} h{n}.example") for n in range(1, 11)],
    "mx11.example": [("MX", f"{n} h{n}.example") for n in range(1, 12)],
    "tenmx.example": [("TXT", f"v=spf1 mx:mx10.example ip4:{CLIENT} -all")],
    "elevenmx.example": [("TXT", f"v=spf1 mx:mx11.example ip4:{CLIENT} -all")],
    # RELIABILITY 47: void lookups (NXDOMAIN or an empty answer).
    "nodata.example": [("A", "192.0.2.200")],
    "twovoid.example": [("TXT", f"v=spf1 a:nx1.example mx:nodata.example ip4:{CLIENT} -all")],
    "threevoid.example": [("TXT", "v=spf1 a:nx1.example mx:nodata.example exists:nx3.example "
                                  f"ip4:{CLIENT} -all")],
    "voidinner.example": [("TXT", "v=spf1 a:nx1.example a:nx2.example")],
    "voidouter.example": [("TXT", f"v=spf1 include:voidinner.example ip4:{CLIENT} -all")],
    "voidover.example": [("TXT", "v=spf1 include:voidinner.example a:nx3.example "
                                 f"ip4:{CLIENT} -all")],
    # RELIABILITY 48: loops and deep chains.
    "self.example": [("TXT", "v=spf1 include:SELF.example. -all")],
    "a.example": [("TXT", "v=spf1 include:b.example -all")],
    "b.example": [("TXT", "v=spf1 include:a.example -all")],
    "r1.example": [("TXT", "v=spf1 ip4:203.0.113.1 redirect=r2.example")],
    "r2.example": [("TXT", "v=spf1 redirect=r1.example")],
    "twice.example": [("TXT", "v=spf1 include:inner.example include:inner.example -all")],
    **{f"c{n}.example": [("TXT", f"v=spf1 include:c{n + 1}.example -all")] for n in range(25)},
    "c25.example": [("TXT", f"v=spf1 ip4:{CLIENT} -all")],
    **{f"d{n}.example": [("TXT", f"v=spf1 redirect=d{n + 1}.example")] for n in range(25)},
    "d25.example": [("TXT", f"v=spf1 ip4:{CLIENT} -all")],
    # RELIABILITY 49: record selection.
    "multi.example": [("TXT", "v=spf1 -all"), ("TXT", "V=SPF1 +all")],
    "leading.example": [("TXT", " v=spf1 -all")],
    "spf10.example": [("TXT", "v=spf10 -all")],
    "split.example": [("TXT", [f"v=spf1 ip4:{CLIENT}", " -all"])],
    "rawbytes.example": [("TXT", [b"v=spf1 ip4:198.51.100.7 \xff-all"])],
    "othertxt.example": [("TXT", [b"\xff\xfe not ours"]), ("TXT", f"v=spf1 ip4:{CLIENT} -all")],
    "long.example": [("TXT", "v=spf1 " + " ".join(f"ip4:203.0.113.{n}" for n in range(60))
                             + f" ip4:{CLIENT} -all")],
    # RELIABILITY 50: failure kinds.
    "servfail.example": [("SERVFAIL", True)],
    "timeout.example": [("TIMEOUT", True)],
    "incservfail.example": [("TXT", "v=spf1 include:servfail.example -all")],
    "amxtimeout.example": [("TXT", "v=spf1 mx:timeout.example -all")],
    "helo.example": [("TXT", f"v=spf1 ip4:{CLIENT} -all")],
    "exp.example": [("TXT", "v=spf1 -all exp=why.exp.example")],
    "why.exp.example": [("TXT", "%{i} may not send for %{d} (%{l}@%{o}) via %{r}")],
}


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ZoneServer(ZONE)
    with server.serve_in_thread() as (_host, bound):
        yield bound


def spf(port: int, domain: str, *, ip: str = CLIENT, sender: str | None = None,
        helo: str | None = None, timeout: float = 0.5, deadline: float = 20.0) -> SpfResult:
    async def run() -> SpfResult:
        probe = DnsProbe(resolver=f"127.0.0.1:{port}", timeout=timeout)
        return await check_host(ip, domain, f"someone@{domain}" if sender is None else sender,
                                resolver=probe, helo=helo, receiver="mx.receiver.example",
                                deadline=deadline)
    return asyncio.run(run())


# -- RELIABILITY 46: the 10-lookup limit ------------------------------------------------------


def test_exactly_ten_lookups_pass(port: int) -> None:
    result = spf(port, "ten.example")
    assert result.result is SpfStatus.PASS, result.problem
    assert result.dns_lookups == 10
    include = next(t for t in result.tree.terms if t.kind == "include")
    assert include.dns_lookups == 2 and include.child is not None
    assert include.child.dns_lookups == 1
    mx = next(t for t in result.tree.terms if t.kind == "mx")
    assert mx.dns_lookups == 1  # its three address lookups are not terms
    assert [t.dns_lookups for t in result.tree.terms if t.kind in ("ip4", "ip6", "all")] == [
        0, 0, 0, 0, 0]


def test_eleven_lookups_permerror(port: int) -> None:
    result = spf(port, "eleven.example")
    assert result.result is SpfStatus.PERMERROR
    assert result.problem is not None and "11/10" in result.problem
    assert "too many DNS lookups" in result.problem
    assert result.dns_lookups == 11


def test_ip4_ip6_all_are_not_counted(port: int) -> None:
    result = spf(port, "ips.example")
    assert result.result is SpfStatus.PASS
    assert result.dns_lookups == 1


def test_mx_with_ten_names_is_evaluated(port: int) -> None:
    result = spf(port, "tenmx.example")
    assert result.result is SpfStatus.PASS
    assert result.dns_lookups == 1


def test_mx_with_eleven_names_permerror(port: int) -> None:
    result = spf(port, "elevenmx.example")
    assert result.result is SpfStatus.PERMERROR
    assert result.problem is not None and "11 MX records" in result.problem


# -- RELIABILITY 47: void lookups ---------------------------------------------------------------


def test_two_void_lookups_ok(port: int) -> None:
    result = spf(port, "twovoid.example")
    assert result.result is SpfStatus.PASS
    assert result.void_lookups == 2
    assert [t.void_lookups for t in result.tree.terms[:2]] == [1, 1]


def test_third_void_lookup_permerror(port: int) -> None:
    result = spf(port, "threevoid.example")
    assert result.result is SpfStatus.PERMERROR
    assert result.problem is not None and "3/2" in result.problem
    assert result.void_lookups == 3


def test_void_lookups_reported_per_include_path(port: int) -> None:
    result = spf(port, "voidouter.example")
    assert result.result is SpfStatus.PASS
    include = result.tree.terms[0]
    assert include.void_lookups == 2
    assert include.child is not None and include.child.void_lookups == 2
    over = spf(port, "voidover.example")
    assert over.result is SpfStatus.PERMERROR
    assert over.problem is not None and "void lookups: 3/2" in over.problem


# -- RELIABILITY 48: loops and depth ------------------------------------------------------------


@pytest.mark.parametrize(("domain", "words"), [
    ("self.example", ("include loop", "self.example → self.example")),
    ("a.example", ("include loop", "a.example → b.example → a.example")),
    ("r1.example", ("redirect loop", "r1.example → r2.example → r1.example")),
], ids=["self-include", "a-b-include", "redirect"])
def test_loops_are_permerror(port: int, domain: str, words: tuple[str, ...]) -> None:
    result = spf(port, domain)
    assert result.result is SpfStatus.PERMERROR
    assert result.problem is not None
    for word in words:
        assert word in result.problem


@pytest.mark.parametrize("first", ["c0.example", "d0.example"], ids=["include", "redirect"])
def test_25_deep_chain_hits_the_lookup_limit(port: int, first: str) -> None:
    result = spf(port, first)  # no RecursionError: depth is bounded by the limit
    assert result.result is SpfStatus.PERMERROR
    assert result.problem is not None and "11/10" in result.problem
    depth, node = 0, result.tree
    while node.children:
        node = node.children[0]
        depth += 1
    assert depth == 10


def test_same_include_twice_is_not_a_loop(port: int) -> None:
    result = spf(port, "twice.example")
    assert result.result is SpfStatus.FAIL
    assert result.dns_lookups == 4


def test_counts_in_json_dict(port: int) -> None:
    data = spf(port, "voidouter.example").to_json_dict()
    assert json.loads(json.dumps(data)) == data
    assert {"result", "explanation", "problem", "dns_lookups", "void_lookups", "tree"} <= set(data)
    assert data["result"] == "pass"
    assert data["dns_lookups"] == 3
    assert data["void_lookups"] == 2
    tree = data["tree"]
    assert isinstance(tree, dict)
    assert tree["domain"] == "voidouter.example"
    terms = tree["terms"]
    assert isinstance(terms, list)
    assert terms[0]["child"]["void_lookups"] == 2


# -- RELIABILITY 49: record selection -----------------------------------------------------------


@pytest.mark.parametrize(("domain", "expected", "problem"), [
    ("multi.example", SpfStatus.PERMERROR, "2 SPF records"),
    ("leading.example", SpfStatus.NONE, "no SPF record"),
    ("spf10.example", SpfStatus.NONE, "no SPF record"),
    ("split.example", SpfStatus.PASS, None),
    ("rawbytes.example", SpfStatus.PERMERROR, "non-ASCII byte 0xFF"),
    ("othertxt.example", SpfStatus.PASS, None),
    ("long.example", SpfStatus.PASS, None),  # > 512 bytes: TC over UDP, retried over TCP
], ids=["multiple", "leading-space", "spf10", "split-strings", "undecodable", "other-txt",
        "over-512-bytes"])
def test_record_selection(port: int, domain: str, expected: SpfStatus,
                          problem: str | None) -> None:
    result = spf(port, domain)
    assert result.result is expected, result.problem
    if problem is not None:
        assert result.problem is not None and problem in result.problem


def test_select_record_pure() -> None:
    assert select_record([(b"v=spf1", b" -all")]).record == "v=spf1 -all"
    assert select_record([(b"v=spf1", b"-all")]).found == 0  # "v=spf1-all": no space
    assert select_record([(b"v=spf1 a",), (b"v=spf1 mx",)]).found == 2
    chosen = select_record([(b"\x96",), (b"v=spf1 -all",)])
    assert chosen.record == "v=spf1 -all"


@pytest.mark.parametrize(("text", "ok"), [
    ("v=spf1 -all", True),
    ("v=spf1 a/24//64 mx:%{d2}.example.com ptr exists:%{ir}.%{v}.x.example ~all", True),
    ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 redirect=_spf.example.com", True),
    ("v=spf1 foo=bar -all", True),
    ("v=spf1 a:111.222.33.44", False),
    ("v=spf1 ip4:192.0.2.1/33", False),
    ("v=spf1 include", False),
    ("v=spf1 exp=a.example exp=b.example", False),
    ("v=spf1 exists:%{r}.example.com", False),
    ("v=spf1 +all moo", False),
], ids=["all", "macros", "ip-redirect", "unknown-modifier", "numeric-toplabel", "cidr33",
        "bare-include", "exp-twice", "exp-only-macro", "unknown-mechanism"])
def test_parse_record_pure(text: str, ok: bool) -> None:
    parsed = parse_record(text)
    assert isinstance(parsed, SpfRecord if ok else SpfSyntaxProblem), parsed


# -- RELIABILITY 50: temperror vs none ----------------------------------------------------------


@pytest.mark.parametrize(("domain", "expected"), [
    ("servfail.example", SpfStatus.TEMPERROR),
    ("timeout.example", SpfStatus.TEMPERROR),
    ("nx.example", SpfStatus.NONE),
    ("nodata.example", SpfStatus.NONE),
    ("incservfail.example", SpfStatus.TEMPERROR),
    ("amxtimeout.example", SpfStatus.TEMPERROR),
], ids=["servfail", "timeout", "nxdomain", "nodata", "include-servfail", "mx-timeout"])
def test_could_not_check_is_not_missing(port: int, domain: str, expected: SpfStatus) -> None:
    result = spf(port, domain)
    assert result.result is expected
    assert result.problem is not None


def test_total_time_is_bounded(port: int) -> None:
    result = spf(port, "timeout.example", timeout=5.0, deadline=0.3)
    assert result.result is SpfStatus.TEMPERROR
    assert result.problem is not None and "longer than 0.3s" in result.problem


def test_empty_sender_checks_helo(port: int) -> None:
    result = spf(port, "ignored.example", sender="", helo="helo.example")
    assert result.result is SpfStatus.PASS
    assert result.domain == "helo.example"
    assert result.sender == "postmaster@helo.example"


def test_explanation_is_expanded(port: int) -> None:
    result = spf(port, "exp.example", sender="alice@exp.example")
    assert result.result is SpfStatus.FAIL
    assert result.explanation == (
        f"{CLIENT} may not send for exp.example (alice@exp.example) via mx.receiver.example")


def test_bad_client_ip_is_a_value_error(port: int) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        spf(port, "ten.example", ip="not-an-ip")
