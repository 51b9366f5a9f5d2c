"""TLS001–TLS004 — is HTTPS served, and does its certificate work for every buyer?

What: for the canonical URL's host and port, and for the apex domain on the same port, one TLS
handshake verified against the trust store (``--ca-bundle`` / ``[network] ca_bundle``, else the
system store), plus the facts of the chain the server presents.

* TLS001 — no HTTPS: the host accepts TCP but the TLS handshake fails or does not finish in
  time. A host that cannot be reached at all (name does not resolve, connection refused, no TCP
  connection in time) cannot be judged: the four rules report ``error`` for it, and when every
  network check of a run errors the exit code is 3.
* TLS002 — the certificate (or an intermediate the server sends) is expired (critical), not yet
  valid (critical), or expires soon: under 14 days left is high, under 30 days medium. For
  short-lived certificates (lifetime under 90 days) both thresholds scale by lifetime / 90, so a
  6-day certificate is high under 22.4 hours left and medium under 2 days: renewing at a third
  of the lifetime is normal for them, and a fixed 30-day threshold would flag every one.
* TLS003 — no subject-alternative name of the leaf covers the hostname (browsers ignore the
  common name; a wildcard covers exactly one leftmost label).
* TLS004 — the chain does not lead to a trusted root: a self-signed leaf, an incomplete chain
  (the server does not send the intermediate that issued its leaf), a chain that ends in a root
  the client does not trust, or another verification failure.

Why: each of these puts a full-page security warning, or a connection error, in front of a
buyer before they see the product; an incomplete chain is the sneaky one — desktop browsers that
cached the intermediate load the page while phones, curl, SDKs and webhook senders refuse it.

Fix: serve HTTPS with a certificate from a public CA via ACME (``certbot --nginx -d HOST``, or
the hosting platform's managed certificates) covering every served name, point the server at the
full chain (nginx ``ssl_certificate .../fullchain.pem``), and automate renewal
(``systemctl enable --now certbot.timer``).

Pass: a Let's Encrypt certificate for ``app.acme.example`` with 60 days left, served with its
intermediate. Fail: the same certificate served from ``cert.pem`` alone (TLS004, incomplete
chain), or 10 days before expiry (TLS002, high).

Fingerprints depend on the target and the kind of problem (plus the certificate's SHA-256 for
TLS002), never on the number of days left.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol, assert_never
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.model import Finding, Severity, Table, TableKind
from launchready.probes.tls import CertInfo, TlsObservation, TlsProbe, TlsVerdict

#: lifetimes at or above this use the 14/30-day thresholds unscaled
FULL_LIFETIME = timedelta(days=90)
HIGH_WITHIN = timedelta(days=14)
MEDIUM_WITHIN = timedelta(days=30)

class AppTargets(Protocol):
    """The part of ``[app]`` these checks read."""

    @property
    def canonical(self) -> str | None: ...

    @property
    def domain(self) -> str | None: ...


class HasApp(Protocol):
    """A config with an ``[app]`` section."""

    @property
    def app(self) -> AppTargets: ...


def _host_of(value: str) -> tuple[str, int] | None:
    parts = urlsplit(value if "://" in value else f"https://{value}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return None
    try:
        port = parts.port if parts.scheme == "https" else None
    except ValueError:
        return None
    # an http:// canonical URL still has an HTTPS counterpart to check, on the default port
    return host, port or 443


def tls_targets(config: HasApp) -> tuple[tuple[str, int], ...]:
    """(host, port) pairs to check: the canonical URL's, then the apex on the same port."""
    targets: list[tuple[str, int]] = []
    canonical = _host_of(config.app.canonical) if config.app.canonical else None
    if canonical is not None:
        targets.append(canonical)
    if config.app.domain:
        apex = config.app.domain.strip().rstrip(".").lower()
        port = canonical[1] if canonical else 443
        if apex and (apex, port) not in targets:
            targets.append((apex, port))
    return tuple(targets)


