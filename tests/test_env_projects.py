"""ENV001–ENV008 and PERF005 end to end on four realistic projects (tests/data/env_projects).

Each project is copied to a temporary directory, its ``@@name@@`` markers replaced by fake
values assembled here, and audited through ``arun_audit`` with the two families.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from dotenv import dotenv_values

from launchready.checks.env.contract import EnvContractChecks
from launchready.checks.env.demo_project import write_demo_project
from launchready.checks.env.timeouts import OutboundTimeoutChecks
from launchready.config.loader import load_config_text
from launchready.engine import arun_audit
from launchready.model import Report, Severity
from launchready.report import Format, render

PROJECTS = Path(__file__).parent / "data" / "env_projects"


def _hex(label: str, n: int) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:n]


def _jwt(role: str) -> str:
    def part(obj: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return ".".join(("eyJ" + part({"alg": "HS256", "typ": "JWT"})[3:],
                     part({"iss": "supabase", "role": role}), _hex(role, 43)))


FAKES = {
    "stripe_live": "sk_" + "live_" + "launchreadyFIXTURE" + _hex("sl", 14),
    "stripe_test": "sk_" + "test_" + "launchreadyFIXTURE" + _hex("st", 14),
    "stripe_pk_live": "pk_" + "live_" + "launchreadyFIXTURE" + _hex("pl", 14),
    "resend_key": "re_" + "launchreadyFIXTURE" + _hex("re", 12),
    "prod_db_password": "prodpw" + _hex("p1", 18),
    "preview_db_password": "prevpw" + _hex("p2", 18),
    "api_db_password": "apipw" + _hex("p3", 18),
    "redis_password": "redispw" + _hex("p4", 18),
    "shop_db_password": "shoppw" + _hex("p5", 18),
    "supabase_service_role_jwt": _jwt("service_role"),
    "supabase_anon_jwt": _jwt("anon"),
    "strong_secret": base64.b64encode(hashlib.sha256(b"strong").digest()).decode(),
    "django_tail": _hex("dj", 40),
    "django_secret": "q7!x" + base64.b64encode(hashlib.sha256(b"dj").digest()).decode()[:40]
                     + "#k2&z9",
}


def materialize(project: str, dest: Path) -> Path:
    """Copy a fixture project to ``dest`` with every marker replaced by its fake value."""
    root = dest / project
    shutil.copytree(PROJECTS / project, root)
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for name, value in FAKES.items():
                text = text.replace(f"@@{name}@@", value)
            path.write_text(text, encoding="utf-8")
    return root


def audit(root: Path, *, env_file: str, preview: str | None = None,
          required: tuple[str, ...] = (), environ: dict[str, str] | None = None) -> Report:
    lines = ['[app]\nname = "Fixture"\n[env]', f'environment_file = "{env_file}"',
             f"required = {json.dumps(list(required))}"]
    if preview:
        lines.append(f'preview_file = "{preview}"')
    text = "\n".join(lines) + "\n"
    (root / "launchready.toml").write_text(text, encoding="utf-8")
    config = load_config_text(text, source=str(root / "launchready.toml"), environ={})
    return asyncio.run(arun_audit(config, families=[EnvContractChecks(),
                                                    OutboundTimeoutChecks()],
                                  environ=environ or {}))


# (project, env file, preview file, required, ENV rules that must fire — and no others)
ENV_CASES = [
    ("nextjs-dashboard", ".env.production.bad", ".env.preview", ("DATABASE_URL",),
     {"ENV002", "ENV003", "ENV004", "ENV006"}),
    # RESEND_API_KEY is declared by the production file itself, so it is not ENV006 there
    ("nextjs-dashboard", ".env.production.good", ".env.preview.separate", ("DATABASE_URL",),
     set()),
    ("vite-spa", ".env.production.bad", None, (), {"ENV002", "ENV005"}),
    ("vite-spa", ".env.production.good", None, (), set()),
    ("fastapi-service", ".env.production.bad", None, (), {"ENV001", "ENV007", "ENV009"}),
    ("fastapi-service", ".env.production.good", None, (), set()),
    # DJANGO_ALLOWED_HOSTS is read with a default: not ENV006
    ("django-project", ".env.production.bad", None, ("DJANGO_SECRET_KEY",),
     {"ENV005", "ENV007", "ENV008"}),
    ("django-project", ".env.production.good", None, ("DJANGO_SECRET_KEY",), set()),
]


@pytest.mark.parametrize(("project", "env_file", "preview", "required", "expected"), ENV_CASES,
                         ids=[f"{c[0]}-{c[1].rsplit('.', 1)[-1]}" for c in ENV_CASES])
def test_env_rules_on_projects(tmp_path: Path, project: str, env_file: str,
                               preview: str | None, required: tuple[str, ...],
                               expected: set[str]) -> None:
    root = materialize(project, tmp_path)
    report = audit(root, env_file=env_file, preview=preview, required=required)
    fired = {f.rule_id for f in report.findings if f.rule_id.startswith("ENV")}
    assert fired == expected
    assert all(c.status.value in ("pass", "fail") for c in report.checks)


def test_fastapi_missing_required_and_quoted_value_by_name(tmp_path: Path) -> None:
    root = materialize("fastapi-service", tmp_path)
    report = audit(root, env_file=".env.production.bad")
    env001 = {(f.target, f.severity) for f in report.findings if f.rule_id == "ENV001"}
    # APP_REDIS_URL is a settings field without default: missing is critical
    assert (".env.production.bad APP_REDIS_URL", Severity.CRITICAL) in env001
    # SENTRY_DSN was exported with its quotes inside the value
    assert (".env.production.bad SENTRY_DSN", Severity.HIGH) in env001
    contract = next(t for t in report.tables if t.title.startswith("Environment contract"))
    status = {row[0]: row[1] for row in contract.rows}
    assert status["APP_REDIS_URL"] == "missing"
    assert status["SENTRY_DSN"] == "quoted"
    assert "weak-secret" in status["APP_JWT_SECRET"]


def test_all_missing_reported_at_once(tmp_path: Path) -> None:
    root = materialize("django-project", tmp_path)
    (root / ".env.empty").write_text("DJANGO_DEBUG=False\n", encoding="utf-8")
    report = audit(root, env_file=".env.empty", required=("DJANGO_SECRET_KEY", "SENTRY_DSN"))
    missing = sorted(f.target.split()[-1] for f in report.findings
                     if f.rule_id == "ENV001" and f.severity is Severity.CRITICAL)
    assert missing == ["DATABASE_URL", "DJANGO_SECRET_KEY", "PAYMENTS_API_URL", "SENTRY_DSN"]


# (project, the timeout-less calls that must be reported — and no others)
PERF_CASES = [
    ("nextjs-dashboard", {("app/api/invoices/route.ts", "fetch")}),
    ("vite-spa", {("src/api/client.ts", "axios.create")}),
    ("fastapi-service", {("app/clients.py", "httpx.get"),
                         ("app/clients.py", "aiohttp.ClientSession")}),
    ("django-project", {("shop/payments.py", "requests.get"),
                        ("shop/payments.py", "urllib.request.urlopen"),
                        ("shop/payments.py", "self.session.get")}),
]


@pytest.mark.parametrize(("project", "expected"), PERF_CASES, ids=[c[0] for c in PERF_CASES])
def test_perf005_on_projects(tmp_path: Path, project: str,
                             expected: set[tuple[str, str]]) -> None:
    root = materialize(project, tmp_path)
    report = audit(root, env_file=".env.production.good")
    found = [f for f in report.findings if f.rule_id == "PERF005"]
    assert {(f.location.path, f.target.split(" ", 1)[1]) for f in found
            if f.location} == expected
    assert all(f.location and f.location.line and f.location.column for f in found)
    assert len(found) == len(expected)


def test_perf005_location_reaches_sarif(tmp_path: Path) -> None:
    root = materialize("django-project", tmp_path)
    report = audit(root, env_file=".env.production.good")
    sarif = json.loads(render(report, Format.SARIF))
    regions = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in sarif["runs"][0]["results"] if r["ruleId"] == "PERF005"]
    assert ("shop/payments.py", 15) in regions


def test_skipped_items_are_listed_not_crashes(tmp_path: Path) -> None:
    root = materialize("vite-spa", tmp_path)
    # a binary file with a source extension and a malformed dotenv line
    (root / "src" / "logo.js").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (root / ".env.production.bad").write_text(
        (root / ".env.production.bad").read_text(encoding="utf-8") + 'BROKEN="unclosed\n',
        encoding="utf-8")
    report = audit(root, env_file=".env.production.bad")
    skipped = {row[0]: row[1] for t in report.tables if t.title.startswith("Skipped while "
                                                                           "reading")
               for row in t.rows}
    assert "syntax error at line 2" in skipped["src/broken.ts"]
    assert "binary" in skipped["src/logo.js"]
    assert "malformed line" in skipped[".env.production.bad:4"]
    assert all(c.status.value != "error" for c in report.checks)


def _values_of(root: Path) -> set[str]:
    values: set[str] = set(FAKES.values())
    for path in root.glob(".env*"):
        for value in dotenv_values(path, interpolate=False).values():
            if value and len(value.strip()) >= 8:
                values.add(value.strip())
    return values


@pytest.mark.parametrize("project", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_no_value_in_any_output_format(tmp_path: Path, project: str) -> None:
    root = materialize(project, tmp_path)
    secrets = _values_of(root)
    outputs = []
    for env_file in (".env.production.bad", ".env.production.good"):
        report = audit(root, env_file=env_file, preview=".env.preview"
                       if (root / ".env.preview").exists() else None)
        assert report.findings or env_file.endswith("good")
        outputs.extend(render(report, fmt) for fmt in Format)
        outputs.append(repr(report))
    for text in outputs:
        for value in secrets:
            assert value not in text, f"a value of {project} leaked into a report"


def test_process_environment_judges_only_contract_variables(tmp_path: Path) -> None:
    root = materialize("vite-spa", tmp_path)
    (root / "launchready.toml").write_text('[env]\nrequired = ["VITE_API_URL"]\n',
                                           encoding="utf-8")
    config = load_config_text('[env]\nrequired = ["VITE_API_URL"]\n',
                              source=str(root / "launchready.toml"), environ={})
    environ = {"VITE_API_URL": "https://api.acme.example", "DEBUG": "1",
               "DATABASE_URL": "postgres://x:y@127.0.0.1/db", "VITE_SUPABASE_URL": "https://x.co",
               "VITE_SUPABASE_ANON_KEY": FAKES["supabase_anon_jwt"]}
    report = asyncio.run(arun_audit(config, families=[EnvContractChecks(environ=environ)],
                                    environ=environ))
    # CI's own DEBUG and an unrelated DATABASE_URL are not part of this app's contract
    assert [f.rule_id for f in report.findings] == []


@pytest.mark.parametrize("fixed", [False, True], ids=["flawed", "fixed"])
def test_demo_project(tmp_path: Path, fixed: bool) -> None:
    write_demo_project(tmp_path, fixed=fixed)
    report = audit(tmp_path, env_file=".env.production", preview=".env.preview",
                   required=("DATABASE_URL", "SESSION_SECRET", "STRIPE_SECRET_KEY"))
    fired = {f.rule_id for f in report.findings}
    assert fired == (set() if fixed else {"ENV002", "ENV003", "ENV004", "PERF005"})
    text = "\n".join(render(report, fmt) for fmt in Format)
    for path in tmp_path.glob(".env.*"):
        for value in dotenv_values(path, interpolate=False).values():
            if value and len(value) >= 12:
                assert value not in text
