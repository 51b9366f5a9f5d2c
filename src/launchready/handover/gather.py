"""Build the handover document from a report, the config and (optionally) live facts.

:func:`build_handover` is a pure function: the audit's tables (the DNS record map, the CNAME
chains, the nameservers, the redirect/TLS matrix, the certificates, the SPF tree, the DKIM
selectors), its findings and check results, the config's ``[monitor]`` and ``[handover]``, and
the facts :func:`launchready.handover.live.gather_live` looked up. Secrets are named by variable
and provider: no finding's evidence (which may hold a masked value) is copied into the
document, and alert routes are shown by scheme and host only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from launchready.build.rollback import rollback_commands
from launchready.checks.dns.lookup import TEMPERROR, norm_name
from launchready.checks.mail.dkim import DkimChecks
from launchready.checks.mail.dmarc import DmarcChecks
from launchready.checks.mail.mta_sts import MtaStsChecks
from launchready.checks.mail.spf_lint import SpfChecks
from launchready.config.models import Config, MonitorConfig
from launchready.config.types import parse_duration
from launchready.handover.model import (
    AccessRegister,
    AuthLine,
    CalendarEntry,
    Handover,
    LiveFacts,
    LiveUrl,
    MonitorCheckView,
    Monitoring,
    PageView,
    Rotation,
)
from launchready.handover.providers import (
    ProviderClaim,
    dns_provider,
    hosting_provider,
    mail_provider,
    sending_providers,
)
from launchready.handover.runbook import runbook
from launchready.model import CheckStatus, Finding, FixWindow, Report, Table, TableKind
from launchready.report.verdict import incomplete_notice
from launchready.secrets.rules import RULES, Rule

RECORD_COLUMNS = ("name", "type", "value", "operator", "status")
SUBDOMAIN_COLUMNS = ("hostname", "points to", "provider", "serves")
#: SPEC §7: worst-case time from outage to alert with defaults
ALERT_BUDGET_S = 120.0

_PROVIDER_NAMES = {
    "aws": "AWS", "github": "GitHub", "gitlab": "GitLab", "slack": "Slack", "stripe": "Stripe",
    "twilio": "Twilio", "sendgrid": "SendGrid", "mailgun": "Mailgun", "postmark": "Postmark",
    "openai": "OpenAI", "anthropic": "Anthropic", "google": "Google Cloud",
    "gcp": "Google Cloud", "azure": "Azure", "npm": "npm", "pypi": "PyPI",
    "private-key": "key pair", "jwt": "JWT signing key", "database": "database",
    "url": "service in the URL", "generic": "issuing service",
}
#: variable-name words that name a provider (for env findings, which carry no rule)
_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("STRIPE", "stripe"), ("AWS", "aws"), ("GITHUB", "github"), ("GITLAB", "gitlab"),
    ("SLACK", "slack"), ("TWILIO", "twilio"), ("SENDGRID", "sendgrid"),
    ("MAILGUN", "mailgun"), ("POSTMARK", "postmark"), ("OPENAI", "openai"),
    ("ANTHROPIC", "anthropic"), ("GOOGLE", "google"), ("GCP", "gcp"), ("AZURE", "azure"),
    ("NPM", "npm"), ("PYPI", "pypi"), ("DATABASE", "database"), ("POSTGRES", "database"),
    ("JWT", "jwt"),
)
_SECRET_RULES = ("SEC001", "SEC002", "SEC003", "SEC005", "SEC008")
_ENV_SECRET_RULES = ("ENV002", "ENV003", "ENV004", "ENV007")
_VARIABLE = re.compile(r"the value of ([A-Za-z_][A-Za-z0-9_]*) is in")
_COMMITTED = re.compile(r"added in commit ([0-9a-f]{7,40}) \((\d{4}-\d{2}-\d{2})")
_AUTH_IDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SPF", SpfChecks.rule_ids),
    ("DKIM", DkimChecks.rule_ids),
    ("DMARC", DmarcChecks.rule_ids),
    ("MTA-STS / TLS-RPT", MtaStsChecks.rule_ids),
)


def _tables(report: Report, kind: TableKind, subject: str | None = None) -> list[Table]:
    """The report's tables of ``kind`` (about ``subject``, a normalised name, when given)."""
    return [t for t in report.tables if t.kind is kind
            and (subject is None or norm_name(t.subject) == subject)]


