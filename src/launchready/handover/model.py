"""The handover document as data: frozen values built by :mod:`launchready.handover.gather`
and laid out by :mod:`launchready.handover.render`. Nothing here holds a secret value: secrets
are named by variable and provider, alert routes by scheme and host only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from launchready.handover.providers import ProviderClaim
from launchready.model import Finding, Table


@dataclass(frozen=True, kw_only=True)
class PageView:
    """One URL fetched for the handover: where it ends up and the final response's headers."""

    url: str
    final_url: str
    status: int | None
    hops: int
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class LiveFacts:
    """What the ``handover`` command looked up itself, next to the audit's tables."""

    record_map: Table | None = None
    pages: tuple[PageView, ...] = ()
    #: (name, TXT strings joined) for names the record map does not ask (MTA-STS, DKIM)
    txt: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, kw_only=True)
class LiveUrl:
    """A URL a user or a monitor reaches, and what it serves."""

    url: str
    role: str
    serves: str


@dataclass(frozen=True, kw_only=True)
class AuthLine:
    """One email-authentication mechanism: its state, the record and the checks behind it."""

    mechanism: str
    state: str
    record: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """A secret to rotate: named by variable (or rule) and provider, never by value."""

    name: str
    provider: str
    found: tuple[str, ...]
    rules: tuple[str, ...]
    steps: str


@dataclass(frozen=True, kw_only=True)
class MonitorCheckView:
    """One monitored target."""

    name: str
    target: str
    expect: str
    owner: str


@dataclass(frozen=True, kw_only=True)
class Monitoring:
    """The monitor set-up: checks, redacted alert routes, links and the time-to-alert."""

    configured: bool
    checks: tuple[MonitorCheckView, ...] = ()
    alert_routes: tuple[str, ...] = ()
    status_page: str | None = None
    metrics: str | None = None
    health: str | None = None
    time_to_alert: str = "not configured"
    time_to_alert_ok: bool | None = None


@dataclass(frozen=True, kw_only=True)
class RunbookEntry:
    """What to do when one thing breaks: first checks, then commands to run."""

    title: str
    first_checks: tuple[str, ...]
    commands: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CalendarEntry:
    """Something with a date: a certificate expiry, a key's age, a policy's lifetime."""

    item: str
    subject: str
    when: str
    note: str


@dataclass(frozen=True, kw_only=True)
class AccessRegister:
    """Owners, admins and where credentials are kept (the place, never the credentials)."""

    owners: tuple[tuple[str, str], ...] = ()
    admins: tuple[str, ...] = ()
    credentials_stored_in: str | None = None


@dataclass(frozen=True, kw_only=True)
class Handover:
    """Everything the handover document says, in document order."""

    app_name: str
    domain: str | None
    canonical: str | None
    generated_at: datetime
    tool_version: str
    score: int
    access: AccessRegister
    live_urls: tuple[LiveUrl, ...]
    record_map: Table
    subdomains: Table
    providers: tuple[ProviderClaim, ...]
    email_auth: tuple[AuthLine, ...]
    rotations: tuple[Rotation, ...]
    monitoring: Monitoring
    plan_48h: tuple[Finding, ...]
    later: tuple[Finding, ...]
    runbook: tuple[RunbookEntry, ...]
    calendar: tuple[CalendarEntry, ...]
    notes: tuple[str, ...] = ()
    #: the audit's "incomplete: N checks could not run" line, when it was incomplete
    incomplete: str | None = None
