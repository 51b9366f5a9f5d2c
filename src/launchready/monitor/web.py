"""The monitor daemon's web side: status page, ``/api/status.json``, ``/metrics``, ``/healthz``.

Routes::

    GET /                 status page: public checks only, no script, latency chart as inline SVG
    GET /api/status.json  the same data as the page, as JSON (public checks only)
    GET /metrics          Prometheus text format 0.0.4 for ALL checks (operator only, see below)
    GET /healthz          200 {"status": "ok"} when the monitor is healthy, else 503 with its state

The page is safe to publish: it lists only checks marked ``public``, drops incidents of private
checks, and scrubs free text (incident causes, the monitor state) of URLs, IP addresses, host
names, long token-like strings and private check names, so an internal host or a tokened URL that
slipped into a cause never reaches a visitor. Every value is HTML-escaped by Jinja2 autoescaping;
the page contains no links to anywhere but itself. Every response carries a strict
Content-Security-Policy (no script at all), ``nosniff``, ``no-referrer`` and ``no-store``.

``/metrics`` covers private checks too, by design: keep it off the public internet (bind the
daemon to a private address, or have the reverse proxy in front of the status page answer
``/metrics`` with 404).

Pass example: a check named ``<script>alert(1)</script>`` shows as that text. Fail example it
prevents: an incident cause ``timeout to http://db.internal:5432/?token=…`` shown verbatim.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from launchready.monitor.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from launchready.monitor.metrics import render_metrics
from launchready.monitor.views import (
    CheckState,
    CheckView,
    IncidentView,
    LatencyPoint,
    LocationResult,
    StatusSnapshot,
    StatusSource,
)
from launchready.report.templating import environment
from launchready.report.text import visible

__all__ = [
    "CSP",
    "HEADER_CSP",
    "PublicStatus",
    "build_app",
    "public_status",
    "render_status_page",
    "scrub",
    "start_web",
    "status_json",
]

log = logging.getLogger(__name__)

# No script-src at all: default-src 'none' forbids every script, inline or not.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
# frame-ancestors works only as a header (CSP3 §6.4.2), so the page's <meta> copy leaves it out.
HEADER_CSP = CSP + "; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": HEADER_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # aiohttp would otherwise announce its exact version.
    "Server": "launchready",
}

CHART_WINDOW = timedelta(hours=24)
CHART_BUCKETS = 144  # 10-minute buckets: a bounded SVG however often the check runs
MAX_INCIDENTS_PER_CHECK = 20

_CHART_WIDTH = 600.0
_CHART_HEIGHT = 96.0
_CHART_TOP = 14.0  # room above the plot for the axis label, so the line never runs under it

Clock = Callable[[], datetime]

# Free text that may reach a visitor is scrubbed of anything that locates or unlocks a system.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S*", re.IGNORECASE)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
# Full eight-group form, or any form with "::" (times such as 12:30:45 stay untouched).
_IPV6 = re.compile(
    r"\[?(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
    r"|(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?)"
    r"(?:\](?::\d+)?)?",
    re.IGNORECASE,
)
_HOST = re.compile(
    r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9](?::\d+)?\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\b[A-Za-z0-9_\-+/=]{24,}")
_REDACTED = "[redacted]"

_STATE_LABEL = {
    CheckState.UP: "Up",
    CheckState.DOWN: "Down",
    CheckState.DEGRADED: "Degraded",
    CheckState.UNKNOWN: "Unknown",
    CheckState.MAINTENANCE: "Maintenance",
}


def scrub(text: str, private_names: Sequence[str] = ()) -> str:
    """``text`` without URLs, addresses, host names, token-like strings or private check names."""
    for name in sorted({n for n in private_names if n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", "[private check]", text)
    for pattern in (_URL, _IPV6, _IPV4, _HOST, _TOKEN):
        text = pattern.sub(_REDACTED, text)
    return visible(text)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def _duration(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _percent(ratio: float | None) -> str:
    if ratio is None or not math.isfinite(ratio):
        return "no data"
    # Round down: 99.999 % must not read as a perfect 100.00 %.
    shown = math.floor(max(0.0, min(ratio, 1.0)) * 10000) / 100
    return f"{shown:.2f}%"


@dataclass(frozen=True, kw_only=True)
class _Bucket:
    start: datetime
    max_ms: float | None
    failed: bool


@dataclass(frozen=True, kw_only=True)
class _Chart:
    """A latency chart as SVG geometry: numbers only, so no value from a check reaches markup."""

    path: str
    failures: tuple[float, ...]  # x of each bucket with a failed result
    failure_width: float
    top_ms: float
    caption: str
    width: float = _CHART_WIDTH
    height: float = _CHART_HEIGHT


@dataclass(frozen=True, kw_only=True)
class _Incident:
    started: str
    started_iso: str
    ended_iso: str | None
    duration: str
    duration_s: float
    ongoing: bool
    cause: str
    recovered_while_offline: bool


@dataclass(frozen=True, kw_only=True)
class _Check:
    anchor: str
    name: str
    state: str
    state_label: str
    since: str | None
    since_iso: str | None
    since_for: str | None
    uptime: tuple[tuple[str, str, float | None], ...]
    last_latency: str
    last_latency_ms: float | None
    chart: _Chart
    buckets: tuple[_Bucket, ...]
    incidents: tuple[_Incident, ...]
    # several locations: (location, "up" | "failing" | "unknown", newest result ISO time)
    locations: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class PublicStatus:
    """What a visitor may see: the page and /api/status.json render from this alone."""

    generated_at: datetime
    overall: str  # operational | degraded | partial_outage | major_outage | maintenance | ...
    overall_text: str
    monitor_ok: bool
    monitor_state: str  # scrubbed
    checks: tuple[_Check, ...]
    leader: str | None = None  # several locations: where the leading node runs


def _nice_top(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1 ms), for a readable axis."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _bucketize(points: Sequence[LatencyPoint], now: datetime) -> tuple[_Bucket, ...]:
    start = now - CHART_WINDOW
    width = CHART_WINDOW / CHART_BUCKETS
    worst: list[float | None] = [None] * CHART_BUCKETS
    failed = [False] * CHART_BUCKETS
    for point in points:
        if point.at < start or point.at > now:
            continue
        index = min(int((point.at - start) / width), CHART_BUCKETS - 1)
        if not point.ok:
            failed[index] = True
        latency = point.latency_ms
        if point.ok and latency is not None and math.isfinite(latency) and latency >= 0:
            current = worst[index]
            worst[index] = latency if current is None else max(current, latency)
    return tuple(
        _Bucket(start=start + width * i, max_ms=worst[i], failed=failed[i])
        for i in range(CHART_BUCKETS)
    )


def _chart(buckets: Sequence[_Bucket]) -> _Chart:
    step = _CHART_WIDTH / CHART_BUCKETS
    values = [b.max_ms for b in buckets if b.max_ms is not None]
    top = _nice_top(max(values, default=0.0))
    commands: list[str] = []
    previous = False
    for index, bucket in enumerate(buckets):
        if bucket.max_ms is None:
            previous = False
            continue
        x = (index + 0.5) * step
        y = _CHART_TOP + _CHART_HEIGHT * (1 - bucket.max_ms / top)
        # A gap (no successful result in a bucket) breaks the line instead of bridging it.
        commands.append(f"{'L' if previous else 'M'}{x:.1f},{y:.1f}")
        previous = True
    failures = tuple(round(i * step, 1) for i, b in enumerate(buckets) if b.failed)
    if values:
        ordered = sorted(values)
        median = ordered[len(ordered) // 2]
        caption = (
            f"Slowest result per 10 minutes over the last 24 h: median {median:,.0f} ms, "
            f"peak {ordered[-1]:,.0f} ms"
        )
    else:
        caption = "No successful results in the last 24 h"
    if failures:
        caption += f"; failures in {len(failures)} of {CHART_BUCKETS} ten-minute periods"
    return _Chart(
        path=" ".join(commands),
        failures=failures,
        failure_width=round(step, 1),
        top_ms=top,
        caption=caption + ".",
    )


def _incident(incident: IncidentView, now: datetime, private: Sequence[str]) -> _Incident:
    end = incident.ended or now
    seconds = (end - incident.started).total_seconds()
    duration = _duration(seconds)
    if incident.ended is None:
        duration = f"ongoing, {duration} so far"
    elif incident.recovered_while_offline:
        # The recovery was only seen when the monitor came back: the outage was at most this long.
        duration = f"at most {duration}"
    return _Incident(
        started=_when(incident.started),
        started_iso=_iso(incident.started),
        ended_iso=_iso(incident.ended) if incident.ended else None,
        duration=duration,
        duration_s=max(seconds, 0.0),
        ongoing=incident.ended is None,
        cause=scrub(incident.cause, private) or "unknown",
        recovered_while_offline=incident.recovered_while_offline,
    )


def _seen(result: LocationResult) -> tuple[str, str, str]:
    return visible(result.location), result.seen, _iso(result.at)


def _check(
    index: int,
    check: CheckView,
    points: Sequence[LatencyPoint],
    incidents: Sequence[IncidentView],
    now: datetime,
    private: Sequence[str],
    locations: Sequence[LocationResult] = (),
) -> _Check:
    buckets = _bucketize(points, now)
    latency = check.last_latency_ms
    if latency is not None and not math.isfinite(latency):
        latency = None
    ordered = sorted(incidents, key=lambda i: i.started, reverse=True)[:MAX_INCIDENTS_PER_CHECK]
    return _Check(
        anchor=f"check-{index}",
        name=visible(check.name),
        state=check.state.value,
        state_label=_STATE_LABEL[check.state],
        since=_when(check.since) if check.since else None,
        since_iso=_iso(check.since) if check.since else None,
        since_for=_duration((now - check.since).total_seconds()) if check.since else None,
        uptime=(
            ("24 h", _percent(check.uptime_24h), check.uptime_24h),
            ("7 d", _percent(check.uptime_7d), check.uptime_7d),
            ("30 d", _percent(check.uptime_30d), check.uptime_30d),
        ),
        last_latency=f"{latency:,.0f} ms" if latency is not None else "—",
        last_latency_ms=latency,
        chart=_chart(buckets),
        buckets=buckets,
        incidents=tuple(_incident(i, now, private) for i in ordered),
        locations=tuple(_seen(r) for r in locations),
    )


def _overall(checks: Sequence[CheckView]) -> tuple[str, str]:
    states = {c.state for c in checks}
    if not checks:
        return "empty", "No public checks yet"
    if states == {CheckState.DOWN}:
        return "major_outage", "Major outage"
    if CheckState.DOWN in states:
        return "partial_outage", "Partial outage"
    if CheckState.DEGRADED in states:
        return "degraded", "Degraded performance"
    if CheckState.MAINTENANCE in states:
        return "maintenance", "Scheduled maintenance"
    if CheckState.UNKNOWN in states:
        return "unknown", "Waiting for results"
    return "operational", "All systems operational"


def public_status(
    snapshot: StatusSnapshot,
    series: dict[str, Sequence[LatencyPoint]],
    now: datetime,
) -> PublicStatus:
    """The visitor-safe view of ``snapshot``: public checks only, free text scrubbed."""
    public = [c for c in snapshot.checks if c.public]
    public_names = {c.name for c in public}
    private = [c.name for c in snapshot.checks if not c.public and c.name not in public_names]
    overall, overall_text = _overall(public)
    monitor_ok = snapshot.monitor_state == "ok"
    return PublicStatus(
        generated_at=now,
        overall=overall,
        overall_text=overall_text,
        monitor_ok=monitor_ok,
        monitor_state=scrub(snapshot.monitor_state, private) or "unknown",
        checks=tuple(
            _check(
                index,
                check,
                series.get(check.name, ()),
                [i for i in snapshot.incidents if i.check == check.name],
                now,
                private,
                [r for r in snapshot.locations if r.check == check.name],
            )
            for index, check in enumerate(public, start=1)
        ),
        leader=visible(snapshot.leader) if snapshot.leader is not None else None,
    )


def render_status_page(status: PublicStatus) -> str:
    """The status page as one self-contained HTML document."""
    template = environment("launchready.monitor").get_template("status.html.j2")
    return template.render(
        status=status,
        csp=CSP,
        generated=_when(status.generated_at),
        generated_iso=_iso(status.generated_at),
        chart_width=_CHART_WIDTH,
        chart_height=_CHART_HEIGHT,
        chart_top=_CHART_TOP,
    )


def _check_json(check: _Check, several: bool) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": check.name,
        "state": check.state,
        "since": check.since_iso,
        "uptime": {window.replace(" ", ""): ratio for window, _, ratio in check.uptime},
        "last_latency_ms": check.last_latency_ms,
        "latency_24h": [
            {"start": _iso(b.start), "max_ms": b.max_ms, "failed": b.failed}
            for b in check.buckets
            if b.max_ms is not None or b.failed
        ],
        "incidents": [
            {
                "started": incident.started_iso,
                "ended": incident.ended_iso,
                "duration_s": round(incident.duration_s),
                "cause": incident.cause,
                "recovered_while_offline": incident.recovered_while_offline,
            }
            for incident in check.incidents
        ],
    }
    if several:
        entry["locations"] = [{"location": loc, "state": seen, "at": at}
                              for loc, seen, at in check.locations]
    return entry


def status_json(status: PublicStatus) -> dict[str, object]:
    """``/api/status.json``: the page's data, with ratios as 0..1 and times as ISO 8601 UTC.
    With several locations it adds ``leader`` and each check's ``locations``."""
    several = status.leader is not None or any(check.locations for check in status.checks)
    data: dict[str, object] = {
        "generated_at": _iso(status.generated_at),
        "overall": {"status": status.overall, "text": status.overall_text},
        "monitor": {"ok": status.monitor_ok, "state": status.monitor_state},
        "checks": [_check_json(check, several) for check in status.checks],
    }
    if several:
        data["leader"] = status.leader
    return data


