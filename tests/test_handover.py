"""The handover document: provider inference, secrets, monitoring, and its structure on the demo.

The structure (headings and table columns, not values) is pinned by
``tests/golden/handover_structure.txt``; regenerate it with ``LAUNCHREADY_REGEN_GOLDEN=1``.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from launchready.config.models import Config
from launchready.demo.run import DemoRun, run_demo
from launchready.handover import HandoverFormat, build_handover, render_handover
from launchready.handover.gather import calendar, monitoring, redact_route, rotations
from launchready.handover.providers import (
    dns_provider,
    hosting_provider,
    mail_provider,
    sending_providers,
)
from launchready.model import (
    Finding,
    FixWindow,
    Report,
    Severity,
    Stage,
    Summary,
    Table,
    TableKind,
)
from launchready.secrets.scanner import Scanner

GOLDEN = Path(__file__).parent / "golden" / "handover_structure.txt"


# --- provider inference (pure) -------------------------------------------------------------

@pytest.mark.parametrize(("ns", "provider"), [
    (["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."], "Cloudflare"),
    (["ns-12.awsdns-01.org", "ns-900.awsdns-40.net"], "Amazon Route 53"),
    (["ns1.vercel-dns.com"], "Vercel"),
    (["ada.ns.cloudflare.com", "dns1.registrar-servers.com"], "Cloudflare + Namecheap"),
    (["ns1.acme.test"], "self-hosted or unrecognised"),
    ([], "not known"),
], ids=["cloudflare", "route53", "vercel", "mixed-migration", "self-hosted", "no-ns"])
def test_dns_provider_from_ns_names(ns: list[str], provider: str) -> None:
    claim = dns_provider("acme.example", ns)
    assert claim.provider == provider
    assert claim.role == "DNS"
    if ns:
        assert ns[0].rstrip(".") in claim.evidence


@pytest.mark.parametrize(("kwargs", "provider", "evidence"), [
    ({"cname_chain": ["cname.vercel-dns.com."]}, "Vercel", "CNAME cname.vercel-dns.com"),
    ({"cname_chain": ["acme.netlify.app"]}, "Netlify", "CNAME acme.netlify.app"),
    ({"cname_chain": ["acme-prod.fly.dev."]}, "Fly.io", "CNAME acme-prod.fly.dev"),
    ({"cname_chain": ["acme.onrender.com"]}, "Render", "CNAME acme.onrender.com"),
    ({"cname_chain": ["acme.herokudns.com"]}, "Heroku", "CNAME acme.herokudns.com"),
    ({"cname_chain": ["d111.cloudfront.net"]}, "AWS CloudFront", "CNAME d111.cloudfront.net"),
    ({"cname_chain": ["ghs.googlehosted.com"]}, "Google", "CNAME ghs.googlehosted.com"),
    ({"cname_chain": ["acme.azurewebsites.net"]}, "Azure", "azurewebsites.net"),
    ({"cname_chain": ["acme.github.io"]}, "GitHub Pages", "CNAME acme.github.io"),
    ({"addresses": ["185.199.108.153"]}, "GitHub Pages", "185.199.108.153"),
    ({"addresses": ["76.76.21.21"]}, "Vercel", "76.76.21.21"),
    ({"headers": [("CF-Ray", "8a1b-AMS"), ("Server", "cloudflare")]}, "Cloudflare",
     "header CF-Ray: 8a1b-AMS"),
    ({"headers": [("Via", "1.1 vegur")]}, "Heroku", "Via: 1.1 vegur"),
    ({"headers": [("Fly-Request-Id", "01H")]}, "Fly.io", "Fly-Request-Id"),
    ({"headers": [("X-Amz-Cf-Id", "abc")]}, "AWS CloudFront", "X-Amz-Cf-Id"),
    ({"headers": [("Server", "Google Frontend")]}, "Google Cloud", "Google Frontend"),
    ({"cname_chain": ["acme.netlify.app"], "headers": [("Server", "cloudflare")]},
     "Netlify in front of Cloudflare", "CNAME acme.netlify.app; header Server: cloudflare"),
    ({"addresses": ["127.0.0.1"], "headers": [("Server", "nginx/1.25")]},
     "self-hosted or unrecognised", "A/AAAA 127.0.0.1; header Server: nginx/1.25"),
    ({}, "not known", "no address, CNAME or response seen"),
], ids=["vercel-cname", "netlify-cname", "fly-cname", "render-cname", "heroku-cname",
        "cloudfront-cname", "google-cname", "azure-cname", "pages-cname", "pages-address",
        "vercel-address", "cloudflare-headers", "heroku-via", "fly-header", "cloudfront-header",
        "gcp-header", "two-signals", "unrecognised", "nothing"])
def test_hosting_provider_with_evidence(kwargs: dict[str, list[object]], provider: str,
                                        evidence: str) -> None:
    claim = hosting_provider("app.acme.example", **kwargs)  # type: ignore[arg-type]
    assert claim.provider == provider
    assert evidence in claim.evidence


@pytest.mark.parametrize(("mx", "provider"), [
    (["1 aspmx.l.google.com.", "5 alt1.aspmx.l.google.com."], "Google Workspace"),
    (["0 acme-example.mail.protection.outlook.com."], "Microsoft 365"),
    (["10 in1-smtp.messagingengine.com."], "Fastmail"),
    (["10 mx.zoho.eu."], "Zoho Mail"),
    (["10 mail.acme.test."], "self-hosted or unrecognised"),
    ([], "none"),
], ids=["google", "m365", "fastmail", "zoho", "self-hosted", "no-mx"])
def test_mail_provider_from_mx(mx: list[str], provider: str) -> None:
    claim = mail_provider("acme.example", mx)
    assert claim.provider == provider


def test_sending_providers_name_each_spf_include() -> None:
    claims = sending_providers(
        "acme.example", "v=spf1 include:_spf.google.com include:sendgrid.net "
                        "include:spf.unknown.test ip4:192.0.2.1 -all")
    assert [(c.provider, c.evidence) for c in claims] == [
        ("Google Workspace", "SPF include:_spf.google.com"),
        ("SendGrid", "SPF include:sendgrid.net"),
        ("unrecognised", "SPF include:spf.unknown.test")]
    assert sending_providers("acme.example", None) == ()


# --- secrets and alert routes are never shown ----------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    ("slack://T000/B000/XXXXSECRETXXXX", "slack://…"),
    ("https://hooks.slack.com/services/T0/B0/sEcReTtOkEn", "https://hooks.slack.com/…"),
    ("json://user:hunter2@alerts.acme.example/hook?token=abc", "json://alerts.acme.example/…"),
    ("mailto:ops@acme.example", "mailto://acme.example/…"),
    ("pagerduty://", "pagerduty://…"),
], ids=["slack-apprise", "slack-webhook", "userinfo-and-query", "mailto", "bare"])
def test_alert_routes_are_redacted_to_scheme_and_host(url: str, shown: str) -> None:
    assert redact_route(url) == shown


def _report(findings: tuple[Finding, ...] = ()) -> Report:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return Report(tool_version="test", started_at=now, finished_at=now, score=50,
                  summary=Summary(), checks=(), findings=findings)


def _finding(rule_id: str, title: str, target: str, evidence: str,
             detail_key: str | None = None) -> Finding:
    return Finding(rule_id=rule_id, title=title, severity=Severity.CRITICAL,
                   stage=Stage.AUDIT, target=target, evidence=evidence, impact="i", fix="f",
                   fix_window=FixWindow.H48, effort_minutes=5, fingerprint="x",
                   detail_key=detail_key)


def test_rotations_name_variable_and_provider_never_the_value() -> None:
    masked = "sk_live_****9a8B"
    report = _report((
        _finding("SEC001", "Secret in a tracked file: Stripe live secret or restricted key",
                 "config/prod.py:3", f"Stripe live secret or restricted key: {masked} "
                 "(redacted); the value of STRIPE_SECRET_KEY is in .env.production",
                 "stripe-live-secret"),
        _finding("SEC003", "Secret in a frontend bundle or served page: Stripe live secret or "
                 "restricted key", "https://app.acme.example/app.js:2",
                 f"Stripe live secret or restricted key: {masked} (redacted); the value of "
                 "STRIPE_SECRET_KEY is in .env.production", "stripe-live-secret"),
        _finding("ENV002", "Secret under a public prefix", ".env.production VITE_OPENAI_KEY",
                 "looks like an OpenAI key (value not shown)"),
        _finding("SEC002", "Secret in git history: AWS access key ID", "deploy.sh:4",
                 "AWS access key ID: AKIA****WXYZ (redacted); added in commit abcdef1234567 "
                 "(2026-01-05T10:00:00+00:00)", "aws-access-key-id"),
    ))
    items = {(r.name, r.provider): r for r in rotations(report)}
    assert set(items) == {("STRIPE_SECRET_KEY", "Stripe"), ("VITE_OPENAI_KEY", "OpenAI"),
                          ("AWS access key ID", "AWS")}
    stripe = items[("STRIPE_SECRET_KEY", "Stripe")]
    assert stripe.rules == ("SEC001", "SEC003")
    assert stripe.steps.startswith("Stripe: Dashboard")
    config = Config.model_validate({"app": {"name": "Acme", "domain": "acme.example"}})
    doc = render_handover(build_handover(report, config))
    assert masked not in doc and "AKIA" not in doc
    assert "since 2026-01-05" in doc  # the leaked key's date is on the expiry calendar


@pytest.mark.parametrize(("monitor", "expected", "ok"), [
    ({"checks": [{"name": "home", "url": "https://a.example/"}],
      "alerts": [{"url": "slack://T/B/C"}]}, "70 s", True),
    ({"interval": "2m", "checks": [{"name": "home", "url": "https://a.example/"}],
      "alerts": [{"url": "slack://T/B/C"}]}, "4.2 min", False),
    ({"checks": [{"name": "home", "url": "https://a.example/", "timeout": "5s"}],
      "failure_threshold": 3, "alerts": [{"url": "slack://T/B/C"}]}, "95 s", True),
    ({"checks": [{"name": "home", "url": "https://a.example/"}]}, "no alert route", False),
    ({}, "no checks configured", False),
], ids=["defaults", "slow-interval", "custom-threshold", "no-route", "no-checks"])
def test_worst_case_time_to_alert(monitor: dict[str, object], expected: str,
                                  ok: bool) -> None:
    config = Config.model_validate({"monitor": monitor, "network": {"timeout": 10}})
    view = monitoring(config.monitor, config.network.timeout)
    assert expected in view.time_to_alert
    assert view.time_to_alert_ok is ok
    assert view.status_page == "http://127.0.0.1:8787/"
    assert all(r == "slack://…" for r in view.alert_routes)


def test_no_monitor_says_nobody_is_alerted() -> None:
    assert "nobody is alerted" in monitoring(None, 10).time_to_alert


def test_access_register_comes_from_handover_section() -> None:
    config = Config.model_validate({"handover": {
        "owners": {"dns": "Sam (Cloudflare owner)", "email": "Alex"},
        "admins": ["sam@acme.example"], "credentials_stored_in": "1Password vault 'Ops'"}})
    doc = render_handover(build_handover(_report(), config))
    assert "| dns | Sam (Cloudflare owner) |" in doc
    assert "sam@acme.example" in doc and "1Password vault 'Ops'" in doc


def test_hostile_values_render_as_text() -> None:
    config = Config.model_validate({"app": {
        "name": '<script>alert(1)</script>', "canonical": "https://x.example/\"><img>"}})
    report = _report((_finding("WEB001", "<img src=x onerror=alert(1)>",
                               "javascript:alert(1)", "e"),))
    html = render_handover(build_handover(report, config), HandoverFormat.HTML)
    assert "<script>alert" not in html and "<img" not in html
    assert 'href="javascript:' not in html
    assert "Content-Security-Policy" in html
    markdown = render_handover(build_handover(report, config))
    # outside code blocks Markdown shows them backslash-escaped (\\<img\\>): text either way
    prose = re.sub(r"```text\n.*?\n```", "", markdown, flags=re.DOTALL)
    assert re.search(r"(?<!\\)<(script|img)", prose) is None


# --- the demo ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    yield asyncio.run(run_demo(fixed=False, workdir=tmp_path_factory.mktemp("demo")))


def structure(markdown: str) -> str:
    """Headings and table header rows: what the golden file pins (no values)."""
    out: list[str] = []
    in_table = in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("#"):
            out.append(line.split(" — ")[0] if line.startswith("# ") else line)
        elif line.startswith("| ") and not in_table:
            out.append(line)  # the header row; the rows below it are values
        in_table = line.startswith("|")
    return "\n".join(out) + "\n"


def test_demo_handover_structure_matches_golden(demo: DemoRun) -> None:
    doc = render_handover(build_handover(demo.report, demo.config))
    got = structure(doc)
    if os.environ.get("LAUNCHREADY_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(got, encoding="utf-8")
    assert GOLDEN.exists(), f"missing {GOLDEN}; run with LAUNCHREADY_REGEN_GOLDEN=1"
    assert got == GOLDEN.read_text(encoding="utf-8"), (
        "handover structure changed; if intended, regenerate with LAUNCHREADY_REGEN_GOLDEN=1")


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[list[str]] = []
        self._tag: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        if tag == "table":
            self.tables.append([])
        if tag == "a":
            self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        if self._tag in ("h2", "h3") and data.strip():
            self.headings.append(data.strip())
        elif self._tag == "th" and data.strip():
            self.tables[-1].append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        self._tag = None


def test_demo_handover_html_has_the_same_outline(demo: DemoRun) -> None:
    handover = build_handover(demo.report, demo.config)
    outline = _Outline()
    outline.feed(render_handover(handover, HandoverFormat.HTML))
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert outline.headings == [g.lstrip("#").strip() for g in golden
                                if g.startswith(("## ", "### "))]
    assert [" | ".join(t) for t in outline.tables] == [
        g.strip("| ").replace(" | ", " | ") for g in golden if g.startswith("| ")]
    assert all(link.startswith(("https://", "http://")) for link in outline.links)


def test_demo_handover_content(demo: DemoRun) -> None:
    handover = build_handover(demo.report, demo.config)
    roles = {(c.role, c.subject): c for c in handover.providers}
    assert roles[("hosting/CDN", "status.acme.test")].provider == "Heroku"
    assert roles[("DNS", "acme.test")].evidence == "NS ns1.acme.test"
    assert roles[("email (inbound)", "acme.test")].evidence == "MX mail.acme.test"
    auth = {a.mechanism: a for a in handover.email_auth}
    assert auth["SPF"].state == "needs work" and auth["SPF"].record.startswith("v=spf1")
    assert auth["DMARC"].state == "not published"
    assert auth["DKIM"].state == "ok"
    assert {r.provider for r in handover.rotations} >= {"Stripe"}
    assert [e.title for e in handover.runbook] == [
        "Login is broken", "Emails go to spam", "The site is down", "A key leaked",
        "A deploy broke auth — roll back", "The certificate is about to expire"]
    certs = {c.subject for c in handover.calendar if c.item == "TLS certificate"}
    assert {"app.acme.test", "acme.test"} <= certs
    assert handover.plan_48h and handover.plan_48h[0].severity is Severity.CRITICAL
    assert handover.later


def test_demo_handover_contains_no_secret_value(demo: DemoRun) -> None:
    handover = build_handover(demo.report, demo.config)
    for fmt in HandoverFormat:
        text = render_handover(handover, fmt)
        # the project's own secret rules find nothing in the document, not even masked
        assert Scanner().scan(text.encode()) == []
        assert "****" not in text


def test_handover_reads_tables_by_kind_not_by_title() -> None:
    # Given two certificate tables: one of kind CERTIFICATES with any title, one with the old
    # title but no kind
    columns = ("target", "result", "protocol", "certificate", "issuer", "expires (UTC)")
    row = ("https://{}/", "ok", "TLSv1.3", "CN={}", "Acme CA", "2027-01-01")
    report = _report()
    report = Report(**{**report.__dict__, "tables": (
        Table(title="Certificates (renamed)", columns=columns, kind=TableKind.CERTIFICATES,
              rows=(tuple(c.format("app.acme.example") for c in row),)),
        Table(title="TLS certificates", columns=columns,
              rows=(tuple(c.format("old.acme.example") for c in row),)),
    )})
    # Then the calendar lists only the typed one
    entries = calendar(report, Config(), (), None)
    assert [e.subject for e in entries if e.item == "TLS certificate"] == ["app.acme.example"]
