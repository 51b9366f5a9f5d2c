"""MAIL013 — `email verify`: real messages signed here with keys made here, verified against
a DNS server on 127.0.0.1 (ZoneServer). dkimpy's DNS lookups go through launchready's resolver:
the keys come from the test zone, split across TXT strings."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dkim  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from launchready.checks.mail import MessageVerification
from launchready.cli import _common
from launchready.commands.email import add_verify_arguments, run_verify
from launchready.config.models import Config
from launchready.demo.dnsserver import ZoneServer
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
PUBLIC = base64.b64encode(KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def _key_txt() -> list[str]:
    # the key split across three character-strings of one TXT record
    record = f"v=DKIM1; k=rsa; p={PUBLIC}"
    return [record[:120], record[120:250], record[250:]]


ZONE: dict[str, list[tuple[str, object]]] = {
    "v.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all"), ("MX", "10 mx.v.test.")],
    "mx.v.test": [("A", "127.0.0.1")],
    "_dmarc.v.test": [("TXT", "v=DMARC1; p=reject; rua=mailto:d@v.test")],
    "sel._domainkey.v.test": [("TXT", _key_txt())],
    "esp.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all")],
    "sel._domainkey.esp.test": [("TXT", _key_txt())],
    "slow._domainkey.v.test": [("TIMEOUT", True)],
}


def _message(*, sign_domain: str | None = "v.test", selector: str = "sel",
             return_path: str = "bounce@v.test", body: bytes = b"Hello buyer.\r\n",
             tamper: bool = False) -> bytes:
    headers = (f"Return-Path: <{return_path}>\r\n"
               "Received-SPF: pass (v.test: 192.0.2.10 is allowed) client-ip=192.0.2.10; "
               "helo=out.v.test;\r\n"
               "Received: from out.v.test (out.v.test [192.0.2.10]) by mx.example.test; "
               "Fri, 27 Nov 2026 10:00:00 +0000\r\n"
               "From: Sales <sales@v.test>\r\nTo: buyer@example.test\r\n"
               "Subject: Your demo\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
               "Message-ID: <1@v.test>\r\n\r\n").encode()
    message = headers + body
    if sign_domain is not None:
        signature = dkim.sign(message, selector.encode(), sign_domain.encode(), PRIVATE,
                              include_headers=[b"from", b"to", b"subject", b"date"])
        message = signature + message
    if tamper:
        message = message.replace(b"Hello buyer.", b"Hello buyer!")
    return message


@pytest.fixture(scope="module")
def dns_server() -> Iterator[tuple[str, int]]:
    with ZoneServer(ZONE).serve_in_thread() as address:
        yield address


def _config(address: tuple[str, int]) -> Config:
    return Config.model_validate({"network": {"resolver": f"{address[0]}:{address[1]}",
                                              "timeout": 1}})


def _verify(address: tuple[str, int], raw: bytes, ip: str | None = None) -> Report:
    family = MessageVerification(raw, ip=ip, source="msg.eml")
    return asyncio.run(arun_audit(_config(address), families=[family]))


def _rows(report: Report) -> list[tuple[str, ...]]:
    return [row for t in report.tables for row in t.rows]


def test_good_message_passes(dns_server: tuple[str, int]) -> None:
    report = _verify(dns_server, _message())
    assert not report.findings, [f.evidence for f in report.findings]
    rows = _rows(report)
    assert ("DKIM d=v.test s=sel", "pass", "signature verified") in rows
    assert any(r[0].startswith("SPF 192.0.2.10 (Received-SPF client-ip)") and r[1] == "pass"
               for r in rows)
    assert any(r[0].startswith("DMARC") and r[1] == "pass" for r in rows)


CASES: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("tampered-body", {"tamper": True}, None, "body hash mismatch"),
    ("unaligned-d", {"sign_domain": "esp.test", "return_path": "bounce@esp.test"}, None,
     "not aligned with From v.test"),
    ("unsigned", {"sign_domain": None}, None, "no DKIM-Signature header"),
    ("spf-fail-ip", {}, "203.0.113.9", "= fail"),
    ("missing-key", {"selector": "nokey"}, None, "no key published at nokey._domainkey.v.test"),
]


@pytest.mark.parametrize(("kwargs", "ip", "evidence"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_failing_message(dns_server: tuple[str, int], kwargs: dict[str, Any], ip: str | None,
                         evidence: str) -> None:
    report = _verify(dns_server, _message(**kwargs), ip)
    hits = [f for f in report.findings if f.rule_id == "MAIL013"]
    assert any(evidence in f.evidence for f in hits), [f.evidence for f in hits]


def test_unaligned_still_reports_selector(dns_server: tuple[str, int]) -> None:
    report = _verify(dns_server, _message(sign_domain="esp.test", return_path="b@esp.test"))
    assert ("DKIM d=esp.test s=sel", "pass", "signature verified") in _rows(report)


def test_key_timeout_is_temperror(dns_server: tuple[str, int]) -> None:
    report = _verify(dns_server, _message(selector="slow"))
    assert not [f for f in report.findings if "DKIM" in f.title]
    check = next(c for c in report.checks if c.id == "MAIL013")
    assert check.status is CheckStatus.ERROR
    assert "could not check (temperror)" in (check.error or "")


def test_garbage_message_gives_finding(dns_server: tuple[str, int]) -> None:
    report = _verify(dns_server, b"\xff\xfe not a message at all")
    assert [f for f in report.findings if f.rule_id == "MAIL013"]


def test_command_json(dns_server: tuple[str, int], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
                      ) -> None:
    monkeypatch.chdir(tmp_path)
    eml = tmp_path / "sent.eml"
    eml.write_bytes(_message(tamper=True))
    parser = argparse.ArgumentParser()
    add_verify_arguments(parser)
    _common(parser)
    args = parser.parse_args([str(eml), "--resolver", f"{dns_server[0]}:{dns_server[1]}",
                              "--format", "json", "-q"])
    assert run_verify(args) == 1
    data = json.loads(capsys.readouterr().out)
    assert any(f["rule_id"] == "MAIL013" for f in data["findings"])
