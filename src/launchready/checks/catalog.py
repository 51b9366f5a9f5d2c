"""The one explicit table of check IDs (SPEC §5). IDs are permanent.

A renamed ID goes through ``REDIRECTS`` and is never reused: users' baselines and CI scripts
refer to these strings. ``tests/test_catalog.py`` pins them unique and well-formed.
"""

from __future__ import annotations

from launchready.model import CheckMeta, FixWindow, Severity, Stage

_A, _D, _P = Stage.AUDIT, Stage.DNS_EMAIL, Stage.DEPLOY
_F, _R = Stage.PERFORMANCE, Stage.RELIABILITY
_C, _H, _M, _L, _I = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
_NOW, _LATER = FixWindow.H48, FixWindow.LATER

RFC7208 = "https://www.rfc-editor.org/rfc/rfc7208"
RFC7489 = "https://www.rfc-editor.org/rfc/rfc7489"
RFC6376 = "https://www.rfc-editor.org/rfc/rfc6376"
RFC6797 = "https://www.rfc-editor.org/rfc/rfc6797"
RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280"


def _m(
    id_: str,
    title: str,
    severity: Severity,
    stage: Stage,
    doc: str,
    window: FixWindow = _NOW,
    effort: int = 15,
    refs: tuple[str, ...] = (),
) -> CheckMeta:
    return CheckMeta(id=id_, title=title, severity=severity, stage=stage, doc=doc,
                     fix_window=window, effort_minutes=effort, references=refs)


