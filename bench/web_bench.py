"""Benchmark: launchready's web audit against testssl.sh on the same five local hostnames.

One nginx (the test-suite harness, ``tests/nginxharness.py``) serves five names of a small,
deliberately imperfect site on 127.0.0.1 with certificates from a throwaway CA:

* ``acme.test``        HTTP jumps straight to the app host; HTTPS redirects without HSTS
* ``www.acme.test``    serves the page itself, HSTS max-age of one day
* ``app.acme.test``    the canonical page, HSTS for a year, one ``http://`` script (mixed content)
* ``status.acme.test`` nginx's "Welcome to nginx!" page
* ``docs.acme.test``   redirects to the app, keeping the path

and the port's default server still accepts TLS 1.0 and 1.1 (nginx negotiates the protocol
before it picks the server block, so this holds for every name).

Then, in the same process and on the same hosts:

1. ``launchready`` — every registered family selected by ``launchready web`` (TLS, WEB, SEC004,
   SEC009) plus the redirect-matrix and protocol families, through ``arun_audit``; run three
   times, the median is reported.
2. ``testssl.sh`` — its default full run per hostname (``--ip 127.0.0.1 --nodns none --add-ca``,
   so nothing leaves the machine), the five runs in parallel, one JSON file each.

It prints both wall-clock times, the ratio, and for each of testssl.sh's findings (severity LOW
or worse) the launchready rule that covers it and whether launchready reported it. testssl.sh
is installed with apt when missing (Debian package ``testssl.sh``); when that is impossible the
launchready figures are printed alone. Always exits 0: it measures, it does not judge.

Run: ``python bench/web_bench.py`` (``make bench``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from launchready.checks.base import CheckFamily  # noqa: E402
from launchready.checks.registry import FAMILIES  # noqa: E402
from launchready.checks.web.matrix import RedirectMatrix  # noqa: E402
from launchready.checks.web.protocols import ProtocolVersions  # noqa: E402
from launchready.config.models import Config  # noqa: E402
from launchready.engine import Selection, arun_audit  # noqa: E402
from launchready.model import Report  # noqa: E402
from nginxharness import Nginx, nginx_instances  # noqa: E402

APEX = "acme.test"
HOSTS = (APEX, f"www.{APEX}", f"app.{APEX}", f"status.{APEX}", f"docs.{APEX}")
WEB_SELECTION = Selection(only=("TLS", "WEB", "SEC004", "SEC009"))
LAUNCHREADY_RUNS = 3
TESTSSL_TIMEOUT = 900.0

# testssl.sh finding id (exact, or prefix ending in "*") -> the launchready rule covering it
COVERAGE: tuple[tuple[str, str], ...] = (
    ("TLS1", "TLS005"), ("TLS1_1", "TLS005"),
    ("HSTS*", "TLS006"),
    ("cert_expirationStatus", "TLS002"), ("cert_notAfter", "TLS002"),
    ("cert_chain_of_trust", "TLS004"), ("cert_trust", "TLS003"),
    ("X-Frame-Options", "WEB004"), ("X-Content-Type-Options", "WEB004"),
    ("Content-Security-Policy", "WEB004"), ("Referrer-Policy", "WEB004"),
    ("security_headers", "WEB004"),
    ("cookie_secure", "WEB008"), ("cookie_httponly", "WEB008"),
    ("banner_application", "WEB007"), ("banner_server", "WEB007"),
    ("DNS_CAArecord", "DNS005"),
)
_BAD = ("LOW", "MEDIUM", "HIGH", "CRITICAL")

PAGE = ("<!doctype html><html><head><title>Acme Dashboard</title>"
        "<script src=\"http://cdn.acme.test/app.js\"></script></head><body>hi</body></html>")


def _site_config(ng: Nginx, https: int, http: int) -> str:
    tls = ng.tls(*HOSTS)
    app = f"https://app.{APEX}:{https}"
    hsts_year = 'add_header Strict-Transport-Security "max-age=31536000" always;'
    return f"""
        server {{
            listen 127.0.0.1:{http} default_server;
            return 301 https://$host:{https}$request_uri;
        }}
        server {{ listen 127.0.0.1:{http}; server_name {APEX}; return 301 {app}$request_uri; }}
        server {{
            listen 127.0.0.1:{https} ssl default_server; server_name {APEX}; {tls}
            ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers DEFAULT:@SECLEVEL=0;
            return 301 {app}$request_uri;
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name www.{APEX}; {tls}
            add_header Strict-Transport-Security "max-age=86400" always;
            return 200 '{PAGE}';
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name app.{APEX}; {tls} {hsts_year}
            location = / {{ return 200 '{PAGE}'; }}
            location / {{ return 404; }}
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name status.{APEX}; {tls} {hsts_year}
            return 200 '<html><head><title>Welcome to nginx!</title></head></html>';
        }}
        server {{
            listen 127.0.0.1:{https} ssl; server_name docs.{APEX}; {tls} {hsts_year}
            return 301 {app}$request_uri;
        }}"""


def _families() -> list[CheckFamily[Any]]:
    families = [make() for make in FAMILIES]
    for extra in (RedirectMatrix, ProtocolVersions):
        if not any(isinstance(f, extra) for f in families):
            families.append(extra())
    return families


def _config(ng: Nginx, https: int, http: int) -> Config:
    return Config.model_validate({
        "app": {"name": "Acme bench", "domain": APEX, "canonical": f"https://app.{APEX}:{https}"},
        "network": {"resolve": [f"{h}:{p}:127.0.0.1" for h in HOSTS for p in (https, http)],
                    "ca_bundle": str(ng.ca_bundle), "timeout": 5},
        "dns": {"records": [{"name": n, "type": "A", "values": ["127.0.0.1"]}
                            for n in ("@", "www", "app", "status", "docs")]},
    })


def run_launchready(config: Config) -> tuple[float, Report]:
    """Median wall-clock seconds of LAUNCHREADY_RUNS audits, and the last report."""
    times: list[float] = []
    report: Report | None = None
    for _ in range(LAUNCHREADY_RUNS):
        started = time.perf_counter()
        report = asyncio.run(arun_audit(config, families=_families(), selection=WEB_SELECTION))
        times.append(time.perf_counter() - started)
    assert report is not None
    return statistics.median(times), report


def find_testssl() -> str | None:
    """The testssl.sh binary; installed with apt when missing and possible."""
    for name in ("testssl", "testssl.sh"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("testssl.sh is missing; install it with: sudo apt-get install testssl.sh")
        return None
    print("installing testssl.sh with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                    "testssl.sh"], env=env, check=False, capture_output=True, timeout=600)
    return shutil.which("testssl") or shutil.which("testssl.sh")


@dataclass(frozen=True, kw_only=True)
class TestsslFinding:
    """One testssl.sh result at LOW severity or worse."""

    host: str
    id: str
    severity: str
    finding: str


def run_testssl(binary: str, ca_bundle: Path, https: int, workdir: Path,
                ) -> tuple[float, list[TestsslFinding], list[str]]:
    """Wall-clock seconds for the five parallel runs, their findings, and any run errors."""
    procs: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    started = time.perf_counter()
    for host in HOSTS:
        out = workdir / f"testssl-{host}.json"
        cmd = [binary, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
               "--ip", "127.0.0.1", "--add-ca", str(ca_bundle), "--connect-timeout", "5",
               "--openssl-timeout", "5", "--jsonfile", str(out), f"https://{host}:{https}/"]
        procs.append((host, out, subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    errors: list[str] = []
    for host, _, proc in procs:
        try:
            proc.wait(timeout=max(1.0, TESTSSL_TIMEOUT - (time.perf_counter() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            errors.append(f"{host}: testssl.sh killed after {TESTSSL_TIMEOUT:g}s")
    elapsed = time.perf_counter() - started
    findings: list[TestsslFinding] = []
    for host, out, _ in procs:
        try:
            entries = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            errors.append(f"{host}: no JSON result ({exc})")
            continue
        for entry in entries:
            if entry.get("severity") in _BAD:
                findings.append(TestsslFinding(host=host, id=str(entry.get("id")),
                                               severity=str(entry["severity"]),
                                               finding=str(entry.get("finding", ""))))
    return elapsed, findings, errors


def covering_rule(testssl_id: str) -> str | None:
    """The launchready rule that covers a testssl.sh finding id, if any."""
    for pattern, rule in COVERAGE:
        if (pattern.endswith("*") and testssl_id.startswith(pattern[:-1])) or \
                testssl_id == pattern:
            return rule
    return None


def _reported(report: Report, rule: str, host: str) -> str:
    hits = [f for f in report.findings if f.rule_id == rule]
    if any(f"//{host}:" in f.target or f"//{host}/" in f.target for f in hits):
        return "yes"
    if hits:
        return "yes, for another name on this server"
    return "no"


def main() -> int:
    """Run both tools and print the figures."""
    with tempfile.TemporaryDirectory(prefix="launchready-web-bench-") as tmp, \
            nginx_instances(Path(tmp)) as make:
        ng = make()
        https, http = ng.port(), ng.port()
        ng.start(_site_config(ng, https, http))
        config = _config(ng, https, http)
        lr_seconds, report = run_launchready(config)
        print(f"launchready web audit, {len(HOSTS)} hostnames (median of {LAUNCHREADY_RUNS}): "
              f"{lr_seconds:.2f} s, {len(report.findings)} findings")
        for finding in report.findings:
            print(f"  {finding.rule_id:7} {finding.severity.value:8} {finding.target}  "
                  f"{finding.title}")
        binary = find_testssl()
        if binary is None:
            print("testssl.sh unavailable: comparison skipped")
            return 0
        ts_seconds, ts_findings, errors = run_testssl(binary, ng.ca_bundle, https, Path(tmp))
    print(f"testssl.sh default run, {len(HOSTS)} hostnames in parallel: {ts_seconds:.2f} s, "
          f"{len(ts_findings)} findings at LOW or worse")
    for error in errors:
        print(f"  testssl.sh error: {error}")
    ratio = ts_seconds / lr_seconds if lr_seconds > 0 else float("inf")
    print(f"ratio testssl.sh / launchready: {ratio:.1f}x")
    print("testssl.sh finding -> launchready rule: reported?")
    covered = 0
    for item in sorted(ts_findings, key=lambda f: (f.id, f.host)):
        rule = covering_rule(item.id)
        verdict = _reported(report, rule, item.host) if rule else "not covered"
        covered += verdict.startswith("yes")
        print(f"  {item.host:18} {item.id:28} {item.severity:8} -> {rule or '-':7} {verdict}"
              f"  ({item.finding[:60]})")
    print(f"launchready also reports {covered} of {len(ts_findings)} testssl.sh findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