def target_url(host: str, port: int) -> str:
    """``https://host/`` (port 443) or ``https://host:port/``; IPv6 literals in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}/" if port == 443 else f"https://{shown}:{port}/"


def hostname_covered(sans: Sequence[str], host: str) -> bool:
    """True when a subject-alternative name matches ``host`` as browsers match it.

    RFC 6125 §6.4: IP addresses match IP entries exactly; a ``*`` wildcard stands for exactly
    one whole leftmost label and never sits directly on a one-label suffix (``*.com``). The
    subject common name is not consulted (RFC 6125 §6.4.4; browsers dropped it).
    """
    name = host.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        ip = None
    for san in sans:
        entry = san.rstrip(".").lower()
        if ip is not None:
            try:
                if ipaddress.ip_address(entry) == ip:
                    return True
            except ValueError:
                continue
        elif entry == name:
            return True
        elif entry.startswith("*.") and "." in entry[2:]:
            label, _, rest = name.partition(".")
            if label and rest == entry[2:]:
                return True
    return False


# --- TLS002: validity period --------------------------------------------------------------------

def expiry_thresholds(cert: CertInfo) -> tuple[timedelta, timedelta]:
    """(high, medium) warning thresholds for ``cert``: 14 and 30 days, scaled if short-lived."""
    lifetime = cert.not_after - cert.not_before
    scale = min(1.0, max(lifetime, timedelta(0)) / FULL_LIFETIME)
    return HIGH_WITHIN * scale, MEDIUM_WITHIN * scale


def expiry_severity(cert: CertInfo, now: datetime) -> Severity | None:
    """Severity of ``cert``'s expiry at ``now``: critical once expired, None if far enough."""
    left = cert.not_after - now
    if left <= timedelta(0):
        return Severity.CRITICAL
    high, medium = expiry_thresholds(cert)
    if left < high:
        return Severity.HIGH
    if left < medium:
        return Severity.MEDIUM
    return None


def _span(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    days, hours = round(seconds / 86400), round(seconds / 3600)
    if days >= 2:
        return f"{days} days"
    if hours >= 36:
        return "1 day"
    if hours >= 2:
        return f"{hours} hours"
    return "1 hour" if hours == 1 else f"{max(1, round(seconds / 60))} minutes"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} (UTC)"


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 2 else f"{days * 24:.1f} hours"


def _issuer_walk(chain: Sequence[CertInfo]) -> list[CertInfo]:
    """The leaf, then the presented certificates its issuer names lead to, in order."""
    walk = [chain[0]]
    rest = list(chain[1:])
    while not walk[-1].self_signed:
        parent = next((c for c in rest if c.subject == walk[-1].issuer), None)
        if parent is None:
            break
        rest.remove(parent)
        walk.append(parent)
    return walk


def _label(cert: CertInfo, leaf: CertInfo) -> str:
    return "certificate" if cert is leaf else f"intermediate {cert.subject}"


def _renew_fix(host: str) -> str:
    return (f"Renew now and reload the server: `sudo certbot renew --cert-name {host}` (or "
            f"`sudo certbot certonly --nginx -d {host}` for a new certificate), then "
            "`sudo systemctl reload nginx`; on a managed host (Vercel, Netlify, Fly.io, "
            "Cloudflare) re-issue it from the dashboard. Then automate renewal "
            "(`sudo systemctl enable --now certbot.timer`, or a daily cron "
            "`certbot renew --quiet --deploy-hook 'systemctl reload nginx'`) and add a "
            "monitor check expecting `cert.days_left > 14`.")


