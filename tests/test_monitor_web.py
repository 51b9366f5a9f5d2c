"""The monitor's web side: status page, /api/status.json, /metrics and /healthz.

The daemon's store is replaced by a small fixed :class:`StatusSource` — the interface between the
web module and the daemon, so faking it here is the seam, not a mock of our own internals. The
server itself is the real aiohttp server on 127.0.0.1, fetched with a real client.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from markupsafe import escape
from prometheus_client.parser import text_string_to_metric_families

from launchready.monitor.metrics import CONTENT_TYPE, render_metrics
from launchready.monitor.views import (
    CheckState,
    CheckView,
    IncidentView,
    LatencyPoint,
    StatusSnapshot,
)
from launchready.monitor.web import (
    CSP,
    HEADER_CSP,
    public_status,
    render_status_page,
    scrub,
    start_web,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SCRIPT_NAME = "<script>alert(1)</script>"
ATTRIBUTE_NAME = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_NAME = "javascript:alert(1)"
PRIVATE_NAME = "billing-db-primary"
PRIVATE_HOST = "db1.corp.internal"
TOKEN = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
PUBLIC_NAMES = ["Login", SCRIPT_NAME, ATTRIBUTE_NAME, JAVASCRIPT_NAME]


def check(name: str, state: CheckState = CheckState.UP, **changes: Any) -> CheckView:
    base = CheckView(
        name=name,
        state=state,
        since=NOW - timedelta(hours=3),
        public=True,
        last_latency_ms=84.0,
        runs_total=1440,
        failures_total=3,
        uptime_24h=0.9979,
        uptime_7d=0.9995,
        uptime_30d=0.99999,
    )
    return replace(base, **changes)


def sample_snapshot(monitor_state: str = "ok") -> StatusSnapshot:
    """Three public checks (two with hostile names), one private check with an incident."""
    checks = (
        check("Login", CheckState.UP),
        check(SCRIPT_NAME, CheckState.DOWN, since=NOW - timedelta(minutes=12)),
        check(ATTRIBUTE_NAME, CheckState.DEGRADED),
        check(
            JAVASCRIPT_NAME,
            CheckState.UNKNOWN,
            since=None,
            last_latency_ms=None,
            uptime_24h=None,
            uptime_7d=None,
            uptime_30d=None,
            runs_total=0,
            failures_total=0,
        ),
        check(PRIVATE_NAME, CheckState.DOWN, public=False),
    )
    incidents = (
        IncidentView(
            check=SCRIPT_NAME,
            started=NOW - timedelta(minutes=12),
            ended=None,
            cause="status 503",
        ),
        IncidentView(
            check="Login",
            started=NOW - timedelta(days=2, hours=1),
            ended=NOW - timedelta(days=2),
            cause=f"timeout connecting to https://{PRIVATE_HOST}/health?token={TOKEN}",
            recovered_while_offline=True,
        ),
        IncidentView(
            check=PRIVATE_NAME,
            started=NOW - timedelta(minutes=30),
            ended=None,
            cause=f"connection refused by {PRIVATE_HOST}:5432",
        ),
    )
    return StatusSnapshot(
        generated_at=NOW,
        checks=checks,
        incidents=incidents,
        monitor_state=monitor_state,
        histograms=(
            ("Login", (1, 4, 20, 70, 90, 99, 100, 100, 100, 100, 100, 101), 5210.5),
            (PRIVATE_NAME, (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7), 70000.0),
        ),
    )


def sample_series(name: str, since: datetime) -> list[LatencyPoint]:
    """A result every 10 minutes since ``since``; every 12th failed."""
    return [
        LatencyPoint(
            at=since + timedelta(minutes=10 * i), latency_ms=40.0 + i % 5 * 15, ok=i % 12 != 0
        )
        for i in range(144)
    ]


@dataclass
class FakeSource:
    """A StatusSource returning fixed data, recording what the web side asked for."""

    snapshot_value: StatusSnapshot = field(default_factory=sample_snapshot)
    fail: bool = False
    series_calls: list[tuple[str, datetime]] = field(default_factory=list)
    snapshot_calls: list[datetime] = field(default_factory=list)

    async def snapshot(self, now: datetime) -> StatusSnapshot:
        self.snapshot_calls.append(now)
        if self.fail:
            raise RuntimeError("database is locked: /var/lib/launchready/monitor.db")
        return self.snapshot_value

    async def series(self, check: str, since: datetime) -> list[LatencyPoint]:
        self.series_calls.append((check, since))
        return sample_series(check, since)


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: str


Client = Callable[[str, str], Awaitable[Fetched]]


def served(source: FakeSource, scenario: Callable[[Client], Awaitable[None]]) -> None:
    """Run ``scenario`` against the real server on 127.0.0.1, then shut everything down."""

    async def main() -> None:
        runner = await start_web(source, host="127.0.0.1", port=0, clock=lambda: NOW)
        try:
            host, port = runner.addresses[0][:2]
            timeout = aiohttp.ClientTimeout(total=5)
            async with aiohttp.ClientSession(timeout=timeout) as session:

                async def fetch(path: str, method: str = "GET") -> Fetched:
                    async with session.request(method, f"http://{host}:{port}{path}") as reply:
                        return Fetched(reply.status, dict(reply.headers), await reply.text())

                await scenario(fetch)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def fetch_all(source: FakeSource, *paths: str, method: str = "GET") -> dict[str, Fetched]:
    results: dict[str, Fetched] = {}

    async def scenario(fetch: Client) -> None:
        for path in paths:
            results[path] = await fetch(path, method)

    served(source, scenario)
    return results


# --- /metrics: a pure function of the snapshot -------------------------------------------


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_parse_as_prometheus_text_and_cover_every_check() -> None:
    text = render_metrics(sample_snapshot())
    parsed = families(text)
    assert {name: f.type for name, f in parsed.items()} == {
        "launchready_check_runs": "counter",
        "launchready_check_failures": "counter",
        "launchready_check_up": "gauge",
        "launchready_check_state": "gauge",
        "launchready_check_uptime_ratio": "gauge",
        "launchready_check_latency_ms": "histogram",
        "launchready_monitor_healthy": "gauge",
    }
    runs = samples(text, "launchready_check_runs_total")
    # Private checks are in /metrics: it is the operator's view.
    assert runs[(("check", PRIVATE_NAME),)] == 1440
    assert len(runs) == 5
    assert samples(text, "launchready_check_failures_total")[(("check", "Login"),)] == 3
    assert samples(text, "launchready_monitor_healthy") == {(): 1}


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("plain", 'check="plain"'),
        ('say "hi"', 'check="say \\"hi\\""'),
        ("back\\slash", 'check="back\\\\slash"'),
        ("two\nlines", 'check="two\\nlines"'),
        (SCRIPT_NAME, f'check="{SCRIPT_NAME}"'),
        ("café ✓", 'check="café ✓"'),
    ],
    ids=["plain", "quote", "backslash", "newline", "markup", "utf8"],
)
def test_label_values_are_escaped_per_the_format(name: str, escaped: str) -> None:
    snapshot = StatusSnapshot(
        generated_at=NOW, checks=(check(name),), incidents=(), monitor_state="ok"
    )
    text = render_metrics(snapshot)
    assert f"launchready_check_runs_total{{{escaped}}} 1440\n" in text
    assert samples(text, "launchready_check_runs_total") == {(("check", name),): 1440}


@pytest.mark.parametrize(
    ("state", "up"),
    [
        (CheckState.UP, 1),
        (CheckState.DEGRADED, 1),
        (CheckState.DOWN, 0),
        (CheckState.UNKNOWN, 0),
        (CheckState.MAINTENANCE, 0),
    ],
    ids=str,
)
def test_up_and_one_hot_state(state: CheckState, up: int) -> None:
    snapshot = StatusSnapshot(
        generated_at=NOW, checks=(check("api", state),), incidents=(), monitor_state="ok"
    )
    text = render_metrics(snapshot)
    assert samples(text, "launchready_check_up") == {(("check", "api"),): up}
    states = samples(text, "launchready_check_state")
    assert states == {(("check", "api"), ("state", s.value)): int(s is state) for s in CheckState}


def test_latency_histogram_buckets_sum_and_count() -> None:
    text = render_metrics(sample_snapshot())
    buckets = samples(text, "launchready_check_latency_ms_bucket")
    login = {dict(k)["le"]: v for k, v in buckets.items() if dict(k)["check"] == "Login"}
    assert " ".join(login) == "5 10 25 50 100 250 500 1000 2500 5000 10000 +Inf"
    assert login["50"] == 70
    assert login["+Inf"] == 101
    assert samples(text, "launchready_check_latency_ms_sum")[(("check", "Login"),)] == 5210.5
    assert samples(text, "launchready_check_latency_ms_count")[(("check", "Login"),)] == 101


def test_uptime_ratio_is_absent_without_data() -> None:
    text = render_metrics(sample_snapshot())
    uptime = samples(text, "launchready_check_uptime_ratio")
    assert uptime[(("check", "Login"), ("window", "30d"))] == pytest.approx(0.99999)
    assert not [k for k in uptime if ("check", JAVASCRIPT_NAME) in k]


@pytest.mark.parametrize(
    ("histograms", "bounds", "comment"),
    [
        ((("api", (1, 2), 3.0),), (5, 10, 25), "2 bucket counts for 4 buckets"),
        ((("api", (3, 2, 2, 2), 3.0),), (5, 10, 25), "bucket counts are not cumulative"),
        ((("api", (1, 2, 2, 2), math.nan),), (5, 10, 25), "latency sum is not a finite"),
        ((("ghost", (1, 1, 1, 1), 1.0),), (5, 10, 25), "unknown or repeated check"),
        ((("api", (1, 1, 1, 1), 1.0),), (10, 5, 25), "bounds must increase strictly"),
    ],
    ids=["short", "not-cumulative", "nan-sum", "unknown-check", "bad-bounds"],
)
def test_malformed_histograms_are_skipped_with_a_comment(
    histograms: tuple[tuple[str, tuple[int, ...], float], ...],
    bounds: tuple[float, ...],
    comment: str,
) -> None:
    snapshot = StatusSnapshot(
        generated_at=NOW,
        checks=(check("api"),),
        incidents=(),
        monitor_state="ok",
        histogram_bounds_ms=bounds,
        histograms=histograms,
    )
    text = render_metrics(snapshot)
    assert comment in text
    assert samples(text, "launchready_check_latency_ms_bucket") == {}
    assert samples(text, "launchready_check_runs_total") == {(("check", "api"),): 1440}


def test_a_repeated_check_name_keeps_one_series() -> None:
    snapshot = StatusSnapshot(
        generated_at=NOW,
        checks=(check("api"), check("api", CheckState.DOWN)),
        incidents=(),
        monitor_state="degraded: storage full",
    )
    text = render_metrics(snapshot)
    assert "duplicate check name 'api' skipped" in text
    assert samples(text, "launchready_check_up") == {(("check", "api"),): 1}
    assert samples(text, "launchready_monitor_healthy") == {(): 0}


# --- the visitor-safe view -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("status 503", "status 503"),
        ("timeout after 10 s at 12:30:45", "timeout after 10 s at 12:30:45"),
        (f"GET https://{PRIVATE_HOST}/x?token={TOKEN} failed", "GET [redacted] failed"),
        ("refused by 10.0.3.7:5432", "refused by [redacted]"),
        ("metadata fd00:ec2::254 blocked", "metadata [redacted] blocked"),
        ("no route to [2001:db8::1]:443", "no route to [redacted]"),
        (f"no route to {PRIVATE_HOST}", "no route to [redacted]"),
        (f"bad key {TOKEN}", "bad key [redacted]"),
        (f"{PRIVATE_NAME} is down", "[private check] is down"),
        ("degraded: storage full", "degraded: storage full"),
        ("bidi \u202eevil", "bidi \\u202eevil"),
    ],
    ids=[
        "status",
        "time",
        "url",
        "ipv4",
        "ipv6",
        "ipv6-bracket",
        "host",
        "token",
        "private-name",
        "monitor-state",
        "bidi",
    ],
)
def test_free_text_is_scrubbed_before_a_visitor_sees_it(text: str, shown: str) -> None:
    assert scrub(text, [PRIVATE_NAME]) == shown


@pytest.mark.parametrize(
    ("states", "overall"),
    [
        ((CheckState.UP, CheckState.UP), "operational"),
        ((CheckState.UP, CheckState.DOWN), "partial_outage"),
        ((CheckState.DOWN, CheckState.DOWN), "major_outage"),
        ((CheckState.UP, CheckState.DEGRADED), "degraded"),
        ((CheckState.UP, CheckState.MAINTENANCE), "maintenance"),
        ((CheckState.UP, CheckState.UNKNOWN), "unknown"),
        ((), "empty"),
    ],
    ids=["all-up", "partial", "major", "degraded", "maintenance", "unknown", "empty"],
)
def test_overall_banner(states: tuple[CheckState, ...], overall: str) -> None:
    checks = tuple(check(f"c{i}", s) for i, s in enumerate(states))
    # A private check that is down never turns the public banner red.
    checks += (check("hidden", CheckState.DOWN, public=False),)
    snapshot = StatusSnapshot(generated_at=NOW, checks=checks, incidents=(), monitor_state="ok")
    assert public_status(snapshot, {}, NOW).overall == overall


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [(1.0, "100.00%"), (0.99999, "99.99%"), (0.9979, "99.79%"), (0.0, "0.00%"), (None, "no data")],
    ids=["full", "never-rounds-up", "plain", "zero", "none"],
)
def test_uptime_percentages(ratio: float | None, shown: str) -> None:
    snapshot = StatusSnapshot(
        generated_at=NOW, checks=(check("api", uptime_7d=ratio),), incidents=(), monitor_state="ok"
    )
    (view,) = public_status(snapshot, {}, NOW).checks
    assert view.uptime[1][:2] == ("7 d", shown)


def test_private_checks_and_their_incidents_are_left_out() -> None:
    status = public_status(sample_snapshot(), {}, NOW)
    assert [c.name for c in status.checks] == PUBLIC_NAMES
    causes = [i.cause for c in status.checks for i in c.incidents]
    assert causes == ["timeout connecting to [redacted]", "status 503"]
    page = render_status_page(status)
    for secret in (PRIVATE_NAME, PRIVATE_HOST, TOKEN, "5432"):
        assert secret not in page


def test_incident_durations_and_the_offline_marker() -> None:
    status = public_status(sample_snapshot(), {}, NOW)
    login, down = status.checks[0], status.checks[1]
    (offline,) = login.incidents
    assert offline.recovered_while_offline
    assert offline.duration == "at most 1 h"
    (ongoing,) = down.incidents
    assert ongoing.ongoing
    assert ongoing.duration == "ongoing, 12 min so far"


def test_latency_chart_buckets_gaps_and_failures() -> None:
    since = NOW - timedelta(hours=24)
    points = [
        LatencyPoint(at=since - timedelta(minutes=5), latency_ms=9999.0, ok=True),  # too old
        LatencyPoint(at=since + timedelta(minutes=1), latency_ms=40.0, ok=True),
        LatencyPoint(at=since + timedelta(minutes=2), latency_ms=180.0, ok=True),
        LatencyPoint(at=since + timedelta(minutes=11), latency_ms=math.inf, ok=True),
        LatencyPoint(at=since + timedelta(minutes=25), latency_ms=None, ok=False),
        LatencyPoint(at=since + timedelta(minutes=35), latency_ms=60.0, ok=True),
    ]
    snapshot = StatusSnapshot(
        generated_at=NOW, checks=(check("api"),), incidents=(), monitor_state="ok"
    )
    (view,) = public_status(snapshot, {"api": points}, NOW).checks
    worst = [b.max_ms for b in view.buckets[:4]]
    assert worst == [180.0, None, None, 60.0]
    assert [b.failed for b in view.buckets[:4]] == [False, False, True, False]
    # The top of the axis is a round number; a bucket without a success breaks the line.
    assert view.chart.top_ms == 200.0
    assert view.chart.path.count("M") == 2
    assert view.chart.failures == (8.3,)
    assert "peak 180 ms" in view.chart.caption


# --- the real server ---------------------------------------------------------------------


SECURITY_HEADERS = {
    "Content-Security-Policy": HEADER_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def test_every_response_carries_the_security_headers() -> None:
    source = FakeSource()
    paths = ("/", "/api/status.json", "/metrics", "/healthz", "/nope")
    replies = fetch_all(source, *paths)
    replies["POST /"] = fetch_all(source, "/", method="POST")["/"]
    assert [r.status for r in replies.values()] == [200, 200, 200, 200, 404, 405]
    for reply in replies.values():
        for header, value in SECURITY_HEADERS.items():
            assert reply.headers[header] == value
        assert "aiohttp" not in reply.headers.get("Server", "")
    assert "script" not in HEADER_CSP
    assert HEADER_CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")


def test_status_page_shows_public_checks_escaped_and_nothing_private() -> None:
    source = FakeSource()
    page = fetch_all(source, "/")["/"]
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    body = page.body
    assert "Partial outage" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<script" not in body
    assert "<img" not in body
    assert 'href="javascript' not in body
    # The only link on the page is the inline icon; nothing points anywhere else.
    assert body.count("href=") == 1
    assert 'href="data:,"' in body
    for label in ("Up", "Down", "Degraded", "Unknown", "99.79%", "99.99%", "no data"):
        assert f">{label}<" in body
    assert "recovered while the monitor was offline" in body
    assert f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">' in body
    assert "<svg" in body
    assert '<path class="line"' in body
    for secret in (PRIVATE_NAME, PRIVATE_HOST, TOKEN, "5432", "monitor.db"):
        assert secret not in body
    # The chart asked for 24 hours of the public checks only.
    assert sorted(name for name, _ in source.series_calls) == sorted(PUBLIC_NAMES)
    assert {since for _, since in source.series_calls} == {NOW - timedelta(hours=24)}


def test_status_json_matches_the_page_and_hides_private_checks() -> None:
    reply = fetch_all(FakeSource(), "/api/status.json")["/api/status.json"]
    assert reply.headers["Content-Type"].startswith("application/json")
    data = json.loads(reply.body)
    assert data["overall"] == {"status": "partial_outage", "text": "Partial outage"}
    assert data["monitor"] == {"ok": True, "state": "ok"}
    assert [c["name"] for c in data["checks"]] == PUBLIC_NAMES
    login = data["checks"][0]
    assert login["uptime"] == {"24h": 0.9979, "7d": 0.9995, "30d": 0.99999}
    assert login["since"] == "2026-11-27T09:00:00Z"
    assert login["incidents"] == [
        {
            "started": "2026-11-25T11:00:00Z",
            "ended": "2026-11-25T12:00:00Z",
            "duration_s": 3600,
            "cause": "timeout connecting to [redacted]",
            "recovered_while_offline": True,
        }
    ]
    assert len(login["latency_24h"]) == 144
    assert sum(b["failed"] for b in login["latency_24h"]) == 12
    for secret in (PRIVATE_NAME, PRIVATE_HOST, TOKEN):
        assert secret not in reply.body


def test_metrics_endpoint_serves_the_text_format_for_all_checks() -> None:
    reply = fetch_all(FakeSource(), "/metrics")["/metrics"]
    assert reply.headers["Content-Type"] == CONTENT_TYPE
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    runs = samples(reply.body, "launchready_check_runs_total")
    assert (("check", PRIVATE_NAME),) in runs
    assert len(runs) == 5


@pytest.mark.parametrize(
    ("monitor_state", "status", "body"),
    [
        ("ok", 200, {"status": "ok"}),
        ("degraded: storage full", 503, {"status": "degraded: storage full"}),
        ("offline", 503, {"status": "offline"}),
    ],
    ids=["ok", "storage-full", "offline"],
)
def test_healthz(monitor_state: str, status: int, body: dict[str, str]) -> None:
    source = FakeSource(snapshot_value=sample_snapshot(monitor_state))
    reply = fetch_all(source, "/healthz")["/healthz"]
    assert (reply.status, json.loads(reply.body)) == (status, body)


def test_monitor_state_shows_on_the_page_banner() -> None:
    source = FakeSource(snapshot_value=sample_snapshot("degraded: storage full"))
    body = fetch_all(source, "/")["/"].body
    assert "Monitor degraded: storage full" in body
    assert 'id="monitor"' in body


def test_a_failing_store_gives_503_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    replies = fetch_all(FakeSource(fail=True), "/", "/api/status.json", "/metrics", "/healthz")
    assert {path: r.status for path, r in replies.items()} == dict.fromkeys(replies, 503)
    assert json.loads(replies["/healthz"].body) == {"status": "error: store unavailable"}
    for reply in replies.values():
        assert "Traceback" not in reply.body
        assert "monitor.db" not in reply.body
        assert reply.headers["Content-Security-Policy"] == HEADER_CSP
    assert "status source failed" in caplog.text
