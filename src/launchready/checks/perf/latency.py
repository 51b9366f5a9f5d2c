"""PERF001–PERF004 — is the app fast enough for a sales call, and does it hold up under a burst?

What: every ``[perf]`` endpoint is loaded on its own — a warm-up (discarded), then the measured
run, closed model (``requests`` through ``concurrency`` keep-alive connections) or open model
(``rate`` per second for ``duration``, latency from each request's scheduled send time so a
stalled server cannot hide). Percentiles come from a log-linear histogram with 0.1 % precision.

* PERF001 — a ``core`` endpoint's p95 is over its budget (500 ms, or ``budget_ms``) [high].
* PERF002 — a ``heavy`` endpoint's p95 is over its budget (1.5 s, or ``budget_ms``) [medium].
* PERF003 — p95 regressed against the ``--perf-baseline`` file by more than ``max_regression``
  *and* more than the measured noise (the larger sub-run p95 spread of the two runs; see
  :mod:`launchready.perf.baseline`) [high].
* PERF004 — errors or timeouts: an endpoint's measured run, or the login burst (``burst``
  concurrent logins through the smoke step ``burst_step``), failed more than ``max_error_rate``
  of its requests (default: any), or the endpoint's ``expect`` list failed on a warm-up
  response [high].

Every measured endpoint (and the burst) appears in the report's ``measurements``, finding or
not. Errors and timeouts stay in the latency numbers; late and dropped sends (open model) are in
the "Latency runs" table.

Safety: only loopback addresses, hosts in ``allow_hosts``, or a run confirmed with
``confirm_load = true`` / ``--yes-load`` are loaded; rate, concurrency, duration and timeout
have hard caps. Ctrl-C (``launchready perf``) stops within a second with partial results.

Why: a dashboard that takes four seconds to open in front of a buyer loses the room; a login
page that returns 503 when the whole sales team clicks the invite link at once loses the deal.

Fix: find the slow query (``launchready db``, ``EXPLAIN``), add the index or cache, move heavy
reports off the request path; size worker and connection pools for the burst.

Pass: ``/api/projects`` p95 41 ms at concurrency 10 (budget 500 ms). Fail: the revenue report
p95 2.3 s (PERF002), or 12 of 50 concurrent logins answer 503 (PERF004).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.config.expect import Expectation, ResponseFacts, check
from launchready.config.models import PerfConfig, PerfEndpoint, SmokeStep
from launchready.errors import LaunchreadyError
from launchready.model import ErrorReason, Finding, Measurement, OutputFile, Table
from launchready.perf import baseline as perf_baseline
from launchready.perf.load import (
    INTERRUPT,
    LoadPlan,
    LoadRefused,
    Pool,
    RequestSpec,
    RunResult,
    StopSignal,
    check_allowed,
    resolve_endpoint,
    run_load,
)
from launchready.perf.wire import Captured, Endpoint, build_request
from launchready.smoke.runner import new_run_id, run_flow

#: returns the headers (e.g. ``Cookie``) that make requests authenticated
AuthProvider = Callable[[Context], Awaitable[Mapping[str, str]]]
#: percentiles kept for the report's chart
CURVE = (0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0)


class AuthFailed(LaunchreadyError):
    """The login that authenticates the perf run did not succeed."""


@dataclass(frozen=True, kw_only=True)
class EndpointRun:
    """One endpoint's measured run (or why it could not run)."""

    name: str
    endpoint_class: str
    method: str
    url: str
    budget_ms: float
    result: RunResult | None = None
    error: str | None = None
    failed_expectations: tuple[str, ...] = ()
    curve: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, kw_only=True)
class PerfObservation:
    """Everything ``gather`` measured."""

    base_url: str
    endpoints: tuple[EndpointRun, ...] = ()
    burst: EndpointRun | None = None
    refused: str | None = None  # nothing ran: safety rule, resolution or login failed
    baseline: perf_baseline.Baseline | None = None
    baseline_error: str | None = None


