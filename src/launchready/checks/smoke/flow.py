"""SMOKE001–SMOKE004 — does the deployed app get a buyer through login → work → logout?

What: the ``[smoke]`` flow runs once against ``smoke.base_url`` (default ``app.canonical``),
step by step over HTTP with one cookie jar (see :mod:`launchready.smoke.runner`):

* SMOKE001 (critical) — the login step fails: an error, a failed expectation, or a capture it
  should have made (e.g. no session cookie). The login step is the one with ``login = true``,
  else the one named "login", else the first step. The steps after a failed login are not run.
* SMOKE002 (high) — any other step fails an expectation other than ``time``, gets no answer, or
  misses a capture.
* SMOKE003 (high) — after the logout step passes, the last authenticated GET before it is
  replayed with the exact cookies and credential headers it carried; a 2xx answer means logout
  only told the browser to forget the session and anyone holding a copy of it is still in.
* SMOKE004 (medium) — a step fails a ``time < …`` expectation: its budget.

A site that accepts no TCP connection at all cannot be judged: the four rules report ``error``.
SMOKE003 reports ``error`` with the reason when there is no logout step, the logout failed, or
no authenticated GET ran to be replayed. Every step that ran is also a measurement (check
``SMOKE004``, target the step name, one request).

Why: the smoke flow is what a buyer does in the first minute of a demo. A broken login is a
dead demo; a broken dashboard or core action is an awkward one; a session that survives logout
is the finding a buyer's security reviewer writes up first.

Fix: see each finding; credentials come from the environment (``${SMOKE_PASSWORD}``)
and are masked in every output, and bodies of login/logout steps are never stored.

Pass: ``POST /api/login`` → 200 with the session cookie, ``GET /api/dashboard`` → 200 in 80 ms
(budget ``time < 1500ms``), ``POST /api/projects`` → 201, ``POST /api/logout`` → 204, and the
replayed dashboard request → 401. Fail: the same flow where the replay still returns 200
(SMOKE003), or the dashboard takes 2.1 s (SMOKE004).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.config.models import Config
from launchready.model import Finding, Measurement, Table
from launchready.smoke.browser import run_browser_flow
from launchready.smoke.runner import FlowResult, Role, StepHook, StepResult, new_run_id, run_flow

RULES = ("SMOKE001", "SMOKE002", "SMOKE003", "SMOKE004")


def flow_base_url(config: Config) -> str | None:
    """``smoke.base_url``, else the origin of ``app.canonical``, else None."""
    if config.smoke is not None and config.smoke.base_url:
        return config.smoke.base_url
    if config.app.canonical:
        parts = urlsplit(config.app.canonical)
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _request(step: StepResult) -> str:
    return f"{step.method} {step.url or step.target}"


def _answer(step: StepResult) -> str:
    if step.via == "browser" and step.status is None:
        outcome = f"failed: {step.error}" if step.error else "ran"
        return f"browser step {_request(step)} {outcome} after {_ms(step.elapsed_ms)}"
    if step.status is None:
        return f"{_request(step)} got no answer ({step.error or 'no response'})"
    text = f"{_request(step)} answered {step.status} in {_ms(step.elapsed_ms)}"
    if step.redirects:
        text += f" after {step.redirects} redirect{'s' if step.redirects > 1 else ''}"
    return text


def _problems(step: StepResult) -> str:
    parts = [f"{c.expectation} (saw {c.seen})" for c in step.failures]
    if step.error is not None and step.status is not None:
        parts.append(step.error)
    if step.missing_captures:
        parts.append(f"did not capture {', '.join(step.missing_captures)}")
    return "; ".join(parts)


def _evidence(step: StepResult) -> str:
    problems = _problems(step)
    return f"{_answer(step)}; failed: {problems}" if problems else _answer(step)


def _curl(step: StepResult) -> str:
    return f"curl -i -X {step.method} '{step.url or step.target}'"


def _login_finding(step: StepResult) -> Finding:
    return make_finding(
        meta("SMOKE001"), target=f"{step.method} {step.target}", identity=f"step:{step.name}",
        evidence=_evidence(step),
        impact="Nobody can sign in, so the demo stops at the first screen.",
        fix=(f"Sign in by hand against the deployed site ({_curl(step)} with the smoke "
             f"account's JSON or form body), read the server log for that request, and check "
             f"that the smoke account exists with the password in the environment variable the "
             f"step uses (e.g. SMOKE_PASSWORD); then rerun `launchready smoke`."))


def _step_finding(step: StepResult) -> Finding:
    return make_finding(
        meta("SMOKE002"), target=f"{step.method} {step.target}", identity=f"step:{step.name}",
        evidence=_evidence(step),
        impact=f"The {step.name!r} step of the buyer's path is broken on the deployed site.",
        fix=(f"Reproduce it with `{_curl(step)}` using the session from the login step, read "
             f"the server log for that request and fix the handler; if the API changed on "
             f"purpose, update the step's expect list in [smoke]."))


def _slow_finding(step: StepResult) -> Finding:
    budgets = ", ".join(c.expectation for c in step.slow)
    return make_finding(
        meta("SMOKE004"), target=f"{step.method} {step.target}", identity=f"step:{step.name}",
        evidence=f"{_answer(step)}; budget: {budgets}",
        impact=f"The {step.name!r} step is slow enough for a buyer to notice during the demo.",
        fix=(f"Time the request on the server (slow-query log, `EXPLAIN` of its queries, "
             f"server timing) and remove the slow part — a missing index, an N+1 query, an "
             f"uncached aggregate; the budget is `{budgets}` in the step {step.name!r}."))


def _replay_finding(flow: FlowResult, logout: StepResult) -> Finding:
    replay = flow.replay
    assert replay is not None  # noqa: S101 - only called with a replay
    replayed = flow.step(replay.step)
    return make_finding(
        meta("SMOKE003"), target=f"{logout.method} {logout.target}",
        identity=f"replay:{replay.step}",
        evidence=(f"after {logout.method} {logout.url} answered {logout.status}, replaying "
                  f"GET {replay.url} (step {replay.step!r}) with the cookies and credential "
                  f"headers it carried before logout still answered {replay.status}"),
        impact=("Logging out does not end the session: anyone holding a copied cookie or token "
                "stays signed in."),
        fix=(f"Delete the session on the server at logout (remove its row or key from the "
             f"session store, or deny-list the token until it expires) instead of only "
             f"clearing the cookie, and issue a new session id at login; then a replay of "
             f"GET {replayed.target} with the old cookie must answer 401."))


def _measurement(step: StepResult) -> Measurement:
    return Measurement(check="SMOKE004", target=step.name, requests=1,
                       errors=0 if step.status is not None and not step.failed else 1,
                       p50_ms=step.elapsed_ms, p95_ms=step.elapsed_ms, p99_ms=step.elapsed_ms,
                       max_ms=step.elapsed_ms, rps=0.0, model="closed")


def _short(request: str, base: str) -> str:
    """A URL under the flow's base URL as its path (the table title names the base)."""
    return request[len(base):] or "/" if request.startswith(base) else request