def _validity_findings(obs: TlsObservation, now: datetime) -> Iterator[Finding]:
    rule = meta("TLS002")
    target = target_url(obs.host, obs.port)
    leaf = obs.chain[0]
    # clients use their own copy of a root, so only the leaf and intermediates count
    path = [c for c in _issuer_walk(obs.chain) if c is leaf or not c.self_signed]
    early = next((c for c in path if c.not_before > now), None)
    if early is not None:
        yield make_finding(
            rule, target=target, identity=f"not-yet-valid:{early.sha256}",
            severity=Severity.CRITICAL, title="Certificate not yet valid",
            evidence=(f"{_label(early, leaf)} valid only from {_when(early.not_before)}, in "
                      f"{_span(early.not_before - now)}; subject {early.subject}; "
                      f"issuer {early.issuer}"),
            impact=("Browsers reject a certificate that is not valid yet "
                    "(NET::ERR_CERT_DATE_INVALID), so buyers see a warning page instead of "
                    "the app."),
            fix=(f"Check the clocks of the server and of whatever issued the certificate "
                 "(`timedatectl status`; `sudo timedatectl set-ntp true`), re-issue it "
                 f"(`sudo certbot certonly --force-renewal --nginx -d {obs.host}`) and reload "
                 "the server; until then keep serving the previous certificate."))
        return
    soonest = min(path, key=lambda c: c.not_after)
    severity = expiry_severity(soonest, now)
    if severity is None:
        return
    left = soonest.not_after - now
    what = _label(soonest, leaf)
    if severity is Severity.CRITICAL:
        yield make_finding(
            rule, target=target, identity=f"expired:{soonest.sha256}",
            severity=severity, title="Certificate expired",
            evidence=(f"{what} expired {_when(soonest.not_after)}, {_span(left)} ago; "
                      f"subject {soonest.subject}; issuer {soonest.issuer}"),
            impact=("Every browser shows a full-page warning (NET::ERR_CERT_DATE_INVALID) and "
                    "API clients refuse to connect, so buyers cannot open the app."),
            fix=_renew_fix(obs.host))
        return
    high, medium = expiry_thresholds(soonest)
    scaled = ""
    if high < HIGH_WITHIN:
        scaled = (f"; {_days(soonest.not_after - soonest.not_before)} lifetime, so warning "
                  f"thresholds are {_days(high)} / {_days(medium)}")
    yield make_finding(
        rule, target=target, identity=f"expiring:{soonest.sha256}",
        severity=severity, title="Certificate expiring soon",
        evidence=(f"{what} expires {_when(soonest.not_after)}, in {_span(left)}{scaled}; "
                  f"subject {soonest.subject}; issuer {soonest.issuer}"),
        impact=(f"Unless it is renewed, buyers get a certificate warning instead of the app from "
                f"{soonest.not_after:%Y-%m-%d}."),
        fix=_renew_fix(obs.host))


# --- TLS003: hostname ---------------------------------------------------------------------------

def _hostname_finding(obs: TlsObservation) -> Finding | None:
    leaf = obs.chain[0]
    if hostname_covered(leaf.sans, obs.host) and obs.verdict is not TlsVerdict.WRONG_HOST:
        return None
    covers = ", ".join(leaf.sans) if leaf.sans else f"no alternative names (subject {leaf.subject})"
    return make_finding(
        meta("TLS003"), target=target_url(obs.host, obs.port),
        evidence=f"certificate covers {covers}, not {obs.host}; issuer {leaf.issuer}",
        impact=(f"Browsers show 'Your connection is not private' "
                f"(NET::ERR_CERT_COMMON_NAME_INVALID) on {obs.host}, so buyers see a warning "
                "instead of the app."),
        fix=(f"Re-issue the certificate with every name you serve, e.g. "
             f"`sudo certbot certonly --nginx -d {obs.host}` (add `-d` for the apex and www), "
             "and reload; check that the server block answering for this name (nginx "
             "`server_name`) uses that certificate — a default or catch-all block often serves "
             "another site's certificate."))


# --- TLS004: chain of trust ---------------------------------------------------------------------

def _trust_finding(obs: TlsObservation) -> Finding | None:
    verdict = obs.verdict
    match verdict:
        case (None | TlsVerdict.OK | TlsVerdict.EXPIRED | TlsVerdict.NOT_YET_VALID
              | TlsVerdict.WRONG_HOST):
            return None  # trusted chain; dates and names are TLS002/TLS003
        case TlsVerdict.SELF_SIGNED:
            title, evidence, impact, fix = _self_signed(obs)
        case TlsVerdict.INCOMPLETE_CHAIN:
            title, evidence, impact, fix = _incomplete(obs)
        case TlsVerdict.UNTRUSTED_ROOT:
            title, evidence, impact, fix = _untrusted(obs)
        case TlsVerdict.OTHER:
            title = "Certificate chain does not verify"
            evidence = f"verification failed: {obs.verify_message or 'no reason given'}"
            impact = ("Browsers and API clients refuse the certificate, so buyers see a security "
                      "warning instead of the app.")
            fix = (f"Inspect the chain with {_s_client(obs)}; {_public_ca(obs.host)}, issued "
                   "for server authentication, and serve it with its intermediates "
                   "(fullchain.pem).")
        case _:
            assert_never(verdict)
    return make_finding(meta("TLS004"), target=target_url(obs.host, obs.port),
                        identity=verdict.value, title=title, evidence=evidence, impact=impact,
                        fix=fix)


