"""The alert state machine, time-to-alert, retry planning and message text: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from launchready.config.models import Config, MonitorConfig
from launchready.monitor.notify import MAX_ATTEMPTS, Delivery, plan
from launchready.monitor.scheduler import compose, in_maintenance
from launchready.monitor.state import (
    EventKind,
    Observation,
    Policy,
    Status,
    advance,
    monitor_offline,
)
from launchready.monitor.timing import timing, too_slow
from launchready.monitor.views import CheckState
from launchready.monitor.webhook import plain_webhook

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def run(seq: str, policy: Policy, *, start: Status | None = None,
        step_s: float = 30) -> tuple[Status, list[str]]:
    """Feed a sequence: ``x`` fail, ``o`` ok, ``s`` ok-but-slow, ``u`` offline, ``m``
    failure in maintenance. Returns the final status and the event kinds."""
    status = start or Status()
    events: list[str] = []
    for i, c in enumerate(seq):
        obs = Observation(at=T0 + timedelta(seconds=i * step_s), ok=c in "os",
                          cause="status 503" if c not in "os" else "", slow=c == "s",
                          offline=c == "u", maintenance=c == "m")
        status, evs = advance(status, obs, policy)
        events += [e.kind.value + ("*" if e.while_offline else "") for e in evs]
    return status, events


P22 = Policy(failure_threshold=2, success_threshold=2)
P32 = Policy(failure_threshold=3, success_threshold=2)
P22R = Policy(failure_threshold=2, success_threshold=2, reminder=timedelta(minutes=5))

CASES = [
    # (id, sequence, policy, final state, events)
    ("healthy start sends nothing", "ooooo", P22, CheckState.UP, []),
    ("two failures alert once", "ooxx", P22, CheckState.DOWN, ["down"]),
    ("sustained failure: one alert, no reminder configured", "oxxxxxxxxx", P22,
     CheckState.DOWN, ["down"]),
    ("one failure is not an outage", "oxoo", P22, CheckState.UP, []),
    ("flapping 2/2 never alerts", "xoxoxoxoxoxoxoxo", P22, CheckState.UP, []),
    ("flapping 3/2 for an hour never alerts", "xo" * 60, P32, CheckState.UP, []),
    ("recovery needs two successes", "xxo", P22, CheckState.DOWN, ["down"]),
    ("recovery sent once", "xxoooo", P22, CheckState.UP, ["down", "recovered"]),
    ("ok then fail during recovery resets", "xxoxoo", P22, CheckState.UP,
     ["down", "recovered"]),
    ("slow but ok is degraded, never alerted", "ssss", P22, CheckState.DEGRADED, []),
    ("offline results move nothing", "ouuuuuuo", P22, CheckState.UP, []),
    ("maintenance failures move nothing", "ommmmmo", P22, CheckState.UP, []),
    ("down before and after a window: no new alert", "xxmmmxx", P22, CheckState.DOWN,
     ["down"]),
    # 30 s steps, 5 min reminder: down at #1, reminders at #11 and #21
    ("reminders no more often than the floor", "x" * 23, P22R, CheckState.DOWN,
     ["down", "reminder", "reminder"]),
]


@pytest.mark.parametrize(("seq", "policy", "state", "events"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_state_machine(seq: str, policy: Policy, state: CheckState, events: list[str]) -> None:
    final, seen = run(seq, policy)
    assert final.state is state
    assert seen == events


def test_resumed_open_incident_is_not_alerted_again() -> None:
    down, _ = run("xx", P22)
    resumed = Status(**{**down.__dict__, "resumed": True})
    _, events = run("xxxx", P22, start=resumed)
    assert events == []


def test_recovered_while_offline_is_marked_and_sent_once() -> None:
    down, _ = run("xx", P22)
    resumed = Status(**{**down.__dict__, "resumed": True})
    final, events = run("ooo", P22, start=resumed)
    assert events == ["recovered*"]
    assert final.state is CheckState.UP


def test_resumed_then_failing_then_recovering_is_a_normal_recovery() -> None:
    down, _ = run("xx", P22)
    resumed = Status(**{**down.__dict__, "resumed": True})
    _, events = run("xoo", P22, start=resumed)
    assert events == ["recovered"]


@pytest.mark.parametrize(("latest", "offline"), [
    ({"a": (False, True), "b": (False, True)}, True),
    ({"a": (False, True), "b": (True, False)}, False),
    ({"a": (False, True), "b": (False, False)}, False),  # an HTTP 503 proves the link works
    ({"a": (False, True)}, False),  # one check cannot tell its target from the link
], ids=["all network failures", "one ok", "one http error", "single check"])
def test_monitor_offline(latest: dict[str, tuple[bool, bool]], offline: bool) -> None:
    assert monitor_offline(latest) is offline


def _monitor(**kw: object) -> MonitorConfig:
    base: dict[str, object] = {"checks": [{"name": "home", "url": "https://example.com/"}]}
    return MonitorConfig.model_validate({**base, **kw})


@pytest.mark.parametrize(("kw", "worst", "slow"), [
    ({}, 2 * 30 + 3 + 10 + 10, False),
    ({"interval": "10s"}, 2 * 10 + 1 + 5 + 10, False),
    ({"interval": "60s"}, 2 * 60 + 5 + 10 + 10, True),
    ({"interval": "30s", "failure_threshold": 4}, 4 * 30 + 3 + 10 + 10, True),
], ids=["defaults", "10s", "60s over budget", "threshold 4 over budget"])
def test_worst_case_time_to_alert(kw: dict[str, object], worst: float, slow: bool) -> None:
    mon = _monitor(**kw)
    assert timing(mon.checks[0], mon).worst_time_to_alert == pytest.approx(worst)
    assert bool(too_slow(mon)) is slow


def test_timeout_stays_below_interval() -> None:
    with pytest.raises(ValueError, match="shorter than"):
        _monitor(timeout="30s")
    mon = _monitor(checks=[{"name": "a", "url": "https://example.com/", "interval": "2s"}])
    t = timing(mon.checks[0], mon)
    assert t.timeout + t.jitter <= t.interval


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://x/", "ftp://x/", "data:text/plain,x", "javascript:alert(1)",
], ids=["file", "gopher", "ftp", "data", "javascript"])
def test_non_http_schemes_rejected_at_load(url: str) -> None:
    with pytest.raises(ValueError, match="only http:// and https://"):
        Config.model_validate({"monitor": {"checks": [{"name": "evil", "url": url}]}})


def test_reminder_floor() -> None:
    with pytest.raises(ValueError, match="at least 5m"):
        _monitor(reminder="1m")


NOW = T0
RETRY = [
    ("2xx sent", Delivery(ok=True, status=200), 0, "sent", None),
    ("500 retried with backoff", Delivery(ok=False, status=500), 0, "pending", (4.0, 6.0)),
    ("500 third attempt backs off more", Delivery(ok=False, status=500), 2, "pending",
     (16.0, 24.0)),
    ("timeout retried", Delivery(ok=False, error="timeout"), 0, "pending", (4.0, 6.0)),
    ("429 honours Retry-After 30", Delivery(ok=False, status=429, retry_after=30), 0,
     "pending", (30.0, 30.0)),
    ("429 without Retry-After waits 30", Delivery(ok=False, status=429), 0, "pending",
     (30.0, 30.0)),
    ("503 with Retry-After 60", Delivery(ok=False, status=503, retry_after=60), 0, "pending",
     (60.0, 60.0)),
    ("400 permanent", Delivery(ok=False, status=400), 0, "failed", None),
    ("403 permanent", Delivery(ok=False, status=403), 0, "failed", None),
    ("404 permanent", Delivery(ok=False, status=404), 0, "failed", None),
]


@pytest.mark.parametrize(("d", "attempts", "status", "window"), [r[1:] for r in RETRY],
                         ids=[r[0] for r in RETRY])
def test_retry_plan(d: Delivery, attempts: int, status: str,
                    window: tuple[float, float] | None) -> None:
    p = plan(d, attempts=attempts, elapsed=0.0, rand=lambda: 0.5)
    assert p.status == status
    if window is None:
        assert p.delay is None
    else:
        assert p.delay is not None
        assert window[0] <= p.delay <= window[1]
    if status == "failed":
        assert p.error and "permanent" in p.error


def test_retry_budget_is_bounded() -> None:
    p = plan(Delivery(ok=False, status=500), attempts=12, elapsed=2 * 3600.0)
    assert p.status == "failed" and "gave up" in (p.error or "")
    p = plan(Delivery(ok=False, status=500), attempts=MAX_ATTEMPTS - 1, elapsed=0.0)
    assert p.status == "failed"  # across restarts the attempts bound it


def test_a_retry_after_longer_than_the_budget_waits_instead_of_dropping() -> None:
    p = plan(Delivery(ok=False, status=429, retry_after=7200), attempts=0, elapsed=0.0)
    assert p.status == "pending" and p.delay == 3600.0
    p = plan(Delivery(ok=False, status=503, retry_after=5400), attempts=3, elapsed=1800.0)
    assert p.status == "pending" and p.delay == 3600.0


def test_messages_name_check_cause_since_owner_and_never_the_url() -> None:
    mon = MonitorConfig.model_validate({"checks": [{
        "name": "health", "url": "https://app.acme.example/healthz?token=s3cr3t-t0ken",
        "owner": "ops@acme.example"}]})
    _, events = run("xx", P22)
    down = next(e for e in [*advance(Status(failures=1), Observation(
        at=T0, ok=False, cause="status 503"), P22)[1]] if e.kind is EventKind.DOWN)
    title, body = compose(mon.checks[0], down)
    assert title == "[DOWN] health"
    assert "status 503" in body and "ops@acme.example" in body and "2026-11-27" in body
    assert "acme.example/healthz" not in body and "s3cr3t" not in body
    assert events == ["down"]


def test_maintenance_window_applies_to_listed_checks() -> None:
    mon = _monitor(maintenance=[{"start": "2026-11-27T11:00:00Z", "end": "2026-11-27T13:00:00Z",
                                 "checks": ["home"]}])
    assert in_maintenance(mon, "home", T0)
    assert not in_maintenance(mon, "other", T0)
    assert not in_maintenance(mon, "home", T0 + timedelta(hours=2))


def test_reminders_are_spaced_on_the_monotonic_clock() -> None:
    # the wall clock steps back an hour after the DOWN alert; the monotonic one runs on
    status, kinds = Status(), []
    for i in range(12):
        wall = T0 + timedelta(seconds=30 * i) - (timedelta(hours=1) if i > 2 else timedelta())
        status, events = advance(status, Observation(at=wall, mono=30.0 * i, ok=False,
                                                     cause="status 503"), P22R)
        kinds += [e.kind.value for e in events]
    assert kinds == ["down", "reminder"]  # at run 1, then 5 minutes later at run 11


@pytest.mark.parametrize(("route", "url", "headers"), [
    ("json://hooks.acme.test/alert", "http://hooks.acme.test/alert", {}),
    ("jsons://u:p%40ss@hooks.acme.test:8443/a?+X-Token=t1", "https://hooks.acme.test:8443/a",
     {"X-Token": "t1", "Authorization": "Basic dTpwQHNz"}),
    ("json://[::1]:9000/h", "http://[::1]:9000/h", {}),
    ("json://hooks.acme.test/a?:extra=1", None, None),
    ("json://hooks.acme.test/a?method=PUT", None, None),
    ("slack://T1/B2/C3", None, None),
], ids=["plain", "tls, auth, header", "ipv6", "payload option", "method", "not a webhook"])
def test_plain_webhook(route: str, url: str | None, headers: dict[str, str] | None) -> None:
    hook = plain_webhook(route)
    if url is None:
        assert hook is None
        return
    assert hook is not None and hook.url == url
    assert headers is not None and headers.items() <= hook.headers.items()
