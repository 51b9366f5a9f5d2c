"""OBS004: an alert route failed its test delivery.

What: ``audit`` never sends anything to an alert route: a scheduled audit would otherwise page the
on-call person every run. The test is explicit — ``launchready monitor test-alert`` sends one
test message through every route and records the outcome in the monitor store; this family
reads that record (read-only) and reports each failed route. Without a record it reports that
the routes are untested instead of guessing.

Why: a mistyped webhook or an expired token is only noticed during the outage it
was meant to announce.
Fix: repair the route URL (from its ``${VAR}``) and re-run ``launchready monitor test-alert``.
Pass: every route delivered the test message. Fail: a route answered HTTP 404 (webhook
deleted) or the SMTP server refused the message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.monitor.store import StoreError, read_test_alert


@dataclass(frozen=True, kw_only=True)
class AlertTest:
    """The last recorded test delivery: None when never run."""

    at: str | None
    routes: tuple[tuple[str, bool, str], ...]  # (route label, delivered, error)
    problem: str | None = None


def parse_record(raw: str | None) -> AlertTest:
    """Pure: the stored JSON record -> :class:`AlertTest`."""
    if raw is None:
        return AlertTest(at=None, routes=())
    try:
        data = json.loads(raw)
        routes = tuple((str(r["route"]), bool(r["ok"]), str(r.get("error") or ""))
                       for r in data["routes"])
        return AlertTest(at=str(data.get("at")), routes=routes)
    except (ValueError, KeyError, TypeError):
        return AlertTest(at=None, routes=(), problem="the stored test-alert record is damaged")


class AlertDeliveryChecks(CheckFamily[AlertTest]):
    """OBS004 — from the record ``launchready monitor test-alert`` leaves; sends nothing."""

    rule_ids = ("OBS004",)
    network = False

    def skip_reason(self, ctx: Context) -> str | None:
        mon = ctx.config.monitor
        if mon is None or not mon.alerts:
            return "no alert routes configured"
        return None

    async def gather(self, ctx: Context) -> AlertTest:
        import asyncio  # noqa: PLC0415

        mon = ctx.config.monitor
        url = mon.database if mon is not None else ""
        try:
            # the loader made a SQLite path absolute, as the monitor opens it
            raw = await asyncio.to_thread(read_test_alert, url)
        except StoreError as exc:
            # store trouble means "not judged", never a crash of the audit
            return AlertTest(at=None, routes=(), problem=f"cannot read the monitor store ({exc})")
        return parse_record(raw)

    def evaluate(self, obs: AlertTest, ctx: Context) -> Outcome:
        if obs.problem:
            return Outcome(errors={"OBS004": obs.problem})
        if obs.at is None:
            return Outcome(skipped={"OBS004": "alert routes not tested yet: run "
                                              "`launchready monitor test-alert`"})
        findings = tuple(make_finding(
            meta("OBS004"), target=f"alert route {label}", identity=f"route:{label}",
            evidence=f"test delivery at {obs.at} failed: {error or 'no detail'}",
            impact="the alert for the next outage will not arrive",
            fix="check the route's URL and credentials (its ${VAR}), then run "
                "`launchready monitor test-alert` again")
            for label, ok, error in obs.routes if not ok)
        return Outcome(findings=findings)
