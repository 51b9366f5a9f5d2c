"""MAIL001–MAIL012, MAIL014 against a real DNS server on 127.0.0.1 (ZoneServer), plus the pure
parsers. Each rule has a passing and a failing domain; bad DNS input gives a finding, never a
traceback; timeouts and SERVFAIL are "could not check (temperror)"."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from launchready.checks import registry
from launchready.checks.mail import (
    DkimChecks,
    DmarcChecks,
    MessageVerification,
    MtaStsChecks,
    MxChecks,
    SpfChecks,
)
from launchready.cli import _common
from launchready.commands.email import add_arguments, run
from launchready.config.models import Config
from launchready.demo.dnsserver import ZoneServer
from launchready.email.dkim import DkimKey, DkimKeyProblem, KeyProblem, parse_key_record
from launchready.email.dmarc import (
    DmarcProblem,
    DmarcRecord,
    aligned,
    organizational_domain,
    parse_record,
)
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report


def _rsa_p(bits: int) -> str:
    if bits < 1024:  # too weak for cryptography to generate; only the size matters here
        key = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 0xABCDEF1).public_key()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


P2048 = _rsa_p(2048)
P1024 = _rsa_p(1024)
P512 = _rsa_p(512)
PED = base64.b64encode(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
GOOD_DMARC = "v=DMARC1; p=reject; rua=mailto:dmarc@{d}"


def _good(domain: str, spf: str = "v=spf1 include:_spf.mail.test -all") -> dict[str, Any]:
    return {
        domain: [("TXT", spf), ("MX", f"10 mx.{domain}.")],
        f"mx.{domain}": [("A", "127.0.0.1")],
        f"_dmarc.{domain}": [("TXT", GOOD_DMARC.format(d=domain))],
        f"sel._domainkey.{domain}": [("TXT", ["v=DKIM1; k=rsa; p=" + P2048[:200],
                                              P2048[200:]])],
    }


def _zone() -> dict[str, list[tuple[str, object]]]:
    zone: dict[str, Any] = {"_spf.mail.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all")],
                            "other.test": [("TXT", "v=spf1 ip4:198.51.100.1 -all")]}
    zone.update(_good("good.test"))
    # SPF cases
    zone.update(_good("nospf.test"))
    zone["nospf.test"] = [("TXT", "google-site-verification=abc"), ("MX", "10 mx.nospf.test.")]
    zone.update(_good("space.test"))
    zone["space.test"] = [("TXT", " v=spf1 -all"), ("MX", "10 mx.space.test.")]
    zone.update(_good("spf10.test", "v=spf10 -all"))
    zone.update(_good("two.test"))
    zone["two.test"] = [("TXT", "v=spf1 -all"), ("TXT", "v=spf1 include:_spf.mail.test -all"),
                        ("MX", "10 mx.two.test.")]
    zone.update(_good("syntax.test", "v=spf1 ip4:300.1.1.1 -all"))
    zone.update(_good("split.test"))
    zone["split.test"] = [("TXT", ["v=spf1 include:_spf.mail.test", "include:other.test -all"]),
                          ("MX", "10 mx.split.test.")]
    zone.update(_good("bytes.test"))
    zone["bytes.test"] = [("TXT", [b"v=spf1 include:_spf.mail.test \xa0-all"]),
                          ("MX", "10 mx.bytes.test.")]
    big = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(1, 40)) + " -all"
    zone.update(_good("big.test", big))
    zone.update(_good("loop.test", "v=spf1 include:a.loop.test -all"))
    zone["a.loop.test"] = [("TXT", "v=spf1 include:b.loop.test -all")]
    zone["b.loop.test"] = [("TXT", "v=spf1 include:a.loop.test -all")]
    zone.update(_good("self.test", "v=spf1 include:self.test -all"))
    zone.update(_good("redir.test", "v=spf1 redirect=r1.redir.test"))
    zone["r1.redir.test"] = [("TXT", "v=spf1 redirect=redir.test")]
    zone.update(_good("mxmany.test", "v=spf1 mx:many.mx.test -all"))
    zone["many.mx.test"] = [("MX", f"{i} m{i}.mx.test.") for i in range(11)]
    zone.update(_good("deep.test", "v=spf1 include:d1.deep.test -all"))
    for i in range(1, 26):
        zone[f"d{i}.deep.test"] = [("TXT", f"v=spf1 include:d{i + 1}.deep.test -all"
                                    if i < 25 else "v=spf1 -all")]
    ten = " ".join(f"a:h{i}.lim.test" for i in range(10))
    zone.update(_good("ten.test", f"v=spf1 {ten} -all"))
    zone.update(_good("eleven.test", f"v=spf1 {ten} a:h10.lim.test -all"))
    for i in range(11):
        zone[f"h{i}.lim.test"] = [("A", "192.0.2.1")]
    zone.update(_good("void2.test", "v=spf1 a:gone1.void.test a:gone2.void.test -all"))
    zone.update(_good("void3.test",
                      "v=spf1 a:gone1.void.test a:gone2.void.test a:gone3.void.test -all"))
    zone.update(_good("plusall.test", "v=spf1 include:_spf.mail.test +all"))
    zone.update(_good("qall.test", "v=spf1 include:_spf.mail.test ?all"))
    zone.update(_good("noall.test", "v=spf1 include:_spf.mail.test"))
    zone.update(_good("soft.test", "v=spf1 include:_spf.mail.test include:other.test ~all"))
    zone.update(_good("missing.test", "v=spf1 -all"))
    # DKIM cases
    for name, txt in {"dk-missing": None, "dk-revoked": "v=DKIM1; k=rsa; p=",
                      "dk-b64": "v=DKIM1; k=rsa; p=MIIB!!notbase64",
                      "dk-k": f"v=DKIM1; k=dsa; p={P2048}", "dk-small": f"v=DKIM1; p={P512}",
                      "dk-1024": f"v=DKIM1; p={P1024}", "dk-ed": f"v=DKIM1; k=ed25519; p={PED}",
                      "dk-bytes": b"v=DKIM1; p=\xff\xfe"}.items():
        zone.update(_good(f"{name}.test"))
        if txt is None:
            del zone[f"sel._domainkey.{name}.test"]
        else:
            zone[f"sel._domainkey.{name}.test"] = [("TXT", [txt] if isinstance(txt, bytes)
                                                    else txt)]
    # DMARC cases
    zone.update(_good("nodmarc.test"))
    del zone["_dmarc.nodmarc.test"]
    zone.update(_good("wrongname.test"))
    del zone["_dmarc.wrongname.test"]
    zone["wrongname.test"].append(("TXT", "v=DMARC1; p=reject"))
    zone.update(_good("twodmarc.test"))
    zone["_dmarc.twodmarc.test"] = [("TXT", "v=DMARC1; p=reject; rua=mailto:a@twodmarc.test"),
                                    ("TXT", "v=DMARC1; p=none")]
    zone.update(_good("badp.test"))
    zone["_dmarc.badp.test"] = [("TXT", "v=DMARC1; p=block")]
    zone.update(_good("pnone.test"))
    zone["_dmarc.pnone.test"] = [("TXT", "v=DMARC1; p=none; rua=mailto:d@pnone.test")]
    zone.update(_good("norua.test"))
    zone["_dmarc.norua.test"] = [("TXT", "v=DMARC1; p=reject")]
    zone.update(_good("extrua.test"))
    zone["_dmarc.extrua.test"] = [("TXT", "v=DMARC1; p=reject; rua=mailto:r@reports.test")]
    zone.update(_good("extok.test"))
    zone["_dmarc.extok.test"] = [("TXT", "v=DMARC1; p=reject; rua=mailto:r@reports.test")]
    zone["extok.test._report._dmarc.reports.test"] = [("TXT", "v=DMARC1")]
    zone.update(_good("pct.test"))
    zone["_dmarc.pct.test"] = [("TXT", "v=DMARC1; p=reject; pct=20; rua=mailto:d@pct.test")]
    # MX cases
    zone.update(_good("nomx.test"))
    zone["nomx.test"] = [("TXT", "v=spf1 include:_spf.mail.test -all")]
    zone.update(_good("nullmx.test"))
    zone["nullmx.test"] = [("TXT", "v=spf1 include:_spf.mail.test -all"), ("MX", "0 .")]
    # faults
    for prefix in ("", "_dmarc.", "sel._domainkey.", "_mta-sts.", "_smtp._tls."):
        zone[f"{prefix}slow.test"] = [("TIMEOUT", True)]
        zone[f"{prefix}broken.test"] = [("SERVFAIL", True)]
    zone["_dmarc.slowdmarc.test"] = [("TIMEOUT", True)]
    zone.update({k.replace("good.test", "slowdmarc.test"): v for k, v in _good("good.test").items()
                 if not k.startswith("_dmarc")})
    return zone


@pytest.fixture(scope="module")
def dns_server() -> Iterator[tuple[str, int]]:
    with ZoneServer(_zone()).serve_in_thread() as address:
        yield address


def _run(address: tuple[str, int], domain: str, *, senders: list[str] | None = None,
         timeout: float = 2.0, **email: Any) -> Report:
    config = Config.model_validate({
        "network": {"resolver": f"{address[0]}:{address[1]}", "timeout": timeout},
        "email": {"domains": [domain], "dkim_selectors": ["sel"],
                  "senders": senders if senders is not None else ["include:_spf.mail.test"],
                  **email},
    })
    return asyncio.run(arun_audit(config, families=registry.families(("MAIL",))))


def _ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings if f.severity.value != "info"}


def test_good_domain_is_clean_above_info(dns_server: tuple[str, int]) -> None:
    report = _run(dns_server, "good.test")
    assert _ids(report) == set(), [(f.rule_id, f.evidence) for f in report.findings]
    tree = next(t for t in report.tables if t.title.startswith("SPF include tree"))
    assert tree.rows[-1][1] == "1/10"


CASES = [
    ("nospf.test", "MAIL001", "no TXT record"),
    ("space.test", "MAIL001", "starts with a space"),
    ("spf10.test", "MAIL001", "'v=spf10'"),
    ("two.test", "MAIL002", "2 SPF records"),
    ("syntax.test", "MAIL003", "300.1.1.1"),
    ("split.test", "MAIL003", "split into 2 strings"),
    ("bytes.test", "MAIL003", "non-ASCII byte 0xA0"),
    ("big.test", "MAIL003", "512"),
    ("loop.test", "MAIL003", "loop"),
    ("self.test", "MAIL003", "include loop self.test → self.test"),
    ("redir.test", "MAIL003", "redirect loop"),
    ("mxmany.test", "MAIL004", "11 MX names"),
    ("deep.test", "MAIL004", "/10 DNS lookups"),
    ("eleven.test", "MAIL004", "11/10"),
    ("void3.test", "MAIL004", "3/2 void"),
    ("plusall.test", "MAIL005", "+all"),
    ("qall.test", "MAIL005", "?all"),
    ("noall.test", "MAIL005", "neither all nor redirect"),
    ("soft.test", "MAIL005", "~all"),
    ("soft.test", "MAIL006", "include:other.test"),
    ("missing.test", "MAIL007", "include:_spf.mail.test"),
    ("dk-missing.test", "MAIL008", "no key published"),
    ("dk-revoked.test", "MAIL008", "revoked"),
    ("dk-b64.test", "MAIL008", "not valid base64"),
    ("dk-k.test", "MAIL008", "k=dsa"),
    ("dk-small.test", "MAIL008", "512-bit"),
    ("dk-bytes.test", "MAIL008", "non-ASCII"),
    ("nodmarc.test", "MAIL009", "no v=DMARC1 record"),
    ("wrongname.test", "MAIL009", "receivers only look at"),
    ("twodmarc.test", "MAIL011", "2 DMARC records"),
    ("badp.test", "MAIL011", "p=block"),
    ("pnone.test", "MAIL010", "p=none"),
    ("norua.test", "MAIL010", "no rua"),
    ("extrua.test", "MAIL010", "reports.test"),
    ("pct.test", "MAIL010", "pct=20"),
    ("nomx.test", "MAIL012", "no MX records"),
    ("nullmx.test", "MAIL012", "'0 .'"),
]


@pytest.mark.parametrize(("domain", "rule", "evidence"), CASES,
                         ids=[f"{r}-{d}" for d, r, _ in CASES])
def test_failing_case(dns_server: tuple[str, int], domain: str, rule: str,
                      evidence: str) -> None:
    report = _run(dns_server, domain)
    hits = [f for f in report.findings if f.rule_id == rule]
    assert hits, [(f.rule_id, f.evidence) for f in report.findings]
    assert any(evidence in f.evidence for f in hits), [f.evidence for f in hits]
    assert all(f.fix and f.impact for f in hits)


PASSING = [("ten.test", "MAIL004"), ("void2.test", "MAIL004"), ("dk-ed.test", "MAIL008"),
           ("extok.test", "MAIL010"), ("good.test", "MAIL012"), ("good.test", "MAIL002")]


@pytest.mark.parametrize(("domain", "rule"), PASSING, ids=[f"{r}-{d}" for d, r in PASSING])
def test_passing_case(dns_server: tuple[str, int], domain: str, rule: str) -> None:
    report = _run(dns_server, domain)
    assert not [f for f in report.findings if f.rule_id == rule]
    assert next(c for c in report.checks if c.id == rule).status is CheckStatus.PASS


def test_1024_bit_key_is_low(dns_server: tuple[str, int]) -> None:
    report = _run(dns_server, "dk-1024.test")
    [finding] = [f for f in report.findings if f.rule_id == "MAIL008"]
    assert finding.severity.value == "low"


def test_ten_lookups_table(dns_server: tuple[str, int]) -> None:
    report = _run(dns_server, "ten.test")
    tree = next(t for t in report.tables if t.title.startswith("SPF include tree"))
    assert tree.rows[-1][1] == "10/10"


@pytest.mark.parametrize("domain", ["slow.test", "broken.test"], ids=["timeout", "servfail"])
def test_dns_failure_is_temperror_not_missing(dns_server: tuple[str, int], domain: str) -> None:
    report = _run(dns_server, domain, timeout=0.5)
    assert not report.findings, [(f.rule_id, f.evidence) for f in report.findings]
    for rule in ("MAIL001", "MAIL008", "MAIL009", "MAIL012"):
        check = next(c for c in report.checks if c.id == rule)
        assert check.status is CheckStatus.ERROR
        assert "could not check (temperror)" in (check.error or "")


def test_dmarc_timeout_alone(dns_server: tuple[str, int]) -> None:
    report = _run(dns_server, "slowdmarc.test", timeout=0.5)
    assert "MAIL009" not in {f.rule_id for f in report.findings}
    check = next(c for c in report.checks if c.id == "MAIL009")
    assert "could not check (temperror)" in (check.error or "")


def test_common_selectors_tried_when_none_configured(dns_server: tuple[str, int]) -> None:
    report = _run(dns_server, "good.test", dkim_selectors=[])
    [finding] = [f for f in report.findings if f.rule_id == "MAIL008"]
    assert finding.severity.value == "info" and "selector1" in finding.evidence
    table = next(t for t in report.tables if t.title.startswith("DKIM"))
    assert any("google" in row[1] for row in table.rows)


# --- pure parsers ------------------------------------------------------------------------------

KEYS = [
    ([b"v=DKIM1; k=rsa; p=" + P2048[:100].encode(), P2048[100:].encode()], "rsa2048"),
    ([b"v=DKIM1; k=rsa; p="], KeyProblem.REVOKED),
    ([b"v=DKIM1; p=abc$"], KeyProblem.BAD_BASE64),
    ([b"v=DKIM1; k=foo; p=AAAA"], KeyProblem.UNKNOWN_KEY_TYPE),
    ([b"p=AAAA; v=DKIM1"], KeyProblem.VERSION),
    ([b"v=DKIM1; k=ed25519; p=" + PED.encode()], "ed25519"),
    ([b"v=DKIM1; k=ed25519; p=AAAA"], KeyProblem.BAD_KEY),
    ([b"v=DKIM1; p=\xc3\xa9"], KeyProblem.UNDECODABLE),
    ([b"v=DKIM1; p"], KeyProblem.SYNTAX),
]


@pytest.mark.parametrize(("strings", "expected"), KEYS,
                         ids=["split-2048", "revoked", "base64", "k", "version", "ed25519",
                              "ed-short", "bytes", "syntax"])
def test_parse_key_record(strings: list[bytes], expected: object) -> None:
    result = parse_key_record(strings)
    if isinstance(expected, KeyProblem):
        assert isinstance(result, DkimKeyProblem) and result.kind is expected
    else:
        assert isinstance(result, DkimKey)
        assert f"{result.key_type}{result.bits if result.key_type == 'rsa' else ''}" == expected


DMARC = [
    ("v=DMARC1; p=reject; rua=mailto:a@x.test", None),
    ("v=DMARC1; p=quarantine; sp=none; adkim=s", None),
    ("v=DMARC1; rua=mailto:a@x.test", None),  # RFC 9989: p= may be absent with rua
    ("p=reject; v=DMARC1", "must start with"),
    ("v=DMARC1; p=reject; p=none", "twice"),
    ("v=DMARC1; p=maybe", "p=maybe"),
    ("v=DMARC1; p=reject; adkim=x", "adkim"),
    ("v=DMARC1; p=reject; pct=200", "pct"),
    ("v=DMARC1; p=reject; rua=dmarc@x.test", "not a URI"),
    ("v=DMARC1", "no p= tag"),
]


@pytest.mark.parametrize(("text", "error"), DMARC, ids=[d[0][:30] for d in DMARC])
def test_parse_dmarc(text: str, error: str | None) -> None:
    result = parse_record(text)
    if error is None:
        assert isinstance(result, DmarcRecord)
    else:
        assert isinstance(result, DmarcProblem) and error in result.message


def test_removed_tags_are_noted() -> None:
    result = parse_record("v=DMARC1; p=reject; pct=100; rf=afrf; ri=86400")
    assert isinstance(result, DmarcRecord)
    assert sum("RFC 9989" in n for n in result.notes) == 3


def test_alignment_and_org_domain() -> None:
    assert organizational_domain("mail.shop.example.co.uk") == "example.co.uk"
    assert aligned("mail.acme.test", "acme.test", "r")
    assert not aligned("mail.acme.test", "acme.test", "s")
    assert not aligned("sendgrid.net", "acme.test", "r")


@pytest.mark.parametrize(("domain", "code"), [("good.test", 0), ("soft.test", 1)],
                         ids=["clean", "findings"])
def test_email_command(dns_server: tuple[str, int], domain: str, code: int,
                       capsys: pytest.CaptureFixture[str], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no launchready.toml: the domain argument is enough
    assert all(any(f is fam for f in registry.FAMILIES) for fam in (
        SpfChecks, DkimChecks, DmarcChecks, MxChecks, MtaStsChecks, MessageVerification))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    _common(parser)
    args = parser.parse_args([domain, "--resolver", f"{dns_server[0]}:{dns_server[1]}",
                              "--format", "json", "-q", "--fail-on", "low"])
    assert run(args) == code
    data = json.loads(capsys.readouterr().out)
    rules = {c["id"] for c in data["checks"]}
    assert {"MAIL001", "MAIL014"} <= rules and "MAIL013" not in rules
