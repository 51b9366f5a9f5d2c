"""TLS006–TLS008, WEB001–WEB003, WEB010 — the redirect and TLS matrix of every hostname.

What: every hostname the config knows (apex, www, the canonical host, mapped subdomains — see
:mod:`launchready.checks.web.matrix_plan`) is opened as ``http://`` and ``https://``; every hop is
recorded (status, ``Location``, ``Strict-Transport-Security``, and the certificate of each HTTPS
origin from a TLS handshake) until a response that is not a redirect, a loop, or 10 hops.

* TLS007 [high] — plain HTTP does not redirect to HTTPS *on the same host* first (it serves the
  page, or jumps to another host, or redirects within HTTP), the rule of hstspreload.org; also
  any HTTPS response that redirects back to ``http://`` (a downgrade hop).
* WEB002 — more than 2 redirects from any start [medium]; a loop or more than 10 [high].
* WEB003 [low] — a redirect that moves to another origin drops the path or the query (tested
  with ``/launchready-probe?x=1``); same-origin redirects are the app's business (``/login``).
* WEB001 [medium] — the apex or www serves the page itself instead of redirecting to the
  canonical URL, or its redirects land somewhere other than the canonical origin.
* WEB010 — a mapped subdomain answers with an error status (401 excepted), refuses HTTPS, fails
  the TLS handshake, or shows a default/parking page such as "Welcome to nginx!" [high]; or it
  serves an HTML page whose ``<title>`` differs from the canonical page's, i.e. another app
  [medium: it may be intended, the evidence names both titles].
* TLS006 — HSTS on each host's HTTPS response, see :mod:`launchready.checks.web.hsts`.
* TLS008 — mixed content on the canonical page, see :mod:`launchready.checks.web.mixed`.

A host that cannot be reached in time is shown as ``timeout`` in the matrix table and the rules
that needed it report ``error`` — never a guess — while every other host is still judged.

Why: buyers type the bare domain, click old links to www, and follow deep links from emails; each
of those must land on the one canonical URL over HTTPS in at most two hops, with the page they
asked for. A stray subdomain with a default page or an error looks abandoned in a demo and may
be taken over.

Fix: one ``server`` block per name on port 80 doing ``return 301 https://$host$request_uri;``,
then the HTTPS apex and www doing ``return 301 https://app.example.com$request_uri;``, and HSTS
on every HTTPS response.

Pass: ``http://acme.example/x?y=1`` → ``https://acme.example/x?y=1`` →
``https://app.acme.example/x?y=1`` (200). Fail: ``http://acme.example/`` →
``https://app.acme.example/`` in one hop (TLS007), ``https://www.acme.example/`` answering 200
(WEB001), ``https://status.acme.example/`` showing "Welcome to nginx!" (WEB010).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web.hsts import RECOMMENDED, HstsState, judge_hsts
from launchready.checks.web.matrix_plan import (
    MatrixPlan,
    Role,
    Start,
    matrix_plan,
    origin_url,
    url_origin,
)
from launchready.checks.web.mixed import PageFacts, default_page, page_facts
from launchready.grammar import plural
from launchready.model import Finding, Severity, Table, TableKind
from launchready.probes.http import HttpResponse, RedirectChain
from launchready.probes.tls import TlsObservation

if TYPE_CHECKING:
    from launchready.probes.http import HttpProbe
    from launchready.probes.tls import TlsProbe

MAX_HOPS = 10
#: redirects allowed from any start: http://apex -> https://apex -> https://canonical
MAX_REDIRECTS = 2
#: at most this many requests or handshakes of one matrix in flight (RELIABILITY 55)
PARALLEL = 16
_EVIDENCE_URL = 300  # longest URL/header quoted in evidence; hostile values stay data

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class StartObservation:
    """One start's redirect chain, and its deep-link probe when the start redirects."""

    start: Start
    chain: RedirectChain
    probe: RedirectChain | None = None


@dataclass(frozen=True, kw_only=True)
class MatrixObservation:
    """Everything the matrix saw: one chain per start and one handshake per HTTPS origin."""

    plan: MatrixPlan
    rows: tuple[StartObservation, ...]
    tls: tuple[TlsObservation, ...] = ()

    def tls_for(self, host: str, port: int) -> TlsObservation | None:
        """The handshake with ``host:port``, when one was made."""
        return next((t for t in self.tls if t.host == host and t.port == port), None)


