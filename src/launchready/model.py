"""The finding model: severities, stages, findings, check results and the report.

Everything here is a frozen, keyword-only dataclass with no I/O, so values can cross module
boundaries (checks -> engine -> rank -> renderers) without anyone mutating them.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime


class Severity(enum.StrEnum):
    """How bad a finding is; the order of members is the ranking order (worst first)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical ... 4 for info."""
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as bad as ``other`` or worse."""
        return self.rank <= other.rank


class Stage(enum.StrEnum):
    """The launch stage a check belongs to (SPEC §1)."""

    AUDIT = "audit"
    DNS_EMAIL = "dns-email"
    DEPLOY = "deploy"
    PERFORMANCE = "performance"
    RELIABILITY = "reliability"
    HANDOVER = "handover"


class FixWindow(enum.StrEnum):
    """When a finding should be fixed: inside the 48-hour plan, or later."""

    H48 = "48h"
    LATER = "later"


class CheckStatus(enum.StrEnum):
    """Outcome of one check ID in one run."""

    FAIL = "fail"
    PASS = "pass"  # noqa: S105 - a status name, not a password
    ERROR = "error"
    SKIPPED = "skipped"


class ErrorReason(enum.StrEnum):
    """Why a check could not run (``CheckResult.reason``), for tools that act on it."""

    CONNECTIVITY = "connectivity"  # the target or resolver did not answer usably
    TIMEOUT = "timeout"  # the check ran out of time
    USAGE = "usage"  # the config or a given file cannot be used as it stands
    BUG = "bug"  # launchready itself failed; ``CheckResult.trace`` says where
    INCOMPLETE_INPUT = "incomplete-input"  # what it had to read was partial (shallow history…)


@dataclass(frozen=True, kw_only=True)
class CheckMeta:
    """The permanent description of one check ID (see ``checks.catalog``)."""

    id: str
    title: str
    severity: Severity
    stage: Stage
    doc: str
    fix_window: FixWindow = FixWindow.H48
    effort_minutes: int = 15
    references: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Location:
    """A place in a file, for repository findings (SARIF carries it)."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        """``path``, ``path:line`` or ``path:line:column``."""
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}" + ("" if self.column is None else f":{self.column}")


def fingerprint_of(rule_id: str, target: str, identity: str) -> str:
    """Stable hash used by baselines; never contains the secret or value it describes."""
    digest = hashlib.sha256(f"{rule_id}\x00{target}\x00{identity}".encode()).hexdigest()
    return digest[:24]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem found by one check, in the shape of SPEC §4."""

    rule_id: str
    title: str
    severity: Severity
    stage: Stage
    target: str
    evidence: str
    impact: str
    fix: str
    fix_window: FixWindow
    effort_minutes: int
    fingerprint: str
    suppressed: bool = False
    references: tuple[str, ...] = ()
    location: Location | None = None
    #: what exactly was found, as a stable key for other code (e.g. the secret rule ID); not
    #: part of the JSON shape, and never a value that was found
    detail_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """Numbers behind a timing check, reported whether or not they produced a finding."""

    check: str
    target: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    model: str = "closed"


class TableKind(enum.StrEnum):
    """What a table holds, for code that reads it as data (the handover document): a table is
    found by its kind and subject, never by its title, and its columns are the family's
    ``*_COLUMNS`` constant."""

    DNS_RECORDS = "dns-records"  # the record map vs live (checks.dns.records)
    CNAME_CHAINS = "cname-chains"  # checks.dns.takeover
    NAMESERVERS = "nameservers"  # subject: the zone (checks.dns.provider)
    REDIRECT_MATRIX = "redirect-matrix"  # checks.web.matrix
    SPF_TREE = "spf-tree"  # subject: the domain (checks.mail.spf_lint)
    DKIM_SELECTORS = "dkim-selectors"  # subject: the domain (checks.mail.dkim)
    CERTIFICATES = "certificates"  # checks.tls.certificate


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table of facts a check contributes to the report (e.g. the TLS/redirect matrix)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: TableKind | None = None  # set on tables other code reads as data
    subject: str = ""  # the zone or domain the table is about, when it is about one


@dataclass(frozen=True, kw_only=True)
class OutputFile:
    """A file a check asks for once the run is over (the perf baseline): checks only judge, the
    command pipeline writes it, atomically, before the report is shown."""

    path: str
    text: str
    what: str  # how an error names it: "perf baseline"
    key: str  # the config key that named the path: "perf.save_baseline"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Outcome of one check ID: its status, timing and (for errors) the reason."""

    id: str
    status: CheckStatus
    duration_ms: int
    error: str | None = None
    reason: ErrorReason | None = None  # set exactly when status is ERROR
    trace: str | None = None  # where launchready failed, for reason BUG (no exception text)


@dataclass(frozen=True, kw_only=True)
class Summary:
    """Counts of unsuppressed findings per severity, plus the suppressed count."""

    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    info: int = 0
    suppressed: int = 0

    def count(self, severity: Severity) -> int:
        """Unsuppressed findings of exactly this severity."""
        return int(getattr(self, severity.value))


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """How many selected checks ran to a verdict, could not run, or had nothing to judge."""

    ran: int = 0
    errored: int = 0
    skipped: int = 0


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything one run produced; every renderer is a pure function of this."""

    tool_version: str
    started_at: datetime
    finished_at: datetime
    score: int
    summary: Summary
    checks: tuple[CheckResult, ...]
    findings: tuple[Finding, ...]  # already ranked
    measurements: tuple[Measurement, ...] = ()
    tables: tuple[Table, ...] = ()
    title: str = "launchready report"
    notes: tuple[str, ...] = field(default=())
    #: the run was stopped by Ctrl-C: what finished is reported, the rest is errored
    interrupted: bool = False
    output_files: tuple[OutputFile, ...] = ()  # for the pipeline to write; never rendered

    @property
    def unsuppressed(self) -> tuple[Finding, ...]:
        """Findings that count towards the score and the exit code."""
        return tuple(f for f in self.findings if not f.suppressed)

    @property
    def coverage(self) -> Coverage:
        """Checks that passed or failed (``ran``), errored, and were skipped."""
        statuses = [c.status for c in self.checks]
        errored = statuses.count(CheckStatus.ERROR)
        skipped = statuses.count(CheckStatus.SKIPPED)
        return Coverage(ran=len(statuses) - errored - skipped, errored=errored, skipped=skipped)

    @property
    def errored(self) -> tuple[CheckResult, ...]:
        """The selected checks that could not run, in report order."""
        return tuple(c for c in self.checks if c.status is CheckStatus.ERROR)

    @property
    def complete(self) -> bool:
        """True when every selected check ran and at least one did (SPEC §4 ``complete``).

        A run where every check was skipped checked nothing, so it is not complete either.
        """
        coverage = self.coverage
        return coverage.errored == 0 and coverage.ran > 0

    @property
    def nothing_checked(self) -> bool:
        """True when no selected check ran or even tried to (all skipped, or none selected)."""
        coverage = self.coverage
        return coverage.ran == 0 and coverage.errored == 0

    @property
    def plan_48h(self) -> tuple[Finding, ...]:
        """The 48-hour fix plan: unsuppressed findings whose window is 48h, in rank order."""
        return tuple(f for f in self.unsuppressed if f.fix_window is FixWindow.H48)
