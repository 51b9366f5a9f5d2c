"""DEPLOY001–DEPLOY003 — the production build from a clean checkout of HEAD.

What: HEAD is checked out into a temporary folder (never the working tree), dependencies are
installed from the lockfile (``npm ci``, ``pnpm install --frozen-lockfile``, ``yarn install
--immutable``, ``uv sync --frozen``, ``poetry install``, ``pip install -r``), and the production
build runs with only the production environment (the env file) and process basics. DEPLOY001:
that build fails (the log's last error lines are the evidence, secrets masked). DEPLOY002: it
fails clean but passes once the working tree's untracked or ignored files are copied in (the
files it needed are named). DEPLOY003: the public output ships source maps, localhost /
preview / staging URLs or debug flags. Each entry file's size is in the "Build output" table.

Why: "works on my laptop" is often a file that was never committed, a value only the
developer's shell has, or a bundle that calls ``http://localhost:3000`` in front of a buyer.

Fix: commit the missing file (or generate it in the build), set the variable on the platform,
turn off production source maps (``build.sourcemap = false`` in Vite,
``productionBrowserSourceMaps: false`` in Next.js) and read URLs from the production env.

Pass: ``npm ci && npm run build`` succeeds in the clean checkout and ``dist/`` has no ``.map``.
Fail: the build imports ``src/config.local.js``, which ``.gitignore`` lists.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from launchready.build.detect import BuildPlan, detect_plan
from launchready.build.environment import production_environment
from launchready.build.output import OutputFacts, scan_output
from launchready.build.session import BuildRun, Progress, build_session
from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.config.models import Config
from launchready.config.types import parse_duration
from launchready.model import Finding, Table

_FIX_MAPS = ("Turn production source maps off (Vite: build.sourcemap = false; Next.js: "
             "productionBrowserSourceMaps: false; webpack: devtool: false), or upload them "
             "to the error tracker and delete them from the output before deploying.")
_FIX_URLS = ("Read the URL from a production variable (e.g. VITE_API_URL) set to the "
             "production host, and rebuild.")
_FIX_DEBUG = ("Derive the flag from the build mode (import.meta.env.PROD / NODE_ENV) or "
              "remove it from the production env, and rebuild.")


@dataclass(frozen=True, kw_only=True)
class BuildObservations:
    """A clean build and the facts about its output (taken while the checkout existed)."""

    run: BuildRun
    output: OutputFacts | None
    output_name: str | None


def project_of(config: Config) -> Path:
    """The project folder: ``[build] path`` read against the config's folder, or that folder."""
    base = config.base_dir.resolve()
    sub = config.build.path if config.build else None
    return (base / sub).resolve() if sub else base


def build_timeout(config: Config) -> float:
    """The build's own time budget (``[build] timeout``)."""
    return parse_duration(config.build.timeout if config.build else "5m")


def plan_for(config: Config) -> BuildPlan | None:
    """What the build runs (None when nothing builds and no command is configured)."""
    return detect_plan(project_of(config), config.build)


def allowed_hosts(config: Config) -> frozenset[str]:
    """Hosts the output may name: the app's own."""
    hosts = {urlsplit(config.app.canonical or "").hostname or ""}
    if config.app.domain:
        hosts |= {config.app.domain, f"www.{config.app.domain}"}
    return frozenset(h.lower() for h in hosts if h)


def observe(run: BuildRun, config: Config) -> BuildObservations:
    """Facts about a finished run, read while its checkout still exists."""
    facts = None
    if run.output_dir is not None:
        facts = scan_output(run.output_dir, allowed_hosts=allowed_hosts(config))
    return BuildObservations(run=run, output=facts, output_name=run.plan.output)


