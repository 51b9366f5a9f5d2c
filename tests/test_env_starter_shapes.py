"""The first run after ``init`` on projects shaped like real SaaS starters.

Four shapes, written here: a Next.js app whose template is ``.env.local.example``; a Python
app with a 50-variable ``.env.example`` of blank optional keys and flags; a FastAPI + Vite
monorepo with a tracked template ``.env``; a Next.js app with many browser fetches. After
``init`` and ``env --env-file <template>`` each has no critical finding, and ENV006 lists
exactly the undeclared reads planted in it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from launchready.commands import env as env_command
from launchready.commands import init as init_command


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


NEXT_LOCAL_EXAMPLE = {
    "package.json": json.dumps({"dependencies": {"next": "14", "react": "18"}}),
    ".env.local.example": (
        "NEXT_PUBLIC_SUPABASE_URL=\nNEXT_PUBLIC_SUPABASE_ANON_KEY=\nSUPABASE_SERVICE_ROLE_KEY=\n"
        "STRIPE_SECRET_KEY=\nSTRIPE_WEBHOOK_SECRET=whsec_***\n"
        "# Optional single sign-on\n# JACKSON_URL=https://sso.example.com\n"),
    # another tool's settings kept in the same folder
    ".env.example": "SUPABASE_AUTH_EXTERNAL_GITHUB_CLIENT_ID=\nVERCEL_ORG_ID=\n",
    "utils/supabase/admin.ts": (
        "const url = process.env.NEXT_PUBLIC_SUPABASE_URL!;\n"
        "const key = process.env.SUPABASE_SERVICE_ROLE_KEY!;\n"
        "export const admin = { url, key };\n"),
    "utils/stripe.ts": (
        "export const stripeKey = process.env.STRIPE_SECRET_KEY ?? '';\n"
        "export const hook = process.env.STRIPE_WEBHOOK_SECRET;\n"
        "export const sso = process.env.JACKSON_URL;\n"
        "export const anon = process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY;\n"),
    "utils/helpers.ts": (
        "export const site = process.env.NEXT_PUBLIC_SITE_URL\n"
        "  ?? process.env.NEXT_PUBLIC_VERCEL_URL;\n"
        "export const preview = process.env.VERCEL_ENV === 'preview';\n"
        "export const planted = process.env.PLANTED_NEXT_SETTING;\n"),
}

_OPTIONAL = [f"OPTIONAL_INTEGRATION_{i}_TOKEN" for i in range(20)]
_FLAGS = [f"FEATURE_FLAG_{i}" for i in range(20)]
PY_FIFTY = {
    "requirements.txt": "flask\n",
    ".env.example": (
        "DATABASE_URL=\nSECRET_KEY=\nSENTRY_AUTH_TOKEN=\nSLACK_WEBHOOK_URL=\nFEATURE_TEAM_SSO=true\n"
        + "".join(f"{n}=\n" for n in _OPTIONAL) + "".join(f"{n}=false\n" for n in _FLAGS)
        + "APP_NAME=Acme\nLOG_LEVEL=info\nSMTP_HOST=\nSMTP_PORT=587\nFASTAPI_ENV=development\n"),
    "app/__init__.py": "",
    "app/config.py": (
        "import os\n\n"
        "DATABASE_URL = os.environ['DATABASE_URL']\n"
        "SECRET_KEY = os.environ['SECRET_KEY']\n"
        "SLACK = os.getenv('SLACK_WEBHOOK_URL', '')\n"
        "SSO = os.getenv('FEATURE_TEAM_SSO', 'false') == 'true'\n"
        "FLAGS = {n: os.getenv(n, 'false') for n in ()}\n"
        + "".join(f"F{i} = os.getenv('{n}', 'false')\n" for i, n in enumerate(_FLAGS))
        + "".join(f"T{i} = os.getenv('{n}')\n" for i, n in enumerate(_OPTIONAL))
        + "NAME = os.getenv('APP_NAME', 'Acme')\nLEVEL = os.getenv('LOG_LEVEL', 'info')\n"
        "SMTP = (os.getenv('SMTP_HOST'), int(os.getenv('SMTP_PORT', '587')))\n"
        "MODE = os.getenv('FASTAPI_ENV', 'production')\n"
        "PLANTED = os.environ['PLANTED_PY_REQUIRED']\n"),
}

MONOREPO = {
    "backend/pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi", '
                              '"pydantic-settings"]\n',
    "frontend/package.json": json.dumps({"devDependencies": {"vite": "5"}}),
    ".env": ("DOMAIN=localhost\nSTACK_NAME=acme\nSECRET_KEY=changethis\n"
             "POSTGRES_PASSWORD=changethis\nPOSTGRES_SERVER=localhost\nSENTRY_DSN=\n"
             "FRONTEND_HOST=http://localhost:5173\n"),
    "frontend/.env": "VITE_API_URL=http://localhost:8000\nMAILPIT_HOST=http://localhost:8025\n",
    "compose.yml": "services:\n  db:\n    environment:\n      - STACK=${STACK_NAME}\n"
                   "      - DOMAIN=${DOMAIN?Variable not set}\n",
    "backend/app/__init__.py": "",
    "backend/app/core/config.py": (
        "import os\n"
        "from pydantic_settings import BaseSettings\n\n"
        "class Settings(BaseSettings):\n"
        "    SECRET_KEY: str\n"
        "    POSTGRES_PASSWORD: str = ''\n"
        "    POSTGRES_SERVER: str\n"
        "    SENTRY_DSN: str | None = None\n"
        "    FRONTEND_HOST: str = 'http://localhost:5173'\n"
        "    EMAILS_FROM_NAME: str | None = None\n"
        "    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24 * 8\n\n"
        "settings = Settings()\n"
        "ON_RENDER = 'RENDER' in os.environ\n"
        "FLY = os.getenv('FLY_APP_NAME')\n"
        "PLANTED = os.getenv('PLANTED_BACKEND_SETTING')\n"),
    "frontend/src/main.tsx": (
        "const api = import.meta.env.VITE_API_URL;\n"
        "const planted = import.meta.env.VITE_PLANTED_FLAG;\n"
        "export async function load() { return fetch(`${api}/items`); }\n"),
    "frontend/playwright.config.ts": "export default { baseURL: process.env.PLAYWRIGHT_URL };\n",
}

_COMPONENT = ('"use client";\nimport {{ useState }} from "react";\n'
              "export function Panel{i}() {{\n  const [x] = useState(0);\n"
              "  async function save() {{ await fetch('/api/panel/{i}', {{ method: 'POST' }}); }}\n"
              "  return x;\n}}\n")
NEXT_FETCHES = {
    "package.json": json.dumps({"dependencies": {"next": "14", "react": "18"}}),
    ".env.example": "STRIPE_SECRET_KEY=\nNEXTAUTH_SECRET=\n",
    **{f"components/Panel{i}.tsx": _COMPONENT.format(i=i) for i in range(12)},
    "app/api/billing/route.ts": (
        "export async function POST() {\n"
        "  const key = process.env.STRIPE_SECRET_KEY!;\n"
        "  return fetch('https://api.stripe.com/v1/charges', "
        "{ headers: { Authorization: `Bearer ${key}` } });\n}\n"),
}

SHAPES = [
    ("nextjs-local-example", NEXT_LOCAL_EXAMPLE, ".env.local.example",
     {"PLANTED_NEXT_SETTING"}),
    ("fifty-variable-template", PY_FIFTY, ".env.example", {"PLANTED_PY_REQUIRED"}),
    ("fastapi-vite-monorepo", MONOREPO, ".env",
     {"PLANTED_BACKEND_SETTING", "VITE_PLANTED_FLAG"}),
    ("nextjs-browser-fetches", NEXT_FETCHES, ".env.example", set()),
]


def _env_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    env_command.add_arguments(parser)
    args = parser.parse_args(list(argv))
    defaults: dict[str, Any] = {
        "config": None, "formats": ["json"], "outputs": [], "fail_on": "high", "only": "",
        "skip": "", "baseline": None, "write_baseline": None, "quiet": True, "verbose": False,
        "no_color": True, "resolve": [], "resolver": None, "ca_bundle": None, "timeout": None}
    for key, value in defaults.items():
        setattr(args, key, value)
    return args


def _init(root: Path) -> str:
    args = argparse.Namespace(url=None, domain=None, force=False, dir=str(root), outputs=[],
                              resolver=None, resolve=[], ca_bundle=None, timeout=None,
                              quiet=True)
    assert init_command.run(args) == 0
    return (root / "launchready.toml").read_text(encoding="utf-8")


def _git(root: Path) -> None:
    for argv in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", "-C", str(root), *argv], check=True, capture_output=True)


@pytest.mark.parametrize(("files", "template", "planted"), [s[1:] for s in SHAPES],
                         ids=[s[0] for s in SHAPES])
def test_first_run_after_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str], files: dict[str, str],
                              template: str, planted: set[str]) -> None:
    # Given a fresh clone of the project, with git tracking its files
    _write(tmp_path, files)
    _git(tmp_path)
    monkeypatch.chdir(tmp_path)
    # When init writes the config and env checks the template
    config = _init(tmp_path)
    assert "required = []" in config
    code = env_command.run(_env_args("--env-file", template))
    report = json.loads(capsys.readouterr().out)
    # Then nothing is critical, and ENV006 is exactly what was planted
    assert [f for f in report["findings"] if f["severity"] == "critical"] == []
    undeclared = {f["target"].split()[-1] for f in report["findings"]
                  if f["rule_id"] == "ENV006"}
    assert undeclared == planted
    assert code == 0


def test_monorepo_is_recognised_per_folder(tmp_path: Path) -> None:
    _write(tmp_path, MONOREPO)
    _git(tmp_path)
    config = _init(tmp_path)
    assert "#   backend/: FastAPI" in config and "#   frontend/: Vite" in config
    assert "Templates read as declarations: .env, frontend/.env" in config


def test_unused_template_keys_are_one_low_finding_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, NEXT_LOCAL_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    _init(tmp_path)
    env_command.run(_env_args("--env-file", ".env.local.example"))
    report = json.loads(capsys.readouterr().out)
    unused = sorted((f["target"].split()[-1], f["severity"]) for f in report["findings"]
                    if f["rule_id"] == "ENV010")
    assert unused == [("SUPABASE_AUTH_EXTERNAL_GITHUB_CLIENT_ID", "low"),
                      ("VERCEL_ORG_ID", "low")]


def test_browser_fetches_are_low_and_the_api_route_medium(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, NEXT_FETCHES)
    monkeypatch.chdir(tmp_path)
    _init(tmp_path)
    from launchready.checks.env.timeouts import evaluate_timeouts
    from launchready.envcontract.scan import scan_tree
    findings = evaluate_timeouts(scan_tree([tmp_path], tmp_path)).findings
    by_severity = sorted((f.location.path if f.location else "", f.severity.value)
                         for f in findings)
    assert ("app/api/billing/route.ts", "medium") in by_severity
    assert sum(1 for _, s in by_severity if s == "low") == 12
    assert len(by_severity) == 13