def _column(table: Table, row: Sequence[str], name: str) -> str:
    try:
        index = table.columns.index(name)
    except ValueError:
        return ""
    return row[index] if index < len(row) else ""


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# --- DNS -----------------------------------------------------------------------------------

def _operator(rdtype: str, value: str) -> str:
    """The provider behind one record value, named as the provider functions name it."""
    if rdtype == "NS":
        claim = dns_provider("", [value])
    elif rdtype == "CNAME":
        claim = hosting_provider("", cname_chain=[value])
    elif rdtype == "MX":
        claim = mail_provider("", [value])
    else:
        return ""
    return "" if claim.provider.endswith("unrecognised") else claim.provider


def record_rows(report: Report, live: LiveFacts | None) -> tuple[tuple[str, ...], ...]:
    """The record map as (name, type, value, operator, status) rows, live map first."""
    rows: list[tuple[str, ...]] = []
    if live is not None and live.record_map is not None:
        table = live.record_map
        for row in table.rows:
            in_map = _column(table, row, "in map")
            value = _column(table, row, "value")
            if value.startswith(TEMPERROR) or value == "(not looked up)":
                # a lookup that got no answer says nothing about what is live
                status = "could not check" + (f" ({value.rpartition(': ')[2]})"
                                              if value.startswith(TEMPERROR) else "")
            else:
                status = {"yes": "in the map", "no": "differs from the map",
                          "missing": "missing"}.get(in_map, "live, not in the map")
            rows.append((_column(table, row, "name"), _column(table, row, "type"),
                         _column(table, row, "value"), _column(table, row, "operator"),
                         status))
    for table in _tables(report, TableKind.DNS_RECORDS):
        for row in table.rows:
            live_value = _column(table, row, "live")
            value = live_value if live_value not in ("", "-") else _column(table, row, "expected")
            rdtype = _column(table, row, "type")
            rows.append((_column(table, row, "name"), rdtype, value, _operator(rdtype, value),
                         _column(table, row, "verdict")))
    for table in _tables(report, TableKind.CNAME_CHAINS):
        for row in table.rows:
            chain = _column(table, row, "chain")
            rows.append((_column(table, row, "name"), "CNAME", chain,
                         _column(table, row, "provider"), _column(table, row, "verdict")))
    for table in _tables(report, TableKind.NAMESERVERS):
        zone = table.subject
        for row in table.rows:
            operator = _column(table, row, "operator")
            rows.append((zone, "NS", _column(table, row, "nameserver"),
                         "" if operator == "unrecognised operator" else operator, "live"))
    seen: set[tuple[str, str, str]] = set()
    unique: list[tuple[str, ...]] = []
    for row in rows:
        key = (norm_name(row[0]), row[1], norm_name(row[2]))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return tuple(unique)


def _values(rows: Iterable[tuple[str, ...]], name: str, rdtype: str) -> list[str]:
    return [r[2] for r in rows if norm_name(r[0]) == name and r[1] == rdtype
            and r[2] not in ("", "-") and not r[2].startswith("(")]


# --- web -----------------------------------------------------------------------------------

def _matrix_rows(report: Report) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for table in _tables(report, TableKind.REDIRECT_MATRIX):
        out += [{c: _column(table, row, c) for c in table.columns} for row in table.rows]
    return out


