"""What a check is: a family of rule IDs that gathers facts through probes, then judges them.

``gather`` is the only async, I/O-touching half (through ``ctx.probes``); ``evaluate`` is a pure
function of the observations, so tests can drive it with hand-made facts.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from launchready.model import (
    CheckMeta,
    ErrorReason,
    Finding,
    Location,
    Measurement,
    OutputFile,
    Severity,
    Table,
    fingerprint_of,
)

if TYPE_CHECKING:
    from launchready.config.models import Config
    from launchready.probes import Probes

Obs = TypeVar("Obs")


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a check may use: config, probes, environment and a fixed clock."""

    probes: Probes
    environ: Mapping[str, str]
    now: datetime
    timeout: float
    #: the config file's contents; None when the run has no config file
    loaded: Config | None = None

    @functools.cached_property
    def config(self) -> Config:
        """The run's config: the loaded one, else the defaults, built on first use — a run
        without a config file whose checks never ask (a secret scan of given paths) does
        not load the config models."""
        if self.loaded is not None:
            return self.loaded
        from launchready.config.models import Config  # noqa: PLC0415 - see the docstring

        return Config()


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a family's ``evaluate`` returns."""

    findings: tuple[Finding, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    tables: tuple[Table, ...] = ()
    # rule IDs the family could not judge this run (e.g. target unreachable), with the reason
    errors: Mapping[str, str] = field(default_factory=dict)
    # rule IDs with nothing to judge, found out only while gathering (e.g. never tested)
    skipped: Mapping[str, str] = field(default_factory=dict)
    # why an entry of ``errors`` could not be judged, where it is not the family's default
    # (connectivity for a network family, incomplete input for the others)
    reasons: Mapping[str, ErrorReason] = field(default_factory=dict)
    # files the run produces (the perf baseline), written by the command pipeline
    output_files: tuple[OutputFile, ...] = ()


class CheckFamily(abc.ABC, Generic[Obs]):
    """A small family of related rule IDs sharing one gather step."""

    #: the rule IDs this family can produce (each must be in the catalog)
    rule_ids: tuple[str, ...] = ()
    #: whether the family needs the network
    network: bool = True

    def time_budget(self, ctx: Context) -> float | None:
        """This family's own time limit when it needs more than the per-check timeout (a
        build); None for the run's per-check timeout."""
        return None

    @abc.abstractmethod
    def skip_reason(self, ctx: Context) -> str | None:
        """Why this family cannot run with this config (missing section/target), or None."""

    @abc.abstractmethod
    async def gather(self, ctx: Context) -> Obs:
        """Collect observations through ``ctx.probes``. The only place with I/O."""

    @abc.abstractmethod
    def evaluate(self, obs: Obs, ctx: Context) -> Outcome:
        """Judge the observations; pure."""


def make_finding(
    meta: CheckMeta,
    *,
    target: str,
    evidence: str,
    impact: str,
    fix: str,
    identity: str = "",
    severity: Severity | None = None,
    title: str | None = None,
    location: Location | None = None,
    effort_minutes: int | None = None,
    detail_key: str | None = None,
) -> Finding:
    """Build a finding from its catalog entry; ``identity`` keeps the fingerprint stable.

    The fingerprint depends on rule, target and identity only, never on evidence that changes
    from run to run (days left, latencies) and never on a secret value.
    """
    return Finding(
        rule_id=meta.id,
        title=title or meta.title,
        severity=severity or meta.severity,
        stage=meta.stage,
        target=target,
        evidence=evidence,
        impact=impact,
        fix=fix,
        fix_window=meta.fix_window,
        effort_minutes=meta.effort_minutes if effort_minutes is None else effort_minutes,
        fingerprint=fingerprint_of(meta.id, target, identity),
        references=meta.references,
        detail_key=detail_key,
        location=location,
    )
