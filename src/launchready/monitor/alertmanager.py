"""Alert routes handed to Prometheus Alertmanager: ``alertmanager://host:port[/prefix]``
(``alertmanagers://`` for HTTPS), posted to its v2 API (``POST /api/v2/alerts``).

Each queued message becomes one Alertmanager alert (no digest: Alertmanager groups, inhibits
and silences them itself). Labels identify the alert so a recovery resolves the DOWN it
follows: ``alertname`` (``LaunchreadyCheckDown`` for DOWN / STILL DOWN / RECOVERED,
``LaunchreadyMonitor`` for the monitor's own notices, ``LaunchreadyTest`` for a test alert),
``check`` (the check's name, or what the notice is about) and ``source = launchready``.
A firing alert carries ``endsAt`` a day ahead (a reminder renews it) so that Alertmanager's
``resolve_timeout`` does not resolve an outage launchready still sees; a recovery is posted
with ``endsAt`` = now, which resolves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from launchready.monitor.webhook import Webhook

FIRING_FOR = timedelta(days=1)
NOTICE_FOR = timedelta(hours=1)  # the monitor's own notices (offline, storage) fade alone


def alertmanager_target(route: str) -> Webhook | None:
    """The v2 alerts endpoint an ``alertmanager://`` route names, or None for another
    route."""
    parts = urlsplit(route)
    if parts.scheme not in ("alertmanager", "alertmanagers") or not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    scheme = "https" if parts.scheme == "alertmanagers" else "http"
    prefix = parts.path.rstrip("/")
    return Webhook(url=f"{scheme}://{host}{port}{prefix}/api/v2/alerts",
                   headers={"User-Agent": "launchready", "Content-Type": "application/json"})


def _kind_and_subject(title: str) -> tuple[str, str]:
    if title.startswith("[") and "] " in title:
        kind, subject = title[1:].split("] ", 1)
        return kind, subject
    return "ALERT", title


def alerts(parts: Sequence[tuple[str, str]], now: datetime) -> list[dict[str, object]]:
    """Pure: the Alertmanager v2 alert objects for (title, body) messages."""
    out: list[dict[str, object]] = []
    for title, body in parts:
        kind, subject = _kind_and_subject(title)
        if kind in ("DOWN", "STILL DOWN", "RECOVERED"):
            name, ends = "LaunchreadyCheckDown", now + FIRING_FOR
            if kind == "RECOVERED":
                ends = now
        elif kind == "TEST":
            name, ends, subject = "LaunchreadyTest", now + timedelta(minutes=5), "test"
        else:
            name, ends = "LaunchreadyMonitor", now + NOTICE_FOR
            subject = kind.lower()  # "monitor offline", "storage full", ...
        out.append({
            "labels": {"alertname": name, "check": subject, "source": "launchready"},
            "annotations": {"summary": title, "description": body},
            "startsAt": now.isoformat().replace("+00:00", "Z"),
            "endsAt": ends.isoformat().replace("+00:00", "Z"),
        })
    return out
