"""The NSD harness: it starts, answers authoritatively, rejects a broken zone and stops."""

from __future__ import annotations

from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from authdns import ZoneFactory, serve_zones, zone_text

ZONES = {"harness.test": zone_text("harness.test", "ns1 A 127.0.0.1\nwww A 192.0.2.7\n"
                                   'txt TXT "v=spf1 " "-all"')}


def ask(address: tuple[str, int], name: str, rdtype: str) -> dns.message.Message:
    host, port = address
    return dns.query.udp(dns.message.make_query(name, rdtype), host, port=port, timeout=2.0)


def test_fixture_serves_zone_authoritatively(authdns: ZoneFactory) -> None:
    address = authdns(ZONES)
    response = ask(address, "www.harness.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert [rd.to_text() for rd in response.answer[0]] == ["192.0.2.7"]
    assert ask(address, "nope.harness.test", "A").rcode() == dns.rcode.NXDOMAIN
    # the same zones share one server
    assert authdns(ZONES) == address


def test_split_txt_kept_as_strings(authdns: ZoneFactory) -> None:
    response = ask(authdns(ZONES), "txt.harness.test", "TXT")
    assert [rd.strings for rd in response.answer[0]] == [(b"v=spf1 ", b"-all")]


def test_broken_zone_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not load"), \
            serve_zones({"bad.test": "this is not a zone\n"}, tmp_path):
        pass


def test_two_servers_same_port_different_addresses(tmp_path: Path) -> None:
    one = {"pair.test": zone_text("pair.test", "www A 192.0.2.1", serial=1)}
    two = {"pair.test": zone_text("pair.test", "www A 192.0.2.2", serial=2)}
    with serve_zones(one, tmp_path / "a") as first, \
            serve_zones(two, tmp_path / "b", host="127.0.0.2", port=first[1]) as second:
        assert second[1] == first[1]
        assert ask(first, "www.pair.test", "A").answer[0][0].to_text() == "192.0.2.1"
        assert ask(second, "www.pair.test", "A").answer[0][0].to_text() == "192.0.2.2"
    # stopped: nothing answers any more
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query("www.pair.test", "A"), first[0], port=first[1],
                      timeout=0.3)
