"""``launchready demo``: serve the bundled prototype on 127.0.0.1 and audit it.

Everything runs in this process with no network beyond loopback and no system packages: the
demo app over HTTPS with a throwaway CA, a plain-HTTP listener, and an in-process authoritative
DNS server for the demo zone. The report is printed and written to ``launchready-report.html``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from launchready.checks.env.demo_project import write_demo_project
from launchready.config.models import Config
from launchready.demo.app import DEMO_EMAIL
from launchready.demo.dnsserver import ZoneServer
from launchready.demo.server import DemoSite, start_site
from launchready.demo.webapp import ROLLBACK, build_command, make_web_repo
from launchready.engine import arun_audit
from launchready.handover import build_handover, render_handover
from launchready.model import Report
from launchready.output import emit
from launchready.pipeline import arun_report, exit_status
from launchready.report import Format, render
from launchready.secrets.sample_repo import make_sample_repo

DOMAIN = "acme.test"
REPORT_FILE = "launchready-report.html"
#: enough invoices that scanning them shows in p95, few enough to seed in about a second
INVOICES = 800_000
REPORT_BUDGET_MS = 400.0


def dkim_record() -> list[bytes]:
    """A fresh 2048-bit DKIM public key record, split into 255-byte strings as DNS needs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    text = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    return [text[i:i + 255] for i in range(0, len(text), 255)]


def demo_zone(*, fixed: bool) -> dict[str, list[tuple[str, object]]]:
    """The demo zone: every name points at 127.0.0.1.

    Flawed: SPF ends in ``~all`` and includes a newsletter service nobody approved; no DMARC.
    Fixed: SPF lists only the approved sender and ends in ``-all``; DMARC ``p=reject``.
    """
    spf = ("v=spf1 include:spf.mailer.test -all" if fixed else
           "v=spf1 include:spf.mailer.test include:spf.oldnewsletter.test ~all")
    zone: dict[str, list[tuple[str, object]]] = {
        DOMAIN: [("A", "127.0.0.1"), ("NS", f"ns1.{DOMAIN}."),
                 ("MX", f"10 mail.{DOMAIN}."), ("TXT", spf)],
        f"www.{DOMAIN}": [("A", "127.0.0.1")],
        f"app.{DOMAIN}": [("A", "127.0.0.1")],
        f"ns1.{DOMAIN}": [("A", "127.0.0.1")],
        f"mail.{DOMAIN}": [("A", "127.0.0.1")],
        f"mail._domainkey.{DOMAIN}": [("TXT", dkim_record())],
        "spf.mailer.test": [("TXT", "v=spf1 ip4:127.0.0.0/8 -all")],
        "spf.oldnewsletter.test": [("TXT", "v=spf1 ip4:198.51.100.0/24 -all")],
    }
    if fixed:
        zone[f"_dmarc.{DOMAIN}"] = [("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")]
        zone[DOMAIN].append(("CAA", '0 issue "letsencrypt.org"'))
    else:
        # a status page that was moved off Heroku; the CNAME was left behind (takeover risk)
        zone[f"status.{DOMAIN}"] = [("CNAME", "acme-status.herokuapp.com.")]
    return zone


def demo_monitor(site: DemoSite, workdir: Path) -> dict[str, object]:
    """The fixed demo's uptime monitor: homepage, auth flow, core route and health, one route.

    The flawed demo has none (OBS002, OBS003): its outages are found by customers.
    """
    base = site.canonical.rstrip("/")
    return {
        "interval": "30s", "database": f"sqlite:///{workdir / 'monitor.db'}",
        "allow_private": True,  # the demo lives on 127.0.0.1
        "checks": [
            {"name": "homepage", "url": f"{base}/", "expect": ["status == 200"], "public": True},
            {"name": "auth flow", "flow": "smoke"},
            {"name": "projects", "url": f"{base}/api/projects", "expect": ["status == 401"]},
            {"name": "health", "url": f"{base}/healthz",
             "expect": ["status == 200", "json.db == 'ok'"]}],
        "alerts": [{"url": "json://127.0.0.1:9/launchready-demo-alerts"}],
    }


