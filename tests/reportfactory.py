"""A realistic, deterministic ``Report`` for renderer tests (and anyone else who needs one).

It holds several findings of every severity in rank order, a suppressed finding, a repository
finding with a file location, an errored and a skipped check, measurements, a table and notes,
plus hostile values a scanned server could send back: markup, an attribute-injection payload
and a ``javascript:`` URL as a finding target. The clock is fixed, so output is byte-stable.
"""

from __future__ import annotations

from datetime import UTC, datetime

from launchready.model import (
    CheckResult,
    CheckStatus,
    ErrorReason,
    Finding,
    FixWindow,
    Location,
    Measurement,
    Report,
    Severity,
    Stage,
    Summary,
    Table,
    fingerprint_of,
)

STARTED_AT = datetime(2025, 6, 2, 9, 30, 0, tzinfo=UTC)
FINISHED_AT = datetime(2025, 6, 2, 9, 30, 42, tzinfo=UTC)

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
ATTRIBUTE_PAYLOAD = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_URL = "javascript:alert(1)"

RFC7489 = "https://www.rfc-editor.org/rfc/rfc7489"
RFC6797 = "https://www.rfc-editor.org/rfc/rfc6797"

_C, _H, _M, _L, _I = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
_NOW, _LATER = FixWindow.H48, FixWindow.LATER


def _finding(
    rule_id: str,
    title: str,
    severity: Severity,
    stage: Stage,
    target: str,
    *,
    evidence: str,
    impact: str,
    fix: str,
    window: FixWindow = _NOW,
    effort: int = 15,
    suppressed: bool = False,
    references: tuple[str, ...] = (),
    location: Location | None = None,
    identity: str = "",
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title=title,
        severity=severity,
        stage=stage,
        target=target,
        evidence=evidence,
        impact=impact,
        fix=fix,
        fix_window=window,
        effort_minutes=effort,
        fingerprint=fingerprint_of(rule_id, target, identity or title),
        suppressed=suppressed,
        references=references,
        location=location,
    )