def base_url_of(ctx: Context) -> str | None:
    """``[perf] base_url``, else ``[smoke] base_url``, else ``app.canonical``."""
    perf = ctx.config.perf
    smoke = ctx.config.smoke
    url = (perf.base_url if perf else None) or (smoke.base_url if smoke else None) \
        or ctx.config.app.canonical
    return url.rstrip("/") if url else None


def login_step(ctx: Context) -> SmokeStep | None:
    """The step the burst replays: ``[perf] burst_step`` by name, else the smoke login step."""
    smoke, perf = ctx.config.smoke, ctx.config.perf
    if smoke is None or not smoke.steps:
        return None
    if perf is not None and perf.burst_step is not None:
        wanted = perf.burst_step.lower()
        return next((s for s in smoke.steps if s.name.lower() == wanted), None)
    index = smoke.login_index()
    return smoke.steps[index] if index is not None else None


def step_request(endpoint: Endpoint, step: SmokeStep, path_prefix: str,
                 headers: Mapping[str, str]) -> bytes:
    """The request bytes of a smoke step (its JSON or form body, its headers)."""
    extra = dict(headers)
    extra.update(step.headers)
    body = b""
    if step.json_body is not None:
        body = json.dumps(step.json_body).encode()
        extra.setdefault("Content-Type", "application/json")
    elif step.form is not None:
        body = urlencode(step.form).encode()
        extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return build_request(endpoint, step.method, path_prefix + step.path, headers=extra,
                         body=body)