def _row(step: StepResult, base: str) -> tuple[str, str, str, str, str]:
    status = str(step.status) if step.status is not None else "—"
    elapsed = _ms(step.elapsed_ms) if step.ran else "—"
    if not step.ran:
        result = step.skip_reason or "not run"
    elif step.failed:
        result = f"FAIL: {_problems(step) or step.error or 'no answer'}"
    elif step.slow:
        result = "SLOW: " + ", ".join(f"{c.expectation} (saw {c.seen})" for c in step.slow)
    else:
        result = "pass"
    name = step.name if step.role is Role.STEP else f"{step.name} ({step.role.value})"
    return name, f"{step.method} {_short(step.url or step.target, base)}", status, elapsed, result


def _table(flow: FlowResult) -> Table:
    rows = [_row(s, flow.base_url) for s in flow.steps]
    if flow.replay is not None:
        r = flow.replay
        alive = "session still valid: FAIL" if r.session_alive else "session ended: pass"
        rows.append(("logout replay", f"GET {_short(r.url, flow.base_url)}",
                     str(r.status) if r.status is not None else "—", _ms(r.elapsed_ms),
                     alive if r.status is not None else f"no answer ({r.error})"))
    elif flow.replay_skipped:
        rows.append(("logout replay", "—", "—", "—", f"not checked: {flow.replay_skipped}"))
    return Table(title=f"Smoke flow against {flow.base_url}",
                 columns=("step", "request", "status", "time", "result"), rows=tuple(rows))