def sample_findings() -> tuple[Finding, ...]:
    """The findings of ``sample_report()``, already in rank order."""
    return (
        # --- critical --------------------------------------------------------------------------
        _finding(
            "DNS003",
            "Dangling CNAME (subdomain takeover risk)",
            _C,
            Stage.DNS_EMAIL,
            "status.acme.example CNAME",
            evidence="status.acme.example → acme-status.herokudns.com. (NXDOMAIN)",
            impact="Anyone can claim the Heroku name and serve pages on status.acme.example.",
            fix="Delete the CNAME record for status.acme.example at Cloudflare, or point it at "
            "the status page you use now.",
            effort=10,
        ),
        _finding(
            "SEC003",
            "Secret in a frontend bundle or served page",
            _C,
            Stage.AUDIT,
            "https://app.acme.example/static/js/main.4f2a9c.js",
            evidence="sk_live_****************3xQ9 (redacted), also in the source map's "
            "sourcesContent",
            impact="Every visitor can copy the live Stripe key and refund or read customers.",
            fix="Roll the key in the Stripe dashboard (Developers → API keys → Roll key), move it "
            "to STRIPE_SECRET_KEY on the server and rebuild the bundle.",
            effort=45,
            identity="stripe-live",
        ),
        # --- high ------------------------------------------------------------------------------
        _finding(
            "MAIL009",
            "No DMARC record",
            _H,
            Stage.DNS_EMAIL,
            "_dmarc.acme.example TXT",
            evidence="no TXT record at _dmarc.acme.example",
            impact="Invoices and password resets land in spam, and anyone can spoof acme.example.",
            fix='Add TXT _dmarc.acme.example "v=DMARC1; p=quarantine; '
            'rua=mailto:dmarc@acme.example".',
            effort=10,
            references=(RFC7489,),
        ),
        _finding(
            "WEB002",
            "Redirect leaves the canonical site",
            _H,
            Stage.DEPLOY,
            JAVASCRIPT_URL,
            evidence=f"GET https://acme.example/login → 302 Location: {JAVASCRIPT_URL}",
            impact="The login link sends buyers to a script URL instead of the app.",
            fix="Make /login redirect to https://app.acme.example/login with a 301.",
            effort=20,
        ),
        _finding(
            "WEB007",
            "Stack trace leaked on an error page",
            _H,
            Stage.DEPLOY,
            "https://app.acme.example/api/reports/revenue?month=13",
            evidence=f"HTTP 500 body: Traceback (most recent call last): ... {SCRIPT_PAYLOAD}\n"
            '  File "/app/reports.py", line 88, in revenue',
            impact="A buyer sees a Python traceback, and attackers learn the framework and paths.",
            fix="Set DEBUG=0 and return a generic error page; log the traceback server-side.",
            effort=20,
        ),
        _finding(
            "SEC001",
            "Secret in a tracked file",
            _H,
            Stage.AUDIT,
            "src/config.ts:12",
            evidence="sk_test_****************9aB2 (redacted)",
            impact="Anyone with read access to the repository holds a working Stripe test key.",
            fix="Rotate the key, replace the literal with process.env.STRIPE_SECRET_KEY.",
            effort=30,
            location=Location(path="src/config.ts", line=12, column=18),
            identity="stripe-test",
        ),
        # --- medium ----------------------------------------------------------------------------
        _finding(
            "TLS006",
            "HSTS missing",
            _M,
            Stage.DEPLOY,
            "https://app.acme.example/",
            evidence="no Strict-Transport-Security header on the HTTPS response",
            impact="A first visit over plain HTTP can be intercepted on hotel Wi-Fi.",
            fix="Send Strict-Transport-Security: max-age=31536000; includeSubDomains.",
            effort=5,
            references=(RFC6797, "https://hstspreload.org/"),
        ),
        _finding(
            "WEB008",
            "Session cookie without Secure or HttpOnly",
            _M,
            Stage.DEPLOY,
            "https://app.acme.example/api/login",
            evidence=f"Set-Cookie: session={ATTRIBUTE_PAYLOAD}; Path=/",
            impact="The session cookie can leak over HTTP and be read by injected scripts.",
            fix="Set the session cookie with Secure; HttpOnly; SameSite=Lax.",
            effort=10,
        ),
        _finding(
            "PERF002",
            "Heavy dashboard query over budget",
            _M,
            Stage.PERFORMANCE,
            "revenue report",
            evidence="p95 1,910 ms over 200 requests (budget 1,500 ms)",
            impact="The revenue dashboard hangs for two seconds during the sales demo.",
            fix="Add an index on invoices(account_id, created_at) or cache the monthly totals.",
            effort=60,
        ),
        _finding(
            "SEC007",
            "Personal data in logs",
            _M,
            Stage.AUDIT,
            "logs/app.log",
            evidence="12 e-mail addresses, e.g. j***@example.com (line 204)",
            impact="Support staff and log vendors see customer e-mail addresses.",
            fix="Mask e-mail addresses in the request logger.",
            window=_LATER,
            effort=30,
        ),
        # --- low -------------------------------------------------------------------------------
        _finding(
            "WEB004",
            "Missing Referrer-Policy",
            _L,
            Stage.DEPLOY,
            "https://app.acme.example/",
            evidence="no Referrer-Policy header",
            impact="Full dashboard URLs leak to third parties in the Referer header.",
            fix="Send Referrer-Policy: strict-origin-when-cross-origin.",
            window=_LATER,
            effort=5,
        ),
        _finding(
            "DNS005",
            "No CAA record",
            _L,
            Stage.DNS_EMAIL,
            "acme.example CAA",
            evidence="no CAA record at acme.example",
            impact="Any certificate authority may issue certificates for acme.example.",
            fix='Add CAA acme.example 0 issue "letsencrypt.org".',
            window=_LATER,
            effort=5,
        ),
        _finding(
            "WEB004",
            "Missing Content-Security-Policy",
            _L,
            Stage.DEPLOY,
            "https://app.acme.example/",
            evidence="no Content-Security-Policy header",
            impact="An injected script would run with full access to the dashboard.",
            fix="Send Content-Security-Policy: default-src 'self'; frame-ancestors 'none'.",
            window=_LATER,
            effort=30,
        ),
        # --- info ------------------------------------------------------------------------------
        _finding(
            "MAIL014",
            "No TLS-RPT record",
            _I,
            Stage.DNS_EMAIL,
            "mail.acme.example",
            evidence="no TXT record at _smtp._tls.mail.acme.example",
            impact="You will not hear about failed TLS deliveries to mail.acme.example.",
            fix='Add TXT _smtp._tls.mail.acme.example "v=TLSRPTv1; rua=mailto:tls@acme.example".',
            window=_LATER,
            effort=5,
        ),
        _finding(
            "MAIL014",
            "No MTA-STS policy",
            _I,
            Stage.DNS_EMAIL,
            "acme.example",
            evidence="no TXT record at _mta-sts.acme.example",
            impact="Inbound mail to acme.example can be downgraded to plain text.",
            fix="Publish an MTA-STS policy and a _mta-sts TXT record.",
            window=_LATER,
            effort=30,
        ),
        # --- suppressed by the baseline --------------------------------------------------------
        _finding(
            "SEC002",
            "Secret in git history",
            _H,
            Stage.AUDIT,
            "commit 3f2c1e9:.env",
            evidence="AKIA************WXYZ (redacted)",
            impact="Anyone who clones the repository holds the old AWS key.",
            fix="Rotate the AWS access key, then purge it with git filter-repo.",
            effort=30,
            suppressed=True,
            identity="aws-old",
        ),
    )