async def _public(source: StatusSource, now: datetime) -> PublicStatus:
    snapshot = await source.snapshot(now)
    public = [c.name for c in snapshot.checks if c.public]
    # Private checks' series are never read: what is not fetched cannot leak.
    results = await asyncio.gather(*(source.series(name, now - CHART_WINDOW) for name in public))
    return public_status(snapshot, dict(zip(public, results, strict=True)), now)


def _unavailable(kind: str) -> web.Response:
    text = "Status temporarily unavailable: the monitor could not read its store."
    if kind == "json":
        return web.json_response({"error": text}, status=503)
    if kind == "html":
        body = f"<!DOCTYPE html><title>Status unavailable</title><p>{text}</p>\n"
        return web.Response(text=body, status=503, content_type="text/html")
    return web.Response(text=text + "\n", status=503, content_type="text/plain")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guarded(kind: str, handler: Handler) -> Handler:
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            # The store belongs to another component; whatever it raises, a visitor gets a
            # plain 503 (no traceback, no internals) and the operator gets the log line.
            log.exception("status source failed while serving %s", request.path)
            return _unavailable(kind)

    return run


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def build_app(source: StatusSource, *, clock: Clock | None = None) -> web.Application:
    """The aiohttp application; ``clock`` (default: UTC wall clock) fixes "now" in tests."""
    now: Clock = clock or (lambda: datetime.now(UTC))

    async def page(request: web.Request) -> web.StreamResponse:
        status = await _public(source, now())
        return web.Response(
            text=render_status_page(status), content_type="text/html", charset="utf-8"
        )

    async def api(request: web.Request) -> web.StreamResponse:
        status = await _public(source, now())
        return web.json_response(status_json(status))

    async def metrics(request: web.Request) -> web.StreamResponse:
        snapshot = await source.snapshot(now())
        response = web.Response(text=render_metrics(snapshot))
        # Set whole: aiohttp's content_type argument would drop the version parameter.
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response

    async def healthz(request: web.Request) -> web.StreamResponse:
        try:
            snapshot = await source.snapshot(now())
        except Exception:
            log.exception("status source failed while serving /healthz")
            return web.json_response({"status": "error: store unavailable"}, status=503)
        if snapshot.monitor_state == "ok":
            return web.json_response({"status": "ok"})
        return web.json_response({"status": scrub(snapshot.monitor_state)}, status=503)

    app = web.Application()
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", _guarded("html", page))
    app.router.add_get("/api/status.json", _guarded("json", api))
    app.router.add_get("/metrics", _guarded("text", metrics))
    app.router.add_get("/healthz", healthz)
    return app


async def start_web(
    source: StatusSource, *, host: str, port: int, clock: Clock | None = None
) -> web.AppRunner:
    """Serve the status page on ``host:port`` (port 0 picks a free one; see ``runner.addresses``).

    The caller stops it with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(build_app(source, clock=clock))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