CATALOG: tuple[CheckMeta, ...] = (
    # --- SEC: secrets -------------------------------------------------------------------------
    _m("SEC001", "Secret in a tracked file", _C, _A,
       "A credential sits in a file of the working tree. Anyone with the repo has it. "
       "Rotate it at the provider, then move it to an environment variable. To accept one "
       "line, end it with a comment holding `launchready: ignore[SEC001]` (`gitleaks:allow` "
       "and `pragma: allowlist secret` work too); `.gitleaksignore` entries and "
       "`[secrets] exclude` globs are honoured. Local defaults (a password for localhost or a "
       "compose service) are reported as low.", effort=30),
    _m("SEC002", "Secret in git history", _H, _A,
       "A credential was removed from HEAD but is still in a commit. Purging history is not "
       "enough: rotate it first, then purge with git filter-repo.", effort=30),
    _m("SEC003", "Secret in a frontend bundle or served page", _C, _A,
       "A credential is shipped to every browser. Rotate it and keep it server-side; only "
       "publishable keys may use public prefixes (NEXT_PUBLIC_, VITE_ ...).", effort=45),
    _m("SEC004", "Source map served publicly", _M, _A,
       "Source maps expose the original source (and sometimes secrets in sourcesContent). "
       "Do not deploy *.map files, or restrict them to your error tracker.", effort=15),
    _m("SEC005", "Secret in a log", _H, _A,
       "Logs are read by many people and tools. Rotate the secret and mask it at the logger.",
       effort=30),
    _m("SEC006", ".env file tracked by git", _H, _A,
       "A .env file is committed. When it holds a credential (high), remove it from the index, "
       "add it to .gitignore and rotate what it held; one with only placeholders, local "
       "defaults and settings is low: keep real values in an ignored .env.local.", effort=15),
    _m("SEC007", "Personal data in logs", _M, _A,
       "E-mails, phone numbers, bearer tokens or session ids are written to logs. Mask them "
       "at the logger.", _LATER, 30),
    _m("SEC008", "Literal credential in config", _H, _A,
       "A credential is written literally in launchready.toml or another config that should "
       "read it from ${VAR}.", effort=5),
    _m("SEC009", "Sensitive path publicly reachable", _C, _A,
       "Paths such as /.env, /.git/HEAD or backups are served to anyone. Block them at the "
       "web server and rotate anything they exposed.", effort=20),
    # --- ENV: deployment environment ----------------------------------------------------------
    _m("ENV001", "Required variable missing or empty", _C, _P,
       "A variable the app needs is not set in the target environment.", effort=5),
    _m("ENV002", "Secret under a public prefix", _C, _P,
       "A secret-looking value is exposed through a client-side prefix (NEXT_PUBLIC_, VITE_ "
       "...) and ends up in the bundle.", effort=20),
    _m("ENV003", "Production and preview share a secret", _H, _P,
       "Preview deployments hold production secrets or the production database.", effort=20),
    _m("ENV004", "Test credentials in production", _H, _P,
       "Sandbox keys (e.g. sk_test_) are configured for production.", effort=10),
    _m("ENV005", "Local or private address in production", _H, _P,
       "A production variable points at localhost, a private address or a *.local name.",
       effort=10),
    _m("ENV006", "Variable read but not declared", _M, _P,
       "The code reads a variable (without a default) that no template or the config declares.",
       _LATER, 5),
    _m("ENV007", "Weak or placeholder secret", _H, _P,
       "A secret is a placeholder, words, reused, or too little randomness for a signing key.",
       effort=10),
    _m("ENV008", "Debug mode on in production", _H, _P,
       "DEBUG/FLASK_DEBUG/APP_DEBUG or a non-production NODE_ENV is set in production.",
       effort=5),
    _m("ENV009", "Env file malformed", _M, _P,
       "An env file has duplicate keys (the last silently wins), unparsable lines or invalid "
       "names.", _LATER, 5),
    _m("ENV010", "Declared variable no code reads", _L, _P,
       "A template declares a variable that no code reads (stale, or another tool's setting).",
       _LATER, 5),
    # --- DNS ----------------------------------------------------------------------------------
    _m("DNS001", "DNS record differs from the map", _H, _D,
       "A record in the expected map is missing or has other values live.", effort=10),
    _m("DNS002", "Apex does not resolve or has a CNAME", _C, _D,
       "The bare domain must resolve, and a CNAME at the apex is invalid (RFC 1912 §2.4).",
       effort=15),
    _m("DNS003", "Dangling CNAME", _C, _D,
       "A subdomain points at a name that does not resolve or at an unclaimed hosting target: "
       "anyone can claim it and serve content on your domain.", effort=10),
    _m("DNS004", "Nameservers not the expected provider", _M, _D,
       "The zone's NS records name another operator than expected, or disagree.", _LATER, 20),
    _m("DNS005", "CAA missing or forbids the issuing CA", _L, _D,
       "CAA records limit which CAs may issue for the domain.", _LATER, 10),
    _m("DNS006", "Domain resolves to another environment", _C, _D,
       "The production hostname resolves to an address other than production (e.g. staging).",
       effort=10),
    # --- MAIL ---------------------------------------------------------------------------------
    _m("MAIL001", "No SPF record", _H, _D, "The domain publishes no v=spf1 TXT record.",
       effort=10, refs=(RFC7208,)),
    _m("MAIL002", "More than one SPF record", _H, _D,
       "Two v=spf1 records make every SPF check a permerror (RFC 7208 §4.5).", effort=10,
       refs=(RFC7208 + "#section-4.5",)),
    _m("MAIL003", "SPF syntax error", _H, _D, "The SPF record does not parse (permerror).",
       effort=10, refs=(RFC7208 + "#section-4.6",)),
    _m("MAIL004", "SPF lookup limit exceeded", _H, _D,
       "More than 10 DNS-querying terms or more than 2 void lookups is a permerror.",
       effort=30, refs=(RFC7208 + "#section-4.6.4",)),
    _m("MAIL005", "SPF all mechanism too permissive", _H, _D,
       "SPF ending in +all or ?all (or with no all/redirect) lets anyone send as you.",
       effort=5, refs=(RFC7208 + "#section-5.1",)),
    _m("MAIL006", "SPF authorises an unapproved sender", _M, _D,
       "SPF includes a source not in the approved senders list.", _LATER, 10),
    _m("MAIL007", "Approved sender missing from SPF", _H, _D,
       "Mail from an approved provider will fail SPF.", effort=10),
    _m("MAIL008", "DKIM key missing or weak", _H, _D,
       "A configured selector has no usable DKIM key, a revoked one, or an RSA key under 1024 "
       "bits (under 2048 is low).", effort=20, refs=(RFC6376,)),
    _m("MAIL009", "No DMARC record", _H, _D, "No _dmarc TXT record: receivers get no policy.",
       effort=10, refs=(RFC7489,)),
    _m("MAIL010", "DMARC policy weak", _M, _D,
       "DMARC p=none, weaker than the configured minimum, or without rua reporting.",
       _LATER, 10, refs=(RFC7489,)),
    _m("MAIL011", "DMARC record invalid", _H, _D, "The DMARC record does not parse.",
       effort=10, refs=(RFC7489,)),
    _m("MAIL012", "No MX for a sending domain", _M, _D,
       "Replies and bounces to this domain are lost.", _LATER, 15),
    _m("MAIL013", "A real message fails authentication", _H, _D,
       "A sent message fails DKIM, SPF or DMARC alignment.", effort=30),
    _m("MAIL014", "No MTA-STS / TLS-RPT", _I, _D,
       "Inbound mail TLS is not enforced or reported.", _LATER, 30),
    # --- TLS ----------------------------------------------------------------------------------
    _m("TLS001", "HTTPS not served", _C, _A,
       "The host does not complete a TLS handshake on port 443 (or the configured port). "
       "Buyers see a connection error. Check that the server listens for HTTPS and that the "
       "hostname points at it.", effort=30),
    _m("TLS002", "Certificate expired or expiring", _C, _A,
       "The certificate is expired (critical) or expires within 14 days (high) / 30 days "
       "(medium); for short-lived certificates the thresholds scale with the lifetime. "
       "Renew it and automate renewal (ACME).", effort=15, refs=(RFC5280,)),
    _m("TLS003", "Certificate does not cover the hostname", _C, _A,
       "No SAN entry of the certificate matches the hostname: browsers refuse the page. "
       "Re-issue the certificate with every served hostname.", effort=20),
    _m("TLS004", "Untrusted or incomplete certificate chain", _C, _A,
       "The chain is self-signed, ends in an untrusted root, or misses an intermediate "
       "(served chain incomplete). Serve the full chain (fullchain.pem).", effort=15),
    _m("TLS005", "TLS 1.0/1.1 accepted", _M, _A,
       "Deprecated protocol versions are accepted (RFC 8996).", _LATER, 10),
    _m("TLS006", "HSTS missing or short", _M, _A,
       "No Strict-Transport-Security header, or max-age under 180 days.", effort=5,
       refs=(RFC6797,)),
    _m("TLS007", "HTTP does not redirect to HTTPS", _H, _A,
       "Plain HTTP must redirect to HTTPS on the same host first.", effort=10),
    _m("TLS008", "Mixed content on the canonical page", _M, _A,
       "The canonical page loads http:// subresources.", _LATER, 20),
    # --- WEB ----------------------------------------------------------------------------------
    _m("WEB001", "Apex and www inconsistent", _M, _A,
       "Apex and www both serve content, or redirect elsewhere than the canonical URL.",
       effort=10),
    _m("WEB002", "Redirect chain too long or looping", _M, _A,
       "More than 2 hops to the canonical URL, or a loop.", effort=10),
    _m("WEB003", "Redirect drops path or query", _L, _A,
       "Deep links lose their path or query on redirect.", _LATER, 10),
    _m("WEB004", "Security header missing", _L, _A,
       "CSP, X-Content-Type-Options, frame-ancestors/X-Frame-Options or Referrer-Policy is "
       "missing.", _LATER, 10),
    _m("WEB005", "Static assets not cached or compressed", _L, _F,
       "Fingerprinted assets lack long-lived caching, or responses are not compressed.",
       _LATER, 15),
    _m("WEB006", "Authenticated response cacheable", _H, _A,
       "A personalised response may be stored by shared caches and served to others.",
       effort=10),
    _m("WEB007", "Debug page or version leaked", _H, _A,
       "Error pages show stack traces, debug pages or framework versions.", effort=10),
    _m("WEB008", "Session cookie flags missing", _M, _A,
       "Session cookies lack Secure, HttpOnly or SameSite.", effort=10),
    _m("WEB009", "CORS allows any origin with credentials", _H, _A,
       "Any site can read authenticated responses.", effort=15),
    _m("WEB010", "Subdomain serves the wrong thing", _H, _A,
       "A mapped subdomain serves another app, a default page or an error.", effort=20),
    # --- SMOKE --------------------------------------------------------------------------------
    _m("SMOKE001", "Login fails", _C, _R,
       "The smoke flow's login step (login = true, else the step named \"login\", else the "
       "first step) gets no answer, fails an expectation or misses a capture such as the "
       "session cookie: buyers cannot get past the first screen.", effort=30),
    _m("SMOKE002", "Smoke step fails", _H, _R,
       "A step of the smoke flow after login gets no answer, fails an expectation other than "
       "its time budget, or misses a capture.", effort=30),
    _m("SMOKE003", "Session survives logout", _H, _R,
       "After the logout step, the last authenticated GET replayed with the cookies and "
       "credential headers it carried before logout still answers 2xx.", effort=30),
    _m("SMOKE004", "Smoke step over budget", _M, _F,
       "A smoke step fails its time budget (a `time < ...` expectation); every step's time is "
       "also a measurement.", _LATER, 60),
    # --- PERF ---------------------------------------------------------------------------------
    _m("PERF001", "Core read p95 over budget", _H, _F,
       "p95 latency of a core read endpoint is over 500 ms (or its budget).", effort=120),
    _m("PERF002", "Heavy query p95 over budget", _M, _F,
       "p95 latency of a heavy dashboard query is over 1.5 s (or its budget).", _LATER, 120),
    _m("PERF003", "p95 regressed against baseline", _H, _F,
       "p95 latency regressed beyond max_regression and the measured noise.", effort=60),
    _m("PERF004", "Errors under burst", _H, _F, "Errors or timeouts under the burst load.",
       effort=60),
    _m("PERF005", "Outbound HTTP call without timeout", _M, _F,
       "An outbound call without a timeout can hang a worker forever.", _LATER, 5),
    # --- DEPLOY: production deployment safety ------------------------------------------------
    _m("DEPLOY001", "Production build fails from a clean checkout", _C, _P,
       "HEAD, checked out into a fresh folder, installed from the lockfile and built with the "
       "production environment only, fails. The log's last error lines are the evidence. Fix "
       "the error, commit, and run `launchready build` again.", effort=60),
    _m("DEPLOY002", "Build needs files git does not track", _H, _P,
       "The build fails from a clean checkout but passes with the working tree's untracked or "
       "ignored files: the deploy platform, which builds from git, will not have them. Commit "
       "them (without secrets) or generate them in the build.", effort=30),
    _m("DEPLOY003", "Build output ships source maps, local URLs or debug flags", _H, _P,
       "The public output directory holds *.map files (or inline maps), localhost / preview / "
       "staging URLs, or debug flags turned on. Turn source maps off for production and read "
       "URLs and flags from the production environment.", effort=20),
    _m("DEPLOY004", "Pending migration cannot be rolled back", _H, _P,
       "A migration not yet released has no downgrade, an irreversible data step, or drops, "
       "renames or tightens a column the previous release still uses. Write the way down and "
       "split destructive changes over two releases.", effort=45),
    _m("DEPLOY005", "No rollback path for the deploy", _M, _P,
       "No release tag to go back to and no recorded rollback command. Tag releases and set "
       "[build] rollback to the platform's command (vercel rollback, heroku rollback ...).",
       _LATER, 15),
    # --- OBS ----------------------------------------------------------------------------------
    _m("OBS001", "Health endpoint missing or shallow", _M, _R,
       "No health endpoint, or one that says ok without checking its dependencies.",
       _LATER, 30),
    _m("OBS002", "Key route not monitored", _M, _R,
       "Homepage, auth flow or core route has no monitor check.", effort=10),
    _m("OBS003", "No alert route or alerts too slow", _H, _R,
       "No alert route, or worst-case time-to-alert exceeds 2 minutes.", effort=10),
    _m("OBS004", "Alert route failed test delivery", _H, _R,
       "A configured alert route could not deliver a test message.", effort=10),
    # --- DB -----------------------------------------------------------------------------------
    _m("DB001", "Slow statements", _M, _F, "Statements with mean time over budget.", _LATER, 60),
    _m("DB002", "Sequential scans on large tables", _M, _F,
       "Full scans on large tables or in listed query plans.", _LATER, 30),
    _m("DB003", "Foreign key without an index", _L, _F,
       "Joins and cascading deletes on this key scan the table.", _LATER, 10),
)

#: renamed IDs -> current ID; an old ID is never reused for another check
REDIRECTS: dict[str, str] = {}

BY_ID: dict[str, CheckMeta] = {m.id: m for m in CATALOG}


def meta(rule_id: str) -> CheckMeta:
    """The catalog entry of ``rule_id`` (following redirects)."""
    return BY_ID[REDIRECTS.get(rule_id, rule_id)]
