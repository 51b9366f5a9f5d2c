"""DNS001–DNS006 against a real authoritative server (NSD) on loopback.

Given two zones served by NSD — ``good.test`` (everything as the map says) and ``bad.test``
(every DNS flaw) — plus the hosting zones their CNAMEs point into, and local HTTP/HTTPS
servers that play the hosting platforms, when the DNS families run through the engine, then
``good.test`` is clean and ``bad.test`` fails each rule. Timeouts and SERVFAIL come from the
in-process ZoneServer and must give errors ("could not check (temperror)"), never findings.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authdns import serve_zones, zone_text
from launchready.checks import registry
from launchready.checks.dns.takeover import COMMON_SUBDOMAINS
from launchready.commands.dns import add_arguments, run
from launchready.config.models import Config
from launchready.demo.dnsserver import ZoneServer
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report
from launchready.probes import Probes
from launchready.probes.dns import DnsProbe
from launchready.probes.http import HttpProbe
from launchready.probes.tls import TlsProbe

GITHUB_404 = "<h1>404</h1><p>There isn't a GitHub Pages site here.</p>"

GOOD = """\
ns1 A 127.0.0.1
ns2 A 127.0.0.2
@ A 192.0.2.10
@ MX 10 mail
@ TXT "v=spf1 " "-all"
@ TXT "google-site-verification=abc123"
@ CAA 0 issue "letsencrypt.org"
mail A 192.0.2.20
www CNAME @
app CNAME acme-prod.fly.dev.
docs CNAME acme-docs.github.io.
"""

BAD = """\
ns1 A 127.0.0.1
ns2 A 127.0.0.2
@ A 192.0.2.10
@ TXT "v=spf1 -all"
@ CAA 0 issue "digicert.com"
www CNAME old-site.fly.dev.
app CNAME acme-staging.fly.dev.
status CNAME acme-status.herokuapp.com.
docs CNAME acme-gone.github.io.
loop1 CNAME loop2
loop2 CNAME loop1
raw TXT "\\255\\254abc"
"""

TARGETS = {
    "fly.dev": zone_text("fly.dev", "ns1 A 127.0.0.1\nacme-prod A 192.0.2.30\n"
                                    "acme-staging A 192.0.2.99\nold-site A 192.0.2.98"),
    "herokuapp.com": zone_text("herokuapp.com", "ns1 A 127.0.0.1"),
    "github.io": zone_text("github.io", "ns1 A 127.0.0.1\nacme-docs A 127.0.0.1\n"
                                        "acme-gone A 127.0.0.1"),
    "parent.test": zone_text("parent.test", "ns1 A 127.0.0.1\naliased CNAME good.test.\n"
                                            "plain A 192.0.2.40"),
}


def zones(bad_serial: int) -> dict[str, str]:
    both = ("ns1", "ns2")
    return {"good.test": zone_text("good.test", GOOD, nameservers=both, serial=7),
            "bad.test": zone_text("bad.test", BAD, nameservers=both, serial=bad_serial),
            **TARGETS}


def records(domain: str) -> list[dict[str, Any]]:
    return [
        {"name": "@", "type": "A", "values": ["192.0.2.10"]},
        {"name": "@", "type": "MX", "values": [f"10 mail.{domain}."]},
        {"name": "@", "type": "TXT", "values": ["v=spf1 -all"]},
        {"name": "@", "type": "CAA", "values": ['0 issue "letsencrypt.org"']},
        {"name": "www", "type": "CNAME", "values": ["@"]},
        {"name": "app", "type": "CNAME", "values": ["acme-prod.fly.dev."]},
        {"name": "docs", "type": "CNAME", "values": ["acme-docs.github.io"]},
    ]


# --- local stand-ins for the hosting platforms ----------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        gone = host.startswith("docs.bad.")
        body = (GITHUB_404 if gone else f"<h1>{host}</h1>").encode()
        self.send_response(404 if gone else 200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _TlsServer(ThreadingHTTPServer):
    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            _Handler(tls, client_address, self)
        except OSError:
            pass
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that reject the certificate are expected."""


