"""The redirect/TLS matrix: the plan, the pure judgement, and real nginx scenarios.

Rules: TLS006 (HSTS), TLS007 (HTTP→HTTPS on the same host; downgrade hops), WEB001 (apex/www),
WEB002 (hops, loops), WEB003 (deep links), WEB010 (mapped subdomains). TLS008 has its own module.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from certzoo import CertZoo
from launchready.checks.base import Context
from launchready.checks.catalog import BY_ID
from launchready.checks.web.matrix import (
    MatrixObservation,
    RedirectMatrix,
    StartObservation,
    gather_matrix,
)
from launchready.checks.web.matrix_plan import (
    MatrixPlan,
    Role,
    Start,
    http_port_for,
    mapped_hosts,
    matrix_plan,
    record_host,
)
from launchready.checks.web.protocols import ProtocolVersions
from launchready.config.models import Config
from launchready.demo.server import start_site
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Finding, Report, Severity
from launchready.probes.http import HttpProbe, HttpResponse, RedirectChain
from launchready.probes.tls import TlsProbe
from nginxharness import Nginx, NginxFactory

APEX = "acme.test"
WWW = f"www.{APEX}"
APP = f"app.{APEX}"


# --- the plan ------------------------------------------------------------------------------------

def _plan_config(domain: str | None, canonical: str | None,
                 records: list[dict[str, Any]] | None = None) -> Config:
    data: dict[str, Any] = {"app": {"domain": domain, "canonical": canonical}}
    if records is not None:
        data["dns"] = {"records": records}
    return Config.model_validate(data)


RECORD_HOSTS = [
    ("at is the apex", "@", "acme.test"),
    ("bare label", "status", "status.acme.test"),
    ("already qualified", "docs.acme.test", "docs.acme.test"),
    ("absolute name", "other.example.", "other.example"),
    ("case", "API", "api.acme.test"),
]


@pytest.mark.parametrize(("name", "expected"), [r[1:] for r in RECORD_HOSTS],
                         ids=[r[0] for r in RECORD_HOSTS])
def test_record_host(name: str, expected: str) -> None:
    assert record_host(name, APEX) == expected


def test_mapped_hosts_keep_web_names_only() -> None:
    config = _plan_config(APEX, f"https://{APP}", [
        {"name": "@", "type": "A", "values": ["192.0.2.1"]},
        {"name": "www", "type": "CNAME", "values": ["acme.test."]},
        {"name": "status", "type": "CNAME", "values": ["statuspage.example."]},
        {"name": "mail", "type": "A", "values": ["192.0.2.2"]},
        {"name": "ns1", "type": "A", "values": ["192.0.2.3"]},
        {"name": "mx2", "type": "A", "values": ["192.0.2.4"]},
        {"name": "inbound", "type": "A", "values": ["192.0.2.5"]},
        {"name": "@", "type": "MX", "values": ["10 inbound.acme.test."]},
        {"name": "_dmarc", "type": "TXT", "values": ["v=DMARC1; p=none"]},
        {"name": "*", "type": "A", "values": ["192.0.2.1"]},
        {"name": "api", "type": "AAAA", "values": ["2001:db8::1"]},
    ])
    assert mapped_hosts(config) == ("acme.test", "www.acme.test", "status.acme.test",
                                    "api.acme.test")


HTTP_PORTS = [
    ("nothing pinned", {}, 80),
    ("pinned on 80", {("a.test", 80): "x", ("a.test", 8080): "x"}, 80),
    ("pinned on https port only", {("a.test", 8443): "x"}, 80),
    ("one other pinned port", {("a.test", 8443): "x", ("a.test", 8080): "x"}, 8080),
    ("two other pinned ports: ambiguous", {("a.test", 8081): "x", ("a.test", 8080): "x"}, 80),
    ("other host pinned", {("b.test", 8080): "x"}, 80),
]


@pytest.mark.parametrize(("resolve", "expected"), [h[1:] for h in HTTP_PORTS],
                         ids=[h[0] for h in HTTP_PORTS])
def test_http_port_rule(resolve: dict[tuple[str, int], str], expected: int) -> None:
    assert http_port_for("a.test", 8443, resolve) == expected


def test_plan_orders_hosts_and_uses_the_canonical_url() -> None:
    config = _plan_config(APEX, f"https://{APP}:8443/dashboard",
                          [{"name": "status", "type": "A", "values": ["192.0.2.9"]}])
    plan = matrix_plan(config, {(APP, 8443): "127.0.0.1", (APP, 8080): "127.0.0.1"})
    assert plan.hosts == (APEX, WWW, APP, f"status.{APEX}")
    urls = [s.url for s in plan.starts]
    assert urls == [
        "http://acme.test/", "https://acme.test:8443/",
        "http://www.acme.test/", "https://www.acme.test:8443/",
        "http://app.acme.test:8080/", f"https://{APP}:8443/dashboard",
        "http://status.acme.test/", "https://status.acme.test:8443/",
    ]
    assert plan.starts[5].probe_url == f"https://{APP}:8443/launchready-probe?x=1"
    assert plan.canonical_origin == ("https", APP, 8443)


def test_plan_from_a_url_alone() -> None:
    plan = matrix_plan(_plan_config(None, "https://app.acme.test"), {})
    assert [s.url for s in plan.starts] == ["http://app.acme.test/", "https://app.acme.test"]
    assert plan.starts[0].roles == {Role.CANONICAL}


def test_apex_as_canonical_has_both_roles() -> None:
    plan = matrix_plan(_plan_config(APEX, "https://acme.test/"), {})
    assert plan.starts[0].roles == {Role.APEX, Role.CANONICAL}


def test_rule_ids_are_in_the_catalog() -> None:
    assert all(rid in BY_ID for rid in RedirectMatrix.rule_ids)


def test_family_skips_without_targets() -> None:
    ctx = cast(Any, SimpleNamespace(config=_plan_config(None, None)))
    assert RedirectMatrix().skip_reason(ctx) is not None


# --- the pure judgement --------------------------------------------------------------------------

def _resp(url: str, status: int | None = 200, location: str | None = None, *,
          hsts: tuple[str, ...] = (), html: str | None = None, error: str | None = None,
          ) -> HttpResponse:
    headers: list[tuple[str, str]] = [("Strict-Transport-Security", v) for v in hsts]
    if location is not None:
        headers.append(("Location", location))
    body = b""
    if html is not None:
        headers.append(("Content-Type", "text/html; charset=utf-8"))
        body = html.encode()
    return HttpResponse(url=url, status=None if error else status, headers=tuple(headers),
                        body=body, error=error)


GOOD_HSTS = ("max-age=31536000; includeSubDomains",)
APP_PAGE = "<!doctype html><title>Acme Dashboard</title><p>hi"


def _ok(url: str) -> HttpResponse:
    return _resp(url, 200, hsts=GOOD_HSTS if url.startswith("https") else (), html=APP_PAGE)


def _moved(url: str, to: str) -> HttpResponse:
    return _resp(url, 301, to, hsts=GOOD_HSTS if url.startswith("https") else ())


def _good_chains(host: str) -> dict[str, RedirectChain]:
    """Chains of a well-behaved site for one host: http -> https same host -> canonical."""
    app = f"https://{APP}/"
    if host == APP:
        return {"http": RedirectChain(start=f"http://{APP}/",
                                      hops=(_moved(f"http://{APP}/", app), _ok(app))),
                "https": RedirectChain(start=app, hops=(_ok(app),))}
    return {"http": RedirectChain(start=f"http://{host}/", hops=(
                _moved(f"http://{host}/", f"https://{host}/"),
                _moved(f"https://{host}/", app), _ok(app))),
            "https": RedirectChain(start=f"https://{host}/", hops=(
                _moved(f"https://{host}/", app), _ok(app)))}


def _obs(overrides: dict[tuple[str, str], RedirectChain] | None = None,
         probes: dict[tuple[str, str], RedirectChain] | None = None,
         mapped: tuple[str, ...] = ()) -> MatrixObservation:
    records = [{"name": m.split(".")[0], "type": "A", "values": ["192.0.2.1"]} for m in mapped]
    plan = matrix_plan(_plan_config(APEX, f"https://{APP}/", records), {})
    rows = []
    for start in plan.starts:
        key = (start.host, start.scheme)
        chain = (overrides or {}).get(key) or _good_chains(start.host)[start.scheme]
        rows.append(StartObservation(start=start, chain=chain, probe=(probes or {}).get(key)))
    return MatrixObservation(plan=plan, rows=tuple(rows))


def _pure_ctx(timeout: float = 5) -> Context:
    return Context(loaded=cast(Any, None), probes=cast(Any, None), environ={},
                   now=datetime.now(UTC), timeout=timeout)


def _evaluate(obs: MatrixObservation) -> list[Finding]:
    return list(RedirectMatrix().evaluate(obs, _pure_ctx()).findings)


def _chain(*hops: HttpResponse, loop: bool = False, capped: bool = False) -> RedirectChain:
    return RedirectChain(start=hops[0].url, hops=hops, loop=loop, capped=capped)


CASES: list[tuple[str, dict[tuple[str, str], RedirectChain], list[tuple[str, Severity]]]] = [
    ("good site", {}, []),
    ("HTTP jumps to the canonical host", {
        (APEX, "http"): _chain(_moved(f"http://{APEX}/", f"https://{APP}/"),
                               _ok(f"https://{APP}/"))},
     [("TLS007", Severity.HIGH)]),
    ("HTTP serves content", {
        (WWW, "http"): _chain(_ok(f"http://{WWW}/"))},
     [("TLS007", Severity.HIGH)]),
    ("HTTP redirects within HTTP first", {
        (APEX, "http"): _chain(_moved(f"http://{APEX}/", f"http://{APEX}/home"),
                               _moved(f"http://{APEX}/home", f"https://{APEX}/home"),
                               _moved(f"https://{APEX}/home", f"https://{APP}/home"),
                               _ok(f"https://{APP}/home"))},
     [("TLS007", Severity.HIGH), ("WEB002", Severity.MEDIUM)]),
    ("HTTP to HTTPS on another port of the same host is fine", {
        (APEX, "http"): _chain(_moved(f"http://{APEX}/", f"https://{APEX}:8443/"),
                               _moved(f"https://{APEX}:8443/", f"https://{APP}/"),
                               _ok(f"https://{APP}/"))},
     []),
    ("HTTP not served at all is not a TLS007", {
        (APEX, "http"): _chain(_resp(f"http://{APEX}/", error="connect: Connection refused"))},
     []),
    ("HTTPS downgrade hop", {
        (APEX, "https"): _chain(_moved(f"https://{APEX}/", f"http://{APP}/"),
                                _moved(f"http://{APP}/", f"https://{APP}/"),
                                _ok(f"https://{APP}/"))},
     [("TLS007", Severity.HIGH)]),
    ("three redirects", {
        (WWW, "http"): _chain(_moved(f"http://{WWW}/", f"https://{WWW}/"),
                              _moved(f"https://{WWW}/", f"https://{APEX}/"),
                              _moved(f"https://{APEX}/", f"https://{APP}/"),
                              _ok(f"https://{APP}/"))},
     [("WEB002", Severity.MEDIUM)]),
    ("redirect loop", {
        (APP, "https"): _chain(_moved(f"https://{APP}/", f"https://{APP}/a"),
                               _moved(f"https://{APP}/a", f"https://{APP}/"), loop=True)},
     [("WEB002", Severity.HIGH)]),
    ("too many redirects", {
        (APP, "https"): _chain(*(_moved(f"https://{APP}/{i}", f"https://{APP}/{i + 1}")
                                 for i in range(10)), capped=True)},
     [("WEB002", Severity.HIGH)]),
    ("www serves content", {
        (WWW, "https"): _chain(_ok(f"https://{WWW}/"))},
     [("WEB001", Severity.MEDIUM)]),
    ("apex lands elsewhere", {
        (APEX, "https"): _chain(_moved(f"https://{APEX}/", "https://parked.example/"),
                                _ok("https://parked.example/"))},
     [("WEB001", Severity.MEDIUM)]),
    ("HSTS missing on the apex redirect", {
        (APEX, "https"): _chain(_resp(f"https://{APEX}/", 301, f"https://{APP}/"),
                                _ok(f"https://{APP}/"))},
     [("TLS006", Severity.MEDIUM)]),
    ("HSTS short on the canonical host", {
        (APP, "https"): _chain(_resp(f"https://{APP}/", 200, hsts=("max-age=600",),
                                     html=APP_PAGE))},
     [("TLS006", Severity.LOW)]),
    ("hostile Location is data", {
        (WWW, "https"): _chain(_resp(f"https://{WWW}/", 302, "javascript:alert(1)",
                                     hsts=GOOD_HSTS))},
     []),
]


@pytest.mark.parametrize(("chains", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_evaluate(chains: dict[tuple[str, str], RedirectChain],
                  expected: list[tuple[str, Severity]]) -> None:
    findings = _evaluate(_obs(chains))
    assert sorted((f.rule_id, f.severity) for f in findings) == sorted(expected)
    for finding in findings:
        assert finding.evidence and finding.fix and finding.impact


def test_hostile_location_stays_in_the_table() -> None:
    obs = _obs({(WWW, "https"): _chain(_resp(f"https://{WWW}/", 302, "javascript:alert(1)",
                                             hsts=GOOD_HSTS))})
    (table,) = RedirectMatrix().evaluate(obs, _pure_ctx()).tables
    row = next(r for r in table.rows if r[0] == WWW and r[1] == "https")
    assert row[5] == "302 to a non-HTTP URL"


DEEP_LINKS = [
    ("path and query kept", f"https://{APP}/launchready-probe?x=1", []),
    ("path dropped", f"https://{APP}/", ["path+query"]),
    ("query dropped", f"https://{APP}/launchready-probe", ["query"]),
]


@pytest.mark.parametrize(("location", "lost"), [d[1:] for d in DEEP_LINKS],
                         ids=[d[0] for d in DEEP_LINKS])
def test_deep_links(location: str, lost: list[str]) -> None:
    probe_url = f"https://{APEX}/launchready-probe?x=1"
    probe = _chain(_moved(probe_url, location), _resp(location, 404))
    findings = _evaluate(_obs(probes={(APEX, "https"): probe}))
    web003 = [f for f in findings if f.rule_id == "WEB003"]
    assert [f.severity for f in web003] == [Severity.LOW] * len(lost)
    assert all(("path" in f.evidence) == ("path" in lost[0]) for f in web003)


def test_same_origin_redirect_to_login_is_not_a_dropped_path() -> None:
    probe_url = f"https://{APP}/launchready-probe?x=1"
    probe = _chain(_moved(probe_url, f"https://{APP}/login"), _ok(f"https://{APP}/login"))
    assert not [f for f in _evaluate(_obs(probes={(APP, "https"): probe}))
                if f.rule_id == "WEB003"]


SUBDOMAINS = [
    ("redirects to the app", _chain(_moved("https://status.acme.test/", f"https://{APP}/"),
                                    _ok(f"https://{APP}/")), None),
    ("same app", _chain(_ok("https://status.acme.test/")), None),
    ("auth wall", _chain(_resp("https://status.acme.test/", 401)), None),
    ("json api", _chain(_resp("https://status.acme.test/", 200)), None),
    ("server error", _chain(_resp("https://status.acme.test/", 502, html="<title>x</title>")),
     Severity.HIGH),
    ("not found", _chain(_resp("https://status.acme.test/", 404)), Severity.HIGH),
    ("nginx default page", _chain(_resp("https://status.acme.test/", 200,
                                        html="<title>Welcome to nginx!</title>")),
     Severity.HIGH),
    ("parking page", _chain(_resp("https://status.acme.test/", 200,
                                  html="<title>x</title><h1>This domain is for sale</h1>")),
     Severity.HIGH),
    ("another app", _chain(_resp("https://status.acme.test/", 200,
                                 html="<title>Grafana</title>")), Severity.MEDIUM),
    ("refuses HTTPS", _chain(_resp("https://status.acme.test/",
                                   error="connect: Connection refused")), Severity.HIGH),
    ("TLS error", _chain(_resp("https://status.acme.test/",
                               error="tls: hostname mismatch")), Severity.HIGH),
    ("timeout is not judged", _chain(_resp("https://status.acme.test/",
                                           error="timeout after 2s")), None),
]


@pytest.mark.parametrize(("chain", "severity"), [s[1:] for s in SUBDOMAINS],
                         ids=[s[0] for s in SUBDOMAINS])
def test_subdomains(chain: RedirectChain, severity: Severity | None) -> None:
    host = f"status.{APEX}"
    http = _chain(_moved(f"http://{host}/", f"https://{host}/"), *chain.hops)
    obs = _obs({(host, "https"): chain, (host, "http"): http}, mapped=(host,))
    web010 = [f for f in _evaluate(obs) if f.rule_id == "WEB010"]
    assert [f.severity for f in web010] == ([severity] if severity else [])


# --- real nginx ----------------------------------------------------------------------------------

HSTS_GOOD = 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;'
PAGE = ("<!doctype html><html><head><title>Acme Dashboard</title></head>"
        "<body><script src=\"/app.js\"></script></body></html>")


def _config(ng: Nginx, https: int, http: int, *, mapped: tuple[str, ...] = (),
            extra: tuple[str, ...] = (), timeout: float = 3.0) -> Config:
    hosts = {APEX, WWW, APP, *(f"{m}.{APEX}" for m in mapped), *extra}
    return Config.model_validate({
        "app": {"name": "Acme", "domain": APEX, "canonical": f"https://{APP}:{https}"},
        "network": {"resolve": [f"{h}:{p}:127.0.0.1" for h in sorted(hosts)
                                for p in (https, http)],
                    "ca_bundle": str(ng.ca_bundle), "timeout": timeout},
        "dns": {"records": [{"name": m, "type": "A", "values": ["127.0.0.1"]}
                            for m in mapped]},
    })


def _audit(config: Config) -> Report:
    return asyncio.run(arun_audit(config, families=[RedirectMatrix()]))


def _by_rule(report: Report) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in report.findings:
        out.setdefault(finding.rule_id, []).append(finding)
    return out


def _status(report: Report) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in report.checks}


def test_nginx_good_site_passes_every_rule(nginx_factory: NginxFactory) -> None:
    # Given nginx redirecting http -> https on the same host, apex/www/status -> canonical,
    # keeping $request_uri, with HSTS everywhere
    ng = nginx_factory()
    https, http = ng.port(), ng.port()
    tls = ng.tls(APEX, WWW, APP, f"status.{APEX}")
    ng.start(f"""
        server {{ listen 127.0.0.1:{http}; return 301 https://$host:{https}$request_uri; }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APEX} {WWW} status.{APEX}; {tls}
            {HSTS_GOOD}
            return 301 https://{APP}:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APP}; {tls} {HSTS_GOOD}
            location = / {{ return 200 '{PAGE}'; }}
            location / {{ return 404; }}
        }}""")
    # When the matrix runs
    report = _audit(_config(ng, https, http, mapped=("status",)))
    # Then every rule passes and the table shows each start landing on the canonical URL
    assert report.findings == ()
    assert set(_status(report).values()) == {CheckStatus.PASS}
    (table,) = report.tables
    assert len(table.rows) == 8
    assert {row[4] for row in table.rows} == {f"https://{APP}:{https}/",
                                              f"https://{APP}:{https}"}
    assert all(row[-1] == "ok" for row in table.rows)
    # each hop's certificate is attributed to its own hostname
    apex_http = next(r for r in table.rows if r[0] == APEX and r[1] == "http")
    assert apex_http[3] == "301 → 301 → 200"
    assert apex_http[6].startswith(f"{APEX}: ok, ") and f"; {APP}: ok, " in apex_http[6]
    assert apex_http[7] == "-"
    apex_https = next(r for r in table.rows if r[0] == APEX and r[1] == "https")
    assert apex_https[7] == ("max-age=31536000; includeSubDomains (not preload-ready: "
                             "preload)")


def test_nginx_flawed_site_fails_every_rule(nginx_factory: NginxFactory) -> None:
    # Given nginx with one flaw per name
    ng = nginx_factory()
    https, http = ng.port(), ng.port()
    names = [APEX, WWW, APP, f"old.{APEX}", *(f"{m}.{APEX}" for m in
                                              ("loop", "default", "broken", "other", "down",
                                               "evil", "xss"))]
    tls = ng.tls(*names)
    evil_title = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    ng.start(f"""
        server {{
            listen 127.0.0.1:{http}; server_name {APEX};
            add_header Strict-Transport-Security "max-age=31536000" always;
            return 301 https://{APP}:{https}$request_uri;
        }}
        server {{ listen 127.0.0.1:{http}; server_name {WWW}; return 200 '{PAGE}'; }}
        server {{ listen 127.0.0.1:{http}; server_name down.{APEX}; return 200 'plain'; }}
        server {{
            listen 127.0.0.1:{http} default_server;
            add_header Strict-Transport-Security "max-age=31536000" always;
            return 301 https://$host:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APEX}; {tls}
            return 301 https://{WWW}:{https}/;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {WWW}; {tls}
            add_header Strict-Transport-Security "max-age=31536000" always;
            add_header Strict-Transport-Security "max-age=31536000" always;
            return 301 https://old.{APEX}:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name old.{APEX}; {tls}
            return 301 https://{APP}:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APP}; {tls}
            add_header Strict-Transport-Security "max-age=86400" always;
            location = / {{ return 200 '{PAGE}'; }}
            location / {{ return 404; }}
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name loop.{APEX}; {tls} {HSTS_GOOD}
            return 302 https://loop.{APEX}:{https}/;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name default.{APEX}; {tls} {HSTS_GOOD}
            return 200 '<html><head><title>Welcome to nginx!</title></head></html>';
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name broken.{APEX}; {tls} {HSTS_GOOD}
            return 502;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name other.{APEX}; {tls} {HSTS_GOOD}
            return 200 '<title>{evil_title}</title>';
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name down.{APEX}; {tls} {HSTS_GOOD}
            return 301 http://down.{APEX}:{http}/;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name evil.{APEX}; {tls} {HSTS_GOOD}
            return 302 "javascript:alert(1)";
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name xss.{APEX}; {tls} {HSTS_GOOD}
            return 301 'https://{APP}:{https}/"><img src=x onerror=alert(1)>';
        }}""")
    # When the matrix runs
    report = _audit(_config(ng, https, http,
                            mapped=("loop", "default", "broken", "other", "down", "evil",
                                    "xss"),
                            extra=(f"old.{APEX}",)))
    found = _by_rule(report)
    targets = {rid: sorted(f.target for f in fs) for rid, fs in found.items()}
    titles = {rid: sorted(f.title for f in fs) for rid, fs in found.items()}
    # Then: TLS007 — apex jumps hosts, www and down.* serve HTTP content, down.* downgrades
    assert targets["TLS007"] == sorted([f"http://{APEX}:{http}/", f"http://{WWW}:{http}/",
                                        f"http://down.{APEX}:{http}/",
                                        f"https://down.{APEX}:{https}/"])
    assert "HTTPS redirects back to plain HTTP" in titles["TLS007"]
    # WEB002 — the loop (high) and apex -> www -> old -> app (3 redirects, medium)
    web002 = {f.target: f.severity for f in found["WEB002"]}
    assert web002[f"https://loop.{APEX}:{https}/"] is Severity.HIGH
    assert web002[f"https://{APEX}:{https}/"] is Severity.MEDIUM
    # WEB003 — the apex, down.* and xss.* redirects to a fixed path drop the deep link; the
    # hostile Location is carried as text
    assert targets["WEB003"] == [f"https://{APEX}:{https}/", f"https://down.{APEX}:{https}/",
                                 f"https://xss.{APEX}:{https}/"]
    xss = next(f for f in found["WEB003"] if f.target.startswith("https://xss."))
    assert '"><img src=x onerror=alert(1)>' in xss.evidence
    # WEB001 — www serves content over HTTP... its HTTPS lands on the canonical host, so only
    # the plain-HTTP page of www is a TLS007, not a WEB001; the apex lands on the canonical
    # host too. Nothing else lands elsewhere.
    assert "WEB001" not in found
    # WEB010 — default page, 502, another app (hostile title carried as data), loop excluded
    web010 = {f.target: f for f in found["WEB010"]}
    assert web010[f"https://default.{APEX}:{https}/"].severity is Severity.HIGH
    assert "nginx default page" in web010[f"https://default.{APEX}:{https}/"].evidence
    assert "answers 502" in web010[f"https://broken.{APEX}:{https}/"].evidence
    other = web010[f"https://other.{APEX}:{https}/"]
    assert other.severity is Severity.MEDIUM
    assert "onerror=alert(1)" in other.evidence
    # TLS006 — apex missing (medium), www duplicated (low), app short (low); HTTP copy noted
    tls006 = {f.target: f for f in found["TLS006"]}
    assert tls006[f"https://{APEX}:{https}/"].severity is Severity.MEDIUM
    assert tls006[f"https://{WWW}:{https}/"].title == "HSTS header sent more than once"
    assert tls006[f"https://{APP}:{https}/"].severity is Severity.LOW
    assert "sent over plain HTTP" in tls006[f"https://{APEX}:{https}/"].evidence
    # the javascript: Location is data in the table, not a crash
    (table,) = report.tables
    evil = next(r for r in table.rows if r[0] == f"evil.{APEX}" and r[1] == "https")
    assert evil[5] == "302 to a non-HTTP URL"
    assert all(c.status is not CheckStatus.ERROR for c in report.checks)


def test_nginx_www_serving_content_and_landing_elsewhere(nginx_factory: NginxFactory) -> None:
    ng = nginx_factory()
    https, http = ng.port(), ng.port()
    tls = ng.tls(APEX, WWW, APP)
    ng.start(f"""
        server {{ listen 127.0.0.1:{http}; return 301 https://$host:{https}$request_uri; }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APEX}; {tls} {HSTS_GOOD}
            return 301 https://{WWW}:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {WWW} {APP}; {tls} {HSTS_GOOD}
            location = / {{ return 200 '{PAGE}'; }}
            location / {{ return 404; }}
        }}""")
    report = _audit(_config(ng, https, http))
    web001 = {f.target: f.title for f in _by_rule(report)["WEB001"]}
    assert web001 == {
        f"https://{WWW}:{https}/": f"{WWW} serves the site instead of redirecting",
        f"https://{APEX}:{https}/": f"{APEX} does not lead to the canonical URL",
    }


def test_nginx_hsts_variants(nginx_factory: NginxFactory) -> None:
    variants = {
        "missing": "",
        "zero": 'add_header Strict-Transport-Security "max-age=0" always;',
        "short": 'add_header Strict-Transport-Security "max-age=3600" always;',
        "malformed": 'add_header Strict-Transport-Security "includeSubDomains" always;',
        "good": HSTS_GOOD,
        "preload": ('add_header Strict-Transport-Security '
                    '"max-age=63072000; includeSubDomains; preload" always;'),
    }
    ng = nginx_factory()
    https, http = ng.port(), ng.port()
    tls = ng.tls(APEX, WWW, APP, *(f"{v}.{APEX}" for v in variants))
    blocks = "\n".join(
        f"server {{ listen 127.0.0.1:{https} ssl; server_name {name}.{APEX}; {tls} {header}"
        f" return 301 https://{APP}:{https}$request_uri; }}" for name, header in variants.items())
    ng.start(f"""
        server {{ listen 127.0.0.1:{http}; return 301 https://$host:{https}$request_uri; }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APEX} {WWW}; {tls} {HSTS_GOOD}
            return 301 https://{APP}:{https}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name {APP}; {tls} {HSTS_GOOD}
            return 200 '{PAGE}';
        }}
        {blocks}""")
    report = _audit(_config(ng, https, http, mapped=tuple(variants)))
    got = {f.target.split(".")[0].removeprefix("https://"): (f.title, f.severity)
           for f in _by_rule(report).get("TLS006", [])}
    assert got == {
        "missing": ("HSTS missing", Severity.MEDIUM),
        "zero": ("HSTS switched off (max-age=0)", Severity.MEDIUM),
        "short": ("HSTS max-age under 180 days", Severity.LOW),
        "malformed": ("HSTS header ignored (malformed)", Severity.MEDIUM),
    }


# --- timeouts: a tarpit and a never-finishing TLS server in the matrix ----------------------------

def test_stalling_hosts_time_out_without_stalling_the_rest(
        cert_zoo: CertZoo, nginx_factory: NginxFactory) -> None:
    # Given a working nginx host and the zoo's tarpit and never-handshaking servers in one plan
    ng = nginx_factory()
    https = ng.port()
    tls = ng.tls(APP)
    ng.start(f"""server {{ listen 127.0.0.1:{https} ssl; server_name {APP}; {tls} {HSTS_GOOD}
                 return 200 '{PAGE}'; }}""")
    zoo_host = cert_zoo["tarpit"].host
    starts = (
        Start(host=APP, roles=frozenset({Role.CANONICAL}), scheme="https", port=https,
              url=f"https://{APP}:{https}/"),
        *(Start(host=zoo_host, roles=frozenset({Role.MAPPED}), scheme="https",
                port=cert_zoo[case].port, url=cert_zoo.url(case))
          for case in ("tarpit", "no-handshake")),
    )
    plan = MatrixPlan(starts=starts, canonical=f"https://{APP}:{https}/",
                      canonical_origin=("https", APP, https), apex=None)
    timeout = 0.6
    resolve = {**cert_zoo.resolve, (APP, https): "127.0.0.1"}

    async def run() -> tuple[MatrixObservation, float]:
        http = HttpProbe(resolve=resolve, ca_bundle=str(ng.ca_bundle), timeout=timeout)
        probe = TlsProbe(resolve=resolve, ca_bundle=str(ng.ca_bundle), timeout=timeout)
        started = time.perf_counter()
        try:
            obs = await gather_matrix(plan, http, probe)
        finally:
            await http.aclose()
        return obs, time.perf_counter() - started

    # When the matrix gathers them together
    obs, elapsed = asyncio.run(run())
    # Then the stalled hosts fail as "timeout" at the configured timeout, concurrently,
    # and the working host's result is there
    assert elapsed < timeout * 4
    states = [r.chain.final.error or str(r.chain.final.status) for r in obs.rows]
    assert states[0] == "200"
    assert all(s.startswith("timeout") for s in states[1:])
    assert [t.failure for t in obs.tls if t.host == zoo_host] == ["timeout", "timeout"]
    outcome = RedirectMatrix().evaluate(obs, _pure_ctx(timeout))
    (table,) = outcome.tables
    assert [row[5] for row in table.rows] == ["200", "timeout", "timeout"]
    assert "timeout" in outcome.errors["WEB010"]
    assert "WEB001" not in outcome.errors


# --- the demo ------------------------------------------------------------------------------------

def _demo_report(tmp_path: Path, *, fixed: bool) -> Report:
    async def run() -> Report:
        site = await start_site(fixed=fixed, workdir=tmp_path, invoices=100,
                                password=secrets.token_urlsafe(12))
        try:
            # the config launchready demo builds: domain, canonical, resolve pins for both ports
            config = Config.model_validate({
                "app": {"name": "Acme Dashboard", "domain": site.apex,
                        "canonical": site.canonical},
                "network": {"resolve": site.resolve, "ca_bundle": str(site.ca_bundle),
                            "timeout": 5},
            })
            return await arun_audit(config, families=[RedirectMatrix(), ProtocolVersions()])
        finally:
            await site.stop()

    return asyncio.run(run())


def test_flawed_demo_shows_its_host_flaws(tmp_path: Path) -> None:
    report = _demo_report(tmp_path, fixed=False)
    found = _by_rule(report)
    assert sorted(f.target.split("//")[1].split(":")[0] for f in found["TLS007"]) == [
        APEX, WWW]
    assert [f.title for f in found["WEB001"]] == [f"{WWW} serves the site instead of redirecting"]
    assert sorted(f.title for f in found["TLS006"]) == ["HSTS missing"] * 3
    assert set(found) == {"TLS006", "TLS007", "WEB001"}


def test_fixed_demo_passes(tmp_path: Path) -> None:
    report = _demo_report(tmp_path, fixed=True)
    assert report.findings == ()
    assert set(_status(report).values()) == {CheckStatus.PASS}
