"""ENV001–ENV008 — the environment contract: does the target environment hold what the code needs?

What: three sides are compared. *Declared*: ``[env] required`` and the keys of the project's
``.env.example`` (``.env.sample``/``.env.template``). *Read*: every variable the code reads,
found by parsers (Python ``ast``: ``os.environ[...]``, ``os.getenv``, ``os.environ.get``,
pydantic-settings fields; JS/TS tree-sitter: ``process.env.X``, ``process.env["X"]``,
``import.meta.env.X``, destructuring). *Target*: the environment being deployed — the file named
by ``--env-file``/``[env] environment_file`` (dotenv or a platform's JSON export, see
:mod:`launchready.envcontract.envfiles`), else the process environment.

* ENV001 — a required variable (``[env] required``, or read by code that raises when it is
  unset: ``os.environ["X"]``, a settings field without default, ``process.env.X!``) is missing
  or empty: critical, all reported at once, by name. A variable only declared in
  ``.env.example`` and missing is reported at medium. A value wrapped in quote characters, or
  with leading/trailing whitespace, is reported as "stray quotes or whitespace" (high): it is
  set, but not to what was meant.
* ENV002 — a variable under a public prefix (``NEXT_PUBLIC_``, ``VITE_`` …) holds a known secret
  format, a database URL, or is named like a secret: the bundler inlines it into JavaScript
  every visitor downloads.
* ENV003 — production and preview (``[env] preview_file``) hold the same secret or database URL
  (compared by SHA-256, never by value): a preview branch can read or wipe production data.
* ENV004 — production holds test/sandbox credentials (``sk_test_``, ``pk_test_``, PayPal sandbox,
  ``*_ENV=sandbox``): checkout "works" in the demo and no money moves.
* ENV005 — a production value points at localhost, a loopback/private/link-local address or a
  ``.local`` name: the deployed app cannot reach it.
* ENV006 — the code reads a variable that neither ``.env.example`` nor ``[env] required``
  declares (platform-provided names such as ``NODE_ENV``, ``PORT``, ``VERCEL_*`` are exempt).
* ENV007 — a secret is a placeholder (``changeme``, ``secret``, ``django-insecure-…``) or a
  signing key has fewer than 32 random bytes (estimated from its alphabet and entropy).
* ENV008 — debug mode in production: ``DEBUG``/``*_DEBUG`` truthy, ``NODE_ENV`` not
  ``production``, ``FLASK_ENV``/``APP_ENV`` = development.

Which rules apply depends on the environment name (``--environment``, else ``[app]
environment``): production (``production``/``prod``/``live``) gets all; preview/staging skip
ENV003–ENV005 and ENV008; development (``development``/``dev``/``local``/``test``) only gets
ENV001 and ENV006. From the process environment only contract variables are judged (declared,
read, or under a public prefix), so CI's own variables are not reported.

Why: a missing ``DATABASE_URL`` turns the first request of the demo into a 500; a secret under
``NEXT_PUBLIC_`` is readable by anyone who opens the developer tools.

Fix: each finding names the variable and the exact step (``vercel env add NAME production``,
``fly secrets set NAME=...``, ``openssl rand -base64 32``). Values are never shown: evidence
says what kind of value it is.

Pass: ``.env.production`` sets every required variable, ``NEXT_PUBLIC_`` holds only
publishable keys, ``SESSION_SECRET`` is 44 characters of ``openssl rand -base64 32``.
Fail: ``NEXT_PUBLIC_STRIPE_SECRET_KEY=sk_live_…`` (ENV002), ``STRIPE_SECRET_KEY=sk_test_…`` in
production (ENV004), ``DATABASE_URL`` missing (ENV001).

The report also gets a table "Environment contract" (variable → status: ok / missing / empty /
quoted / public-secret / shared-with-preview / test-key / local-address / weak-secret / debug /
undeclared / unused / set (value hidden)) and, when anything could not be read, a table of
skipped items (malformed dotenv lines, binary files, files with syntax errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.env import values as v
from launchready.config.models import EnvConfig
from launchready.envcontract.envfiles import from_environ, load_env_file
from launchready.envcontract.facts import (
    EnvRead,
    EnvSnapshot,
    EnvValue,
    ReadKind,
    Skipped,
    SourceScan,
)
from launchready.envcontract.scan import scan_tree
from launchready.errors import ProbeError
from launchready.model import Finding, Location, Severity, Table

PRODUCTION_NAMES = frozenset({"production", "prod", "live"})
DEVELOPMENT_NAMES = frozenset({"development", "dev", "local", "test"})
EXAMPLE_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist")

#: set by the runtime or the hosting platform, never expected in .env.example
PLATFORM_NAMES = frozenset({
    "NODE_ENV", "PORT", "HOST", "HOSTNAME", "HOME", "PATH", "PWD", "USER", "SHELL", "TZ", "LANG",
    "CI", "NEXT_RUNTIME", "NEXT_PHASE", "DYNO", "WEB_CONCURRENCY", "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH", "K_SERVICE", "RENDER", "VERCEL", "NETLIFY", "AWS_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
})
PLATFORM_PREFIXES = ("VERCEL_", "RENDER_", "FLY_", "RAILWAY_", "HEROKU_", "NETLIFY_")


class EnvClass:
    """How strictly an environment is judged."""

    PRODUCTION = "production"
    PREVIEW = "preview"
    DEVELOPMENT = "development"


def env_class(name: str) -> str:
    """``production``, ``preview`` (anything else, e.g. staging) or ``development``."""
    lowered = name.strip().lower()
    if lowered in PRODUCTION_NAMES:
        return EnvClass.PRODUCTION
    if lowered in DEVELOPMENT_NAMES:
        return EnvClass.DEVELOPMENT
    return EnvClass.PREVIEW


@dataclass(frozen=True, kw_only=True)
class EnvObservation:
    """Everything the ENV rules judge; values only inside :class:`EnvValue`."""

    environment: str
    target: EnvSnapshot
    required: tuple[str, ...] = ()
    public_prefixes: tuple[str, ...] = ()
    example: EnvSnapshot | None = None
    preview: EnvSnapshot | None = None
    code: SourceScan | None = None
    skipped: tuple[Skipped, ...] = field(default=())


def _platform_name(name: str) -> bool:
    return name in PLATFORM_NAMES or name.startswith(PLATFORM_PREFIXES)


@dataclass
class _Row:
    statuses: list[str] = field(default_factory=list)

    def add(self, status: str) -> None:
        if status not in self.statuses:
            self.statuses.append(status)


class _Judge:
    """Builds findings and table rows for one observation."""

    def __init__(self, obs: EnvObservation) -> None:
        self.obs = obs
        self.cls = env_class(obs.environment)
        self.findings: list[Finding] = []
        self.rows: dict[str, _Row] = {}
        self.where = obs.target.label
        self.example_keys = set(obs.example.values) if obs.example else set()
        self.required = set(obs.required)
        reads = obs.code.reads if obs.code else ()
        self.reads: dict[str, list[EnvRead]] = {}
        for read in reads:
            self.reads.setdefault(read.name, []).append(read)

    def row(self, name: str) -> _Row:
        return self.rows.setdefault(name, _Row())

    def finding(self, rule: str, name: str, *, evidence: str, impact: str, fix: str,
                kind: str = "", severity: Severity | None = None, title: str | None = None,
                location: Location | None = None, target: str | None = None) -> None:
        self.findings.append(make_finding(
            meta(rule), target=target or f"{self.where} {name}",
            identity=f"{name}|{kind}", evidence=evidence, impact=impact, fix=fix,
            severity=severity, title=title, location=location))

    # --- which names ------------------------------------------------------------------------

    def public(self, name: str) -> bool:
        return name.startswith(tuple(self.obs.public_prefixes))

    def contract_names(self) -> list[str]:
        names = set(self.required) | self.example_keys | set(self.reads)
        if self.obs.target.process:
            names |= {n for n in self.obs.target.values if self.public(n)}
        else:
            names |= set(self.obs.target.values)
        return sorted(names)

    def example_needs_value(self, name: str) -> bool:
        """Declared in .env.example without a value (one with a value documents a default)."""
        if self.obs.example is None or name not in self.obs.example.values:
            return False
        value = self.obs.example.values[name]
        return value is None or not value.raw.strip()

    def required_by(self, name: str) -> str | None:
        if name in self.required:
            return "[env] required"
        for read in self.reads.get(name, ()):
            if read.kind is ReadKind.REQUIRED:
                return f"{read.via} at {read.path}:{read.line}"
        return None

    # --- rules ------------------------------------------------------------------------------

    def presence(self, name: str, value: EnvValue | None, present: bool) -> bool:
        """ENV001; True when there is a value to judge further."""
        why = self.required_by(name)
        if present and self.obs.target.names_only:
            self.row(name).add("set (value hidden)")
            return False
        empty = present and (value is None or not value.raw.strip())
        if present and not empty:
            return True
        state = "empty" if empty else "missing"
        self.row(name).add(state)
        if why is None and not self.example_needs_value(name):
            return False
        severity = None if why else Severity.MEDIUM
        declared = why or ".env.example"
        self.finding(
            "ENV001", name, kind=state, severity=severity,
            title=None if why else f"Declared variable {state}",
            evidence=f"{name} is {state} in {self.where} (declared by {declared})",
            impact=(f"The app fails or misbehaves on its first use of {name} in front of "
                    f"the buyer." if why else
                    f"Whatever uses {name} is off or broken in this environment."),
            fix=f"Set it on the platform before deploying, e.g. `vercel env add {name} "
                f"{self.obs.environment}`, `fly secrets set {name}=...`, or add it to "
                f"{self.where}; if it is not needed, remove it from "
                f"{'[env] required' if name in self.required else '.env.example'}.")
        return False

    def wrapping(self, name: str, value: EnvValue) -> None:
        why = v.stray_wrapping(value.raw)
        if why is None:
            return
        quoted = "quote" in why
        self.row(name).add("quoted" if quoted else "whitespace")
        self.finding(
            "ENV001", name, kind="wrapping", severity=Severity.HIGH,
            title="Variable value has stray quotes or whitespace",
            evidence=f"{name} in {self.where}: {why} (value not shown)",
            impact=f"{name} is set but not to what was meant: keys, URLs and passwords "
                   f"with extra characters are rejected.",
            fix=f"Re-enter {name} without surrounding quotes or spaces (platform dashboards "
                f"store quotes literally; in a dotenv file write {name}=value or "
                f"{name}=\"value\").")

    def public_secret(self, name: str, value: EnvValue) -> None:
        if not self.public(name):
            return
        why = v.public_secret(name, value.raw)
        if why is None:
            return
        prefix = next(p for p in self.obs.public_prefixes if name.startswith(p))
        self.row(name).add("public-secret")
        server_name = name[len(prefix):]
        self.finding(
            "ENV002", name, kind="public",
            evidence=f"{name} is under the public prefix {prefix} and {why} (value not shown)",
            impact="The bundler inlines it into JavaScript that every visitor downloads; "
                   "anyone can read and use it.",
            fix=f"Rotate the value at its provider, rename the variable to {server_name} "
                f"(no {prefix} prefix), read it only in server code (API route, server action, "
                f"backend), and redeploy so the old bundle is gone.")

    def production_values(self, name: str, value: EnvValue) -> None:
        raw = value.raw
        why = v.sandbox_credential(name, raw)
        if why is not None:
            self.row(name).add("test-key")
            self.finding(
                "ENV004", name, kind="test",
                evidence=f"{name} in {self.where}: {why}",
                impact="Payments and provider calls run in test mode: the demo looks fine "
                       "and no real customer can pay.",
                fix=f"Set {name} to the live credential from the provider's dashboard "
                    f"(Stripe: Developers → API keys with 'Test mode' off) in the production "
                    f"environment only.")
        why = v.local_address(raw)
        if why is not None:
            self.row(name).add("local-address")
            self.finding(
                "ENV005", name, kind="local",
                evidence=f"{name} in {self.where} points at {why} (value not shown)",
                impact="The deployed app cannot reach a developer machine or LAN address; "
                       "whatever uses it fails in production.",
                fix=f"Point {name} at the production service's public or platform-internal "
                    f"hostname (e.g. the managed database's connection string); if this is "
                    f"an intended private-network address, add the finding to the baseline.")
        why = v.debug_flag(name, raw)
        if why is not None:
            self.row(name).add("debug")
            fix = ("NODE_ENV=production (most platforms set it; remove the override)"
                   if name.upper() == "NODE_ENV" else f"unset {name} or set {name}=0")
            self.finding(
                "ENV008", name, kind="debug", evidence=f"{why} in {self.where}",
                impact="Debug mode shows stack traces, settings and sometimes secrets to "
                       "anyone who triggers an error, and slows every request.",
                fix=f"In the production environment: {fix}, then redeploy.")

    def weak(self, name: str, value: EnvValue) -> None:
        if not (v.is_secret_name(name) or v.is_signing_name(name)):
            return
        why = v.weak_secret(name, value.raw)
        if why is None:
            return
        self.row(name).add("weak-secret")
        self.finding(
            "ENV007", name, kind="weak",
            evidence=f"{name} in {self.where}: {why} (value not shown)",
            impact="A guessable secret lets anyone forge sessions or tokens, or log in "
                   "with the default.",
            fix=f"Generate a new value with `openssl rand -base64 32` (or `python -c "
                f"'import secrets; print(secrets.token_urlsafe(32))'`) and set {name} to it "
                f"in every deployed environment, each with its own value.")

    def shared(self) -> None:
        preview = self.obs.preview
        if preview is None or preview.names_only:
            return
        by_digest: dict[str, list[str]] = {}
        for pname, pvalue in preview.values.items():
            if pvalue is not None and pvalue.raw.strip():
                by_digest.setdefault(pvalue.digest, []).append(pname)
        for name in self.contract_names() if self.obs.target.process else sorted(
                self.obs.target.values):
            value = self.obs.target.values.get(name)
            if value is None or not value.raw.strip() or v.placeholder(value.raw):
                continue
            raw = value.raw
            sensitive = (v.is_secret_name(name) or v.is_signing_name(name)
                         or v.secret_format(raw) is not None or v.database_url(raw))
            if not sensitive or self.public(name):
                continue
            twins = by_digest.get(value.digest)
            if not twins:
                continue
            what = "database URL" if v.database_url(raw) else "secret"
            self.row(name).add("shared-with-preview")
            self.finding(
                "ENV003", name, kind="shared",
                evidence=f"{name} in {self.where} has the same {what} as "
                         f"{', '.join(sorted(twins))} in {preview.label} (compared by SHA-256)",
                impact="Every preview deployment, built from any branch or pull request, can "
                       "read and change production data with it.",
                fix=f"Give preview its own {what}: create a separate database/key for preview "
                    f"and set it only there (e.g. `vercel env add {name} preview`), then "
                    f"rotate the production value.")

    def undeclared(self) -> None:
        declared = self.example_keys | self.required
        for name, reads in sorted(self.reads.items()):
            if name in declared or _platform_name(name):
                continue
            first = reads[0]
            self.row(name).add("undeclared")
            places = f" and {len(reads) - 1} more place(s)" if len(reads) > 1 else ""
            self.finding(
                "ENV006", name, kind="undeclared",
                target=f"{first.path} {name}",
                location=Location(path=first.path, line=first.line, column=first.column),
                evidence=f"{name} is read via {first.via} at {first.path}:{first.line}{places} "
                         f"but is not in .env.example or [env] required",
                impact="Whoever sets up the next environment will not know to set it, and "
                       "the app breaks there.",
                fix=f"Add a line `{name}=` to .env.example (with a comment saying what it is), "
                    f"or to [env] required if the app cannot start without it.")

    def run(self) -> Outcome:
        for name in self.contract_names():
            present = name in self.obs.target.values
            value = self.obs.target.values.get(name)
            if not self.presence(name, value, present) or value is None:
                continue
            self.wrapping(name, value)
            if self.cls != EnvClass.DEVELOPMENT:
                self.public_secret(name, value)
                self.weak(name, value)
            if self.cls == EnvClass.PRODUCTION:
                self.production_values(name, value)
        if self.cls == EnvClass.PRODUCTION:
            self.shared()
        self.undeclared()
        return Outcome(findings=tuple(self.findings), tables=self.tables())

    def tables(self) -> tuple[Table, ...]:
        code_known = self.obs.code is not None and self.obs.code.files_scanned > 0
        rows: list[tuple[str, ...]] = []
        for name in self.contract_names():
            row = self.rows.get(name)
            statuses = list(row.statuses) if row else []
            if code_known and name not in self.reads and (
                    name in self.example_keys or name in self.required):
                # declared but not read by the scanned code (tools such as Prisma or docker
                # compose may still read it): information, not a finding
                statuses.append("unused")
            declared = ", ".join(x for x, ok in (("required", name in self.required),
                                                 (".env.example", name in self.example_keys))
                                 if ok) or "—"
            reads = self.reads.get(name, [])
            read = f"{reads[0].path}:{reads[0].line}" + (
                f" (+{len(reads) - 1})" if len(reads) > 1 else "") if reads else "—"
            rows.append((name, ", ".join(statuses) or "ok", declared, read))
        title = f"Environment contract ({self.obs.environment}: {self.where})"
        out = [Table(title=title, columns=("variable", "status", "declared", "read by code"),
                     rows=tuple(rows))]
        skipped = list(self.obs.skipped)
        for snap in (self.obs.target, self.obs.example, self.obs.preview):
            if snap is not None:
                skipped.extend(snap.skipped)
        if self.obs.code is not None:
            skipped.extend(self.obs.code.skipped)
        if skipped:
            out.append(Table(title="Skipped while reading the environment contract",
                             columns=("item", "reason"),
                             rows=tuple((s.item, s.reason) for s in skipped)))
        return tuple(out)


def evaluate_contract(obs: EnvObservation) -> Outcome:
    """ENV001–ENV008 for one observation (pure)."""
    return _Judge(obs).run()


def _example(roots: Iterable[Path]) -> tuple[EnvSnapshot | None, tuple[Skipped, ...]]:
    for root in roots:
        base = root if root.is_dir() else root.parent
        for name in EXAMPLE_FILES:
            path = base / name
            if path.is_file():
                try:
                    return load_env_file(path, name), ()
                except ProbeError as exc:
                    return None, (Skipped(item=name, reason=str(exc)),)
    return None, ()


class EnvContractChecks(CheckFamily[EnvObservation]):
    """ENV001–ENV008 over the target environment, ``.env.example``, preview and the code."""

    rule_ids = ("ENV001", "ENV002", "ENV003", "ENV004", "ENV005", "ENV006", "ENV007",
                "ENV008")
    network = False

    def __init__(self, *, source_paths: Sequence[str | Path] | None = None,
                 environment: str | None = None, env_file: str | Path | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        """``source_paths`` (default: the config file's directory) is where the code lives;
        ``environment``/``env_file`` override ``[app] environment`` and ``[env]
        environment_file``; ``environ`` overrides the run's process environment."""
        self.source_paths = tuple(source_paths) if source_paths is not None else None
        self.environment = environment
        self.env_file = env_file
        self.environ = environ

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.config.env is None and self.env_file is None and self.environment is None:
            return "no [env] section in the config"
        return None

    def roots(self, ctx: Context) -> tuple[Path, ...]:
        """Absolute source roots."""
        base = ctx.config.base_dir
        configured = ctx.config.env.source_paths if ctx.config.env else (".",)
        paths = self.source_paths or tuple(configured)
        return tuple((base / p).resolve() for p in paths)

    async def gather(self, ctx: Context) -> EnvObservation:
        return await asyncio.to_thread(self._gather, ctx)

    def _gather(self, ctx: Context) -> EnvObservation:
        cfg = ctx.config.env
        base = ctx.config.base_dir
        environment = self.environment or ctx.config.app.environment
        env_file = self.env_file or (cfg.environment_file if cfg else None)
        if env_file is not None:
            # an absolute path (from --env-file) is labelled by its name, so targets and
            # fingerprints do not depend on where the checkout lives
            label = Path(env_file).name if Path(env_file).is_absolute() else str(env_file)
            target = load_env_file(base / env_file, label)
        else:
            target = from_environ(self.environ if self.environ is not None else ctx.environ)
        preview: EnvSnapshot | None = None
        skipped: list[Skipped] = []
        if cfg and cfg.preview_file and env_class(environment) == EnvClass.PRODUCTION:
            try:
                preview = load_env_file(base / cfg.preview_file, cfg.preview_file)
            except ProbeError as exc:
                skipped.append(Skipped(item=cfg.preview_file, reason=f"{exc}; ENV003 not judged"))
        roots = self.roots(ctx)
        example, example_skips = _example((base, *roots))
        skipped.extend(example_skips)
        code = scan_tree(roots, base)
        return EnvObservation(
            environment=environment, target=target,
            required=tuple(cfg.required) if cfg else (),
            public_prefixes=tuple((cfg or EnvConfig()).public_prefixes),
            example=example, preview=preview, code=code, skipped=tuple(skipped))

    def evaluate(self, obs: EnvObservation, ctx: Context) -> Outcome:
        return evaluate_contract(obs)