def _serves(start: str, final_url: str, final_status: str, hops: str, verdict: str) -> str:
    if final_status in ("", "-"):
        text = f"no answer ({verdict})" if verdict else "no answer"
    elif "→" in hops and final_url.rstrip("/") != start.rstrip("/"):
        text = f"redirects to {final_url} ({final_status})"
    else:
        text = f"serves content itself ({final_status})"
    if verdict and verdict != "ok" and final_status not in ("", "-"):
        text += f"; {verdict}"
    return text


def live_urls(report: Report, config: Config, live: LiveFacts | None) -> tuple[LiveUrl, ...]:
    """Every URL the audit (or the handover) reached, with what it serves."""
    urls: list[LiveUrl] = []
    canonical = config.app.canonical
    if canonical:
        urls.append(LiveUrl(url=canonical, role="canonical (where users should land)",
                            serves=_canonical_serves(report, canonical, live)))
    for row in _matrix_rows(report):
        start = row.get("start", "")
        if not start or (canonical and start.rstrip("/") == canonical.rstrip("/")):
            continue
        urls.append(LiveUrl(url=start, role=f"{row.get('hostname', '')} over "
                                            f"{row.get('scheme', '')}",
                            serves=_serves(start, row.get("final URL", ""), row.get("final", ""),
                                           row.get("hops", ""), row.get("verdict", ""))))
    known = {u.url.rstrip("/") for u in urls}
    if live is not None:
        for page in live.pages:
            if page.url.rstrip("/") in known:
                continue
            urls.append(LiveUrl(url=page.url, role=f"{_host(page.url)} (handover probe)",
                                serves=_page_serves(page)))
            known.add(page.url.rstrip("/"))
    if config.smoke is not None and config.smoke.steps:
        base = (config.smoke.base_url or canonical or "").rstrip("/")
        for step in config.smoke.steps:
            urls.append(LiveUrl(url=f"{base}{step.path}", role=f"smoke step {step.name!r}",
                                serves=f"{step.method} — "
                                       + (", ".join(str(e) for e in step.expect) or "any")))
    if config.monitor is not None:
        for check in config.monitor.checks:
            if check.url and check.url.rstrip("/") not in known:
                urls.append(LiveUrl(url=check.url, role=f"monitored ({check.name})",
                                    serves=", ".join(str(e) for e in check.expect) or "any"))
    return tuple(urls)


def _page_serves(page: PageView) -> str:
    if page.status is None:
        return f"no answer ({page.error or 'error'})"
    if page.hops > 1 and page.final_url.rstrip("/") != page.url.rstrip("/"):
        return f"redirects to {page.final_url} ({page.status})"
    return f"serves content itself ({page.status})"


def _canonical_serves(report: Report, canonical: str, live: LiveFacts | None) -> str:
    for row in _matrix_rows(report):
        if row.get("start", "").rstrip("/") == canonical.rstrip("/"):
            return _serves(canonical, row.get("final URL", ""), row.get("final", ""),
                           row.get("hops", ""), row.get("verdict", ""))
    if live is not None:
        for page in live.pages:
            if page.url.rstrip("/") == canonical.rstrip("/"):
                return _page_serves(page)
    return "not fetched in this run"


def _headers_for(host: str, live: LiveFacts | None) -> tuple[tuple[str, str], ...]:
    if live is None:
        return ()
    for page in live.pages:
        if _host(page.final_url) == host or _host(page.url) == host:
            return page.headers
    return ()


