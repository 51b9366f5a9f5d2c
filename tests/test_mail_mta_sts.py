"""MAIL014 — MTA-STS and TLS-RPT, with the policy file fetched over real HTTPS on 127.0.0.1
from a server whose certificate for ``mta-sts.<domain>`` comes from a throwaway CA, and the
DNS answers from ZoneServer."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from launchready.checks.mail import MtaStsChecks
from launchready.checks.mail.mta_sts import mx_covered, parse_policy
from launchready.config.models import Config
from launchready.demo.ca import ThrowawayCA
from launchready.demo.dnsserver import ZoneServer
from launchready.engine import arun_audit
from launchready.model import Report

POLICIES = {
    "enforce.test": ("text/plain", "version: STSv1\nmode: enforce\nmx: *.enforce.test\n"
                                   "max_age: 604800\n"),
    "testing.test": ("text/plain", "version: STSv1\r\nmode: testing\r\nmx: mx.testing.test\r\n"
                                   "max_age: 86400\r\n"),
    "wrongmx.test": ("text/plain", "version: STSv1\nmode: enforce\nmx: mail.other.test\n"
                                   "max_age: 604800\n"),
    "html.test": ("text/html", "<html>not a policy</html>"),
}


def _domain_records(domain: str, *, sts: bool = True, rpt: bool = True) -> dict[str, Any]:
    records: dict[str, Any] = {domain: [("MX", f"10 mx.{domain}.")],
                               f"mx.{domain}": [("A", "127.0.0.1")]}
    if sts:
        records[f"_mta-sts.{domain}"] = [("TXT", "v=STSv1; id=20260101")]
    if rpt:
        records[f"_smtp._tls.{domain}"] = [("TXT", "v=TLSRPTv1; rua=mailto:t@" + domain)]
    return records


ZONE: dict[str, Any] = {}
for _name in POLICIES:
    ZONE.update(_domain_records(_name))
ZONE.update(_domain_records("nosts.test", sts=False, rpt=False))
ZONE.update(_domain_records("noserver.test"))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].removeprefix("mta-sts.")
        found = POLICIES.get(host)
        if found is None or self.path != "/.well-known/mta-sts.txt":
            self.send_error(404)
            return
        body = found[1].encode()
        self.send_response(200)
        self.send_header("Content-Type", found[0])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    directory = tmp_path_factory.mktemp("mta-sts")
    ca = ThrowawayCA()
    names = [f"mta-sts.{d}" for d in (*POLICIES, "noserver.test")]
    crt, key = ca.issue(names).write(directory, "mta-sts")
    bundle = ca.write_root(directory / "root.pem")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with ZoneServer(ZONE).serve_in_thread() as (host, port):
            yield f"{host}:{port}", int(httpd.server_address[1]), bundle
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _run(servers: tuple[str, int, Path], domain: str) -> Report:
    resolver, https_port, bundle = servers
    resolve = [f"mta-sts.{domain}:{https_port}:127.0.0.1"]
    config = Config.model_validate({
        "network": {"resolver": resolver, "timeout": 2, "ca_bundle": str(bundle),
                    "resolve": resolve},
        "email": {"domains": [domain]}})
    family = MtaStsChecks(https_port=https_port)
    return asyncio.run(arun_audit(config, families=[family]))


def test_enforced_policy_passes(servers: tuple[str, int, Path]) -> None:
    report = _run(servers, "enforce.test")
    assert not report.findings, [f.evidence for f in report.findings]


CASES = [
    ("testing.test", "mode: testing"),
    ("wrongmx.test", "do not cover mx.wrongmx.test"),
    ("html.test", "not text/plain"),
    ("nosts.test", "no v=STSv1 record"),
    ("nosts.test", "no v=TLSRPTv1 record"),
    ("noserver.test", "HTTP 404"),
]


@pytest.mark.parametrize(("domain", "evidence"), CASES, ids=[f"{d}-{e[:12]}" for d, e in CASES])
def test_failing_policy(servers: tuple[str, int, Path], domain: str, evidence: str) -> None:
    report = _run(servers, domain)
    assert all(f.rule_id == "MAIL014" and f.severity.value == "info" for f in report.findings)
    assert any(evidence in f.evidence for f in report.findings), \
        [f.evidence for f in report.findings]


def test_policy_parser_and_patterns() -> None:
    policy = parse_policy("version: STSv1\nmode: enforce\nmx: *.a.test\nmax_age: 99999999999\n")
    assert any("max_age" in p for p in policy.problems)
    assert mx_covered("mx1.a.test", ("*.a.test",))
    assert not mx_covered("x.mx1.a.test", ("*.a.test",))
