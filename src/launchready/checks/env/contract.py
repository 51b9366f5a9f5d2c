"""ENV001–ENV010 — the environment contract: does the target environment hold what the code needs?

What: three sides are compared. *Declared*: ``[env] required``, every template and committed env
file of the project and its monorepo packages (``.env.example``, ``.env.local.example``,
``frontend/.env`` when git tracks it …), commented ``# KEY=`` lines, the environment file under
judgement, and the variables the hosting platform sets itself (see
:mod:`launchready.envcontract.declarations` and :mod:`launchready.envcontract.platforms`).
*Read*: every variable the code reads, found by parsers (Python ``ast``: ``os.environ[...]``,
``os.getenv``, pydantic-settings fields, django-environ, decouple; JS/TS tree-sitter:
``process.env.X``, ``import.meta.env.X``, destructuring). *Target*: the environment being
deployed — only a source named explicitly: ``--env-file``/``[env] environment_file`` (dotenv or
a platform's JSON export, see :mod:`launchready.envcontract.envfiles`) or ``--from-shell``.
Without one, the rules that judge values are skipped (the developer's shell is not production).

* ENV001 — a required variable (``[env] required``, or read by code without a fallback:
  ``os.environ["X"]``, a settings field without default, ``process.env.X!``, a bare
  ``import.meta.env.X``) is missing or empty: critical, by name. A variable the code reads
  without a default and a template declares blank is reported at medium. A value wrapped in
  quote characters, or with leading/trailing whitespace, is "stray quotes or whitespace" (high).
* ENV002 — a variable under a public prefix holds a known secret format, a database URL, or is
  named like a secret: the bundler inlines it into JavaScript every visitor downloads.
* ENV003 — production and preview (``[env] preview_file``) hold the same secret or database URL
  (compared by SHA-256, never by value).
* ENV004 — production holds test/sandbox credentials (``sk_test_``, ``pk_test_``, PayPal sandbox,
  ``PLAID_ENV=sandbox``).
* ENV005 — a production value points at localhost, a private address or a ``.local`` name.
* ENV006 — the code reads a variable (without a default of its own) that nothing declares.
* ENV007 — a secret is a placeholder (``changeme``, ``whsec_***``), words, reused for another
  secret, or a signing key with under 128 bits of estimated randomness.
* ENV008 — debug mode in production: ``DEBUG``/``*_DEBUG`` truthy, ``NODE_ENV`` not
  ``production``, ``FASTAPI_ENV``/``APP_ENV``/… = development.
* ENV009 — an env file is malformed: duplicate keys, unparsable lines, invalid names, spaces
  around ``=``, unquoted values with spaces.
* ENV010 — a template declares a variable that no code, tool file or well-known library reads.

A template given as the target (``env --env-file .env.example``) is checked as a declaration:
its keys count as declared, its values are not judged (ENV001–ENV005, ENV007, ENV008 skipped).
Which rules apply also depends on the environment name (``--environment``, else ``[app]
environment``): production gets all; preview/staging skip ENV003–ENV005 and ENV008;
development only gets ENV001, ENV006, ENV009 and ENV010. From the shell only contract
variables are judged.

Why: a missing ``DATABASE_URL`` turns the first request of the demo into a 500; a secret under
``NEXT_PUBLIC_`` is readable by anyone who opens the developer tools.

Fix: each finding names the variable and the step for its kind — a provider key from the
provider's dashboard, a signing secret from ``openssl rand -base64 32``, a database URL from the
managed database (see :mod:`launchready.checks.env.advice`). Values are never shown.

Pass: ``.env.production`` sets every required variable, ``NEXT_PUBLIC_`` holds only
publishable keys, ``SESSION_SECRET`` is 44 characters of ``openssl rand -base64 32``.
Fail: ``NEXT_PUBLIC_STRIPE_SECRET_KEY=sk_live_…`` (ENV002), ``STRIPE_SECRET_KEY=sk_test_…`` in
production (ENV004), ``DATABASE_URL`` missing (ENV001).

The report also gets a table "Environment contract" (variable → status) and, when anything
could not be read, a table of skipped items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.env import values as v
from launchready.checks.env.advice import VarKind, kind_of, set_on_platform, where_to_get
from launchready.checks.env.providers import provider_of
from launchready.config.models import Config, EnvConfig
from launchready.envcontract.declarations import (
    EnvFileIssue,
    ProjectDeclarations,
    is_template_name,
    lint_dotenv,
)
from launchready.envcontract.envfiles import from_environ
from launchready.envcontract.facts import (
    EnvRead,
    EnvSnapshot,
    EnvValue,
    ReadKind,
    Skipped,
    SourceScan,
)
from launchready.envcontract.platforms import provided_by, read_by_library
from launchready.errors import ProbeError
from launchready.grammar import plural
from launchready.model import Finding, Location, Severity, Table
from launchready.probes.files import ProjectFiles

PRODUCTION_NAMES = frozenset({"production", "prod", "live"})
DEVELOPMENT_NAMES = frozenset({"development", "dev", "local", "test"})
#: rules that judge the target environment's values (skipped without a named source)
VALUE_RULES = ("ENV001", "ENV002", "ENV003", "ENV004", "ENV005", "ENV007", "ENV008")
NO_SOURCE = ("no environment named: pass --env-file F (a dotenv file or a platform export such "
             "as `vercel env pull --environment=production F`), set [env] environment_file, "
             "or use --from-shell to judge this shell")


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
    """Everything the ENV rules judge; values only inside :class:`EnvValue`.

    ``target`` is None when no source was named; ``target_is_template`` when the file under
    judgement is a template (its keys are declarations, its values placeholders).
    """

    environment: str
    target: EnvSnapshot | None
    target_is_template: bool = False
    target_issues: tuple[EnvFileIssue, ...] = ()
    required: tuple[str, ...] = ()
    public_prefixes: tuple[str, ...] = ()
    declarations: ProjectDeclarations | None = None
    preview: EnvSnapshot | None = None
    code: SourceScan | None = None
    skipped: tuple[Skipped, ...] = field(default=())


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
        self.target = obs.target
        self.where = obs.target.label if obs.target else "the project"
        decl = obs.declarations
        self.declared_in: dict[str, list[str]] = {}
        self.blank_in_template: set[str] = set()
        for d in decl.declarations if decl else ():
            files = self.declared_in.setdefault(d.name, [])
            if d.file not in files:
                files.append(d.file)
            if not d.commented and not d.has_value:
                self.blank_in_template.add(d.name)
        self.templates = list(decl.files) if decl else []
        self.required = set(obs.required)
        self.reads: dict[str, list[EnvRead]] = {}
        for read in obs.code.reads if obs.code else ():
            self.reads.setdefault(read.name, []).append(read)
        self.judge_values = self.target is not None and not obs.target_is_template

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

    def declared(self, name: str) -> bool:
        return (name in self.required or name in self.declared_in
                or (self.target is not None and not self.target.process
                    and name in self.target.values))

    def contract_names(self) -> list[str]:
        names = set(self.required) | set(self.declared_in) | set(self.reads)
        if self.target is not None:
            if self.target.process:
                names |= {n for n in self.target.values if self.public(n)}
            else:
                names |= set(self.target.values)
        return sorted(names)

    def required_by(self, name: str) -> str | None:
        if name in self.required:
            return "[env] required"
        for read in self.reads.get(name, ()):
            if read.kind is ReadKind.REQUIRED:
                return f"{read.via} at {read.path}:{read.line}"
        return None

    def read_without_default(self, name: str) -> EnvRead | None:
        return next((r for r in self.reads.get(name, ()) if r.kind is not ReadKind.DEFAULTED),
                    None)

    # --- rules ------------------------------------------------------------------------------

    def presence(self, name: str, target: EnvSnapshot) -> bool:
        """ENV001; True when there is a value to judge further."""
        present = name in target.values
        value = target.values.get(name)
        if present and target.names_only:
            self.row(name).add("set (value hidden)")
            return False
        empty = present and (value is None or not value.raw.strip())
        if present and not empty:
            return True
        state = "empty" if empty else "missing"
        platform = provided_by(name)
        if platform is not None and not present:
            self.row(name).add(f"set by {platform}")
            return False
        self.row(name).add(state)
        why = self.required_by(name)
        optional_read = self.read_without_default(name)
        if why is None and not (optional_read and name in self.blank_in_template):
            return False
        kind = kind_of(name)
        get = where_to_get(name, kind)
        how = set_on_platform(name, self.obs.environment)
        if why == "[env] required":
            declared, unneeded = why, " If it is not needed, remove it from [env] required."
        elif why is not None:
            declared, unneeded = f"the code: {why}, no fallback", ""
        else:
            assert optional_read is not None  # noqa: S101 - checked just above
            files = ", ".join(self.declared_in.get(name, ()))
            declared = (f"{files}, blank; read by {optional_read.via} at "
                        f"{optional_read.path}:{optional_read.line}")
            unneeded = (f" If the app runs without it, give it a value or a comment in "
                        f"{files} saying it is optional.")
        self.finding(
            "ENV001", name, kind=state, severity=None if why else Severity.MEDIUM,
            title=None if why else f"Declared variable {state}",
            evidence=f"{name} ({kind.value}) is {state} in {self.where} (needed by {declared})",
            impact=(f"The app fails or misbehaves on its first use of {name} in front of "
                    f"the buyer." if why else
                    f"Whatever uses {name} is off or broken in this environment."),
            fix=f"{get} Set it before deploying: {how}, or add it to {self.where}.{unneeded}")
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
            provider = provider_of(name)
            if raw.strip().startswith(("sk_test_", "rk_test_", "pk_test_")) and (
                    provider is None or provider.id in ("stripe", "clerk")):
                where = ("Clerk Dashboard > API keys of the production instance"
                         if provider is not None and provider.id == "clerk" else
                         "Stripe: Developers > API keys with 'Test mode' off")
            elif provider is not None:
                where = f"{provider.name}'s live/production credentials"
            else:
                where = "the provider's live/production credentials"
            self.finding(
                "ENV004", name, kind="test",
                evidence=f"{name} in {self.where}: {why}",
                impact="Payments and provider calls run in test mode: the demo looks fine "
                       "and no real customer can pay.",
                fix=f"Set {name} to the live value ({where}) in the production environment "
                    f"only.")
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
                   if name.upper() == "NODE_ENV" else
                   f"set {name}=production" if v.app_mode_name(name)
                   else f"unset {name} or set {name}=0")
            self.finding(
                "ENV008", name, kind="debug", evidence=f"{why} in {self.where}",
                impact="Debug mode shows stack traces, settings and sometimes secrets to "
                       "anyone who triggers an error, and slows every request.",
                fix=f"In the production environment: {fix}, then redeploy.")

    def weak(self, name: str, value: EnvValue, reused: Mapping[str, list[str]]) -> None:
        kind = kind_of(name, value.raw)
        if not (v.is_secret_name(name) or v.is_signing_name(name)
                or kind in (VarKind.DATABASE_URL, VarKind.PROVIDER_KEY)):
            return
        if kind is VarKind.DATABASE_URL and not v.placeholder(value.raw):
            return  # a real connection string: its password is the database's business
        why = v.weak_secret(name, value.raw)
        twins = [n for n in reused.get(value.digest, ()) if n != name]
        if why is None and twins and v.secret_format(value.raw) is None:
            why = f"it is the same value as {', '.join(twins)}"
        if why is None:
            return
        self.row(name).add("weak-secret")
        self.finding(
            "ENV007", name, kind="weak",
            evidence=f"{name} ({kind.value}) in {self.where}: {why} (value not shown)",
            impact="A guessable secret lets anyone forge sessions or tokens, or log in "
                   "with the default.",
            fix=f"{where_to_get(name, kind)} Set {name} to it in every deployed environment, "
                f"each with its own value.")

    def shared(self, target: EnvSnapshot) -> None:
        preview = self.obs.preview
        if preview is None or preview.names_only:
            return
        by_digest: dict[str, list[str]] = {}
        for pname, pvalue in preview.values.items():
            if pvalue is not None and pvalue.raw.strip():
                by_digest.setdefault(pvalue.digest, []).append(pname)
        for name in self.contract_names() if target.process else sorted(target.values):
            value = target.values.get(name)
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
        looked = ", ".join(self.templates) or "no template found"
        template = next((t for t in self.templates if is_template_name(Path(t).name)),
                        ".env.example")
        for name, reads in sorted(self.reads.items()):
            if self.declared(name) or provided_by(name) is not None:
                continue
            first = self.read_without_default(name)
            if first is None:
                continue  # every read brings its own default
            self.row(name).add("undeclared")
            places = f" and {plural(len(reads) - 1, 'more place')}" if len(reads) > 1 else ""
            self.finding(
                "ENV006", name, kind="undeclared",
                target=f"{first.path} {name}",
                location=Location(path=first.path, line=first.line, column=first.column),
                evidence=f"{name} is read via {first.via} at {first.path}:{first.line}{places} "
                         f"without a default, and no template declares it (looked in: "
                         f"{looked}; [env] required)",
                impact="Whoever sets up the next environment will not know to set it, and "
                       "the app breaks there.",
                fix=f"Add a line `{name}=` to {template} with a comment saying what it is "
                    f"(`# {name}=` if it is optional), or give the code a default.")

    def unused(self) -> None:
        code = self.obs.code
        decl = self.obs.declarations
        if code is None or code.files_scanned == 0 or decl is None:
            return
        for name, files in sorted(self.declared_in.items()):
            if (name in self.reads or name in self.required or name in decl.tool_names
                    or read_by_library(name) or provided_by(name) == "the runtime"):
                continue
            uncommented = [d for d in decl.declarations if d.name == name and not d.commented]
            if not uncommented:
                continue
            first = uncommented[0]
            self.row(name).add("unused")
            self.finding(
                "ENV010", name, kind="unused", target=f"{first.file} {name}",
                location=Location(path=first.file, line=first.line, column=1),
                evidence=f"{name} is declared in {', '.join(files)} but no scanned code, "
                         f"compose/Docker/Prisma file or known library reads it",
                impact="Whoever sets up production spends time on a value nothing uses, or "
                       "a renamed variable hides that the real one is missing.",
                fix=f"Remove {name} from {', '.join(files)} if it is stale; if another tool "
                    f"reads it (a CLI, a build plugin), say so in a comment beside it.")

    def malformed(self) -> None:
        issues = list(self.obs.target_issues)
        if self.obs.declarations is not None:
            issues += self.obs.declarations.issues
        for issue in issues:
            what = issue.name or f"line {issue.line}"
            self.finding(
                "ENV009", what, kind=f"{issue.kind}|{issue.file}",
                target=f"{issue.file} {what}",
                location=Location(path=issue.file, line=issue.line, column=1),
                evidence=f"{issue.file}:{issue.line}: {issue.detail}",
                impact="Loaders disagree about what this file says: production may run with a "
                       "different value than the one you read.",
                fix={"duplicate": f"Keep one {issue.name}= line in {issue.file}.",
                     "unparsable": f"Fix line {issue.line} of {issue.file}: KEY=value, quote "
                                   f"values with spaces or #, close every quote.",
                     "invalid-name": f"Rename {issue.name} to upper case letters, digits and "
                                     f"_ (and the code that reads it).",
                     "spacing": f"Write {issue.name}=value without spaces around '='.",
                     "unquoted-space": f"Quote the value: {issue.name}=\"…\"."}.get(
                         issue.kind, f"Fix line {issue.line} of {issue.file}."))

    def run(self) -> Outcome:
        skipped: dict[str, str] = {}
        target = self.target
        if target is None:
            skipped = dict.fromkeys(VALUE_RULES, NO_SOURCE)
        elif self.obs.target_is_template:
            skipped = dict.fromkeys(VALUE_RULES, f"{target.label} is a template: its keys "
                                                 f"are declarations, its values are not judged")
        if self.judge_values and target is not None:
            reused: dict[str, list[str]] = {}
            for name, value in target.values.items():
                if value is not None and value.raw.strip() and (
                        v.is_secret_name(name) or v.is_signing_name(name)):
                    reused.setdefault(value.digest, []).append(name)
            for name in self.contract_names():
                if not self.presence(name, target):
                    continue
                value = target.values.get(name)
                if value is None:
                    continue
                self.wrapping(name, value)
                if self.cls != EnvClass.DEVELOPMENT:
                    self.public_secret(name, value)
                    self.weak(name, value, reused)
                if self.cls == EnvClass.PRODUCTION:
                    self.production_values(name, value)
            if self.cls == EnvClass.PRODUCTION:
                self.shared(target)
        self.undeclared()
        self.unused()
        self.malformed()
        return Outcome(findings=tuple(self.findings), tables=self.tables(), skipped=skipped)

    def tables(self) -> tuple[Table, ...]:
        rows: list[tuple[str, ...]] = []
        for name in self.contract_names():
            row = self.rows.get(name)
            statuses = list(row.statuses) if row else []
            if not statuses and self.judge_values:
                statuses = ["ok"]
            elif not statuses:
                statuses = ["declared" if self.declared(name) else "read"]
            declared = ", ".join(
                (["required"] if name in self.required else [])
                + self.declared_in.get(name, [])) or "—"
            reads = self.reads.get(name, [])
            read = f"{reads[0].path}:{reads[0].line}" + (
                f" (+{len(reads) - 1})" if len(reads) > 1 else "") if reads else "—"
            rows.append((name, ", ".join(statuses), declared, read))
        title = f"Environment contract ({self.obs.environment}: {self.where})"
        out = [Table(title=title, columns=("variable", "status", "declared", "read by code"),
                     rows=tuple(rows))]
        skipped = list(self.obs.skipped)
        for snap in (self.target, self.obs.preview):
            if snap is not None:
                skipped.extend(snap.skipped)
        if self.obs.declarations is not None:
            skipped.extend(self.obs.declarations.skipped)
        if self.obs.code is not None:
            skipped.extend(self.obs.code.skipped)
        if skipped:
            out.append(Table(title="Skipped while reading the environment contract",
                             columns=("item", "reason"),
                             rows=tuple((s.item, s.reason) for s in skipped)))
        return tuple(out)


def evaluate_contract(obs: EnvObservation) -> Outcome:
    """ENV001–ENV010 for one observation (pure)."""
    return _Judge(obs).run()


def environment_source(config: Config, *, env_file: str | Path | None = None,
                       environ: Mapping[str, str] | None = None,
                       files: ProjectFiles | None = None) -> EnvSnapshot | None:
    """The environment under judgement, from an explicitly named source only.

    ``env_file`` (e.g. ``--env-file``) wins over ``[env] environment_file``; ``environ`` is
    the shell's environment when ``--from-shell`` was given. None when nothing was named —
    the developer's shell is never production by default. Raises ProbeError when the named
    file cannot be read. This is "the production environment from the env contract" for any
    command that needs it (a production build, the env gate).
    """
    cfg = config.env
    named = env_file or (cfg.environment_file if cfg else None)
    if named is not None:
        # an absolute path (from --env-file) is labelled by its name, so targets and
        # fingerprints do not depend on where the checkout lives
        label = Path(named).name if Path(named).is_absolute() else str(named)
        return (files or ProjectFiles()).env_file(config.base_dir / named, label)
    if environ is not None:
        return from_environ(environ, "shell environment (--from-shell)")
    return None


class EnvContractChecks(CheckFamily[EnvObservation]):
    """ENV001–ENV010 over the target environment, the templates, preview and the code."""

    rule_ids = ("ENV001", "ENV002", "ENV003", "ENV004", "ENV005", "ENV006", "ENV007",
                "ENV008", "ENV009", "ENV010")
    network = False

    def __init__(self, *, source_paths: Sequence[str | Path] | None = None,
                 environment: str | None = None, env_file: str | Path | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        """``source_paths`` (default: the config file's directory) is where the code lives;
        ``environment``/``env_file`` override ``[app] environment`` and ``[env]
        environment_file``; ``environ`` is judged as the target when no file is named
        (``--from-shell``)."""
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
        files = ctx.probes.files
        target = environment_source(ctx.config, env_file=self.env_file, environ=self.environ,
                                    files=files)
        preview: EnvSnapshot | None = None
        skipped: list[Skipped] = []
        if (target is not None and cfg and cfg.preview_file
                and env_class(environment) == EnvClass.PRODUCTION):
            try:
                preview = files.env_file(base / cfg.preview_file, cfg.preview_file)
            except ProbeError as exc:
                skipped.append(Skipped(item=cfg.preview_file, reason=f"{exc}; ENV003 not judged"))
        roots = self.roots(ctx)
        declarations = files.declarations(base, [r for r in roots if r.is_dir()])
        is_template = False
        issues: tuple[EnvFileIssue, ...] = ()
        named = self.env_file or (cfg.environment_file if cfg else None)
        if target is not None and named is not None:
            path = (base / named).resolve()
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                rel = target.label
            is_template = is_template_name(path.name) or rel in declarations.files
            if rel not in declarations.files:
                text = files.env_text(path)
                if isinstance(text, str) and text.lstrip()[:1] not in ("{", "["):
                    issues = lint_dotenv(text, target.label)
        code = files.source_scan(roots, base)
        return EnvObservation(
            environment=environment, target=target, target_is_template=is_template,
            target_issues=issues, required=tuple(cfg.required) if cfg else (),
            public_prefixes=tuple((cfg or EnvConfig()).public_prefixes),
            declarations=declarations, preview=preview, code=code, skipped=tuple(skipped))

    def evaluate(self, obs: EnvObservation, ctx: Context) -> Outcome:
        return evaluate_contract(obs)