def sample_checks() -> tuple[CheckResult, ...]:
    """Check results matching ``sample_findings()``, plus passed, errored and skipped checks."""
    failed = (
        "DNS003",
        "SEC003",
        "MAIL009",
        "WEB002",
        "WEB007",
        "SEC001",
        "TLS006",
        "WEB008",
        "PERF002",
        "SEC007",
        "WEB004",
        "DNS005",
        "MAIL014",
        "SEC002",
    )
    checks = [
        CheckResult(id=rule_id, status=CheckStatus.FAIL, duration_ms=40 + 7 * n)
        for n, rule_id in enumerate(failed)
    ]
    checks += [
        CheckResult(id="TLS001", status=CheckStatus.PASS, duration_ms=35),
        CheckResult(id="TLS002", status=CheckStatus.PASS, duration_ms=36),
        CheckResult(id="PERF001", status=CheckStatus.PASS, duration_ms=20_311),
        CheckResult(id="MAIL001", status=CheckStatus.PASS, duration_ms=12),
        CheckResult(
            id="DB001",
            status=CheckStatus.ERROR,
            duration_ms=10_000,
            error="could not connect to db.internal:5432 (connection refused)",
            reason=ErrorReason.CONNECTIVITY,
        ),
        CheckResult(
            id="SMOKE001",
            status=CheckStatus.SKIPPED,
            duration_ms=0,
            error="no [smoke] section in the config",
        ),
    ]
    return tuple(checks)


def sample_report() -> Report:
    """The full sample report (fixed clock, deterministic)."""
    findings = sample_findings()
    live = [f for f in findings if not f.suppressed]
    summary = Summary(
        critical=sum(f.severity is _C for f in live),
        high=sum(f.severity is _H for f in live),
        medium=sum(f.severity is _M for f in live),
        low=sum(f.severity is _L for f in live),
        info=sum(f.severity is _I for f in live),
        suppressed=len(findings) - len(live),
    )
    return Report(
        tool_version="0.1.0",
        started_at=STARTED_AT,
        finished_at=FINISHED_AT,
        score=38,
        summary=summary,
        checks=sample_checks(),
        findings=findings,
        measurements=(
            Measurement(
                check="PERF001",
                target="projects list",
                requests=200,
                errors=0,
                p50_ms=41.2,
                p95_ms=88.0,
                p99_ms=131.5,
                max_ms=140.1,
                rps=95.3,
            ),
            Measurement(
                check="PERF002",
                target="revenue report",
                requests=200,
                errors=3,
                p50_ms=1210.4,
                p95_ms=1910.0,
                p99_ms=2380.2,
                max_ms=2950.7,
                rps=8.1,
            ),
            Measurement(
                check="SMOKE004",
                target="dashboard",
                requests=1,
                errors=0,
                p50_ms=312.0,
                p95_ms=312.0,
                p99_ms=312.0,
                max_ms=312.0,
                rps=3.2,
                model="open",
            ),
        ),
        tables=(
            Table(
                title="Redirect matrix",
                columns=("from", "status", "location", "hsts"),
                rows=(
                    ("http://acme.example/", "301", "https://acme.example/", "-"),
                    ("https://acme.example/", "302", "https://app.acme.example/", "no"),
                    ("https://acme.example/login", "302", JAVASCRIPT_URL, "no"),
                    ("https://www.acme.example/", "200", ATTRIBUTE_PAYLOAD, "no"),
                ),
            ),
        ),
        title="Acme Dashboard — launch readiness",
        notes=(
            "1 finding suppressed by .launchready-baseline.json.",
            f"The error page at /api/reports/revenue echoed {SCRIPT_PAYLOAD} back.",
        ),
    )


def empty_report() -> Report:
    """A report with nothing in it: no checks, findings, measurements or tables."""
    return Report(
        tool_version="0.1.0",
        started_at=STARTED_AT,
        finished_at=STARTED_AT,
        score=100,
        summary=Summary(),
        checks=(),
        findings=(),
    )
