"""OBS002 and OBS003: is what matters monitored, and would anyone hear about it in time?

What: OBS002 (key route not monitored). The three things a buyer touches first must each have a
monitor check: the homepage (an http check on ``/`` of the canonical host or the apex), the
auth flow (a ``flow = "smoke"`` check, or an http check on the smoke login step's path), and
the core route (an http check on a ``class = "core"`` perf endpoint, or on a smoke step other
than login/logout). A route the config does not define (no smoke flow, no core endpoint) is
not asked for.

OBS003 (no alert route, or alerts too slow). Without an alert route an outage is found by the
first customer to complain. With one, the worst case from outage to alert is
``failure_threshold x interval + jitter + timeout + delivery`` (see
:mod:`launchready.monitor.timing`); over 2 minutes is a finding for that check.

Why: a login that breaks unmonitored is found by the buyer, and an alert that needs ten
minutes arrives after the buyer has noticed.

Fix: for example ``[[monitor.checks]] name = "homepage", url = "https://app.acme.example/"``;
``alerts = [{ url = "${SLACK_ALERT_URL}" }]``; ``interval = "30s"`` with
``failure_threshold = 2``.
Pass: homepage, auth flow and core route checks, one alert route, 30 s interval.
Fail: only a homepage check, no ``alerts``, or ``interval = "5m"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.config.models import Config
from launchready.model import Finding
from launchready.monitor.timing import ALERT_BUDGET_S, timing


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """What the config defines and what it monitors (paths, no hosts or credentials)."""

    homepage: str | None  # the URL the homepage check should hit
    auth_paths: tuple[str, ...]  # login step path(s); empty: no auth flow defined
    core_paths: tuple[str, ...]  # core route paths; empty: no core route defined
    monitored_paths: tuple[str, ...]  # paths of http checks
    has_flow_check: bool
    has_monitor: bool
    alert_routes: int
    slow_checks: tuple[tuple[str, float], ...]  # (check, worst-case seconds)


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def coverage_of(config: Config) -> Coverage:
    """Pure: read the config into a :class:`Coverage`."""
    mon = config.monitor
    homepage = config.app.canonical or (f"https://{config.app.domain}/"
                                        if config.app.domain else None)
    auth: tuple[str, ...] = ()
    core: list[str] = []
    smoke = config.smoke
    if smoke is not None and smoke.steps:
        login, logout = smoke.login_index(), smoke.logout_index()
        if login is not None:
            auth = (smoke.steps[login].path,)
        core += [s.path for i, s in enumerate(smoke.steps)
                 if i not in (login, logout) and s.method == "GET" and "$" not in s.path]
    if config.perf is not None:
        core = [e.path for e in config.perf.endpoints if e.endpoint_class == "core"] or core
    checks = mon.checks if mon is not None else []
    slow = tuple((t.name, t.worst_time_to_alert) for t in (
        timing(c, mon) for c in checks) if t.worst_time_to_alert > ALERT_BUDGET_S) \
        if mon is not None else ()
    return Coverage(
        homepage=homepage, auth_paths=auth, core_paths=tuple(core),
        monitored_paths=tuple(_path(c.url) for c in checks if c.kind == "http" and c.url),
        has_flow_check=any(c.kind == "flow" for c in checks), has_monitor=mon is not None,
        alert_routes=len(mon.alerts) if mon is not None else 0, slow_checks=slow)


def judge(cov: Coverage) -> list[Finding]:
    """Pure: OBS002 and OBS003 findings for a coverage."""
    out: list[Finding] = []
    watched = set(cov.monitored_paths)
    target = cov.homepage or "launchready.toml [monitor]"
    gaps: list[tuple[str, str, str]] = []
    if cov.homepage is not None and "/" not in watched:
        gaps.append(("homepage", "/", f'name = "homepage", url = "{cov.homepage}"'))
    if cov.auth_paths and not cov.has_flow_check and not watched & set(cov.auth_paths):
        gaps.append(("auth flow", cov.auth_paths[0], 'name = "auth flow", flow = "smoke"'))
    if cov.core_paths and not watched & set(cov.core_paths):
        base = (cov.homepage or "https://app.example.com/").rstrip("/")
        gaps.append(("core route", cov.core_paths[0],
                     f'name = "core route", url = "{base}{cov.core_paths[0]}"'))
    for what, path, example in gaps:
        out.append(make_finding(
            meta("OBS002"), target=target, identity=what,
            title=f"{what.capitalize()} not monitored",
            evidence=f"no [[monitor.checks]] entry covers the {what} ({path})",
            impact=f"if the {what} breaks, nobody is told until a buyer finds it",
            fix=f"add [[monitor.checks]] {example}"))
    if cov.alert_routes == 0:
        out.append(make_finding(
            meta("OBS003"), target="launchready.toml [monitor] alerts", identity="no route",
            evidence="no alert route is configured" + ("" if cov.has_monitor
                                                       else " (no [monitor] section)"),
            impact="an outage is discovered by the first customer who complains",
            fix='add to [monitor]: alerts = [{ url = "${SLACK_ALERT_URL}" }] (any apprise URL:'
                ' slack://, mailto://, json://, msteams://, pagerduty://) and run '
                '`launchready monitor test-alert`'))
    for name, worst in cov.slow_checks:
        out.append(make_finding(
            meta("OBS003"), target=f"monitor check {name!r}", identity=f"slow:{name}",
            title="Alerts too slow",
            evidence=f"worst-case time from outage to alert is {worst:.0f}s "
                     f"(budget {ALERT_BUDGET_S:.0f}s)",
            impact="a buyer can see the outage for minutes before anyone is alerted",
            fix='set interval = "30s" and failure_threshold = 2 on the check (or in '
                '[monitor])'))
    return out


class MonitorCoverageChecks(CheckFamily[Coverage]):
    """OBS002, OBS003 — from the config alone; sends nothing."""

    rule_ids = ("OBS002", "OBS003")
    network = False

    def skip_reason(self, ctx: Context) -> str | None:
        cfg = ctx.config
        if cfg.monitor is None and not cfg.app.canonical and not cfg.app.domain:
            return "no [monitor] section and no app.canonical to monitor"
        return None

    async def gather(self, ctx: Context) -> Coverage:
        return coverage_of(ctx.config)

    def evaluate(self, obs: Coverage, ctx: Context) -> Outcome:
        return Outcome(findings=tuple(judge(obs)))