_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _replayable(step: SmokeStep, environ: Mapping[str, str]) -> SmokeStep | None:
    """The step with ``${RUN_ID}`` and environment values filled in, as the smoke runner fills
    them (capitalised names only), or None when it needs a value that only an earlier step
    captures (a CSRF token...) and so cannot be replayed on its own."""
    refs = set(_REFERENCE.findall(json.dumps([step.path, step.headers, step.json_body,
                                              step.form], default=str)))
    if any(n != "RUN_ID" and not (n.isupper() and n in environ) for n in refs):
        return None
    values = {**{n: environ[n] for n in refs if n != "RUN_ID"}, "RUN_ID": new_run_id()}

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _REFERENCE.sub(lambda m: values[m.group(1)], value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return step.model_copy(update={"path": fill(step.path), "headers": fill(step.headers),
                                   "json_body": fill(step.json_body), "form": fill(step.form)})


async def smoke_session(ctx: Context) -> Mapping[str, str]:
    """Auth for ``auth = "smoke"``: run the smoke flow up to (not including) its logout step.

    Returns the session's headers (``Cookie``, captured credential headers) for the perf base
    URL; they are sent on every perf request and never shown.
    """
    smoke = ctx.config.smoke
    base = base_url_of(ctx)
    if smoke is None or not smoke.steps or base is None:
        raise AuthFailed('auth = "smoke" needs a [smoke] flow with a login step')
    flow = await run_flow(smoke, http=ctx.probes.http, environ=ctx.environ,
                          run_id=new_run_id(), base_url=smoke.base_url or _origin_of(base),
                          stop_before_logout=True)
    if flow.unreachable is not None:
        raise AuthFailed(f"smoke login for perf could not run: {flow.unreachable}")
    if flow.login is not None:
        step = next((r for r in flow.steps if r.name == flow.login), None)
        if step is not None and step.failed:
            raise AuthFailed(f"smoke login step {flow.login!r} failed; perf needs its session")
    if flow.session is None:
        raise AuthFailed("the smoke flow produced no session for perf")
    headers = flow.session.headers_for(base + "/")
    if not headers:
        raise AuthFailed("the smoke session does not apply to the perf base URL (another "
                         "origin)")
    return headers


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path_prefix(base: str) -> str:
    return urlsplit(base).path.rstrip("/")


async def _endpoint(ctx: Context, base: str) -> Endpoint:
    net = ctx.config.network
    return await resolve_endpoint(base, resolve=net.resolve_map(), ca_bundle=net.ca_bundle,
                                  timeout=ctx.timeout)


class _Deadline:
    """Stop when the parent signal is set or the family's own time limit is reached."""

    def __init__(self, parent: StopSignal, at: float) -> None:
        self._parent = parent
        self._at = at
        self._loop = asyncio.get_running_loop()

    def is_set(self) -> bool:
        return self._parent.is_set() or self._loop.time() >= self._at


def _ok_statuses(expect: list[Expectation]) -> frozenset[int] | None:
    status_rules = [e for e in expect if e.subject == "status"]
    if not status_rules:
        return None
    return frozenset(code for code in range(100, 600)
                     if all(check(e, ResponseFacts(status=code))[0] for e in status_rules))


def _failed_on(expect: list[Expectation], first: Captured | None,
               p95_ms: float | None) -> tuple[str, ...]:
    failed = []
    for exp in expect:
        if exp.subject == "status":
            continue  # judged on every response of the run
        if exp.subject == "time":
            # a latency expectation on a load run is judged on its p95
            if p95_ms is not None:
                ok, seen = check(exp, ResponseFacts(elapsed_ms=p95_ms))
                if not ok:
                    failed.append(f"{exp} (p95 {seen})")
            continue
        if first is None:
            continue
        facts = ResponseFacts(status=first.status, headers=dict(first.headers),
                              body=first.body.decode("utf-8", errors="replace"))
        ok, seen = check(exp, facts)
        if not ok:
            failed.append(f"{exp} (saw {seen})")
    return tuple(failed)


def _stats(result: RunResult) -> perf_baseline.EndpointStats:
    s = result.histogram.summary()
    return perf_baseline.EndpointStats(model=result.model, requests=result.completed,
                                       p50_ms=s.p50_ms, p95_ms=s.p95_ms, p99_ms=s.p99_ms,
                                       segment_p95_ms=result.segment_p95_ms)


class PerfChecks(CheckFamily[PerfObservation]):
    """Latency budgets, burst errors and baseline regressions for ``[perf]``.

    ``auth`` is the seam for the smoke runner's session: an async callable returning the
    headers (``Cookie``/``Authorization``) to send; without it ``auth = "smoke"`` logs in once
    through the smoke step ``burst_step``. ``headers`` are sent on every request whatever the
    ``auth`` mode. ``stop`` defaults to the process-wide Ctrl-C token; ``time_limit`` bounds the
    whole gather (default: just under the engine's per-check timeout), after which the runs stop
    and report what they measured.
    """

    rule_ids = ("PERF001", "PERF002", "PERF003", "PERF004")
    network = True

    def __init__(self, *, auth: AuthProvider | None = None,
                 headers: Mapping[str, str] | None = None, stop: StopSignal | None = None,
                 confirmed: bool = False, time_limit: float | None = None) -> None:
        self.auth = auth
        self.headers = dict(headers or {})
        self.stop = stop
        self.confirmed = confirmed
        self.time_limit = time_limit

    def skip_reason(self, ctx: Context) -> str | None:
        perf = ctx.config.perf
        if perf is None:
            return "no [perf] section"
        if not perf.endpoints and perf.burst == 0:
            return "[perf] lists no endpoints and no burst"
        if base_url_of(ctx) is None:
            return "no base URL: set [perf] base_url (or smoke.base_url / app.canonical)"
        return None

    async def gather(self, ctx: Context) -> PerfObservation:
        perf = ctx.config.perf
        base = base_url_of(ctx)
        if perf is None or base is None:  # skip_reason ran first; keeps the types honest
            return PerfObservation(base_url=base or "", refused="no [perf] configuration")
        loop = asyncio.get_running_loop()
        limit = self.time_limit if self.time_limit is not None else \
            max(ctx.timeout * 6, 30.0) - 2.0
        stop = _Deadline(self.stop or INTERRUPT, loop.time() + limit)
        base_file: perf_baseline.Baseline | None = None
        base_error: str | None = None
        if perf.baseline:
            try:
                base_file = ctx.probes.files.perf_baseline(perf.baseline)
            except perf_baseline.BaselineError as exc:
                base_error = str(exc)
        try:
            endpoint = await _endpoint(ctx, base)
            check_allowed(endpoint, allow_hosts=tuple(perf.allow_hosts),
                          confirmed=perf.confirm_load or self.confirmed)
            headers = dict(self.headers)
            if perf.auth == "smoke":
                headers.update(await (self.auth or smoke_session)(ctx))
        except (LoadRefused, AuthFailed) as exc:
            return PerfObservation(base_url=base, refused=str(exc), baseline=base_file,
                                   baseline_error=base_error)
        prefix = _path_prefix(base)
        runs = [await self._measure(ctx, perf, endpoint, base, prefix, ep, headers, stop)
                for ep in perf.endpoints]
        burst = await self._burst(ctx, perf, endpoint, base, prefix, headers, stop) \
            if perf.burst else None
        return PerfObservation(base_url=base, endpoints=tuple(runs), burst=burst,
                               baseline=base_file, baseline_error=base_error)

    async def _measure(self, ctx: Context, perf: PerfConfig, endpoint: Endpoint, base: str,
                       prefix: str, ep: PerfEndpoint, headers: Mapping[str, str],
                       stop: StopSignal) -> EndpointRun:
        run = EndpointRun(name=ep.name, endpoint_class=ep.endpoint_class, method=ep.method,
                          url=base + ep.path, budget_ms=ep.effective_budget_ms)
        if stop.is_set():
            return replace(run, error="not run: the perf run was stopped")
        spec = RequestSpec(endpoint=endpoint, ok_statuses=_ok_statuses(ep.expect),
                           payload=build_request(endpoint, ep.method, prefix + ep.path,
                                                 headers=headers),
                           head_only=ep.method == "HEAD")
        timeout = perf.timeout_s or ctx.timeout
        pool = Pool(perf.concurrency)
        first: Captured | None = None
        try:
            if perf.warmup:
                warm = await run_load(spec, LoadPlan(
                    model="closed", requests=perf.warmup, timeout_s=timeout,
                    concurrency=min(perf.concurrency, perf.warmup), capture_first=True),
                    stop=stop, pool=pool)
                first = warm.first_response
            result = await run_load(spec, LoadPlan(
                model=perf.model, requests=perf.requests, concurrency=perf.concurrency,
                rate=perf.rate or 0.0, duration_s=perf.duration_s, timeout_s=timeout,
                capture_first=first is None), stop=stop, pool=pool)
        except LoadRefused as exc:
            return replace(run, error=str(exc))
        finally:
            pool.close()
        p95 = result.histogram.value_at_ms(95) if result.completed else None
        return replace(run, result=result,
                        failed_expectations=_failed_on(ep.expect, first or
                                                       result.first_response, p95),
                        curve=result.histogram.curve_ms(CURVE))

    async def _burst(self, ctx: Context, perf: PerfConfig, endpoint: Endpoint, base: str,
                     prefix: str, headers: Mapping[str, str], stop: StopSignal) -> EndpointRun:
        step = login_step(ctx)
        name = f"login burst ({perf.burst} concurrent)"
        problem = None
        replay = None if step is None else _replayable(step, ctx.environ)
        if step is None:
            problem = (f"no [[smoke.steps]] entry named {perf.burst_step!r}" if perf.burst_step
                       else "no [smoke] login step to burst; add one or set [perf] burst_step")
        elif replay is None:
            problem = (f"smoke step {step.name!r} uses ${{...}} values from earlier steps and "
                       f"cannot be replayed alone; set [perf] burst_step to a step that can")
        if step is None or replay is None or problem is not None:
            return EndpointRun(name=name, endpoint_class="burst", method="POST", url=base,
                               budget_ms=0.0, error=problem)
        run = EndpointRun(name=name, endpoint_class="burst", method=step.method,
                          url=base + step.path, budget_ms=0.0)
        if stop.is_set():
            return replace(run, error="not run: the perf run was stopped")
        # a login burst is anonymous: the session headers would make it a different request
        login_headers = {k: v for k, v in headers.items() if k.lower() != "cookie"}
        spec = RequestSpec(endpoint=endpoint,
                           payload=step_request(endpoint, replay, prefix, login_headers))
        try:
            result = await run_load(spec, LoadPlan(
                model="closed", requests=perf.burst, concurrency=perf.burst,
                timeout_s=perf.timeout_s or ctx.timeout, duration_s=perf.duration_s),
                stop=stop)
        except LoadRefused as exc:
            return replace(run, error=str(exc))
        return replace(run, result=result, curve=result.histogram.curve_ms(CURVE))

    def evaluate(self, obs: PerfObservation, ctx: Context) -> Outcome:
        perf = ctx.config.perf
        if obs.refused is not None or perf is None:
            reason = obs.refused or "no [perf] configuration"
            return Outcome(errors=dict.fromkeys(self.rule_ids, reason))
        findings: list[Finding] = []
        measurements: list[Measurement] = []
        errors: dict[str, str] = {}
        rows: list[tuple[str, ...]] = []
        comparisons: list[perf_baseline.Comparison] = []
        max_err = perf.max_error_ratio
        for run in obs.endpoints:
            rid = "PERF002" if run.endpoint_class == "heavy" else "PERF001"
            if run.result is None:
                _add_error(errors, rid, f"{run.name}: {run.error}")
                _add_error(errors, "PERF004", f"{run.name}: {run.error}")
                rows.append(_row(run, None, "not run: " + (run.error or "")))
                continue
            result = run.result
            summary = result.histogram.summary()
            measurements.append(_measurement(rid, run, result))
            over = summary.p95_ms > run.budget_ms
            rows.append(_row(run, result, "over budget" if over else "ok"))
            if over and result.completed:
                findings.append(_budget_finding(rid, run, result, perf))
            findings.extend(_error_findings(run, result, max_err, perf))
            if perf.baseline and obs.baseline is not None and not result.interrupted:
                comparisons.append(perf_baseline.compare(
                    run.name, _stats(result), obs.baseline.endpoints.get(run.name),
                    max_regression=perf.max_regression_ratio))
        if obs.burst is not None:
            if obs.burst.result is None:
                _add_error(errors, "PERF004", f"{obs.burst.name}: {obs.burst.error}")
                rows.append(_row(obs.burst, None, "not run: " + (obs.burst.error or "")))
            else:
                measurements.append(_measurement("PERF004", obs.burst, obs.burst.result))
                rows.append(_row(obs.burst, obs.burst.result, "ok"))
                findings.extend(_error_findings(obs.burst, obs.burst.result, max_err, perf))
        reasons: dict[str, ErrorReason] = {}
        if perf.baseline and obs.baseline_error is not None:
            errors["PERF003"] = obs.baseline_error
            reasons["PERF003"] = ErrorReason.USAGE  # the baseline file cannot be used
        by_name = {r.name: r for r in obs.endpoints}
        for comp in comparisons:
            if comp.verdict == "regressed":
                findings.append(_regression_finding(by_name[comp.name], comp, perf))
        tables = [Table(title="Latency runs", columns=_COLUMNS, rows=tuple(rows))]
        if comparisons:
            tables.append(Table(
                title="p95 vs perf baseline",
                columns=("endpoint", "p95", "baseline p95", "change", "threshold", "verdict"),
                rows=tuple((c.name, f"{c.current_p95_ms:,.1f} ms",
                            f"{c.baseline_p95_ms:,.1f} ms" if c.baseline_p95_ms else "—",
                            f"p95 {c.change_text} vs baseline", f"±{c.threshold_ms:,.1f} ms",
                            c.verdict) for c in comparisons)))
        saved = _baseline_file(obs, perf, ctx)
        if perf.save_baseline:
            partial = [r.name for r in obs.endpoints if r.result is None or r.result.interrupted]
            note = (f"perf baseline saved to {perf.save_baseline}" if saved else
                    "perf baseline not saved: partial run for " + ", ".join(partial))
            tables.append(Table(title="Perf notes", columns=(), rows=((note,),)))
        return Outcome(findings=tuple(findings), measurements=tuple(measurements),
                       tables=tuple(tables), errors=errors, reasons=reasons,
                       output_files=saved)


def _baseline_file(obs: PerfObservation, perf: PerfConfig, ctx: Context
                   ) -> tuple[OutputFile, ...]:
    """``[perf] save_baseline`` (``--save-baseline``) as a file for the pipeline to write: the
    p95s of this run, only when every endpoint ran to the end."""
    runs = obs.endpoints
    if not perf.save_baseline or any(r.result is None or r.result.interrupted for r in runs):
        return ()
    stats = {r.name: _stats(r.result) for r in runs if r.result is not None}
    return (OutputFile(path=perf.save_baseline, text=perf_baseline.dump(stats, now=ctx.now),
                       what="perf baseline", key="perf.save_baseline"),)


_COLUMNS = ("endpoint", "model", "requests", "errors", "timeouts", "late", "dropped", "p50",
            "p95", "p99", "max", "req/s", "budget", "status")


def _add_error(errors: dict[str, str], rid: str, reason: str) -> None:
    errors[rid] = f"{errors[rid]}; {reason}" if rid in errors else reason


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _measurement(rid: str, run: EndpointRun, result: RunResult) -> Measurement:
    s = result.histogram.summary()
    return Measurement(check=rid, target=run.name, requests=result.completed,
                       errors=result.errors, p50_ms=round(s.p50_ms, 1),
                       p95_ms=round(s.p95_ms, 1), p99_ms=round(s.p99_ms, 1),
                       max_ms=round(s.max_ms, 1), rps=round(result.rps, 1), model=result.model)


def _row(run: EndpointRun, result: RunResult | None, status: str) -> tuple[str, ...]:
    budget = _ms(run.budget_ms) if run.budget_ms else "—"
    if result is None:
        return (run.name, "—", "0", "—", "—", "—", "—", "—", "—", "—", "—", "—", budget, status)
    s = result.histogram.summary()
    if result.interrupted:
        status += " (partial: stopped early)"
    return (run.name, result.model, str(result.completed), str(result.errors),
            str(result.timeouts), str(result.late), str(result.dropped), _ms(s.p50_ms),
            _ms(s.p95_ms), _ms(s.p99_ms), _ms(s.max_ms), f"{result.rps:,.1f}", budget, status)


def _run_shape(result: RunResult, perf: PerfConfig) -> str:
    if result.model == "open":
        shape = f"open model at {perf.rate:g} req/s, latency from scheduled send time"
        if result.late or result.dropped:
            shape += f", {result.late} late and {result.dropped} dropped sends"
    else:
        shape = f"closed model, concurrency {perf.concurrency}"
    if result.interrupted:
        shape += ", partial run: stopped early"
    return shape


def _budget_finding(rid: str, run: EndpointRun, result: RunResult,
                    perf: PerfConfig) -> Finding:
    s = result.histogram.summary()
    path = run.url.split("://", 1)[-1].partition("/")[2]
    if rid == "PERF001":
        impact = (f"One load in twenty of this core screen takes over {run.budget_ms:,.0f} ms, "
                  f"so the product feels sluggish in front of a buyer.")
    else:
        impact = ("The heavy dashboard report stalls during a demo, which reads as a broken "
                  "product.")
    return make_finding(
        meta(rid), target=run.url, identity=f"{run.method} {run.name}",
        evidence=(f"{run.name}: p95 {_ms(s.p95_ms)} over the {_ms(run.budget_ms)} budget "
                  f"(p50 {_ms(s.p50_ms)}, p99 {_ms(s.p99_ms)}, max {_ms(s.max_ms)}; "
                  f"{result.completed} requests, {_run_shape(result, perf)})"),
        impact=impact,
        fix=(f"Find what {run.method} /{path} waits on: run `launchready db` or `EXPLAIN` its "
             f"queries, add the missing index (e.g. `CREATE INDEX ix_<table>_<column> ON "
             f"<table>(<column>)` for the column it filters on) or cache the result, then "
             f"re-run `launchready perf`. If the budget is wrong for this endpoint, set "
             f"`budget_ms` on its [perf] endpoints entry."))


def _failures_text(result: RunResult) -> str:
    parts = [f"timeout×{n}" if kind == "timeout" else f"{kind} error×{n}"
             for kind, n in sorted(result.error_kinds.items())]
    # the statuses seen, so an unexpected "200" (against `expect = ["status == 201"]`) shows too
    parts += [f"HTTP {code}×{n}" for code, n in sorted(result.statuses.items())]
    return ", ".join(parts)


def _error_findings(run: EndpointRun, result: RunResult, max_err: float,
                    perf: PerfConfig) -> list[Finding]:
    out = []
    ratio = result.errors / result.completed if result.completed else 0.0
    if result.errors and ratio > max_err:
        what = "the login burst" if run.endpoint_class == "burst" else "its measured run"
        out.append(make_finding(
            meta("PERF004"), target=run.url, identity=f"errors {run.method} {run.name}",
            evidence=(f"{run.name}: {result.errors} of {result.completed} requests failed "
                      f"during {what} ({ratio:.1%}; allowed {perf.max_error_rate}): "
                      f"{_failures_text(result)}"),
            impact="Buyers who click at the same moment get errors instead of the page.",
            fix=("Read the server log for these requests; size the app for the burst: more "
                 "workers (e.g. `gunicorn --workers 4`), a larger database pool (e.g. "
                 "SQLAlchemy `pool_size=20`), request timeouts longer than the slowest "
                 "query, and no global lock around login; then re-run `launchready perf`.")))
    if run.failed_expectations:
        out.append(make_finding(
            meta("PERF004"), target=run.url, identity=f"expect {run.method} {run.name}",
            title="Perf endpoint fails its expectations",
            evidence=f"{run.name}: " + "; ".join(run.failed_expectations),
            impact=("The endpoint answers under load, but not with what the app needs, so "
                    "its latency numbers measure the wrong thing."),
            fix=("Fix the response (or the `expect` list of the [perf] endpoints entry) — "
                 "e.g. an authenticated endpoint answering 401 needs `auth = \"smoke\"`.")))
    return out


def _regression_finding(run: EndpointRun, comp: perf_baseline.Comparison,
                        perf: PerfConfig) -> Finding:
    base = comp.baseline_p95_ms or 0.0
    return make_finding(
        meta("PERF003"), target=run.url, identity=f"regression {run.method} {run.name}",
        evidence=(f"{run.name}: p95 {comp.change_text} vs baseline ({_ms(comp.current_p95_ms)} "
                  f"now, {_ms(base)} in {perf.baseline}); the change exceeds both "
                  f"max_regression {perf.max_regression} and the measured noise "
                  f"({_ms(comp.noise_ms)})"),
        impact="The endpoint got slower since the baseline; users feel it before any budget "
               "is crossed.",
        fix=("Compare the changes since the baseline was saved (new queries, N+1 loops, "
             "dropped indexes, synchronous calls) and fix the slowdown; if it is intended, "
             "refresh the baseline with `launchready perf --save-perf-baseline "
             f"{perf.baseline}`."))