# --- gathering ------------------------------------------------------------------------------------

def _redirected(chain: RedirectChain) -> bool:
    return len(chain.hops) > 1 or chain.final.location is not None


async def gather_matrix(plan: MatrixPlan, http: HttpProbe, tls: TlsProbe, *,
                        parallel: int = PARALLEL) -> MatrixObservation:
    """Follow every start, handshake with every HTTPS origin seen, probe deep links."""
    slots = asyncio.Semaphore(parallel)

    async def limited(job: Awaitable[T]) -> T:
        async with slots:
            return await job

    handshakes: dict[tuple[str, int], asyncio.Task[TlsObservation]] = {}
    async with asyncio.TaskGroup() as group:

        def want_tls(url: str) -> None:
            origin = url_origin(url)
            if origin is not None and origin[0] == "https" and origin[1:] not in handshakes:
                handshakes[origin[1:]] = group.create_task(
                    limited(tls.handshake(origin[1], origin[2])))

        for start in plan.starts:
            want_tls(start.url)
        chains = await asyncio.gather(
            *(limited(http.follow(s.url, max_hops=MAX_HOPS)) for s in plan.starts))
        for chain in chains:
            for hop in chain.hops:
                want_tls(hop.url)
        redirecting = [i for i, c in enumerate(chains) if _redirected(c)]
        probes = await asyncio.gather(
            *(limited(http.follow(plan.starts[i].probe_url, max_hops=MAX_HOPS))
              for i in redirecting))
    by_index = dict(zip(redirecting, probes, strict=True))
    rows = tuple(StartObservation(start=s, chain=c, probe=by_index.get(i))
                 for i, (s, c) in enumerate(zip(plan.starts, chains, strict=True)))
    return MatrixObservation(plan=plan, rows=rows,
                             tls=tuple(t.result() for t in handshakes.values()))


# --- shared helpers -------------------------------------------------------------------------------

def _clip(text: str) -> str:
    return text if len(text) <= _EVIDENCE_URL else text[:_EVIDENCE_URL] + "…"


def _connect_failure(resp: HttpResponse) -> str | None:
    """``timeout``/``dns``/``refused``/``unreachable`` when no HTTP exchange took place."""
    error = resp.error
    if error is None:
        return None
    if error.startswith("timeout"):
        return "timeout"
    if error.startswith("connect:"):
        lowered = error.lower()
        if "refused" in lowered:
            return "refused"
        if "name or service" in lowered or "nodename" in lowered or "resolv" in lowered:
            return "dns"
        return "unreachable"
    return None


def _row_state(chain: RedirectChain) -> str:
    """Short state of a chain for the table: final status, or why it stopped."""
    final = chain.final
    if chain.loop:
        return "redirect loop"
    if chain.capped:
        return f"over {MAX_HOPS} redirects"
    if final.error is not None:
        failure = _connect_failure(final)
        if failure is not None:
            return failure
        return "tls error" if final.error.startswith("tls:") else "error"
    loc = final.header("location")
    if final.status is not None and 300 <= final.status < 400 and loc is not None:
        return f"{final.status} to a non-HTTP URL"
    return str(final.status)


def _usable(chain: RedirectChain) -> bool:
    """The chain ended on a real, non-redirect HTTP response."""
    final = chain.final
    return (not chain.loop and not chain.capped and final.error is None
            and final.status is not None and final.location is None
            and not 300 <= final.status < 400)


def _is_html(resp: HttpResponse) -> bool:
    ctype = (resp.header("content-type") or "").lower()
    return "html" in ctype or (not ctype and resp.text.lstrip()[:1] == "<")


def _hop_line(hop: HttpResponse) -> str:
    if hop.error is not None:
        return f"GET {_clip(hop.url)} → {hop.error}"
    loc = hop.header("location")
    tail = f" Location: {_clip(loc)}" if loc is not None else ""
    return f"GET {_clip(hop.url)} → {hop.status}{tail}"


def _chain_text(chain: RedirectChain) -> str:
    return "; ".join(_hop_line(h) for h in chain.hops)


def _redirect_count(chain: RedirectChain) -> int:
    return sum(1 for h in chain.hops if h.header("location") is not None
               and h.status is not None and 300 <= h.status < 400)


def _nginx_http_block(host: str) -> str:
    return (f"`server {{ listen 80; server_name {host}; "
            "return 301 https://$host$request_uri; }`")


# --- TLS007: HTTP -> HTTPS on the same host -------------------------------------------------------

