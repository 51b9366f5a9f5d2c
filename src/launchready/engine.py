"""Run check families concurrently, each under its own timeout and a whole-run deadline.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from launchready._version import __version__
from launchready.checks.base import CheckFamily, Context, Outcome
from launchready.config.models import Config
from launchready.errors import ConfigError, LaunchreadyError, ProbeTimeout, UsageError
from launchready.model import (
    CheckResult,
    CheckStatus,
    ErrorReason,
    Finding,
    Measurement,
    Report,
    Table,
)
from launchready.probes import Probes
from launchready.rank import rank, score, summarize

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


async def _run_family(family: CheckFamily[Any], ctx: Context, timeout: float) -> _FamilyRun:
    started = time.perf_counter()

    def done(outcome: Outcome | None, status: CheckStatus, reason: str | None,
             why: ErrorReason | None = None, trace: str | None = None) -> _FamilyRun:
        return _FamilyRun(family=family, outcome=outcome, status=status, reason=reason,
                          why=why, trace=trace,
                          duration_ms=int((time.perf_counter() - started) * 1000))

    reason = family.skip_reason(ctx)
    if reason is not None:
        return done(None, CheckStatus.SKIPPED, reason)
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
                               error=reason if failed else None,
                               reason=(why or default_reason(run.family)) if failed else None,
                               trace=trace if failed else None))
    return out


async def arun_audit(
    config: Config,
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
    """Run every selected check family concurrently and build the ranked report."""
    started_at = datetime.now(UTC)
    sel = selection or Selection()
    fams = list(families) if families is not None else default_families()
    own_probes = probes is None
    run_probes = probes or Probes.from_network(config.network)
    per_check = check_timeout or max(config.network.timeout * 6, 30.0)
    ctx = Context(config=config, probes=run_probes,
                  environ=os.environ if environ is None else environ,
                  now=now or started_at, timeout=config.network.timeout)
    picked = [(f, [r for r in f.rule_ids if sel.wants(r)]) for f in fams]
    picked = [(f, ids) for f, ids in picked if ids]
    total = len(picked)
    finished = 0

    async def one(family: CheckFamily[Any]) -> _FamilyRun:
        nonlocal finished
        result = await _run_family(family, ctx, family.time_budget(ctx) or per_check)
        finished += 1
        if progress is not None:
            progress(type(family).__name__, finished, total)
        return result

    try:
        tasks = [asyncio.ensure_future(one(f)) for f, _ in picked]
        longest = max((f.time_budget(ctx) or 0.0 for f, _ in picked), default=0.0)
        done, pending = await asyncio.wait(tasks, timeout=max(deadline, longest + 30)) \
            if tasks else (set(), set())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        if own_probes:
            await run_probes.aclose()

    findings: list[Finding] = []
    measurements: list[Measurement] = []
    tables: list[Table] = []
    checks: list[CheckResult] = []
    notes: list[str] = []
    for task, (family, ids) in zip(tasks, picked, strict=True):
        if task in done and not task.cancelled():
            run = task.result()
        else:
            run = _FamilyRun(family=family, outcome=None, status=CheckStatus.ERROR,
                             reason=f"run deadline of {deadline:g}s reached", duration_ms=0,
                             why=ErrorReason.TIMEOUT)
        fam_findings: list[Finding] = []
        if run.outcome is not None:
            wanted = set(ids)
            for f in run.outcome.findings:
                if f.rule_id in wanted:
                    fam_findings.append(dataclasses.replace(
                        f, suppressed=f.suppressed or f.fingerprint in suppress))
            measurements.extend(run.outcome.measurements)
            tables.extend(run.outcome.tables)
        if run.status is CheckStatus.SKIPPED and run.reason:
            notes.append(f"skipped {', '.join(ids)}: {run.reason}")
        if run.outcome is not None:
            notes.extend(f"skipped {rid}: {why}" for rid, why in run.outcome.skipped.items()
                         if rid in ids)
        findings.extend(fam_findings)
        checks.extend(_results(run, ids, fam_findings))
    ranked = rank(findings)
    checks.sort(key=lambda c: c.id)
    return Report(
        tool_version=__version__, started_at=started_at, finished_at=datetime.now(UTC),
        score=score(ranked), summary=summarize(ranked), checks=tuple(checks),
        findings=ranked, measurements=tuple(measurements), tables=tuple(tables),
        title=f"{config.app.name} — launch readiness", notes=tuple(notes))


def default_families() -> list[CheckFamily[Any]]:
    """One instance of every built-in family (the registry is imported on first use, so a
    command that runs only its own families does not load every check module)."""
    from launchready.checks.registry import families  # noqa: PLC0415 - loaded on use

    return families()


def run_audit(config: Config, **kwargs: Any) -> Report:
    """Synchronous wrapper around :func:`arun_audit`."""
    return asyncio.run(arun_audit(config, **kwargs))