def lets_encrypt_lookalike(directory: Path, hosts: list[str]) -> ssl.SSLContext:
    """A self-signed certificate whose issuer reads like Let's Encrypt's (only O matters)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Let's Encrypt"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "R11")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=60))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    crt, pem = directory / "le.crt", directory / "le.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, pem)
    return context


@dataclass(frozen=True)
class Web:
    http_port: int
    https_port: int


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    context = lets_encrypt_lookalike(tmp_path_factory.mktemp("le"),
                                     ["app.good.test", "app.bad.test"])
    servers: list[ThreadingHTTPServer] = [ThreadingHTTPServer(("127.0.0.1", 0), _Handler),
                                          _TlsServer(context)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield Web(http_port=servers[0].server_address[1], https_port=servers[1].server_address[1])
    finally:
        for server, thread in zip(servers, threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join()


@dataclass(frozen=True)
class Dns:
    port: int


@pytest.fixture(scope="module")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dns]:
    """ns1 (127.0.0.1) and ns2 (127.0.0.2) on one port; ns2 has a newer bad.test."""
    base = tmp_path_factory.mktemp("nsd")
    with serve_zones(zones(1), base / "ns1") as (_, port), \
            serve_zones(zones(2), base / "ns2", host="127.0.0.2", port=port):
        yield Dns(port=port)


# --- running the families -------------------------------------------------------------------------

def config(domain: str, dns_port: int, web: Web, **dns: Any) -> Config:
    names = [domain, *(f"{s}.{domain}" for s in COMMON_SUBDOMAINS), f"raw.{domain}"]
    resolve = [f"{n}:{p}:127.0.0.1" for n in names for p in (web.http_port, web.https_port)]
    return Config.model_validate({
        "app": {"domain": domain, "canonical": f"https://app.{domain}:{web.https_port}/"},
        "network": {"resolver": f"127.0.0.1:{dns_port}", "resolve": resolve, "timeout": 2},
        "dns": {"records": records(domain), **dns},
    })


def audit(cfg: Config, web: Web, *, authoritative: bool = False, ns_port: int = 53,
          dns_timeout: float = 2.0) -> Report:
    async def run() -> Report:
        mapping = cfg.network.resolve_map()
        probes = Probes(dns=DnsProbe(resolver=cfg.network.resolver, timeout=dns_timeout),
                        http=HttpProbe(resolve=mapping, timeout=3),
                        tls=TlsProbe(resolve=mapping, timeout=3))
        families = registry.families(("DNS",), authoritative=authoritative, ns_port=ns_port,
                                     http_port=web.http_port, https_port=web.https_port)
        try:
            return await arun_audit(cfg, families=families, probes=probes)
        finally:
            await probes.aclose()
    return asyncio.run(run())


def by_rule(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report.findings:
        out.setdefault(f.rule_id, []).append(f"{f.target} | {f.title} | {f.evidence}")
    return out


def status(report: Report) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in report.checks}


@pytest.fixture(scope="module")
def good(nsd: Dns, web: Web) -> Report:
    return audit(config("good.test", nsd.port, web, provider="good.test"), web,
                 authoritative=True, ns_port=nsd.port)


@pytest.fixture(scope="module")
def bad(nsd: Dns, web: Web) -> Report:
    cfg = config("bad.test", nsd.port, web, provider="cloudflare")
    extra = [{"name": "loop1", "type": "CNAME", "values": ["loop2.bad.test."]},
             {"name": "raw", "type": "TXT", "values": ["hello"]},
             {"name": "api", "type": "A", "values": ["192.0.2.50"]}]
    dns_cfg = cfg.dns.model_dump() if cfg.dns else {}
    cfg = Config.model_validate({**cfg.model_dump(exclude={"dns"}),
                                 "dns": {**dns_cfg, "records": dns_cfg["records"] + extra}})
    return audit(cfg, web, authoritative=True, ns_port=nsd.port)


# --- passing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["DNS001", "DNS002", "DNS003", "DNS004", "DNS005", "DNS006"])
def test_good_zone_passes(good: Report, rule: str) -> None:
    assert rule not in by_rule(good), by_rule(good)
    assert status(good)[rule] is CheckStatus.PASS, good.checks


def test_good_zone_tables(good: Report) -> None:
    tables = {t.title: t for t in good.tables}
    records_table = tables["DNS record map vs live"]
    assert records_table.columns[-1] == "source"
    sources = {row[-1] for row in records_table.rows}
    assert sources == {"resolver", "ns1.good.test (127.0.0.1)", "ns2.good.test (127.0.0.2)"}
    assert all(row[4] == "ok" for row in records_table.rows)


# --- failing ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "needle"), [
    ("DNS001", "www.bad.test CNAME | DNS record differs"),
    ("DNS001", "api.bad.test A | DNS record missing"),
    ("DNS001", "raw.bad.test TXT | DNS record differs"),
    ("DNS001", r"\xff\xfeabc"),
    ("DNS003", "status.bad.test CNAME | Dangling CNAME"),
    ("DNS003", "docs.bad.test CNAME | Unclaimed GitHub Pages target"),
    ("DNS003", "loop1.bad.test CNAME | CNAME chain loops"),
    ("DNS004", "Nameservers are not Cloudflare's"),
    ("DNS004", "SOA serials differ"),
    ("DNS005", "CAA forbids Let's Encrypt"),
    ("DNS006", "acme-staging.fly.dev resolves to 192.0.2.99"),
], ids=["record-different", "record-missing", "txt-different", "undecodable-txt-shown",
        "dangling-nxdomain", "unclaimed-pages", "cname-loop", "wrong-provider",
        "ns-disagree", "caa-forbids-issuer", "staging"])
def test_bad_zone_fails(bad: Report, rule: str, needle: str) -> None:
    found = by_rule(bad).get(rule, [])
    assert any(needle in line for line in found), found


def test_txt_split_strings_match_joined_value(bad: Report, good: Report) -> None:
    # good.test serves "v=spf1 " "-all" as two strings; the map says "v=spf1 -all"
    assert not any("good.test TXT" in line for line in by_rule(good).get("DNS001", []))


@pytest.mark.parametrize(("domain", "needle"), [
    ("aliased.parent.test", "CNAME at the apex"),
    ("gone.parent.test", "Apex does not resolve"),
], ids=["apex-cname", "apex-nxdomain"])
def test_apex_failures(nsd: Dns, web: Web, domain: str, needle: str) -> None:
    cfg = Config.model_validate({"app": {"domain": domain},
                                 "network": {"resolver": f"127.0.0.1:{nsd.port}"}})
    report = audit(cfg, web)
    assert any(needle in line for line in by_rule(report).get("DNS002", [])), report.findings


def test_no_caa_is_low(nsd: Dns, web: Web) -> None:
    cfg = Config.model_validate({"app": {"domain": "plain.parent.test"},
                                 "network": {"resolver": f"127.0.0.1:{nsd.port}"}})
    report = audit(cfg, web)
    caa = [f for f in report.findings if f.rule_id == "DNS005"]
    assert [f.severity.value for f in caa] == ["low"]


# --- temporary failures: errors, never findings ---------------------------------------------------

@pytest.mark.parametrize("fault", ["TIMEOUT", "SERVFAIL"])
def test_temporary_failures_are_errors(fault: str, web: Web) -> None:
    names = ["flaky.test", "www.flaky.test", "app.flaky.test", "docs.flaky.test",
             "acme-prod.fly.dev", "acme-docs.github.io"]
    server = ZoneServer({n: [(fault, True)] for n in names})
    with server.serve_in_thread() as (_, port):
        cfg = config("flaky.test", port, web, provider="cloudflare")
        started = time.monotonic()
        report = audit(cfg, web, dns_timeout=0.5)
        elapsed = time.monotonic() - started
    dns_findings = [f for f in report.findings if f.rule_id.startswith("DNS")]
    assert dns_findings == []
    errors = {c.id: c.error or "" for c in report.checks if c.status is CheckStatus.ERROR}
    assert set(errors) == {"DNS001", "DNS002", "DNS003", "DNS004", "DNS005", "DNS006"}
    assert all("could not check (temperror)" in e for e in errors.values()), errors
    # the per-domain budget (3 x 0.5 s here... of the configured timeout) bounds the run
    assert elapsed < 10, elapsed


# --- the command ----------------------------------------------------------------------------------

def namespace(**given: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(given.pop("argv", []))
    common: dict[str, Any] = {
        "config": None, "formats": [], "outputs": [], "fail_on": "high", "only": "",
        "skip": "", "baseline": None, "write_baseline": None, "resolve": [], "resolver": None,
        "ca_bundle": None, "timeout": 2.0, "quiet": True, "verbose": False, "no_color": True}
    for key, value in {**common, **given}.items():
        setattr(args, key, value)
    return args


def toml(data: dict[str, Any]) -> str:
    """Enough TOML for a config: one table per section, values as JSON (a TOML subset)."""
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)
    return "".join(f"[{section}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in body.items())
                   for section, body in data.items() if body)


def test_dns_map_markdown(nsd: Dns, capsys: pytest.CaptureFixture[str]) -> None:
    args = namespace(argv=["map", "good.test"], formats=["md"],
                     resolver=f"127.0.0.1:{nsd.port}")
    assert run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("## DNS record map of good.test")
    assert "| good.test | A | 300 | 192.0.2.10 |" in out
    assert "| app.good.test | CNAME | 300 | acme-prod.fly.dev | Fly.io |" in out
    assert "| docs.good.test | CNAME | 300 | acme-docs.github.io | GitHub Pages |" in out


def test_dns_authoritative_command(nsd: Dns, web: Web, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config("bad.test", nsd.port, web, provider="cloudflare")
    path = tmp_path / "launchready.toml"
    path.write_text(toml(cfg.model_dump(mode="json", exclude_none=True,
                                        exclude={"source", "literal_credentials"})))
    resolve = [f"{n}.bad.test:{p}:127.0.0.1" for n in ("app", "docs", "www", "status")
               for p in (80, 443)]
    args = namespace(argv=["--authoritative", "--ns-port", str(nsd.port)], config=str(path),
                     formats=["json"], resolve=resolve)
    assert run(args) == 1
    report = json.loads(capsys.readouterr().out)
    ids = {f["rule_id"] for f in report["findings"]}
    assert {"DNS001", "DNS003", "DNS004", "DNS006"} <= ids
    assert any("SOA serials differ" in f["evidence"] for f in report["findings"])
