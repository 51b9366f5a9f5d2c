"""SMOKE001–SMOKE004: the pure judgement of one flow run, table-driven."""

from __future__ import annotations

from dataclasses import replace

import pytest

from launchready.checks.smoke.flow import RULES, judge_flow
from launchready.model import Severity
from launchready.smoke.runner import ExpectationResult, FlowResult, Replay, Role, StepResult

BASE = "https://app.acme.example"


def _ok(text: str, seen: str = "200", *, timing: bool = False) -> ExpectationResult:
    return ExpectationResult(expectation=text, ok=True, seen=seen, timing=timing)


def _bad(text: str, seen: str, *, timing: bool = False) -> ExpectationResult:
    return ExpectationResult(expectation=text, ok=False, seen=seen, timing=timing)


def _step(name: str, index: int, role: Role = Role.STEP, *, method: str = "GET",
          path: str = "/", status: int | None = 200, elapsed: float = 40.0,
          checks: tuple[ExpectationResult, ...] | None = None, **kw: object) -> StepResult:
    return StepResult(name=name, index=index, role=role, method=method, target=BASE + path,
                      url=BASE + path, status=status, elapsed_ms=elapsed,
                      checks=checks if checks is not None else (_ok("status == 200"),),
                      authenticated=index > 0, **kw)  # type: ignore[arg-type]


LOGIN = _step("login", 0, Role.LOGIN, method="POST", path="/api/login", sensitive=True)
DASH = _step("dashboard", 1, path="/api/dashboard",
             checks=(_ok("status == 200"), _ok("time < 1500ms", "80ms", timing=True)))
ACTION = _step("core action", 2, method="POST", path="/api/projects",
               checks=(_ok("status == 201", "201"),))
LOGOUT = _step("logout", 3, Role.LOGOUT, method="POST", path="/api/logout",
               checks=(_ok("status == 204", "204"),), sensitive=True)
ENDED = Replay(step="dashboard", url=BASE + "/api/dashboard", status=401, elapsed_ms=5.0)
ALIVE = replace(ENDED, status=200)


def _flow(*steps: StepResult, replay: Replay | None = ENDED, skipped: str | None = None,
          unreachable: str | None = None) -> FlowResult:
    return FlowResult(base_url=BASE, run_id="r", steps=steps or (LOGIN, DASH, ACTION, LOGOUT),
                      login="login", logout="logout", replay=replay, replay_skipped=skipped,
                      unreachable=unreachable)


def _not_run(step: StepResult) -> StepResult:
    return replace(step, ran=False, status=None, elapsed_ms=0.0, checks=(),
                   skip_reason="not run: the login step 'login' failed")


