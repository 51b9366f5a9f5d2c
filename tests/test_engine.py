"""The engine: concurrency, timeouts, crashing checks, selection, baselines and ranking."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import CATALOG, meta
from launchready.config.models import Config
from launchready.engine import Selection, arun_audit
from launchready.errors import ConfigError, ProbeError, ProbeTimeout
from launchready.model import CheckStatus, ErrorReason, Finding, FixWindow, Severity
from launchready.probes import Probes
from launchready.rank import rank, score, summarize
from launchready.report import Format, render


class Fixed(CheckFamily[None]):
    """Yields one finding per (rule, target) it is given."""

    def __init__(self, *pairs: tuple[str, str], delay: float = 0.0) -> None:
        self.pairs = pairs
        self.rule_ids = tuple(dict.fromkeys(r for r, _ in pairs))
        self.delay = delay

    def skip_reason(self, ctx: Context) -> str | None:
        return None

    async def gather(self, ctx: Context) -> None:
        await asyncio.sleep(self.delay)

    def evaluate(self, obs: None, ctx: Context) -> Outcome:
        return Outcome(findings=tuple(
            make_finding(meta(r), target=t, evidence="e", impact="i", fix="f", identity=t)
            for r, t in self.pairs))


class Crashing(Fixed):
    async def gather(self, ctx: Context) -> None:
        raise KeyError("secret-value-must-not-leak")


class Skipping(Fixed):
    def skip_reason(self, ctx: Context) -> str | None:
        return "no [dns] section"


def audit(*families: CheckFamily[Any], **kwargs: Any) -> Any:
    async def go() -> Any:
        probes = Probes.from_network(Config().network)
        try:
            return await arun_audit(Config(), families=families, probes=probes, **kwargs)
        finally:
            await probes.aclose()
    return asyncio.run(go())


def test_crashing_check_is_an_error_not_a_crash() -> None:
    report = audit(Crashing(("DNS001", "x")), Fixed(("TLS002", "https://a/")))
    by_id = {c.id: c for c in report.checks}
    assert by_id["DNS001"].status is CheckStatus.ERROR
    assert by_id["DNS001"].error == "bug: KeyError in Crashing"
    assert "secret-value" not in str(report)
    assert by_id["TLS002"].status is CheckStatus.FAIL


def test_slow_check_times_out_and_others_finish() -> None:
    report = audit(Fixed(("DNS001", "slow"), delay=5), Fixed(("TLS002", "fast")),
                   check_timeout=0.2)
    by_id = {c.id: c for c in report.checks}
    assert by_id["DNS001"].status is CheckStatus.ERROR
    assert "timeout" in (by_id["DNS001"].error or "")
    assert [f.target for f in report.findings] == ["fast"]


def test_checks_run_concurrently() -> None:
    fams = [Fixed((f"DNS00{i}", "t"), delay=0.3) for i in range(1, 6)]
    report = audit(*fams)
    elapsed = (report.finished_at - report.started_at).total_seconds()
    assert elapsed < 1.2  # five 0.3 s checks, not 1.5 s in a row


def test_skip_and_selection() -> None:
    report = audit(Skipping(("DNS001", "x")), Fixed(("TLS002", "a"), ("TLS003", "a")),
                   selection=Selection(only=("TLS", "DNS"), skip=("TLS003",)))
    assert {c.id: c.status for c in report.checks} == {
        "DNS001": CheckStatus.SKIPPED, "TLS002": CheckStatus.FAIL}
    skipped = next(c for c in report.checks if c.id == "DNS001")
    assert skipped.error is not None and "no [dns] section" in skipped.error
    assert not report.notes  # listed once, on the check, not again as a note


def test_baseline_suppresses_by_fingerprint() -> None:
    first = audit(Fixed(("TLS002", "a"), ("TLS003", "b")))
    known = frozenset({first.findings[0].fingerprint})
    second = audit(Fixed(("TLS002", "a"), ("TLS003", "b")), suppress=known)
    assert second.summary.suppressed == 1
    assert [f.suppressed for f in second.findings].count(True) == 1
    assert second.score > first.score


def _finding(rule: str, sev: Severity, window: FixWindow, effort: int, target: str) -> Finding:
    base = make_finding(meta(rule), target=target, evidence="", impact="", fix="",
                        severity=sev, effort_minutes=effort, identity=target)
    return Finding(**{**base.__dict__, "fix_window": window})


def test_ranking_rule() -> None:
    findings = [
        _finding("WEB004", Severity.LOW, FixWindow.LATER, 5, "l"),
        _finding("TLS006", Severity.MEDIUM, FixWindow.H48, 60, "m-slow"),
        _finding("TLS006", Severity.MEDIUM, FixWindow.H48, 5, "m-quick"),
        _finding("TLS006", Severity.MEDIUM, FixWindow.LATER, 1, "m-later"),
        _finding("SEC001", Severity.CRITICAL, FixWindow.H48, 30, "c"),
    ]
    assert [f.target for f in rank(findings)] == ["c", "m-quick", "m-slow", "m-later", "l"]
    assert rank(findings) == rank(reversed(findings))  # total, deterministic order


@pytest.mark.parametrize(("sevs", "expected"), [
    ([], 100), ([Severity.CRITICAL], 75), ([Severity.HIGH], 88), ([Severity.MEDIUM], 95),
    ([Severity.LOW], 99),
    # one rule: the n-th finding weighs 1/n (10 + 1/2 = 10.5)
    ([Severity.HIGH, Severity.LOW], 88),
    # 25 × (1 + 1/2 + 1/3 + 1/4 + 1/5) = 57.1 -> 75 / 132.1
    ([Severity.CRITICAL] * 5, 57), ([Severity.INFO] * 3, 100),
], ids=["none", "critical", "high", "medium", "low", "high+low", "5-critical-one-rule", "info"])
def test_score(sevs: list[Severity], expected: int) -> None:
    findings = [_finding("TLS002", s, FixWindow.H48, 10, str(i)) for i, s in enumerate(sevs)]
    assert score(findings) == expected
    assert summarize(findings).count(Severity.CRITICAL) == sevs.count(Severity.CRITICAL)


def test_score_stays_informative_for_a_broken_app() -> None:
    # Given 30 distinct rules failing (10 critical, 20 high), When the worst are fixed one by
    # one, Then the score never sits at 0 and rises with every fix
    rules = [m.id for m in CATALOG[:30]]
    findings = [_finding(r, Severity.CRITICAL if n < 10 else Severity.HIGH, FixWindow.H48, 10,
                         r) for n, r in enumerate(rules)]
    scores = [score(findings[k:]) for k in range(len(findings) + 1)]
    assert 0 < scores[0] < 20
    assert scores == sorted(scores) and len(set(scores[:12])) == 12
    assert scores[-1] == 100


class Raising(Fixed):
    """Raises the given exception while gathering."""

    def __init__(self, exc: BaseException, *pairs: tuple[str, str]) -> None:
        super().__init__(*pairs)
        self.exc = exc

    async def gather(self, ctx: Context) -> None:
        raise self.exc


class Reporting(Fixed):
    """Reports every rule as not judged, optionally with its own reason."""

    def __init__(self, *pairs: tuple[str, str], network: bool,
                 reasons: dict[str, ErrorReason] | None = None) -> None:
        super().__init__(*pairs)
        self.network = network
        self.reasons = reasons or {}

    def evaluate(self, obs: None, ctx: Context) -> Outcome:
        return Outcome(errors=dict.fromkeys(self.rule_ids, "could not look"),
                       reasons=self.reasons)


@pytest.mark.parametrize(("family", "reason"), [
    (Raising(ConfigError("bad key", key="perf.baseline"), ("PERF003", "x")), ErrorReason.USAGE),
    (Raising(ProbeTimeout("slow"), ("DNS001", "x")), ErrorReason.TIMEOUT),
    (Raising(ProbeError("refused"), ("DNS001", "x")), ErrorReason.CONNECTIVITY),
    (Fixed(("DNS001", "slow"), delay=5), ErrorReason.TIMEOUT),
    (Reporting(("DNS001", "x"), network=True), ErrorReason.CONNECTIVITY),
    (Reporting(("SEC002", "x"), network=False), ErrorReason.INCOMPLETE_INPUT),
    (Reporting(("PERF003", "x"), network=True, reasons={"PERF003": ErrorReason.USAGE}),
     ErrorReason.USAGE),
], ids=["config-error", "probe-timeout", "probe-error", "family-timeout", "network-family",
        "local-family", "own-reason"])
def test_every_errored_check_has_a_reason(family: CheckFamily[Any], reason: ErrorReason) -> None:
    report = audit(family, check_timeout=0.2)
    (check,) = report.checks
    assert check.status is CheckStatus.ERROR
    assert check.reason is reason
    assert check.trace is None


def test_a_crash_keeps_its_trace_but_not_its_message() -> None:
    report = audit(Crashing(("DNS001", "x")), Fixed(("TLS002", "https://a/")))
    by_id = {c.id: c for c in report.checks}
    crashed = by_id["DNS001"]
    assert crashed.reason is ErrorReason.BUG
    assert crashed.trace is not None
    assert "in gather" in crashed.trace and "test_engine.py" in crashed.trace
    assert crashed.trace.endswith("KeyError (message withheld)")
    assert "secret-value" not in crashed.trace
    assert by_id["TLS002"].reason is None and by_id["TLS002"].trace is None
    # the JSON report carries both beside SPEC §4's "error"
    checks = {c["id"]: c for c in json.loads(render(report, Format.JSON))["checks"]}
    assert checks["DNS001"]["reason"] == "bug" and checks["DNS001"]["trace"] == crashed.trace
    assert checks["TLS002"]["reason"] is None and checks["TLS002"]["error"] is None