def subdomain_rows(report: Report, config: Config, rows: Sequence[tuple[str, ...]],
                   live: LiveFacts | None) -> tuple[tuple[str, ...], ...]:
    """One row per hostname: where it points, who serves it, what it serves."""
    hosts: list[str] = []
    for row in rows:
        if row[1] in ("A", "AAAA", "CNAME") and row[0]:
            hosts.append(norm_name(row[0]))
    matrix = _matrix_rows(report)
    hosts += [norm_name(r.get("hostname", "")) for r in matrix if r.get("hostname")]
    if config.app.canonical:
        hosts.append(_host(config.app.canonical))
    out: list[tuple[str, ...]] = []
    for host in dict.fromkeys(h for h in hosts if h):
        cnames = _values(rows, host, "CNAME")
        addresses = _values(rows, host, "A") + _values(rows, host, "AAAA")
        claim = hosting_provider(host, cname_chain=cnames, addresses=addresses,
                                 headers=_headers_for(host, live))
        points = ("CNAME " + " → ".join(cnames)) if cnames else (
            ", ".join(addresses) if addresses else "-")
        https = [r for r in matrix if norm_name(r.get("hostname", "")) == host
                 and r.get("scheme") == "https"]
        if https:
            r = https[0]
            serves = _serves(r.get("start", ""), r.get("final URL", ""), r.get("final", ""),
                             r.get("hops", ""), r.get("verdict", ""))
        else:
            page = next((p for p in (live.pages if live else ()) if _host(p.url) == host), None)
            serves = _page_serves(page) if page else "not fetched in this run"
        out.append((host, points, claim.provider, serves))
    return tuple(out)


def provider_map(config: Config, rows: Sequence[tuple[str, ...]], spf: str | None,
                 live: LiveFacts | None) -> tuple[ProviderClaim, ...]:
    """DNS, hosting/CDN and email providers with the evidence for each."""
    domain = norm_name(config.app.domain) if config.app.domain else None
    claims: list[ProviderClaim] = []
    if domain:
        claims.append(dns_provider(domain, _values(rows, domain, "NS")))
    hosts: list[str] = []
    if config.app.canonical:
        hosts.append(_host(config.app.canonical))
    if domain:
        hosts += [domain, f"www.{domain}"]
    for host in dict.fromkeys(hosts):
        cnames = _values(rows, host, "CNAME")
        addresses = _values(rows, host, "A") + _values(rows, host, "AAAA")
        headers = _headers_for(host, live)
        if cnames or addresses or headers:
            claims.append(hosting_provider(host, cname_chain=cnames, addresses=addresses,
                                           headers=headers))
    for row in rows:
        if row[1] == "CNAME" and row[3] and norm_name(row[0]) not in hosts:
            claims.append(ProviderClaim(role="hosting/CDN", subject=norm_name(row[0]),
                                        provider=row[3], evidence=f"CNAME {row[2]}"))
    mail_domains = list(config.email.domains) if config.email else []
    if domain and domain not in mail_domains:
        mail_domains.insert(0, domain)
    for mail_domain in dict.fromkeys(norm_name(d) for d in mail_domains):
        claims.append(mail_provider(mail_domain, _values(rows, mail_domain, "MX")))
    if domain:
        claims += sending_providers(domain, spf)
    return tuple(claims)


# --- email ---------------------------------------------------------------------------------

def _txt(live: LiveFacts | None, rows: Sequence[tuple[str, ...]], name: str,
         prefix: str) -> str | None:
    for value in _values(rows, name, "TXT"):
        if value.strip('"').lower().startswith(prefix):
            return value.strip('"')
    if live is not None:
        for txt_name, strings in live.txt:
            if norm_name(txt_name) == name:
                for text in strings:
                    if text.lower().startswith(prefix):
                        return text
    return None


def spf_record(report: Report, config: Config, rows: Sequence[tuple[str, ...]],
               live: LiveFacts | None) -> str | None:
    """The domain's SPF record, from the live map or the audit's SPF tree."""
    domain = norm_name(config.app.domain) if config.app.domain else ""
    found = _txt(live, rows, domain, "v=spf1") if domain else None
    if found:
        return found
    for table in _tables(report, TableKind.SPF_TREE, domain):
        if table.rows:
            note = _column(table, table.rows[0], "note")
            if note.lower().startswith("v=spf1"):
                return note
    return None


def _short(record: str, limit: int = 160) -> str:
    return record if len(record) <= limit else record[:limit - 3] + "..."


