"""SEC003 — a secret in a built frontend bundle, a source map, or a page served to browsers.

What: the build directories (``[secrets] bundles``, e.g. ``dist``, ``.next/static``) and, when
``app.canonical`` is set, the live page: its inline scripts and env blobs (``__NEXT_DATA__``),
its same-origin scripts, and their source maps' ``sourcesContent``. Publishable keys
(``pk_live_``) are meant for browsers and are not findings.

Why: every visitor downloads the bundle; a secret key there can be used by anyone (a Stripe
``sk_live_`` key charges, refunds and reads every customer).

Fix: rotate the key, move the call that needs it to the server, and keep only publishable
values under client prefixes (``NEXT_PUBLIC_``, ``VITE_``). When an env file or the process
environment is available the finding names the variable: "the value of STRIPE_SECRET_KEY is
in static/js/app.4f2a.js".

Pass: ``publishableKey:"pk_live_..."``. Fail: ``secretKey:"sk_live_..."`` in ``app.js``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from launchready.checks.base import CheckFamily, Context, Outcome
from launchready.checks.secrets.common import (
    attribution_for,
    secret_finding,
    skipped_table,
)
from launchready.model import Finding, Table
from launchready.secrets.attribution import build_index, env_files_near
from launchready.secrets.bundles import BundleScan, crawl, scan_bundle_dirs
from launchready.secrets.scanner import Scanner


@dataclass(frozen=True, kw_only=True)
class BundleObservations:
    """Scans of build directories and live pages, and the env-variable hash index."""

    scans: tuple[BundleScan, ...]
    index: dict[str, str]


class BundleSecrets(CheckFamily[BundleObservations]):
    """Secrets shipped to browsers."""

    rule_ids = ("SEC003",)
    network = True

    def __init__(self, *, dirs: list[str] | None = None, urls: list[str] | None = None,
                 env_files: list[str] | None = None) -> None:
        self.dirs = dirs
        self.urls = urls
        self.env_files = env_files

    def _dirs(self, ctx: Context) -> list[Path]:
        if self.dirs is not None:
            return [Path(d) for d in self.dirs]
        conf = ctx.config.secrets
        return [ctx.config.base_dir / d for d in (conf.bundles if conf else [])]

    def _urls(self, ctx: Context) -> list[str]:
        if self.urls is not None:
            return self.urls
        if ctx.config.secrets is not None and ctx.config.app.canonical:
            return [ctx.config.app.canonical]
        return []

    def skip_reason(self, ctx: Context) -> str | None:
        if not self._dirs(ctx) and not self._urls(ctx):
            return "no bundle directories ([secrets] bundles) or live URL (app.canonical)"
        return None

    async def gather(self, ctx: Context) -> BundleObservations:
        scanner = Scanner()
        scans: list[BundleScan] = []
        dirs = self._dirs(ctx)
        if dirs:
            scans.append(await asyncio.to_thread(scan_bundle_dirs, dirs, scanner))
        for url in self._urls(ctx):
            scans.append(await crawl(ctx.probes.http, url, scanner))
        extra = list(self.env_files or [])
        if ctx.config.env is not None and ctx.config.env.environment_file:
            extra.append(ctx.config.env.environment_file)
        files = env_files_near(ctx.config.base_dir, extra)
        index = await asyncio.to_thread(build_index, ctx.environ, files)
        return BundleObservations(scans=tuple(scans), index=index)

    def evaluate(self, obs: BundleObservations, ctx: Context) -> Outcome:
        findings: list[Finding] = []
        seen: set[tuple[str, str, str]] = set()
        tables: list[Table] = []
        errors: list[str] = []
        for scan in obs.scans:
            errors.extend(scan.errors)
            for hit in scan.hits:
                where = hit.where if hit.source is None else f"{hit.where} -> {hit.source}"
                key = (hit.match.rule.id, where, hit.match.hash)
                if key in seen or hit.match.ignored_for("SEC003"):
                    continue
                seen.add(key)
                findings.append(secret_finding(
                    "SEC003", where=where, match=hit.match,
                    attribution=attribution_for(obs.index, hit.match),
                    location_path=hit.where,
                    impact="Every visitor's browser downloads this credential; anyone can "
                           "copy it from the bundle and use it.",
                    fix_extra="Then move the code that needs it behind your server API and "
                              "keep only publishable keys in client code."))
            table = skipped_table("Bundle files not scanned", scan.skipped)
            if table is not None:
                tables.append(table)
        scanned_any = any(s.scanned for s in obs.scans)
        errs = {"SEC003": "; ".join(errors[:3])} if errors and not scanned_any else {}
        cut = [c for scan in obs.scans for c in scan.incomplete]
        if cut:
            # a prefix that holds no secret says nothing about the rest: never a pass
            errs["SEC003"] = "incomplete: " + "; ".join(cut[:3])
        if errors and scanned_any:
            tables.append(Table(title="Bundle fetch problems", columns=("problem",),
                                rows=tuple((e,) for e in errors[:20])))
        return Outcome(findings=tuple(findings), tables=tuple(tables), errors=errs)
