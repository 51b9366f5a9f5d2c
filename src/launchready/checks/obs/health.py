"""OBS001: the health endpoint is missing, or says "ok" without checking its dependencies.

Why: a monitor is only as good as what it polls. A ``/healthz`` that returns ``ok`` from a static
handler stays green while the database is down and every real page fails (the classic
failure in hypothesis/via#1214). A useful health endpoint runs a cheap query against each
dependency and says which one failed, e.g. ``{"status": "ok", "db": "ok"}`` or the
``application/health+json`` shape with a ``checks`` object.

What: the endpoint is found from the monitor checks (a check whose name or path mentions health,
status, ready or live, with its headers for an authenticated endpoint), else by trying
``/healthz``, ``/health``, ``/api/health`` and ``/status`` on ``app.canonical``.
Fix: serve ``GET /healthz`` that runs ``SELECT 1`` (and pings the cache/queue) and answers
``503`` with ``{"status": "error", "db": "error"}`` when one fails.
Pass: ``{"status": "ok", "db": "ok"}``. Fail: no health route (404), or plain ``ok``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.config.models import Config

CANDIDATE_PATHS = ("/healthz", "/health", "/api/health", "/status")
_HEALTHY_NAME = re.compile(r"health|status|ready|live", re.IGNORECASE)
# keys that describe the endpoint itself, not a dependency it checked
_SELF_KEYS = frozenset({"status", "ok", "healthy", "message", "msg", "version", "uptime",
                        "time", "timestamp", "build", "commit", "service", "name", "env"})


@dataclass(frozen=True, kw_only=True)
class HealthProbe:
    """One candidate endpoint as fetched (body prefix only, never stored elsewhere)."""

    url: str
    status: int | None
    body: str = ""
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class HealthObservation:
    """Every candidate tried, in order; ``configured`` when they came from monitor checks."""

    probes: tuple[HealthProbe, ...]
    configured: bool


def candidates(config: Config) -> tuple[list[tuple[str, dict[str, str]]], bool]:
    """(url, headers) to try, and whether they came from monitor checks."""
    found: list[tuple[str, dict[str, str]]] = []
    if config.monitor is not None:
        for chk in config.monitor.checks:
            if chk.kind == "http" and chk.url and (
                    _HEALTHY_NAME.search(chk.name) or _HEALTHY_NAME.search(urlsplit(chk.url).path)):
                found.append((chk.url, {k: v.get_secret_value() for k, v in chk.headers.items()}))
    if found:
        return found, True
    if not config.app.canonical:
        return [], False
    base = config.app.canonical.rstrip("/")
    return [(base + p, {}) for p in CANDIDATE_PATHS], False


def dependencies(body: str) -> list[str]:
    """Pure: the dependency names a health body reports on (empty: shallow or not JSON)."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("checks"), dict) and data["checks"]:
        return sorted(str(k) for k in data["checks"])
    return sorted(str(k) for k, v in data.items() if k.lower() not in _SELF_KEYS
                  and isinstance(v, str | bool | dict))


def judge(obs: HealthObservation) -> Outcome:
    """Pure: OBS001 from the fetched candidates."""
    live = next((p for p in obs.probes if p.status is not None and 200 <= p.status < 300), None)
    tried = ", ".join(f"{urlsplit(p.url).path} -> {p.status or p.error}" for p in obs.probes)
    if not obs.probes:
        return Outcome()
    if live is None:
        if all(p.status is None for p in obs.probes):
            return Outcome(errors={"OBS001": f"no candidate health endpoint answered ({tried})"})
        return Outcome(findings=(make_finding(
            meta("OBS001"), target=obs.probes[0].url, identity="missing",
            title="Health endpoint missing",
            evidence=f"no health endpoint answered 2xx: {tried}",
            impact="monitors can only poll the homepage, which stays up while login and data "
                   "fail",
            fix='serve GET /healthz that runs "SELECT 1" against the database and answers '
                '200 {"status": "ok", "db": "ok"}, or 503 when a dependency fails'),))
    deps = dependencies(live.body)
    if deps:
        return Outcome()
    shown = live.body.strip()[:60].replace("\n", " ")
    return Outcome(findings=(make_finding(
        meta("OBS001"), target=live.url, identity="shallow",
        title="Health endpoint does not check its dependencies",
        evidence=f"{urlsplit(live.url).path} answers {live.status} with {shown!r}, naming no "
                 f"dependency (database, cache, queue)",
        impact="the health check stays green while the database is down and every page fails",
        fix='make the handler run "SELECT 1" (and ping the cache/queue) and report each: '
            '{"status": "ok", "db": "ok"}; answer 503 when one fails'),))


class HealthEndpointChecks(CheckFamily[HealthObservation]):
    """OBS001 — fetches the health endpoint."""

    rule_ids = ("OBS001",)

    def skip_reason(self, ctx: Context) -> str | None:
        urls, _ = candidates(ctx.config)
        return None if urls else "no health check in [monitor] and no app.canonical"

    async def gather(self, ctx: Context) -> HealthObservation:
        urls, configured = candidates(ctx.config)
        probes: list[HealthProbe] = []
        for url, headers in urls:
            resp = await ctx.probes.http.fetch(url, headers=headers, max_body=64 * 1024)
            probes.append(HealthProbe(url=url, status=resp.status, body=resp.text,
                                      error=resp.error))
            if resp.status is not None and 200 <= resp.status < 300:
                break
        return HealthObservation(probes=tuple(probes), configured=configured)

    def evaluate(self, obs: HealthObservation, ctx: Context) -> Outcome:
        return judge(obs)
