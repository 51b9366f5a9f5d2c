"""Run check families concurrently, each under its own timeout and a whole-run deadline.

Before a DNS/MAIL or web family runs, one shared preflight per kind checks that the resolver
answers at all (or that the site's host resolves); when it does not, those families are
recorded as "could not check: ..." with one reason, instead of judging a broken network as
findings about the product.


A family that raises is recorded, never allowed to stop the run: an expected
:class:`~launchready.errors.LaunchreadyError` as status ``error`` with its message and an
:class:`~launchready.model.ErrorReason`; anything else as reason ``bug`` with the message
"bug: <type> in <family>" and the trace (frames only: an exception's text may quote what was
scanned), which ``-v`` prints and the JSON report carries. This is the broad catch that keeps
a run going; the few others guard process boundaries (the CLI's ``main``, the monitor's loops).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from launchready._version import __version__
from launchready.checks.base import CheckFamily, Context, Outcome
from launchready.config.defaults import APP_NAME, NETWORK_TIMEOUT_S
from launchready.errors import ConfigError, LaunchreadyError, ProbeTimeout, UsageError
from launchready.model import (
    CheckResult,
    CheckStatus,
    ErrorReason,
    Finding,
    Measurement,
    OutputFile,
    Report,
    Table,
)
from launchready.probes import Probes
from launchready.rank import rank, score, summarize
from launchready.urls import is_ip

if TYPE_CHECKING:
    from launchready.config.models import Config

ProgressHook = Callable[[str, int, int], None]  # (what finished, done, total)


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Which rule IDs run: ``only``/``skip`` are ID prefixes (``TLS``, ``SEC00``, ``DNS001``)."""

    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    def wants(self, rule_id: str) -> bool:
        """True when ``rule_id`` is selected."""
        rid = rule_id.upper()
        if self.only and not any(rid.startswith(p.upper()) for p in self.only):
            return False
        return not any(rid.startswith(p.upper()) for p in self.skip)


@dataclass(frozen=True, kw_only=True)
class _FamilyRun:
    family: CheckFamily[Any]
    outcome: Outcome | None
    status: CheckStatus
    reason: str | None
    duration_ms: int
    why: ErrorReason | None = None
    trace: str | None = None


def default_reason(family: CheckFamily[Any]) -> ErrorReason:
    """What an error a family reports (``Outcome.errors``) means unless it says otherwise."""
    return ErrorReason.CONNECTIVITY if family.network else ErrorReason.INCOMPLETE_INPUT


def _reason_of(exc: LaunchreadyError, family: CheckFamily[Any]) -> ErrorReason:
    if isinstance(exc, ConfigError | UsageError):
        return ErrorReason.USAGE
    if isinstance(exc, ProbeTimeout):
        return ErrorReason.TIMEOUT
    return default_reason(family)


def _trace(exc: BaseException) -> str:
    """Where ``exc`` was raised (file, line, function of each frame) and its type; never its
    message or local values, which may quote what was scanned."""
    frames = "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
                     for f in traceback.extract_tb(exc.__traceback__))
    return (f"Traceback (most recent call last):\n{frames}{type(exc).__module__}."
            f"{type(exc).__qualname__} (message withheld)")


#: rule-ID prefixes whose families judge answers of the resolver, and those that fetch the
#: canonical site; a failed preflight makes them "could not check", never findings
RESOLVER_FAMILIES = ("DNS", "MAIL")
WEB_FAMILIES = ("TLS", "WEB", "SEC004", "SEC009")

Preflight = Callable[[str], Awaitable[str | None]]


def preflight_kind(family: CheckFamily[Any]) -> str | None:
    """``"resolver"``, ``"web"`` or None: which network preflight a family depends on."""
    if family.rule_ids and all(r.startswith(RESOLVER_FAMILIES) for r in family.rule_ids):
        return "resolver"
    if family.rule_ids and all(r.startswith(WEB_FAMILIES) for r in family.rule_ids):
        return "web"
    return None