def _upgrade_findings(row: StartObservation) -> Iterator[Finding]:
    start, first = row.start, row.chain.hops[0]
    if start.scheme != "http" or first.error is not None or first.status is None:
        return
    rule = meta("TLS007")
    loc = first.location
    target = start.url
    https_same = f"https://{start.host}/"
    impact_strip = ("Buyers who type the bare name start on plain HTTP, where a hostile network "
                    "can keep them on a fake copy of the site.")
    if loc is None:
        yield make_finding(
            rule, target=target, identity=f"{start.host}:no-redirect",
            title="HTTP serves the site without redirecting to HTTPS",
            evidence=f"{_hop_line(first)} (no redirect to HTTPS)",
            impact=impact_strip,
            fix=f"Redirect every plain-HTTP request to HTTPS on the same name: nginx "
                f"{_nginx_http_block(start.host)}.")
        return
    origin = url_origin(loc)
    if origin is not None and origin[0] == "https" and origin[1] == start.host:
        return
    if origin is not None and origin[0] == "https":
        kind, title = "other-host", "HTTP redirects to another host before HTTPS"
        why = (f"the first redirect leaves {start.host} before it reaches HTTPS, so browsers "
               f"never see {https_same} and cannot receive its HSTS policy (hstspreload.org "
               "requires HTTP to redirect to HTTPS on the same host first)")
    else:
        kind, title = "not-https", "HTTP does not redirect to HTTPS first"
        why = "the first redirect does not go to https:// on the same host"
    yield make_finding(
        rule, target=target, identity=f"{start.host}:{kind}", title=title,
        evidence=f"{_hop_line(first)}: {why}",
        impact=impact_strip + " The domain cannot be HSTS-preloaded either.",
        fix=(f"Make the port-80 server for {start.host} redirect to HTTPS on the same host, "
             f"keeping path and query: nginx {_nginx_http_block(start.host)}; send visitors "
             f"on to the canonical host from the HTTPS server of {start.host}."))


def _downgrade_findings(rows: Sequence[StartObservation], hosts: frozenset[str],
                        ) -> Iterator[tuple[StartObservation, Finding]]:
    seen: set[str] = set()
    for row in rows:
        for hop in row.chain.hops:
            here, loc = url_origin(hop.url), hop.location
            there = url_origin(loc) if loc else None
            if (here is None or there is None or here[0] != "https" or there[0] != "http"
                    or here[1] not in hosts or here[1] in seen):
                continue
            seen.add(here[1])
            yield row, make_finding(
                meta("TLS007"), target=origin_url(*here) + "/",
                identity=f"{here[1]}:downgrade", title="HTTPS redirects back to plain HTTP",
                evidence=f"{_hop_line(hop)} (HTTPS → HTTP downgrade, reached from "
                         f"{_clip(row.start.url)})",
                impact=("The visitor leaves HTTPS mid-way, so anyone on the network can read "
                        "or change the next page."),
                fix=("Redirect only to https:// URLs: fix the Location the app or proxy builds "
                     "(behind a TLS-terminating proxy set `proxy_set_header X-Forwarded-Proto "
                     "$scheme;` and trust it in the app), and use `return 301 "
                     "https://$host$request_uri;` in nginx."))


# --- WEB002 / WEB003 ------------------------------------------------------------------------------

def _chain_length_finding(row: StartObservation) -> Finding | None:
    chain, start = row.chain, row.start
    rule = meta("WEB002")
    if chain.loop or chain.capped:
        what = "a redirect loop" if chain.loop else f"more than {MAX_HOPS} redirects"
        return make_finding(
            rule, target=start.url, identity="loop", severity=Severity.HIGH,
            title="Redirect loop" if chain.loop else "Endless redirect chain",
            evidence=f"{what}: {_chain_text(chain)}",
            impact=(f"Browsers stop with ERR_TOO_MANY_REDIRECTS: {start.url} never loads for "
                    "buyers."),
            fix=("Make each name redirect once, straight to the canonical URL, and make the "
                 "canonical host answer itself; behind a TLS-terminating proxy, pass "
                 "`X-Forwarded-Proto` so the app does not redirect HTTPS requests to HTTPS "
                 "again."))
    count = _redirect_count(chain)
    if count <= MAX_REDIRECTS:
        return None
    return make_finding(
        rule, target=start.url, identity="long",
        evidence=f"{count} redirects: {_chain_text(chain)}",
        impact=(f"Every visit through {start.url} waits for {count} extra round trips before "
                "the first byte of the app, on phones that is seconds in a demo."),
        fix=("Redirect in at most two hops: plain HTTP to HTTPS on the same host "
             "(`return 301 https://$host$request_uri;`), then the HTTPS apex/www straight to "
             "the canonical URL (`return 301 https://CANONICAL_HOST$request_uri;`)."))