def demo_config(site: DemoSite, dns_port: int, project: Path, repo: Path | None,
                monitor: dict[str, object] | None = None, web: Path | None = None,
                *, fixed: bool = False) -> Config:
    """The config a founder would write for the demo app, pointed at the local servers."""
    build = {"path": str(web), "command": build_command(), "output": "dist",
             **({"rollback": ROLLBACK} if fixed else {})}
    return Config.model_validate({
        **({"monitor": monitor} if monitor else {}),
        # the frontend's clean production build and its migrations (DEPLOY001-DEPLOY005)
        **({"build": build} if web else {}),
        "dns": {"provider": DOMAIN, "records": [
            {"name": "@", "type": "A", "values": ["127.0.0.1"]},
            {"name": "@", "type": "NS", "values": [f"ns1.{DOMAIN}."]},
            {"name": "@", "type": "MX", "values": [f"10 mail.{DOMAIN}."]},
            {"name": "www", "type": "A", "values": ["127.0.0.1"]},
            {"name": "app", "type": "A", "values": ["127.0.0.1"]},
            {"name": "mail", "type": "A", "values": ["127.0.0.1"]}]},
        # the prototype's repository (with its history) and its live bundle are scanned
        "secrets": {"paths": [str(repo)] if repo else [], "history": repo is not None},
        "env": {"environment_file": str(project / ".env.production"),
                "preview_file": str(project / ".env.preview"),
                "required": ["DATABASE_URL", "SESSION_SECRET", "STRIPE_SECRET_KEY"],
                "source_paths": [str(project)]},
        "app": {"name": "Acme Dashboard", "domain": DOMAIN, "canonical": site.canonical},
        "network": {"resolver": f"127.0.0.1:{dns_port}", "resolve": site.resolve,
                    "ca_bundle": str(site.ca_bundle), "timeout": 5},
        "web": {"error_paths": ["/api/debug/crash"]},
        "handover": {"owners": {"dns": "Sam (DNS account owner)", "hosting": "Sam",
                                "email": "Alex (mail admin)"},
                     "admins": ["sam@acme.test", "alex@acme.test"],
                     "credentials_stored_in": "the team password manager, vault 'Acme Ops'"},
        # latency budgets: the revenue report has a demo budget the indexed query meets and
        # the full scan of the invoices table misses
        "perf": {"auth": "smoke", "requests": 100, "concurrency": 10, "burst": 30,
                 "endpoints": [
            {"name": "projects list", "path": "/api/projects", "class": "core"},
            {"name": "revenue report", "path": "/api/reports/revenue", "class": "heavy",
             "budget_ms": REPORT_BUDGET_MS}]},
        # credentials stay ${VAR} references, filled from the run's environment by the runner
        "smoke": {"base_url": site.canonical, "steps": [
            {"name": "login", "method": "POST", "path": "/api/login",
             "json": {"email": "${SMOKE_EMAIL}", "password": "${SMOKE_PASSWORD}"},
             "expect": ["status == 200", "json.user.id exists"]},
            {"name": "dashboard", "path": "/api/dashboard",
             "expect": ["status == 200", "time < 1500ms"]},
            {"name": "core action", "method": "POST", "path": "/api/projects",
             "json": {"name": "smoke-${RUN_ID}"}, "expect": ["status == 201"]},
            {"name": "logout", "method": "POST", "path": "/api/logout",
             "expect": ["status == 204"]}]},
        "email": {"domains": [DOMAIN], "senders": ["include:spf.mailer.test"],
                  "dkim_selectors": ["mail"], "dmarc_min_policy": "quarantine"},
        # the prototype's own SQLite file; the revenue report's statement is listed for EXPLAIN
        "database": {"url": f"sqlite:///{site.db_path}",
                     "queries": ["SELECT sum(amount) FROM invoices WHERE account_id = 42"]},
    })


@dataclass(frozen=True, kw_only=True)
class DemoRun:
    """What one demo run produced."""

    report: Report
    config: Config


async def run_demo(*, fixed: bool, workdir: Path, keep_running: bool = False,
                   options: argparse.Namespace | None = None) -> DemoRun:
    """Start the demo servers, audit them, stop them.

    ``options`` are the CLI's common options (--only/--skip/--baseline); the demo's network
    settings are its own.
    """
    password = secrets.token_urlsafe(18)
    project = workdir / "project"
    write_demo_project(project, fixed=fixed)
    # the sample repository needs git; without it the history part of the demo is left out
    repo = make_sample_repo(workdir / "acme-repo", fixed=fixed) if shutil.which("git") else None
    web = make_web_repo(workdir / "acme-web", fixed=fixed) if shutil.which("git") else None
    site = await start_site(fixed=fixed, workdir=workdir, password=password,
                            invoices=INVOICES)
    zone = ZoneServer(demo_zone(fixed=fixed))
    _, dns_port = await zone.start()
    try:
        config = demo_config(site, dns_port, project, repo,
                             demo_monitor(site, workdir) if fixed else None, web, fixed=fixed)
        environ = {**os.environ, "SMOKE_EMAIL": DEMO_EMAIL, "SMOKE_PASSWORD": password}
        report = await (arun_audit(config, environ=environ) if options is None
                        else arun_report(config, options, environ=environ))
        if keep_running:
            sys.stderr.write(f"demo serving {site.canonical} (resolve: "
                             f"{' '.join(site.resolve)}); Ctrl-C to stop\n")
            await asyncio.Event().wait()
        return DemoRun(report=report, config=config)
    finally:
        await zone.stop()
        await site.stop()


def demo_command(args: argparse.Namespace) -> int:
    """CLI glue: run the demo, print the risk list, write the HTML report and HANDOVER.md."""
    with tempfile.TemporaryDirectory(prefix="launchready-demo-") as tmp:
        result = asyncio.run(run_demo(fixed=args.fixed, workdir=Path(tmp),
                                      keep_running=args.keep_running, options=args))
    emit(result.report, args)
    Path(REPORT_FILE).write_text(render(result.report, Format.HTML), encoding="utf-8")
    # the handover document of the demo, next to the report (from the same audit)
    handover = build_handover(result.report, result.config)
    Path("HANDOVER.md").write_text(render_handover(handover), encoding="utf-8")
    if not args.quiet:
        sys.stderr.write(f"wrote {REPORT_FILE} and HANDOVER.md\n")
    return exit_status(result.report, args)
