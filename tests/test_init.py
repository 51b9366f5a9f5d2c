"""``launchready init``: framework and env detection, the written config, and ``--url`` probing.

Every written file must load with ``load_config`` with no environment variables set (so
credentials are ``${VAR}`` references in commented templates) and must be auditable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from demosite import demo_in_thread
from launchready.commands import init as init_command
from launchready.config.loader import load_config
from launchready.engine import Selection, arun_audit
from launchready.errors import UsageError
from launchready.init.detect import detect_framework, detect_project, git_remote, redact_remote
from launchready.model import CheckStatus

PROJECTS = Path(__file__).parent / "data" / "env_projects"


def _args(directory: Path, **overrides: Any) -> argparse.Namespace:
    values: dict[str, Any] = {
        "url": None, "domain": None, "force": False, "dir": str(directory), "outputs": [],
        "resolver": None, "resolve": [], "ca_bundle": None, "timeout": None, "quiet": True}
    values.update(overrides)
    return argparse.Namespace(**values)


# --- detection (files only) ----------------------------------------------------------------

@pytest.mark.parametrize(("files", "framework"), [
    ({"package.json": {"dependencies": {"next": "14", "react": "18"}}}, "Next.js"),
    ({"package.json": {"devDependencies": {"vite": "5"}}}, "Vite"),
    ({"package.json": {"dependencies": {"react-scripts": "5"}}}, "Create React App"),
    ({"package.json": {"devDependencies": {"@sveltejs/kit": "2", "vite": "5"}}}, "SvelteKit"),
    ({"package.json": {"dependencies": {"nuxt": "3"}}}, "Nuxt"),
    ({"requirements.txt": "fastapi==0.111\nuvicorn\n"}, "FastAPI"),
    ({"requirements.txt": "# web\nFlask>=3\n"}, "Flask"),
    ({"manage.py": "", "requirements.txt": "Django==5\n"}, "Django"),
    ({"pyproject.toml": '[project]\nname = "svc"\ndependencies = ["fastapi>=0.100"]\n'},
     "FastAPI"),
    ({"Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n"}, "Rails"),
    ({"composer.json": '{"require": {"laravel/framework": "^11.0"}}'}, "Laravel"),
    ({"package.json": "{not json"}, None),
    ({}, None),
], ids=["nextjs", "vite", "cra", "sveltekit", "nuxt", "fastapi", "flask", "django",
        "pyproject", "rails", "laravel", "broken-package-json", "empty"])
def test_detect_framework(tmp_path: Path, files: dict[str, object],
                          framework: str | None) -> None:
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found, evidence, _ = detect_framework(tmp_path)
    assert (found.name if found else None) == framework
    assert evidence


@pytest.mark.parametrize(("url", "shown"), [
    ("https://ghp_token123@github.com/acme/app.git", "https://github.com/acme/app.git"),
    ("https://user:pass@gitlab.com/acme/app.git", "https://gitlab.com/acme/app.git"),
    ("git@github.com:acme/app.git", "git@github.com:acme/app.git"),
    ("ssh://git@github.com/acme/app.git", "ssh://git@github.com/acme/app.git"),
    ("https://github.com/acme/app.git", "https://github.com/acme/app.git"),
], ids=["token", "user-pass", "scp-like", "ssh", "plain"])
def test_git_remote_loses_credentials(url: str, shown: str) -> None:
    assert redact_remote(url) == shown


def test_git_remote_is_read_without_running_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[core]\n\tfsmonitor = "touch pwned"\n[remote "upstream"]\n\turl = https://x.test/u\n'
        '[remote "origin"]\n\turl = https://tok@github.com/acme/app.git\n', encoding="utf-8")
    assert git_remote(tmp_path) == "https://github.com/acme/app.git"
    assert not (tmp_path / "pwned").exists()


# --- the fixture projects ------------------------------------------------------------------

@pytest.mark.parametrize(("project", "framework", "required", "prefixes"), [
    ("nextjs-dashboard", "Next.js", [], ["NEXT_PUBLIC_"]),
    ("vite-spa", "Vite", ["VITE_API_URL"], ["VITE_"]),
    ("fastapi-service", "FastAPI", ["APP_DATABASE_URL", "APP_JWT_SECRET", "APP_REDIS_URL"],
     None),
    ("django-project", "Django", ["DATABASE_URL", "DJANGO_SECRET_KEY", "PAYMENTS_API_URL"],
     None),
], ids=["nextjs", "vite", "fastapi", "django"])
def test_init_writes_a_loadable_auditable_config(tmp_path: Path, project: str, framework: str,
                                                 required: list[str],
                                                 prefixes: list[str] | None) -> None:
    # Given a copy of the fixture project
    root = tmp_path / project
    shutil.copytree(PROJECTS / project, root)
    assert detect_project(root).framework is not None

    # When init runs in it
    assert init_command.run(_args(root)) == 0

    # Then the file names the framework, loads with no env vars, and holds what was detected
    text = (root / "launchready.toml").read_text(encoding="utf-8")
    assert f"— {framework} (" in text
    config = load_config(root / "launchready.toml", environ={})
    # template keys are never copied into required; what the code requires is named
    assert config.env is not None and config.env.required == []
    if required:
        assert f"read without a fallback): {', '.join(required)}" in text
    assert "# Templates read as declarations: .env.example" in text
    if prefixes is not None:
        assert config.env.public_prefixes == prefixes
    assert config.secrets is not None and config.secrets.paths == ["."]
    # and `launchready audit` runs on it (the offline checks: env contract and secrets)
    report = asyncio.run(arun_audit(config, selection=Selection(only=("ENV", "SEC", "PERF005")),
                                    environ={}))
    assert not [c for c in report.checks if c.status is CheckStatus.ERROR
                and (c.error or "").startswith("bug")]
    assert any(c.status is not CheckStatus.SKIPPED for c in report.checks)


def test_every_credential_is_a_var_reference(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(PROJECTS / "nextjs-dashboard", root)
    init_command.run(_args(root))
    text = (root / "launchready.toml").read_text(encoding="utf-8")
    for key in ("password", "url = \"${DATABASE", "alerts"):
        assert key in text
    for match in re.finditer(r'(password|token|secret|api_key)\s*=\s*"([^"]*)"', text):
        assert match.group(2).startswith("${"), match.group(0)
    assert '"${SMOKE_PASSWORD}"' in text and '"${SLACK_ALERT_URL}"' in text


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    existing = tmp_path / "launchready.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--force"):
        init_command.run(_args(tmp_path))
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    assert init_command.run(_args(tmp_path, force=True)) == 0
    assert "written by `launchready init`" in existing.read_text(encoding="utf-8")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"url": "ftp://acme.example"}, "not an http"),
    ({"dir": "/nonexistent/launchready-init"}, "not a folder"),
    ({"resolve": ["nonsense"]}, "bad network option"),
], ids=["bad-url", "bad-dir", "bad-resolve"])
def test_init_usage_errors(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        init_command.run(_args(tmp_path, **overrides))


# --- --url against the demo site -----------------------------------------------------------

def test_init_url_fills_in_what_the_live_site_shows(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "vite-spa", project)
    with demo_in_thread(tmp_path / "site") as (site, dns_port):
        # Given the demo site, its zone on a local DNS server and its throwaway CA
        args = _args(project, url=f"https://acme.test:{site.https_port}/",
                     resolver=f"127.0.0.1:{dns_port}", resolve=list(site.resolve),
                     ca_bundle=str(site.ca_bundle), timeout=5.0)

        # When init probes it
        assert init_command.run(args) == 0

        # Then the apex, canonical URL, DNS provider, records and email policy are filled in
        text = (project / "launchready.toml").read_text(encoding="utf-8")
        config = load_config(project / "launchready.toml", environ={})
        assert config.app.domain == "acme.test"
        assert config.app.canonical == site.canonical
        assert config.dns is not None and config.dns.provider == "acme.test"
        records = {(r.name, r.type): r.values for r in config.dns.records}
        assert records[("@", "A")] == ["127.0.0.1"]
        assert records[("@", "NS")] == ["ns1.acme.test."]
        assert records[("@", "MX")] == ["10 mail.acme.test."]
        assert records[("www", "A")] == ["127.0.0.1"]
        assert records[("app", "A")] == ["127.0.0.1"]
        assert config.email is not None
        assert config.email.senders == ["include:spf.mailer.test",
                                        "include:spf.oldnewsletter.test"]
        assert "found live — confirm" in text
        assert "no DMARC record found" in text
        assert "redirects to https://app.acme.test" in text
        # the flawed demo's www serves the site itself: init says the origins disagree
        assert "end at different origins" in text
        # and the record map it wrote matches the live zone (DNS001 passes)
        report = asyncio.run(arun_audit(config, selection=Selection(only=("DNS001",))))
        assert [c.status for c in report.checks] == [CheckStatus.PASS]


def test_a_committed_env_production_is_a_template_not_the_source(tmp_path: Path) -> None:
    import subprocess
    (tmp_path / "package.json").write_text('{"dependencies": {"next": "14"}}', encoding="utf-8")
    (tmp_path / ".env.production").write_text("NEXT_PUBLIC_APP_URL=https://x.example\n",
                                              encoding="utf-8")
    for argv in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", "-C", str(tmp_path), *argv], check=True, capture_output=True)
    facts = detect_project(tmp_path)
    assert facts.production_env is None and facts.templates == (".env.production",)
    assert init_command.run(_args(tmp_path)) == 0
    text = (tmp_path / "launchready.toml").read_text(encoding="utf-8")
    assert '# environment_file = ".env.production"' in text
    assert "The production environment must be named" in text