def _path_query(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path or "/", parts.query


def _deep_link_finding(row: StartObservation) -> Finding | None:
    if row.probe is None:
        return None
    for hop in row.probe.hops:
        loc = hop.location
        here, there = url_origin(hop.url), url_origin(loc) if loc else None
        if loc is None or here is None or there is None or here == there:
            continue  # same-origin redirects (to /login, ...) are the app's own logic
        (path, query), (new_path, new_query) = _path_query(hop.url), _path_query(loc)
        lost = [what for what, kept in (("path", path == new_path), ("query", query == new_query))
                if not kept]
        if not lost:
            continue
        return make_finding(
            meta("WEB003"), target=origin_url(*here) + "/", identity="+".join(lost),
            evidence=f"{_hop_line(hop)} ({' and '.join(lost)} dropped)",
            impact=("Links in emails, docs and bookmarks land on the home page instead of the "
                    "page they point to."),
            fix=("Keep the request URI in every redirect: nginx `return 301 "
                 "https://CANONICAL_HOST$request_uri;` (not a fixed `/`); on other hosts use "
                 "the platform's 'keep path' option."))
    return None


# --- WEB001: apex and www -------------------------------------------------------------------------

def _apex_www_findings(obs: MatrixObservation,
                       ) -> Iterator[tuple[StartObservation, Finding]]:
    plan = obs.plan
    canon = plan.canonical_origin
    rule = meta("WEB001")
    judged: set[str] = set()
    # plain-HTTP starts are TLS007's: they must first reach HTTPS on their own host, whose
    # HTTPS start is judged here
    for row in obs.rows:
        start = row.start
        if (start.scheme != "https" or start.host in judged or Role.CANONICAL in start.roles
                or not start.roles & {Role.APEX, Role.WWW} or canon is None
                or not _usable(row.chain)):
            continue
        final = row.chain.final
        landed = url_origin(final.url)
        if landed == canon:
            continue
        judged.add(start.host)
        canonical = plan.canonical or origin_url(*canon)
        if landed is not None and landed[1] == start.host and final.status is not None \
                and 200 <= final.status < 300:
            yield row, make_finding(
                rule, target=origin_url("https", start.host, canon[2]) + "/",
                identity=f"{start.host}:serves",
                title=f"{start.host} serves the site instead of redirecting",
                evidence=(f"{_chain_text(row.chain)}: {start.host} answers {final.status} "
                          f"itself; only {canonical} should serve the app"),
                impact=("Two addresses serve the same app: sessions and cookies split between "
                        "them, links get shared with the wrong host, and search engines see "
                        "duplicate sites."),
                fix=(f"Redirect {start.host} to the canonical URL, keeping the path: nginx "
                     f"`server {{ listen 443 ssl; server_name {start.host}; "
                     f"return 301 {canonical.rstrip('/')}$request_uri; }}`."))
        else:
            where = _clip(final.url)
            yield row, make_finding(
                rule, target=origin_url("https", start.host, canon[2]) + "/",
                identity=f"{start.host}:elsewhere",
                title=f"{start.host} does not lead to the canonical URL",
                evidence=(f"{_chain_text(row.chain)}: ends at {where} ({final.status}), not "
                          f"{canonical}"),
                impact=(f"Buyers typing {start.host} end up on {where} instead of the app."),
                fix=(f"Redirect {start.host} straight to {canonical}: nginx `return 301 "
                     f"{canonical.rstrip('/')}$request_uri;` in its server blocks."))
    if canon is None:
        yield from _both_serve(obs)


def _both_serve(obs: MatrixObservation) -> Iterator[tuple[StartObservation, Finding]]:
    """Without a canonical URL: apex and www must not both answer with content."""
    serving = {}
    for row in obs.rows:
        final = row.chain.final
        landed = url_origin(final.url)
        if (row.start.scheme == "https" and _usable(row.chain) and landed is not None
                and landed[1] == row.start.host and final.status is not None
                and 200 <= final.status < 300 and row.start.roles & {Role.APEX, Role.WWW}):
            serving[row.start.host] = row
    if len(serving) < 2:
        return
    www = next(r for r in serving.values() if Role.WWW in r.start.roles)
    apex = obs.plan.apex or ""
    yield www, make_finding(
        meta("WEB001"), target=www.start.url, identity=f"{www.start.host}:both-serve",
        title="Apex and www both serve the site",
        evidence="; ".join(_chain_text(r.chain) for r in serving.values()),
        impact=("Two addresses serve the same app: sessions split between them and search "
                "engines see duplicate sites."),
        fix=(f"Pick one (set [app] canonical) and redirect the other to it: nginx `server {{ "
             f"listen 443 ssl; server_name {www.start.host}; return 301 "
             f"https://{apex}$request_uri; }}`."))


# --- WEB010: mapped subdomains --------------------------------------------------------------------

def _canonical_page(obs: MatrixObservation) -> tuple[HttpResponse, PageFacts] | None:
    canon = obs.plan.canonical_origin
    for row in obs.rows:
        if canon is None or row.start.scheme != canon[0] or Role.CANONICAL not in row.start.roles:
            continue
        final = row.chain.final
        if _usable(row.chain) and final.status is not None and 200 <= final.status < 300 \
                and _is_html(final):
            return final, page_facts(final.text)
    return None


def _subdomain_finding(row: StartObservation, canonical_title: str | None,
                       canonical_host: str | None, tls: TlsObservation | None,
                       ) -> Finding | None:
    start, chain = row.start, row.chain
    final = chain.final
    rule = meta("WEB010")
    fix = (f"Point {start.host} at what it should serve (check its DNS record and the hosting "
           f"platform's custom-domain setting), or redirect it to the canonical URL; if it is "
           f"no longer used, delete its DNS record.")
    problem: str | None = None
    severity = Severity.HIGH
    identity = ""
    state = _row_state(chain)
    if final.error is not None:
        if state == "refused":
            problem, identity = "refuses HTTPS connections", "refused"
        elif state == "tls error":
            verdict = f" (certificate: {tls.verdict})" if tls and tls.verdict else ""
            problem, identity = f"fails the TLS handshake: {final.error}{verdict}", "tls"
    elif _usable(chain) and final.status is not None:
        body = final.text if _is_html(final) else ""
        facts = page_facts(body) if body else PageFacts(title=None, insecure=())
        kind = default_page(facts.title, body) if body else None
        landed = url_origin(final.url)
        if final.status >= 400 and final.status != 401:
            problem, identity = f"answers {final.status}", f"status:{final.status}"
        elif kind is not None:
            problem, identity = f"shows a {kind}", f"default:{kind}"
        elif (facts.title is not None and canonical_title is not None
              and facts.title != canonical_title
              and (landed is None or landed[1] != canonical_host)):
            problem, identity = (f"serves another site: title {facts.title!r}, the canonical "
                                 f"page's is {canonical_title!r}"), "other-app"
            severity = Severity.MEDIUM
    if problem is None:
        return None
    return make_finding(
        rule, target=start.url, identity=identity, severity=severity,
        evidence=f"{_chain_text(chain)}: {start.host} {problem}",
        impact=(f"Anyone opening {start.host} sees a broken or foreign page, and a name that "
                "points at nothing of yours can be taken over."),
        fix=fix)


# --- TLS006: HSTS ---------------------------------------------------------------------------------

def _hsts_findings(obs: MatrixObservation) -> Iterator[tuple[StartObservation, Finding]]:
    over_http: dict[str, str] = {}
    for row in obs.rows:
        first = row.chain.hops[0]
        if row.start.scheme == "http" and first.header_all("strict-transport-security"):
            over_http[row.start.host] = first.header_all("strict-transport-security")[0]
    rule = meta("TLS006")
    for row in obs.rows:
        start, first = row.start, row.chain.hops[0]
        if start.scheme != "https" or first.error is not None or first.status is None:
            continue
        verdict = judge_hsts(first.header_all("strict-transport-security"))
        if verdict.severity is None:
            continue
        note = ""
        if start.host in over_http:
            note = (f"; it is sent over plain HTTP ({_clip(over_http[start.host])!r}), where "
                    "browsers ignore it (RFC 6797 §8.1)")
        sent = "; ".join(repr(_clip(v)) for v in first.header_all("strict-transport-security"))
        match verdict.state:
            case HstsState.MISSING:
                title, what = "HSTS missing", "no Strict-Transport-Security header"
            case HstsState.INVALID:
                problems = "; ".join(verdict.policy.problems) if verdict.policy else ""
                title, what = "HSTS header ignored (malformed)", f"{sent} ({problems})"
            case HstsState.DISABLED:
                title, what = "HSTS switched off (max-age=0)", f"{sent} deletes the policy"
            case HstsState.SHORT:
                title, what = "HSTS max-age under 180 days", f"{sent}"
            case HstsState.DUPLICATED:
                title, what = "HSTS header sent more than once", \
                    f"{sent} (browsers use only the first; the preload list rejects it)"
            case HstsState.OK:
                continue
        yield row, make_finding(
            rule, target=origin_url("https", start.host, start.port) + "/",
            identity=verdict.state.value, severity=verdict.severity, title=title,
            evidence=(f"GET {_clip(first.url)} → {first.status}: {what}{note}; "
                      f"{verdict.preload_text}"),
            impact=("A buyer's first visit and every visit after the policy lapses can be "
                    "downgraded to plain HTTP on a hostile network (café Wi-Fi)."),
            fix=(f"Send exactly one `Strict-Transport-Security: {RECOMMENDED}` on every HTTPS "
                 f"response of {start.host}: nginx `add_header Strict-Transport-Security "
                 f"\"{RECOMMENDED}\" always;` in each `listen ... ssl` server block (and again "
                 "in any location that has its own add_header)."))


# --- TLS008: mixed content ------------------------------------------------------------------------

def _mixed_finding(page: HttpResponse, facts: PageFacts) -> Finding | None:
    if not facts.insecure or not page.url.startswith("https://"):
        return None
    shown = "; ".join(f"<{s.tag} {s.attribute}={_clip(s.url)!r}>" for s in facts.insecure[:5])
    more = f" and {len(facts.insecure) - 5} more" if len(facts.insecure) > 5 else ""
    return make_finding(
        meta("TLS008"), target=page.url, identity="mixed-content",
        evidence=f"{plural(len(facts.insecure), 'http:// subresource')}: {shown}{more}",
        impact=("Browsers block mixed scripts, styles and frames (the page renders broken) and "
                "mark the page 'Not secure' for the rest."),
        fix=("Load every resource over https:// or a relative /path, and add "
             "`Content-Security-Policy: upgrade-insecure-requests` as a safety net."))


# --- the table ------------------------------------------------------------------------------------

def _cert_cell(obs: MatrixObservation, chain: RedirectChain, ctx: Context) -> str:
    cells: list[str] = []
    for hop in chain.hops:
        origin = url_origin(hop.url)
        if origin is None or origin[0] != "https":
            continue
        tls = obs.tls_for(origin[1], origin[2])
        if tls is None:
            continue
        if tls.failure is not None:
            text = tls.failure
        else:
            leaf = tls.leaf
            days = f", {(leaf.not_after - ctx.now).days} d" if leaf else ""
            text = f"{tls.verdict}{days}"
        cell = f"{origin[1]}: {text}"
        if cell not in cells:
            cells.append(cell)
    return "; ".join(cells) or "-"


def _hsts_cell(row: StartObservation, apex: str | None) -> str:
    first = row.chain.hops[0]
    values = first.header_all("strict-transport-security")
    if row.start.scheme == "http":
        return "sent over HTTP: ignored" if values else "-"
    if first.error is not None:
        return "-"
    verdict = judge_hsts(values)
    text = verdict.summary
    if row.start.host == apex:
        text += f" ({verdict.preload_text})"
    return text


def _table(obs: MatrixObservation, ctx: Context, notes: dict[str, list[str]]) -> Table:
    rows: list[tuple[str, ...]] = []
    for row in obs.rows:
        chain = row.chain
        statuses = " → ".join(str(h.status) if h.status is not None else "×" for h in chain.hops)
        final = chain.final.url if chain.final.error is None else "-"
        verdict = ", ".join(notes.get(row.start.url, [])) or (
            "ok" if _usable(chain) else _row_state(chain))
        rows.append((row.start.host, row.start.scheme, _clip(row.start.url), statuses,
                     _clip(final), _row_state(chain), _cert_cell(obs, chain, ctx),
                     _hsts_cell(row, obs.plan.apex), verdict))
    return Table(title="Redirect and TLS matrix",
                 columns=("hostname", "scheme", "start", "hops", "final URL", "final",
                          "certificate", "HSTS", "verdict"),
                 rows=tuple(rows), kind=TableKind.REDIRECT_MATRIX)


# --- the family -----------------------------------------------------------------------------------

def _errors(obs: MatrixObservation, rule_ids: Sequence[str]) -> dict[str, str]:
    failed = [r for r in obs.rows if _connect_failure(r.chain.hops[0]) is not None]
    if failed and len(failed) == len(obs.rows):
        return dict.fromkeys(rule_ids, "could not connect to any host: " + "; ".join(
            f"{r.start.url} {_connect_failure(r.chain.hops[0])}" for r in failed))
    errors: dict[str, str] = {}

    def add(rule: str, rows: list[StartObservation]) -> None:
        if rows:
            errors[rule] = "could not check " + "; ".join(
                f"{r.start.url}: {_connect_failure(r.chain.final)}" for r in rows)

    https_failed = [r for r in obs.rows if r.start.scheme == "https"
                    and _connect_failure(r.chain.final) in ("timeout", "dns", "unreachable")]
    add("WEB010", [r for r in https_failed if r.start.roles == {Role.MAPPED}])
    add("WEB001", [r for r in https_failed if r.start.roles & {Role.APEX, Role.WWW}])
    add("TLS008", [r for r in https_failed if Role.CANONICAL in r.start.roles])
    add("TLS006", [r for r in obs.rows if r.start.scheme == "https"
                   and _connect_failure(r.chain.hops[0]) in ("timeout", "dns", "unreachable")])
    page = _canonical_page(obs)
    if page is not None and page[0].truncated and not page[1].insecure:
        # what was not read may hold the http:// subresource: no pass from a prefix
        errors.setdefault("TLS008", f"incomplete: {page[0].url} is longer than the "
                                    f"{len(page[0].body) >> 20} MiB read; its start has no "
                                    "mixed content")
    return errors


class RedirectMatrix(CheckFamily[MatrixObservation]):
    """The hostname × scheme matrix: redirects, HSTS, subdomains, mixed content."""

    rule_ids = ("TLS006", "TLS007", "TLS008", "WEB001", "WEB002", "WEB003", "WEB010")

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.config.app.domain or ctx.config.app.canonical:
            return None
        return ("no [app] domain or canonical URL to build the redirect matrix from "
                "(set domain = \"example.com\" and canonical = \"https://app.example.com\")")

    async def gather(self, ctx: Context) -> MatrixObservation:
        plan = matrix_plan(ctx.config, ctx.config.network.resolve_map())
        return await gather_matrix(plan, ctx.probes.http, ctx.probes.tls)

    def evaluate(self, obs: MatrixObservation, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        notes: dict[str, list[str]] = {}

        def note(url: str, finding: Finding | None) -> None:
            if finding is not None:
                findings.append(finding)
                notes.setdefault(url, []).append(f"{finding.rule_id}: {finding.title}")

        hosts = frozenset(obs.plan.hosts)
        deep_seen: set[str] = set()
        for row in obs.rows:
            for found in _upgrade_findings(row):
                note(row.start.url, found)
            note(row.start.url, _chain_length_finding(row))
            deep = _deep_link_finding(row)
            # the hop that drops the deep link is reported once, however many starts pass it
            if deep is None or deep.target not in deep_seen:
                note(row.start.url, deep)
            if deep is not None:
                deep_seen.add(deep.target)
        for row, found in _downgrade_findings(obs.rows, hosts):
            note(row.start.url, found)
        for row, found in _apex_www_findings(obs):
            note(row.start.url, found)
        page = _canonical_page(obs)
        canonical_title = page[1].title if page else None
        canonical_host = obs.plan.canonical_origin[1] if obs.plan.canonical_origin else None
        for row in obs.rows:
            if row.start.scheme == "https" and row.start.roles == {Role.MAPPED}:
                tls = obs.tls_for(row.start.host, row.start.port)
                note(row.start.url, _subdomain_finding(row, canonical_title, canonical_host,
                                                       tls))
        for row, found in _hsts_findings(obs):
            note(row.start.url, found)
        if page is not None:
            mixed = _mixed_finding(*page)
            if mixed is not None:
                findings.append(mixed)
        findings.sort(key=lambda f: f.rule_id)
        return Outcome(findings=tuple(findings), tables=(_table(obs, ctx, notes),),
                       errors=_errors(obs, self.rule_ids))
