"""WEB004 — are the four browser security headers sent on the canonical page?

What: the canonical page (``[app] canonical``, else ``https://<domain>/``) is fetched the way a
browser reaches it (redirects followed) and its final response is read for:

* ``Content-Security-Policy`` — an enforced policy (``-Report-Only`` does not count); a
  ``<meta http-equiv="Content-Security-Policy">`` in the page counts too.
* ``X-Content-Type-Options: nosniff``.
* framing protection — a CSP ``frame-ancestors`` directive in the header (CSP3 ignores it in a
  ``<meta>`` policy) or ``X-Frame-Options: DENY`` / ``SAMEORIGIN``.
* ``Referrer-Policy`` — a valid policy other than ``unsafe-url`` (a ``<meta name="referrer">``
  counts).

Each missing (or unusable) header is one low finding per target, with its own fingerprint, so
fixing one header clears exactly one finding.

Why: without them one injected script, a MIME-sniffed upload or a framing page (clickjacking the
"Delete workspace" button) turns a small bug into an incident, and security-minded buyers run
header scanners during procurement: a row of red marks is an awkward start to a sales call.

Fix: send them from the edge for every response, e.g. nginx
``add_header X-Content-Type-Options "nosniff" always;`` (each finding carries the snippet for
nginx, Caddy, Cloudflare, Vercel, Netlify and a Python app).

Pass: ``Content-Security-Policy: default-src 'self'; frame-ancestors 'none'``,
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``.
Fail: a page served with none of them (four findings).
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._html import Page, fetch_page
from launchready.checks.web._urls import page_url
from launchready.model import Finding

#: Referrer Policy §3 (W3C): the valid tokens; an unknown token is ignored by browsers
REFERRER_POLICIES = frozenset({
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"})

_CSP_VALUE = ("default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")


@dataclass(frozen=True, kw_only=True)
class HeaderObs:
    """The canonical page as fetched (None when there is no target)."""

    page: Page


@dataclass(frozen=True, kw_only=True)
class _Missing:
    key: str
    header: str
    evidence: str
    impact: str
    value: str


def _header_values(page: Page, name: str) -> tuple[str, ...]:
    return page.final.header_all(name)


def _csp_directives(policies: tuple[str, ...]) -> set[str]:
    names = set()
    for policy in policies:
        for directive in policy.split(";"):
            words = directive.split()
            if words:
                names.add(words[0].lower())
    return names


def missing_headers(page: Page) -> list[_Missing]:
    """The security headers the final response lacks, each with evidence of what was seen."""
    refs = page.refs()
    out: list[_Missing] = []
    csp = _header_values(page, "content-security-policy")
    report_only = _header_values(page, "content-security-policy-report-only")
    if not csp and not refs.meta_csp:
        seen = ("only Content-Security-Policy-Report-Only is sent (it does not block anything)"
                if report_only else "no Content-Security-Policy header or <meta> policy")
        out.append(_Missing(
            key="csp", header="Content-Security-Policy", evidence=seen, value=_CSP_VALUE,
            impact=("One injected script (a comment, a profile name, a compromised npm package) "
                    "runs with the user's session because nothing limits where scripts load "
                    "from.")))
    nosniff = _header_values(page, "x-content-type-options")
    if not any(v.strip().lower() == "nosniff" for v in nosniff):
        seen = (f"X-Content-Type-Options: {shown(nosniff[0])}" if nosniff
                else "no X-Content-Type-Options header")
        out.append(_Missing(
            key="nosniff", header="X-Content-Type-Options", evidence=seen, value="nosniff",
            impact=("Browsers may sniff an uploaded or user-controlled file as HTML or script "
                    "and run it on your origin.")))
    xfo = _header_values(page, "x-frame-options")
    framing_ok = "frame-ancestors" in _csp_directives(csp) or any(
        v.strip().lower() in ("deny", "sameorigin") for v in xfo)
    if not framing_ok:
        seen = (f"X-Frame-Options: {shown(xfo[0])} (not DENY or SAMEORIGIN) and no CSP "
                "frame-ancestors" if xfo
                else "no X-Frame-Options header and no CSP frame-ancestors directive")
        out.append(_Missing(
            key="framing", header="X-Frame-Options", evidence=seen, value="DENY",
            impact=("Any site can frame the app and trick a signed-in user into clicking "
                    "its buttons (clickjacking).")))
    referrer = _header_values(page, "referrer-policy")
    # Referrer Policy §8.1: the header may list fallbacks; the last valid token wins
    tokens = [t.strip().lower() for v in referrer for t in v.split(",")]
    valid = [t for t in tokens if t in REFERRER_POLICIES]
    meta_ok = (refs.meta_referrer or "").strip().lower() in REFERRER_POLICIES - {"unsafe-url"}
    if not ((valid and valid[-1] != "unsafe-url") or (not valid and meta_ok)):
        if valid:
            seen = "Referrer-Policy: unsafe-url (sends full URLs, query included, everywhere)"
        elif referrer:
            seen = f"Referrer-Policy: {shown(referrer[0])} (not a valid policy)"
        else:
            seen = "no Referrer-Policy header"
        out.append(_Missing(
            key="referrer", header="Referrer-Policy", evidence=seen,
            value="strict-origin-when-cross-origin",
            impact=("Full URLs, including tokens or customer names in paths and queries, "
                    "leak to every third-party site the app links to or loads from.")))
    return out


def _fix(m: _Missing) -> str:
    h, v = m.header, m.value
    lead = ""
    if m.key == "csp":
        lead = ("Start from this policy and list the extra origins your scripts, styles, fonts "
                "and API calls need (deploy it first as Content-Security-Policy-Report-Only to "
                "find them)")
    elif m.key == "framing":
        lead = ("Prefer CSP `frame-ancestors 'none'` (or 'self'); X-Frame-Options: DENY covers "
                "older browsers")
    return fixes(
        lead=lead,
        nginx=(f"`add_header {h} \"{v}\" always;` in the server block (repeat it in any "
               "location with its own add_header: those do not inherit)"),
        caddy=f"`header {h} \"{v}\"` in the site block",
        cloudflare=(f"Rules → Transform Rules → Modify Response Header → Set static `{h}` = "
                    f"`{v}`"),
        vercel=(f'`{{"headers": [{{"source": "/(.*)", "headers": [{{"key": "{h}", '
                f'"value": "{v}"}}]}}]}}`'),
        netlify=f"`/*` then `  {h}: {v}`",
        python=(f"Starlette/FastAPI middleware `response.headers[\"{h}\"] = \"{v}\"`; Django "
                + {"csp": "`SECURE_CSP` (Django 6) or django-csp `CONTENT_SECURITY_POLICY`",
                   "nosniff": "`SECURE_CONTENT_TYPE_NOSNIFF = True`",
                   "framing": "`X_FRAME_OPTIONS = \"DENY\"` with XFrameOptionsMiddleware",
                   "referrer": f"`SECURE_REFERRER_POLICY = \"{v}\"`"}[m.key]))


def header_findings(page: Page) -> list[Finding]:
    """WEB004 findings for one fetched page."""
    rule = meta("WEB004")
    return [make_finding(rule, target=page.url, identity=m.key,
                         title=f"Security header missing: {m.header}",
                         evidence=m.evidence, impact=m.impact, fix=_fix(m))
            for m in missing_headers(page)]


class HeaderChecks(CheckFamily[HeaderObs]):
    """WEB004 on the canonical page."""

    rule_ids = ("WEB004",)

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    async def gather(self, ctx: Context) -> HeaderObs:
        url = page_url(ctx.config.app)
        if url is None:  # skip_reason guards this; kept for the type checker
            raise ValueError("no canonical URL")
        return HeaderObs(page=await fetch_page(ctx.probes.http, url))

    def evaluate(self, obs: HeaderObs, ctx: Context) -> Outcome:
        if not obs.page.ok:
            return Outcome(errors={"WEB004": f"could not fetch the page: {obs.page.final.error}"})
        return Outcome(findings=tuple(header_findings(obs.page)))