CASES = [
    ("all pass", _flow(), [], {}),
    ("login 401", _flow(replace(LOGIN, status=401, checks=(_bad("status == 200", "401"),)),
                        _not_run(DASH), _not_run(ACTION), _not_run(LOGOUT), replay=None,
                        skipped="the logout step did not run"),
     [("SMOKE001", Severity.CRITICAL)], {"SMOKE003"}),
    ("login timed out", _flow(replace(LOGIN, status=None, checks=(),
                                      error="timeout after 10s"), replay=None,
                              skipped="the logout step did not run"),
     [("SMOKE001", Severity.CRITICAL)], {"SMOKE003"}),
    ("login missed its session cookie",
     _flow(replace(LOGIN, missing_captures=("sid (cookie.sid)",)), DASH, ACTION, LOGOUT),
     [("SMOKE001", Severity.CRITICAL)], {}),
    ("dashboard 500", _flow(LOGIN, replace(DASH, status=500, checks=(
        _bad("status == 200", "500"), _ok("time < 1500ms", "30ms", timing=True))),
        ACTION, LOGOUT),
     [("SMOKE002", Severity.HIGH)], {}),
    ("dashboard slow", _flow(LOGIN, replace(DASH, elapsed_ms=2100.0, checks=(
        _ok("status == 200"), _bad("time < 1500ms", "2100ms", timing=True))), ACTION, LOGOUT),
     [("SMOKE004", Severity.MEDIUM)], {}),
    ("dashboard slow and broken", _flow(LOGIN, replace(DASH, status=503, checks=(
        _bad("status == 200", "503"), _bad("time < 1500ms", "2100ms", timing=True))),
        ACTION, LOGOUT),
     [("SMOKE002", Severity.HIGH), ("SMOKE004", Severity.MEDIUM)], {}),
    ("session survives logout", _flow(replay=ALIVE), [("SMOKE003", Severity.HIGH)], {}),
    ("logout failed", _flow(LOGIN, DASH, ACTION, replace(LOGOUT, status=500, checks=(
        _bad("status == 204", "500"),)), replay=None, skipped="the logout step 'logout' failed"),
     [("SMOKE002", Severity.HIGH)], {"SMOKE003"}),
    ("no logout step", _flow(LOGIN, DASH, replay=None, skipped="no logout step"), [],
     {"SMOKE003"}),
    ("replay got no answer", _flow(replay=replace(ENDED, status=None, error="timeout")), [],
     {"SMOKE003"}),
    ("site unreachable", _flow(replace(LOGIN, status=None, checks=(), error="connect: refused"),
                               replay=None, unreachable="https://x/api/login: connect: refused"),
     [], set(RULES)),
]


@pytest.mark.parametrize(("flow", "expected", "errors"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_judge_flow(flow: FlowResult, expected: list[tuple[str, Severity]],
                    errors: set[str]) -> None:
    outcome = judge_flow(flow)
    assert sorted((f.rule_id, f.severity) for f in outcome.findings) == expected
    assert set(outcome.errors) == set(errors)
    for finding in outcome.findings:
        assert finding.evidence and finding.impact and finding.fix
        assert finding.impact.endswith(".") and finding.impact.count(". ") == 0


def test_evidence_is_concrete() -> None:
    flow = _flow(LOGIN, replace(DASH, elapsed_ms=2100.0, checks=(
        _ok("status == 200"), _bad("time < 1500ms", "2100ms", timing=True))), ACTION, LOGOUT,
        replay=ALIVE)
    by_rule = {f.rule_id: f for f in judge_flow(flow).findings}
    assert by_rule["SMOKE004"].evidence == (
        "GET https://app.acme.example/api/dashboard answered 200 in 2,100 ms; "
        "budget: time < 1500ms")
    assert "still answered 200" in by_rule["SMOKE003"].evidence
    assert "401" in by_rule["SMOKE003"].fix


def test_fingerprints_do_not_depend_on_timing() -> None:
    def slow(ms: float) -> str:
        step = replace(DASH, elapsed_ms=ms, checks=(_bad("time < 1500ms", f"{ms:.0f}ms",
                                                      timing=True),))
        return judge_flow(_flow(LOGIN, step, ACTION, LOGOUT)).findings[0].fingerprint

    assert slow(1600.0) == slow(4200.0)


def test_measurements_cover_every_step_that_ran() -> None:
    flow = _flow(replace(LOGIN, status=401, checks=(_bad("status == 200", "401"),)),
                 _not_run(DASH), replay=None, skipped="x")
    measurements = judge_flow(flow).measurements
    assert [(m.check, m.target, m.requests, m.errors) for m in measurements] == [
        ("SMOKE004", "login", 1, 1)]
    ok = judge_flow(_flow()).measurements
    assert [m.target for m in ok] == ["login", "dashboard", "core action", "logout"]
    assert all(m.errors == 0 and m.p50_ms == m.max_ms == 40.0 for m in ok)


def test_table_lists_steps_and_replay() -> None:
    table = judge_flow(_flow(replay=ALIVE)).tables[0]
    assert table.columns == ("step", "request", "status", "time", "result")
    assert table.rows[0][0] == "login (login)"
    assert table.rows[-1] == ("logout replay", "GET /api/dashboard", "200", "5 ms",
                              "session still valid: FAIL")
