"""DEPLOY004–DEPLOY005 — can a bad deploy be undone?

What: DEPLOY004 reads the pending migrations (those not in the last release tag, or all when
there is none) without running them: Alembic revisions whose ``downgrade()`` is missing or
only ``pass``, Django ``RunPython``/``RunSQL`` without a reverse, and Prisma, Drizzle, Knex,
Rails and Laravel migrations that drop tables or columns, add NOT NULL without a default, or
rename in place. DEPLOY005: no release tag to go back to and no ``[build] rollback`` command.

Why: when a deploy breaks login or billing in front of a buyer, the way out is to put the
previous release back. A migration without a way down, or one that already dropped the data,
turns a two-minute rollback into a restore from backup.

Fix: write the downgrade (or ``reverse_code=``/``reverse_sql=``), split destructive changes
into expand (add, backfill) and a later contract (drop) release; tag every release (``git tag
-a v1.4.0``) and record the platform's rollback command under ``[build] rollback``.

Pass: ``def downgrade(): op.add_column(...)``. Fail: ``def downgrade(): pass``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from launchready.build.migrations import MigrationProblem, analyze, migration_files
from launchready.build.rollback import GIT_REVERT, RollbackFacts, gather_rollback
from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.deploy.build import project_of
from launchready.model import Finding

_FIXES = {
    "no downgrade": "Write the downgrade (the exact inverse of upgrade), and test it: "
                    "`alembic downgrade -1` on a copy of the database.",
    "irreversible step": "Give the step its way back: RunPython(forward, reverse_code=...) "
                         "or RunSQL(sql, reverse_sql=...); RunPython.noop when there is "
                         "nothing to undo.",
    "drops data": "Split it: this release stops using the column or table (expand), a later "
                  "release drops it once the rollback window has passed (contract); back up "
                  "first.",
    "NOT NULL without a default": "Add the column nullable (or with a DEFAULT), backfill, then "
                                  "set NOT NULL in a later release: the previous release "
                                  "still inserts rows without it.",
    "rename in place": "Add the new name, write to both, switch reads, drop the old name in a "
                       "later release: the previous release still uses the old name.",
}


@dataclass(frozen=True, kw_only=True)
class RollbackObservations:
    """Pending migration problems and what the repository records about going back."""

    problems: tuple[MigrationProblem, ...]
    migrations: int
    facts: RollbackFacts


def _gather(ctx: Context) -> RollbackObservations:
    project = project_of(ctx.config)
    facts = gather_rollback(project)
    dirs = ctx.config.build.migrations if ctx.config.build else None
    problems: list[MigrationProblem] = []
    count = 0
    for path, rel in migration_files(project, dirs):
        if not facts.pending(rel):
            continue
        count += 1
        problems.extend(analyze(path, rel))
    return RollbackObservations(problems=tuple(problems), migrations=count, facts=facts)


class RollbackChecks(CheckFamily[RollbackObservations]):
    """Pending migrations that cannot be undone, and the recorded way back."""

    rule_ids = ("DEPLOY004", "DEPLOY005")
    network = False

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.build is not None else "no [build] section"

    async def gather(self, ctx: Context) -> RollbackObservations:
        return await asyncio.to_thread(_gather, ctx)

    def evaluate(self, obs: RollbackObservations, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        since = (f"since {obs.facts.last_tag}" if obs.facts.last_tag
                 else "(no release tag: every migration counts as pending)")
        grouped: dict[tuple[str, str], list[MigrationProblem]] = {}
        for p in obs.problems:
            grouped.setdefault((p.path, p.problem), []).append(p)
        for (path, problem), items in grouped.items():
            first = items[0]
            steps = "; ".join(dict.fromkeys(
                f"{i.detail} (line {i.line})" for i in items[:6]))
            more = f" and {len(items) - 6} more" if len(items) > 6 else ""
            findings.append(make_finding(
                meta("DEPLOY004"), target=f"{path}:{first.line}",
                identity=f"{path}:{problem}",
                title=f"{meta('DEPLOY004').title}: {problem}",
                evidence=f"{first.tool} migration pending {since}: {steps}{more}",
                impact="Rolling back the deploy leaves the database in a shape the previous "
                       "release cannot use, or the data is already gone.",
                fix=_FIXES[problem]))
        recorded = ctx.config.build.rollback if ctx.config.build else None
        skipped: dict[str, str] = {}
        if obs.migrations == 0:
            skipped["DEPLOY004"] = "no pending migrations found"
        if not recorded and obs.facts.last_tag is None:
            platform = obs.facts.platform or "the deploy target"
            command = obs.facts.platform_command or GIT_REVERT
            findings.append(make_finding(
                meta("DEPLOY005"), target=platform, identity=platform,
                evidence="no release tag reachable from HEAD and no [build] rollback command"
                         + ("" if obs.facts.in_git else " (the project is not in git)"),
                impact="When a deploy breaks auth or billing, nobody knows which build to put "
                       "back or how, and the outage lasts until a fix is written.",
                fix=f"Tag this release (`git tag -a v0.1.0 -m 'release' && git push --tags`) "
                    f"and record the way back in launchready.toml: [build] rollback = "
                    f"\"{command.split('  #')[0]}\"."))
        return Outcome(findings=tuple(findings), skipped=skipped)