_Text = tuple[str, str, str, str]  # title, evidence, impact, fix
_PRIVATE_CA = ("If the CA is private on purpose (staging, internal), give launchready its root "
               "with `--ca-bundle root.pem` or `[network] ca_bundle`.")


def _public_ca(host: str) -> str:
    return (f"use a certificate from a publicly trusted CA (`sudo certbot --nginx -d {host}` for "
            "Let's Encrypt, or the hosting platform's managed HTTPS)")


def _s_client(obs: TlsObservation) -> str:
    return (f"`openssl s_client -connect {obs.host}:{obs.port} -servername {obs.host} "
            "-showcerts`")


def _sent(obs: TlsObservation) -> str:
    n = len(obs.chain)
    return f"{n} certificate{'s' if n != 1 else ''}"


def _self_signed(obs: TlsObservation) -> _Text:
    leaf = obs.leaf
    subject = f"{leaf.subject}, SHA-256 {leaf.sha256[:16]}…" if leaf else "not collected"
    return (
        "Self-signed certificate",
        f"the server presents a self-signed certificate ({subject})",
        "Every browser shows a full-page warning (NET::ERR_CERT_AUTHORITY_INVALID) and API "
        "clients refuse to connect.",
        f"Replace it: {_public_ca(obs.host)}. Keep self-signed certificates for local "
        "development; if this server is private on purpose, give launchready the certificate "
        "with `--ca-bundle cert.pem` or `[network] ca_bundle`.")


def _incomplete(obs: TlsObservation) -> _Text:
    if not obs.chain:
        detail = "the issuer of the server's certificate is unknown"
    else:
        end = _issuer_walk(obs.chain)[-1]
        start = (f"the server sends only its own certificate ({end.subject})"
                 if len(obs.chain) == 1
                 else f"the server sends {_sent(obs)}, ending at {end.subject}")
        detail = (f"{start}; its issuer {end.issuer} is neither sent nor in the trust store: "
                  "the intermediate certificate is missing")
    return (
        "Incomplete certificate chain (intermediate missing)",
        f"{detail} ({obs.verify_message})",
        "Desktop browsers that cached the intermediate may load the page, but phones, curl, "
        "SDKs and webhook senders refuse it — it fails for some buyers only.",
        f"Serve the full chain: in nginx `ssl_certificate "
        f"/etc/letsencrypt/live/{obs.host}/fullchain.pem;` (not cert.pem); in Apache "
        "`SSLCertificateFile` pointing at the full-chain file; elsewhere concatenate the leaf "
        "and its intermediate(s), leaf first, into one PEM. Reload and check with "
        f"{_s_client(obs)}. {_PRIVATE_CA}")


def _untrusted(obs: TlsObservation) -> _Text:
    if not obs.chain:
        where = "a CA that is not in the trust store"
    else:
        end = _issuer_walk(obs.chain)[-1]
        where = (f"the self-signed root {end.subject}, which is not in the trust store"
                 if end.self_signed
                 else f"{end.subject}, issued by {end.issuer}, which is not in the trust store")
    return (
        "Certificate chain ends in an untrusted root",
        f"the chain the server sends ({_sent(obs)}) leads to {where}",
        "Browsers and API clients that do not trust this CA show a security warning "
        "(NET::ERR_CERT_AUTHORITY_INVALID) or refuse to connect.",
        f"For public buyers, {_public_ca(obs.host)}. {_PRIVATE_CA}")


# --- TLS001: reachability -----------------------------------------------------------------------

def _connect_failed(obs: TlsObservation) -> bool:
    """True when no TCP connection opened: the host cannot be judged, so it is an error."""
    return obs.failure is not None and not obs.connected


def _connect_reason(obs: TlsObservation) -> str:
    failure = obs.failure or ""
    peer = f"{obs.address or obs.host}:{obs.port}"
    if failure == "dns":
        return f"{obs.host} does not resolve"
    if failure == "refused":
        return f"connection refused by {peer}"
    if failure == "timeout":
        return f"no TCP connection to {peer} within {obs.elapsed_ms / 1000:.1f} s"
    return f"{peer}: {failure}"