class CleanBuildChecks(CheckFamily[BuildObservations]):
    """The clean production build and what it ships."""

    rule_ids = ("DEPLOY001", "DEPLOY002", "DEPLOY003")
    network = True  # the install reaches the package registry

    def __init__(self, *, observations: BuildObservations | None = None,
                 env_file: str | None = None, progress: Progress | None = None) -> None:
        self.observations = observations
        self.env_file = env_file
        self.progress = progress

    def time_budget(self, ctx: Context) -> float | None:
        return build_timeout(ctx.config) + 60.0

    def skip_reason(self, ctx: Context) -> str | None:
        if self.observations is not None:
            return None
        if ctx.config.build is None:
            return "no [build] section"
        if plan_for(ctx.config) is None:
            return "no build detected (no package.json build or pyproject build backend); " \
                   "set [build] command"
        return None

    async def gather(self, ctx: Context) -> BuildObservations:
        if self.observations is not None:
            return self.observations
        plan = plan_for(ctx.config)
        assert plan is not None  # noqa: S101 - skip_reason said so
        project = project_of(ctx.config)
        production = production_environment(ctx.config, self.env_file)
        async with build_session(project=project, plan=plan,
                                 production=production, timeout=build_timeout(ctx.config),
                                 progress=self.progress) as run:
            return await asyncio.to_thread(observe, run, ctx.config)

    def evaluate(self, obs: BuildObservations, ctx: Context) -> Outcome:
        run = obs.run
        findings: list[Finding] = []
        phases = Table(title="Clean build", columns=("phase", "command", "result", "seconds"),
                       rows=(*((p.name, p.command,
                                "timed out" if p.timed_out else f"exit {p.returncode}",
                                f"{p.seconds:.1f}") for p in run.phases),
                             ("log", str(run.log), f"commit {run.commit[:12]}", "")))
        tables = [phases]
        skipped: dict[str, str] = {}
        failed = run.failed_phase
        reason = None
        if failed is not None and run.unreachable:
            reason = (f"the install could not reach its package registry ({run.unreachable}); "
                      f"see {run.log}")
        elif failed is not None and run.missing_tool:
            what = ("cannot be run by this user" if failed.returncode == 126  # sh: not executable
                    else "is not installed on this machine")
            reason = f"`{run.missing_tool}` {what}; see {run.log}"
        if reason is not None:
            # the machine could not build: that says nothing about the product
            return Outcome(tables=tuple(tables), errors=dict.fromkeys(self.rule_ids, reason))
        if failed is not None and run.needed_files:
            names = ", ".join(run.needed_files[:10])
            findings.append(make_finding(
                meta("DEPLOY002"), target=f"{run.plan.framework} build ({failed.name})",
                identity=",".join(sorted(run.needed_files)),
                evidence=f"`{failed.command}` fails in a clean checkout of "
                         f"{run.commit[:12]} and passes with these files git does not track: "
                         f"{names}. Clean build: " + " | ".join(run.log_tail[-3:]),
                impact="The deploy platform builds from git: the production build fails, or "
                       "ships without what these files provide.",
                fix=f"Commit {names} (without secrets), generate them in the build script, or "
                    "move their values into the platform's environment; then run "
                    "`launchready build` again."))
        elif failed is not None:
            what = "timed out" if failed.timed_out else f"exit {failed.returncode}"
            findings.append(make_finding(
                meta("DEPLOY001"), target=f"{run.plan.framework} build ({failed.name})",
                identity=failed.name,
                evidence=f"`{failed.command}` {what} in a clean checkout of "
                         f"{run.commit[:12]}: " + " | ".join(run.log_tail),
                impact="The next deploy fails (or keeps serving an old build) right when a "
                       "fix has to go out.",
                fix=f"Reproduce it: `launchready build`, read {run.log}, fix the error, "
                    "commit, and build again; keep the lockfile committed."))
        if failed is not None:
            skipped["DEPLOY003"] = "the clean build did not finish: no output to scan"
        elif obs.output is None:
            skipped["DEPLOY003"] = (f"the build wrote no {obs.output_name}/" if obs.output_name
                                    else "no public output directory ([build] output)")
        else:
            findings.extend(self._shipped(obs.output, obs.output_name or "output"))
            tables.append(self._sizes(obs.output, ctx))
        return Outcome(findings=tuple(findings), tables=tuple(tables), skipped=skipped)

    @staticmethod
    def _shipped(facts: OutputFacts, name: str) -> list[Finding]:
        out = []
        for item in facts.shipped:
            files = ", ".join(item.files[:5]) + (f" (+{len(item.files) - 5} more)"
                                                 if len(item.files) > 5 else "")
            fix = (_FIX_MAPS if item.kind == "source map" else _FIX_DEBUG
                   if item.kind == "debug flag" else _FIX_URLS)
            impact = {"source map": "Anyone can read the original source code, comments and "
                                    "any value inlined into it.",
                      "debug flag": "Debug code paths (verbose errors, test switches) run for "
                                    "every buyer."}.get(
                item.kind, "The production app calls a machine buyers cannot reach (or a "
                           "preview with other data) and breaks on the production URL.")
            out.append(make_finding(
                meta("DEPLOY003"), target=f"{name}/", identity=f"{item.kind}:{item.value}",
                title=f"{meta('DEPLOY003').title}: {item.kind}",
                evidence=f"{item.kind} ({item.value}) in {files}", impact=impact, fix=fix))
        return out

    @staticmethod
    def _sizes(facts: OutputFacts, ctx: Context) -> Table:
        budget = ctx.config.build.budget_kb if ctx.config.build else None
        rows = []
        for e in facts.entries[:30]:
            state = "" if budget is None else (
                "over budget" if e.bytes > budget * 1024 else "within budget")
            rows.append((e.path, f"{e.bytes / 1024:.1f}", f"{e.gzip_bytes / 1024:.1f}", state))
        return Table(title="Build output (entry files)",
                     columns=("file", "KiB", "gzip KiB",
                              f"budget {budget:g} KiB" if budget else "budget"),
                     rows=tuple(rows))