def _preflights(ctx: Context) -> Preflight:
    """One cheap check per kind, run at most once per run and shared by every family.

    ``resolver``: the resolver answers for the configured domain or the root zone
    (:func:`launchready.probes.dns.resolver_problem`). ``web``: the canonical host resolves
    (an IP literal or a ``--resolve`` entry needs no lookup).
    """
    tasks: dict[str, asyncio.Task[str | None]] = {}

    async def resolver() -> str | None:
        # dnspython is loaded only by a run that asks the resolver something
        from launchready.probes.dns import resolver_problem  # noqa: PLC0415

        config = ctx.config
        email = config.email.domains if config.email else []
        canonical = urlsplit(config.app.canonical).hostname if config.app.canonical else None
        domain = next((d for d in (config.app.domain, *email, canonical) if d), None)
        if domain is None:
            return None  # no name to ask about: the families skip or find their own names
        return await resolver_problem(ctx.probes.dns, domain)

    async def web() -> str | None:
        from launchready.probes.dns import host_problem  # noqa: PLC0415

        config = ctx.config
        host = urlsplit(config.app.canonical).hostname if config.app.canonical else None
        if not host or is_ip(host) or any(h == host for h, _ in
                                           config.network.resolve_map()):
            return None
        if not config.network.resolver:
            return await host_problem(host, probe=None, timeout=ctx.timeout)
        # the same words as the DNS/MAIL families' when the resolver itself is the problem
        return await check("resolver") or await host_problem(host, probe=ctx.probes.dns,
                                                             timeout=ctx.timeout)

    async def check(kind: str) -> str | None:
        if kind not in tasks:
            tasks[kind] = asyncio.ensure_future(resolver() if kind == "resolver" else web())
        return await asyncio.shield(tasks[kind])

    return check


async def _run_family(family: CheckFamily[Any], ctx: Context, timeout: float,
                      preflight: Preflight | None = None) -> _FamilyRun:
    started = time.perf_counter()

    def done(outcome: Outcome | None, status: CheckStatus, reason: str | None,
             why: ErrorReason | None = None, trace: str | None = None) -> _FamilyRun:
        return _FamilyRun(family=family, outcome=outcome, status=status, reason=reason,
                          why=why, trace=trace,
                          duration_ms=int((time.perf_counter() - started) * 1000))

    reason = family.skip_reason(ctx)
    if reason is not None:
        return done(None, CheckStatus.SKIPPED, reason)
    kind = preflight_kind(family)
    if kind is not None and preflight is not None:
        try:
            async with asyncio.timeout(timeout):
                problem = await preflight(kind)
        except TimeoutError:
            problem = f"could not check: the {kind} preflight took over {timeout:g}s"
        if problem is not None:
            return done(None, CheckStatus.ERROR, problem, ErrorReason.CONNECTIVITY)
    try:
        async with asyncio.timeout(timeout):
            obs = await family.gather(ctx)
        outcome = family.evaluate(obs, ctx)
    except TimeoutError:
        return done(None, CheckStatus.ERROR, f"timeout after {timeout:g}s", ErrorReason.TIMEOUT)
    except LaunchreadyError as exc:
        return done(None, CheckStatus.ERROR, str(exc), _reason_of(exc, family))
    except Exception as exc:  # a bug in one family must not stop the run
        return done(None, CheckStatus.ERROR, f"bug: {type(exc).__name__} in "
                                             f"{type(family).__name__}", ErrorReason.BUG,
                    _trace(exc))
    return done(outcome, CheckStatus.PASS, None)


def _results(run: _FamilyRun, wanted: Sequence[str], findings: Sequence[Finding]
             ) -> list[CheckResult]:
    out = []
    errors = run.outcome.errors if run.outcome else {}
    skipped = run.outcome.skipped if run.outcome else {}
    reasons = run.outcome.reasons if run.outcome else {}
    for rid in wanted:
        status: CheckStatus
        reason: str | None
        why, trace = None, None
        if run.status is not CheckStatus.PASS:
            status, reason, why, trace = run.status, run.reason, run.why, run.trace
        elif any(f.rule_id == rid and not f.suppressed for f in findings):
            status, reason = CheckStatus.FAIL, None
        elif rid in errors:
            status, reason = CheckStatus.ERROR, errors[rid]
            why = reasons.get(rid, default_reason(run.family))
        elif rid in skipped:
            status, reason = CheckStatus.SKIPPED, skipped[rid]
        else:
            status, reason = CheckStatus.PASS, None
        failed = status is CheckStatus.ERROR
        out.append(CheckResult(id=rid, status=status, duration_ms=run.duration_ms,
                               # a skipped check carries its reason too, so reports list it once
                               error=reason if failed or status is CheckStatus.SKIPPED
                               else None,
                               reason=(why or default_reason(run.family)) if failed else None,
                               trace=trace if failed else None))
    return out