def email_auth(report: Report, config: Config, rows: Sequence[tuple[str, ...]],
               live: LiveFacts | None, spf: str | None) -> tuple[AuthLine, ...]:
    """SPF, DKIM, DMARC and MTA-STS: one line each with the record and what the checks said."""
    domain = norm_name(config.app.domain) if config.app.domain else (
        norm_name(config.email.domains[0]) if config.email and config.email.domains else "")
    status = {c.id: c.status for c in report.checks}
    records: dict[str, str | None] = {"SPF": spf}
    records["DMARC"] = _txt(live, rows, f"_dmarc.{domain}", "v=dmarc1") if domain else None
    records["MTA-STS / TLS-RPT"] = (
        _txt(live, rows, f"_mta-sts.{domain}", "v=stsv1") if domain else None)
    dkim: list[str] = []
    for table in _tables(report, TableKind.DKIM_SELECTORS, domain):
        dkim += [f"{_column(table, r, 'name')}: {_column(table, r, 'key')}" for r in table.rows]
    if not dkim and config.email and domain:
        for selector in config.email.dkim_selectors:
            found = _txt(live, rows, f"{selector}._domainkey.{domain}", "v=dkim1")
            if found:
                dkim.append(f"{selector}._domainkey.{domain}: {_short(found, 60)}")
    records["DKIM"] = "; ".join(dkim) or None
    lines: list[AuthLine] = []
    for mechanism, ids in _AUTH_IDS:
        open_findings = [f for f in report.unsuppressed if f.rule_id in ids]
        ran = [status[i] for i in ids if i in status]
        if open_findings:
            state = "not published" if all(
                "nxdomain" in f.evidence.lower() or "no v=" in f.evidence.lower()
                for f in open_findings) else "needs work"
            detail = "; ".join(dict.fromkeys(f"{f.rule_id} {f.title}" for f in open_findings))
        elif any(s is CheckStatus.PASS for s in ran):
            state, detail = "ok", "checks " + ", ".join(
                i for i in ids if status.get(i) is CheckStatus.PASS) + " passed"
        elif any(s is CheckStatus.ERROR for s in ran):
            state, detail = "could not check", "the lookups failed in this run"
        else:
            state, detail = "not checked", "no [email] section or the checks were skipped"
        record = records.get(mechanism)
        lines.append(AuthLine(mechanism=mechanism, state=state,
                              record=_short(record) if record else "not captured in this run",
                              detail=detail))
    return tuple(lines)


# --- secrets -------------------------------------------------------------------------------

def _rule_for(finding: Finding) -> Rule | None:
    return next((r for r in RULES if r.id == finding.detail_key), None)


def _rule_by_provider(provider: str) -> Rule | None:
    return next((r for r in RULES if r.provider == provider and r.live), None) or next(
        (r for r in RULES if r.provider == provider), None)


def _provider_of_variable(variable: str) -> str | None:
    upper = variable.upper()
    return next((p for word, p in _NAME_HINTS if word in upper), None)


def rotations(report: Report) -> tuple[Rotation, ...]:
    """Secrets the audit found exposed, grouped by variable (or credential type) and provider."""
    generic = _rule_by_provider("generic")
    found: dict[tuple[str, str], list[str]] = {}
    rules: dict[tuple[str, str], list[str]] = {}
    steps: dict[tuple[str, str], str] = {}
    for finding in report.unsuppressed:
        if finding.rule_id in _SECRET_RULES:
            rule = _rule_for(finding)
            named = _VARIABLE.search(finding.evidence)
            variable = named.group(1) if named else None
            if rule is None and variable:
                rule = _rule_by_provider(_provider_of_variable(variable) or "generic")
            rule = rule or generic
            name = variable or (rule.title if rule else finding.title)
        elif finding.rule_id in _ENV_SECRET_RULES:
            variable = finding.target.split()[-1] if finding.target.split() else finding.target
            rule = _rule_by_provider(_provider_of_variable(variable) or "generic") or generic
            name = variable
        else:
            continue
        provider = _PROVIDER_NAMES.get(rule.provider, rule.provider) if rule else "unknown"
        key = (name, provider)
        found.setdefault(key, []).append(finding.target)
        rules.setdefault(key, []).append(finding.rule_id)
        steps.setdefault(key, rule.rotation if rule else
                         "Change the credential where it was issued, then redeploy.")
    return tuple(Rotation(name=name, provider=provider,
                          found=tuple(dict.fromkeys(found[(name, provider)])),
                          rules=tuple(dict.fromkeys(rules[(name, provider)])),
                          steps=steps[(name, provider)])
                 for name, provider in found)