def _unreachable_finding(obs: TlsObservation) -> Finding:
    """TLS001 for a host that accepted TCP but did not complete a TLS handshake."""
    failure = obs.failure or ""
    host, port = obs.host, obs.port
    peer = f"{obs.address or host}:{port}"
    waited = f"{obs.elapsed_ms / 1000:.1f} s"
    serve_fix = (f"Make the server accept HTTPS for {host} on port {port}: e.g. nginx "
                 f"`listen {port} ssl;` with `ssl_certificate .../fullchain.pem;` and "
                 "`ssl_certificate_key .../privkey.pem;` (or enable HTTPS for the custom domain "
                 f"at your host), and confirm from outside with `curl -v https://{host}:{port}/`.")
    if failure == "timeout":
        evidence = (f"TCP connection to {peer} opened, but no TLS handshake completed within "
                    f"{waited}")
        fix = serve_fix + " Something accepts the connection without speaking TLS: check for a " \
                          "stuck process or a proxy in front of the server."
    else:
        evidence = f"TLS handshake with {peer} failed: {failure.removeprefix('handshake: ')}"
        fix = serve_fix + (" A port that answers in plain HTTP is missing `ssl` on its "
                           "`listen` line. Inspect the handshake with "
                           f"`openssl s_client -connect {peer} -servername {host}`.")
    return make_finding(
        meta("TLS001"), target=target_url(host, port), evidence=evidence,
        impact=(f"Buyers opening {target_url(host, port)} get a connection error instead of "
                "the app."),
        fix=fix)


# --- the family -----------------------------------------------------------------------------------

def _table_row(obs: TlsObservation, now: datetime) -> tuple[str, ...]:
    target = target_url(obs.host, obs.port)
    if obs.failure is not None or not obs.chain:
        return (target, obs.failure or str(obs.verdict or "-"), obs.protocol or "-", "-", "-", "-")
    leaf = obs.chain[0]
    left = leaf.not_after - now
    state = f"{left.days} d" if left > timedelta(0) else "expired"
    return (target, str(obs.verdict or "-"), obs.protocol or "-", leaf.subject, leaf.issuer,
            f"{leaf.not_after:%Y-%m-%d} ({state})")


class CertificateChecks(CheckFamily[tuple[TlsObservation, ...]]):
    """TLS001–TLS004 over the canonical host and the apex."""

    rule_ids = ("TLS001", "TLS002", "TLS003", "TLS004")

    def skip_reason(self, ctx: Context) -> str | None:
        if tls_targets(ctx.config):
            return None
        return "no [app] canonical or domain to check (set canonical = \"https://...\")"

    async def gather(self, ctx: Context) -> tuple[TlsObservation, ...]:
        probe: TlsProbe = ctx.probes.tls
        return tuple(await asyncio.gather(
            *(probe.handshake(host, port) for host, port in tls_targets(ctx.config))))

    def evaluate(self, obs: tuple[TlsObservation, ...], ctx: Context) -> Outcome:
        findings: list[Finding] = []
        for one in obs:
            if _connect_failed(one):
                continue
            if one.failure is not None:
                findings.append(_unreachable_finding(one))
                continue
            if one.chain:
                findings.extend(_validity_findings(one, ctx.now))
                hostname = _hostname_finding(one)
                if hostname is not None:
                    findings.append(hostname)
            trust = _trust_finding(one)
            if trust is not None:
                findings.append(trust)
        errors: dict[str, str] = {}
        unreachable = [o for o in obs if _connect_failed(o)]
        if unreachable:
            why = "could not connect: " + "; ".join(_connect_reason(o) for o in unreachable)
            errors = dict.fromkeys(self.rule_ids, why)
        table = Table(title="TLS certificates",
                      columns=("target", "result", "protocol", "certificate", "issuer",
                               "expires (UTC)"),
                      rows=tuple(_table_row(o, ctx.now) for o in obs),
                      kind=TableKind.CERTIFICATES)
        findings.sort(key=lambda f: f.rule_id)
        return Outcome(findings=tuple(findings), tables=(table,) if obs else (),
                       errors=errors)