async def arun_audit(
    config: Config | None,
    *,
    selection: Selection | None = None,
    suppress: frozenset[str] = frozenset(),
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    families: Iterable[CheckFamily[Any]] | None = None,
    probes: Probes | None = None,
    check_timeout: float | None = None,
    deadline: float = 600.0,
    progress: ProgressHook | None = None,
) -> Report:
    """Run every selected check family concurrently and build the ranked report.

    ``config`` None is a run without a config file: the defaults apply, and the config models
    are built only if a check asks for them (:attr:`Context.config`).
    """
    started_at = datetime.now(UTC)
    sel = selection or Selection()
    fams = list(families) if families is not None else default_families()
    own_probes = probes is None
    run_probes = probes or (Probes.from_network(config.network) if config is not None
                            else Probes())
    timeout = config.network.timeout if config is not None else NETWORK_TIMEOUT_S
    per_check = check_timeout or max(timeout * 6, 30.0)
    ctx = Context(loaded=config, probes=run_probes,
                  environ=os.environ if environ is None else environ,
                  now=now or started_at, timeout=timeout)
    picked = [(f, [r for r in f.rule_ids if sel.wants(r)]) for f in fams]
    picked = [(f, ids) for f, ids in picked if ids]
    total = len(picked)
    finished = 0
    preflight = _preflights(ctx)

    async def one(family: CheckFamily[Any]) -> _FamilyRun:
        nonlocal finished
        result = await _run_family(family, ctx, family.time_budget(ctx) or per_check,
                                   preflight)
        finished += 1
        if progress is not None:
            progress(type(family).__name__, finished, total)
        return result

    interrupted = False
    _abandon_threads_on_interrupt()
    tasks = [asyncio.ensure_future(one(f)) for f, _ in picked]
    try:
        longest = max((f.time_budget(ctx) or 0.0 for f, _ in picked), default=0.0)
        done, pending = await asyncio.wait(tasks, timeout=max(deadline, longest + 30)) \
            if tasks else (set(), set())
    except asyncio.CancelledError:
        # Ctrl-C (asyncio.Runner cancels the main task): keep what finished, mark the rest
        # interrupted and return the partial report instead of throwing it away
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()
        interrupted = True
        _abandon_threads_on_interrupt(now=True)
        done = {t for t in tasks if t.done()}
        pending = {t for t in tasks if not t.done()}
    try:
        for task in pending:
            task.cancel()
        if pending and not interrupted:
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        if own_probes:
            await run_probes.aclose()
    stopped = "interrupted (Ctrl-C) before it finished" if interrupted else \
        f"run deadline of {deadline:g}s reached"

    findings: list[Finding] = []
    measurements: list[Measurement] = []
    tables: list[Table] = []
    checks: list[CheckResult] = []
    output_files: list[OutputFile] = []
    for task, (family, ids) in zip(tasks, picked, strict=True):
        if task in done and not task.cancelled() and task.exception() is None:
            run = task.result()
        else:
            run = _FamilyRun(family=family, outcome=None, status=CheckStatus.ERROR,
                             reason=stopped, duration_ms=0,
                             why=None if interrupted else ErrorReason.TIMEOUT)
        fam_findings: list[Finding] = []
        if run.outcome is not None:
            wanted = set(ids)
            for f in run.outcome.findings:
                if f.rule_id in wanted:
                    fam_findings.append(dataclasses.replace(
                        f, suppressed=f.suppressed or f.fingerprint in suppress))
            measurements.extend(run.outcome.measurements)
            tables.extend(run.outcome.tables)
            output_files.extend(run.outcome.output_files)
        findings.extend(fam_findings)
        checks.extend(_results(run, ids, fam_findings))
    ranked = rank(findings)
    checks.sort(key=lambda c: c.id)
    return Report(
        tool_version=__version__, started_at=started_at, finished_at=datetime.now(UTC),
        score=score(ranked), summary=summarize(ranked), checks=tuple(checks),
        findings=ranked, measurements=tuple(measurements), tables=tuple(tables),
        title=f"{config.app.name if config is not None else APP_NAME} — launch readiness",
        interrupted=interrupted,
        output_files=tuple(output_files))


class _AbandoningExecutor(ThreadPoolExecutor):
    """The run's thread pool; after Ctrl-C, closing it does not wait for a scan thread that
    cannot be cancelled (a history scan mid-commit), so the partial report comes out now."""

    abandon = False

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait and not self.abandon, cancel_futures=cancel_futures)


def _abandon_threads_on_interrupt(*, now: bool = False) -> None:
    loop = asyncio.get_running_loop()
    if now:
        executor = getattr(loop, "_launchready_executor", None)
        if isinstance(executor, _AbandoningExecutor):
            executor.abandon = True
        return
    if getattr(loop, "_launchready_executor", None) is None:
        executor = _AbandoningExecutor(thread_name_prefix="launchready")
        loop.set_default_executor(executor)
        setattr(loop, "_launchready_executor", executor)  # noqa: B010 - one per loop


def default_families() -> list[CheckFamily[Any]]:
    """One instance of every built-in family (the registry is imported on first use, so a
    command that runs only its own families does not load every check module)."""
    from launchready.checks.registry import families  # noqa: PLC0415 - loaded on use

    return families()


def run_audit(config: Config | None, **kwargs: Any) -> Report:
    """Synchronous wrapper around :func:`arun_audit`."""
    return asyncio.run(arun_audit(config, **kwargs))