# --- monitoring ----------------------------------------------------------------------------

def redact_route(url: str) -> str:
    """An alert route as scheme and host only: ``https://hooks.slack.com/…``.

    Notification URLs such as ``slack://TOKEN_A/TOKEN_B/TOKEN_C`` keep tokens where a host
    would be, so a "host" is only shown when it looks like a domain name.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "route"
    host = parts.hostname or ""
    if scheme == "mailto" and not host:
        host = parts.path.partition("@")[2].partition("?")[0].lower()
    if "." not in host:
        host = ""
    return f"{scheme}://{host}/…" if host else f"{scheme}://…"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


def monitoring(monitor: MonitorConfig | None, network_timeout: float) -> Monitoring:
    """The monitor set-up with a worst-case time-to-alert per the thresholds."""
    if monitor is None:
        return Monitoring(configured=False,
                          time_to_alert="no monitor configured: nobody is alerted")
    checks = tuple(MonitorCheckView(
        name=c.name, target=c.url or f"flow: {c.flow}",
        expect=", ".join(str(e) for e in c.expect) or "any answer",
        owner=c.owner or "-") for c in monitor.checks)
    worst = 0.0
    for check in monitor.checks or ():
        interval = parse_duration(check.interval or monitor.interval)
        timeout = parse_duration(check.timeout) if check.timeout else min(
            network_timeout, interval)
        # an outage starting just after a passing check is seen by the next one at most one
        # interval later; failure_threshold failures in a row, the last taking up to its timeout
        worst = max(worst, monitor.failure_threshold * interval + timeout)
    host, _, port = monitor.listen.rpartition(":")
    base = f"http://{host or '127.0.0.1'}:{port}"
    routes = tuple(
        (f"{r.name}: " if r.name else "") + redact_route(r.url.get_secret_value())
        for r in monitor.alerts)
    if not monitor.checks:
        tta, ok = "no checks configured", False
    elif not routes:
        tta, ok = f"{_seconds(worst)} to detect, but no alert route: nobody is told", False
    else:
        tta = (f"{_seconds(worst)} ({monitor.failure_threshold} failures × interval + "
               f"timeout; budget {_seconds(ALERT_BUDGET_S)})")
        ok = worst <= ALERT_BUDGET_S
    return Monitoring(configured=True, checks=checks, alert_routes=routes,
                      status_page=f"{base}/", metrics=f"{base}/metrics",
                      health=f"{base}/healthz", time_to_alert=tta, time_to_alert_ok=ok)


# --- calendar ------------------------------------------------------------------------------

def calendar(report: Report, config: Config, rows: Sequence[tuple[str, ...]],
             live: LiveFacts | None) -> tuple[CalendarEntry, ...]:
    """Dates to watch: certificate expiry per hostname, DKIM keys, leaked-key dates."""
    entries: list[CalendarEntry] = []
    seen: set[str] = set()
    for table in _tables(report, TableKind.CERTIFICATES):
        for row in table.rows:
            host = _host(_column(table, row, "target"))
            expires = _column(table, row, "expires (UTC)")
            if host and host not in seen and expires:
                seen.add(host)
                entries.append(CalendarEntry(
                    item="TLS certificate", subject=host, when=expires,
                    note=f"issuer {_column(table, row, 'issuer') or 'unknown'}; renew or check "
                         "auto-renewal 30 days before"))
    domain = norm_name(config.app.domain) if config.app.domain else ""
    selectors: list[str] = []
    for table in _tables(report, TableKind.DKIM_SELECTORS, domain):
        selectors += [_column(table, r, "name") for r in table.rows]
    if not selectors and config.email and domain:
        selectors = [f"{s}._domainkey.{domain}" for s in config.email.dkim_selectors]
    for name in dict.fromkeys(selectors):
        entries.append(CalendarEntry(
            item="DKIM key", subject=name, when="age unknown",
            note="DNS records carry no date: write down when the key was generated and "
                 "rotate it every 6-12 months"))
    mta_sts = _txt(live, rows, f"_mta-sts.{domain}", "v=stsv1") if domain else None
    if mta_sts:
        entries.append(CalendarEntry(item="MTA-STS policy", subject=f"_mta-sts.{domain}",
                                     when="max_age in the policy file",
                                     note="change the id= in the TXT record with every policy "
                                          "change"))
    for finding in report.unsuppressed:
        if finding.rule_id != "SEC002":
            continue
        committed = _COMMITTED.search(finding.evidence)
        if committed:
            entries.append(CalendarEntry(
                item="secret exposed in git history", subject=finding.target,
                when=f"since {committed.group(2)}",
                note=f"commit {committed.group(1)[:12]}; rotate now, the date is how long it "
                     "has been readable by everyone with a clone"))
    return tuple(entries)


# --- the whole document --------------------------------------------------------------------

def deploy_rollback(config: Config) -> tuple[str, ...]:
    """The recorded ``[build] rollback`` command and the detected deploy platform's."""
    if config.build is None:
        return ()
    from launchready.checks.deploy.build import project_of  # noqa: PLC0415 - check module

    return rollback_commands(project_of(config), config.build.rollback)