def judge_flow(flow: FlowResult) -> Outcome:
    """The SMOKE findings, measurements and table for one run of the flow. Pure."""
    if flow.unreachable is not None:
        reason = f"could not connect: {flow.unreachable}"
        return Outcome(tables=(_table(flow),), errors=dict.fromkeys(RULES, reason))
    findings: list[Finding] = []
    errors: dict[str, str] = {}
    for step in flow.steps:
        if step.unjudged:
            # the tool could not read the whole answer: not a finding about the app
            errors["SMOKE001" if step.role is Role.LOGIN else "SMOKE002"] = \
                f"step {step.name!r}: {step.failures[0].seen}"
        elif step.failed:
            findings.append(_login_finding(step) if step.role is Role.LOGIN
                            else _step_finding(step))
        if step.ran and step.slow:
            findings.append(_slow_finding(step))
    logout = next((s for s in flow.steps if s.role is Role.LOGOUT), None)
    if flow.replay is None:
        errors["SMOKE003"] = f"not checked: {flow.replay_skipped or 'no replay'}"
    elif flow.replay.status is None:
        errors["SMOKE003"] = f"the replay of {flow.replay.step!r} got no answer: " \
                             f"{flow.replay.error}"
    elif flow.replay.session_alive and logout is not None:
        findings.append(_replay_finding(flow, logout))
    return Outcome(findings=tuple(findings),
                   measurements=tuple(_measurement(s) for s in flow.steps if s.ran),
                   tables=(_table(flow),), errors=errors)


class SmokeChecks(CheckFamily[FlowResult]):
    """Runs the ``[smoke]`` flow once and judges it (SMOKE001–SMOKE004)."""

    rule_ids = RULES
    network = True

    def __init__(self, *, on_step: StepHook | None = None) -> None:
        self.on_step = on_step

    def skip_reason(self, ctx: Context) -> str | None:
        smoke = ctx.config.smoke
        if smoke is None:
            return "no [smoke] section in the config"
        if smoke.mode == "http" and not smoke.steps:
            return "[smoke] has no steps"
        if flow_base_url(ctx.config) is None:
            return "neither smoke.base_url nor app.canonical is set"
        return None

    async def gather(self, ctx: Context) -> FlowResult:
        smoke = ctx.config.smoke
        base = flow_base_url(ctx.config)
        assert smoke is not None and base is not None  # noqa: S101 - skip_reason ran first
        if smoke.mode == "browser":
            network = ctx.config.network
            return await run_browser_flow(
                smoke.browser, base_url=base, run_id=new_run_id(), environ=ctx.environ,
                timeout=ctx.timeout, resolve=network.resolve_map(),
                ca_bundle=network.ca_bundle, on_step=self.on_step)
        return await run_flow(smoke, http=ctx.probes.http, environ=ctx.environ,
                              run_id=new_run_id(), base_url=base, on_step=self.on_step)

    def evaluate(self, obs: FlowResult, ctx: Context) -> Outcome:
        return judge_flow(obs)
