"""SEC005, SEC007 — secrets and personal data in log files or a log stream.

What: SEC005 — any credential the secret rules know, including ``https://user:pass@host``
URLs, in a log line (plain, JSON-escaped, URL- or base64-encoded). SEC007 — e-mail addresses,
phone numbers, bearer tokens and session ids. Logs are streamed in blocks, so a 1 GB file is
scanned with flat memory.

Why: logs are shipped to third-party services and read by many people; a token in a log is a
token given to all of them, and personal data there is a privacy-law problem during a buyer's
security review.

Fix: rotate the secret; mask at the logger (a logging filter that replaces tokens and
``Authorization`` headers); log user ids instead of e-mail addresses.
``launchready logs --redact FILE`` writes a masked copy.

Pass: ``user=42 login ok``. Fail: ``Authorization: Bearer eyJ...`` or
``charge failed key=sk_live_...``.
"""

from __future__ import annotations

import asyncio
import glob
from dataclasses import dataclass
from pathlib import Path

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.secrets.common import attribution_for, secret_finding
from launchready.grammar import plural
from launchready.model import Finding, Location
from launchready.secrets.attribution import build_index, env_files_near
from launchready.secrets.logs import LogScan, scan_stream
from launchready.secrets.pii import PII_LABELS, PII_PLURALS
from launchready.secrets.redact import safe_path
from launchready.secrets.scanner import Scanner


def expand_log_paths(patterns: list[str], base: Path) -> list[Path]:
    """Files named by ``patterns`` (globs allowed, ``**`` recursive), relative to ``base``."""
    out: list[Path] = []
    for pat in patterns:
        full = pat if Path(pat).is_absolute() else str(base / pat)
        matches = sorted(glob.glob(full, recursive=True))
        out.extend(Path(m) for m in matches if Path(m).is_file())
    return out


def scan_log_file(path: Path, scanner: Scanner) -> LogScan:
    """Scan one log file; an unreadable file gives a scan with ``error`` set."""
    try:
        with path.open("rb") as fh:
            return scan_stream(fh, str(path), scanner)
    except OSError as exc:
        return LogScan(source=str(path), error=exc.strerror or str(exc))


@dataclass(frozen=True, kw_only=True)
class LogObservations:
    """Per-source scan results and the env-variable hash index."""

    scans: tuple[LogScan, ...]
    index: dict[str, str]


def log_findings(scans: tuple[LogScan, ...], index: dict[str, str]) -> list[Finding]:
    """Findings for scanned logs (also used by ``launchready logs``)."""
    findings: list[Finding] = []
    for scan in scans:
        for seen in scan.secrets.values():
            m = seen.match
            if m.ignored_for("SEC005"):
                continue
            times = f"; seen {seen.count} times" if seen.count > 1 else ""
            findings.append(secret_finding(
                "SEC005", where=scan.source, match=m, line=seen.line, detail=times,
                attribution=attribution_for(index, m),
                impact="Everyone and every service that reads these logs can use this "
                       "credential.",
                fix_extra="Then mask it at the logger (a logging filter or formatter that "
                          "replaces tokens and Authorization headers) and purge old log "
                          "copies."))
        for kind, pii in sorted(scan.pii.items()):
            label = PII_LABELS.get(kind, kind)
            findings.append(make_finding(
                meta("SEC007"), target=f"{safe_path(scan.source)}:{pii.line}",
                identity=f"{scan.source}:{kind}",
                title=f"{meta('SEC007').title}: {PII_PLURALS.get(kind, label)}",
                evidence=f"{plural(pii.count, label)}, first at line {pii.line}, e.g. "
                         f"{pii.example} (masked)",
                impact="Personal data in logs spreads to every log tool and reader, and "
                       "fails a buyer's privacy review.",
                fix=f"Mask {PII_PLURALS.get(kind, label)} in the logging formatter (log a "
                    "user id instead), set "
                    "a retention limit, and redact existing files with `launchready logs "
                    "--redact FILE`.",
                location=Location(path=scan.source, line=pii.line)))
    return findings


class LogSecrets(CheckFamily[LogObservations]):
    """Secrets and personal data in logs."""

    rule_ids = ("SEC005", "SEC007")
    network = False

    def __init__(self, *, paths: list[str] | None = None,
                 scans: tuple[LogScan, ...] | None = None) -> None:
        self.paths = paths
        self.scans = scans

    def skip_reason(self, ctx: Context) -> str | None:
        if self.paths is None and self.scans is None and not (
                ctx.config.secrets and ctx.config.secrets.logs):
            return "no log files configured ([secrets] logs)"
        return None

    async def gather(self, ctx: Context) -> LogObservations:
        base = ctx.config.base_dir
        files = env_files_near(base)
        index = await asyncio.to_thread(build_index, ctx.environ, files)
        if self.scans is not None:
            return LogObservations(scans=self.scans, index=index)
        patterns = self.paths if self.paths is not None else (
            ctx.config.secrets.logs if ctx.config.secrets else [])
        scanner = Scanner()
        paths = expand_log_paths(patterns, base)
        scans = [await asyncio.to_thread(scan_log_file, p, scanner) for p in paths]
        return LogObservations(scans=tuple(scans), index=index)

    def evaluate(self, obs: LogObservations, ctx: Context) -> Outcome:
        # one unreadable log is a log not scanned: never a pass for SEC005 or SEC007
        bad = [s for s in obs.scans if s.error]
        why = "; ".join(f"{safe_path(s.source)}: {s.error}" for s in bad[:3])
        errors = dict.fromkeys(self.rule_ids, why) if bad else {}
        skipped = {} if obs.scans else dict.fromkeys(self.rule_ids, "no log file matched")
        return Outcome(findings=tuple(log_findings(obs.scans, obs.index)), errors=errors,
                       skipped=skipped)