def build_handover(report: Report, config: Config, *, live: LiveFacts | None = None,
                   now: datetime | None = None) -> Handover:
    """The handover document as data; pure apart from defaulting ``now``."""
    rows = record_rows(report, live)
    spf = spf_record(report, config, rows, live)
    domain = norm_name(config.app.domain) if config.app.domain else None
    handover = config.handover
    access = AccessRegister(
        owners=tuple(sorted(handover.owners.items())) if handover else (),
        admins=tuple(handover.admins) if handover else (),
        credentials_stored_in=handover.credentials_stored_in if handover else None)
    notes: list[str] = []
    if live is None:
        notes.append("DNS and web facts come from the audit's own tables; `launchready "
                     "handover` also looks up the live record map and response headers.")
    live_findings = report.unsuppressed
    providers = provider_map(config, rows, spf, live)
    # the rollback command is the one of whoever serves the app, not of a stray subdomain
    main_hosts = {_host(config.app.canonical or ""), domain or "", f"www.{domain}"}
    hosting = tuple(c.provider for c in providers
                    if c.role == "hosting/CDN" and c.subject in main_hosts)
    return Handover(
        app_name=config.app.name, domain=domain, canonical=config.app.canonical,
        generated_at=now or datetime.now(UTC), tool_version=report.tool_version,
        score=report.score, incomplete=incomplete_notice(report), access=access,
        live_urls=live_urls(report, config, live),
        record_map=Table(title="DNS record map", columns=RECORD_COLUMNS, rows=rows),
        subdomains=Table(title="Subdomain map", columns=SUBDOMAIN_COLUMNS,
                         rows=subdomain_rows(report, config, rows, live)),
        providers=providers,
        email_auth=email_auth(report, config, rows, live, spf),
        rotations=rotations(report),
        monitoring=monitoring(config.monitor, config.network.timeout),
        plan_48h=report.plan_48h,
        later=tuple(f for f in live_findings if f.fix_window is FixWindow.LATER),
        runbook=runbook(config, hosting, deploy_rollback(config)),
        calendar=calendar(report, config, rows, live),
        notes=tuple(notes),
    )
