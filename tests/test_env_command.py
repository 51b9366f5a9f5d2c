"""``launchready env``: the deploy gate's table and exit codes (run(args) before CLI wiring)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from dotenv import dotenv_values

from launchready.checks.env.demo_project import write_demo_project
from launchready.commands import env as env_command
from launchready.errors import ConfigError, UsageError

CONFIG = """[app]
name = "Acme"
[env]
environment_file = ".env.production"
required = ["DATABASE_URL", "SESSION_SECRET", "STRIPE_SECRET_KEY"]
"""


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    env_command.add_arguments(parser)
    args = parser.parse_args(list(argv))
    defaults = {"config": None, "formats": [], "outputs": [], "fail_on": "high", "only": "",
                "skip": "", "baseline": None, "write_baseline": None, "quiet": True,
                "verbose": False, "no_color": True, "resolve": [], "resolver": None,
                "ca_bundle": None, "timeout": None}
    for key, value in defaults.items():
        setattr(args, key, value)
    return args


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_demo_project(tmp_path, fixed=True)
    (tmp_path / "launchready.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fixed_project_passes_the_gate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert env_command.run(_args()) == 0
    out = capsys.readouterr().out
    assert "Environment contract (production: .env.production)" in out
    assert "STRIPE_SECRET_KEY" in out


def test_missing_required_exits_1_even_with_fail_on_never(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pulled = project / ".env.vercel"
    pulled.write_text("DATABASE_URL=postgres://a:b@db.example/app\n", encoding="utf-8")
    args = _args("--env-file", str(pulled))
    args.fail_on = "never"
    args.formats = ["json"]
    assert env_command.run(args) == 1
    report = json.loads(capsys.readouterr().out)
    missing = sorted(f["target"].split()[-1] for f in report["findings"]
                     if f["rule_id"] == "ENV001" and f["severity"] == "critical")
    # the third is read as process.env.X! by the checkout code
    assert missing == ["NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "SESSION_SECRET", "STRIPE_SECRET_KEY"]
    assert all(f["target"].startswith(".env.vercel ") for f in report["findings"])


def test_flawed_project_fails_and_prints_no_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    write_demo_project(tmp_path, fixed=False)
    (tmp_path / "launchready.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert env_command.run(_args()) == 1
    out = capsys.readouterr().out
    assert "public-secret" in out and "test-key" in out
    for value in dotenv_values(tmp_path / ".env.production").values():
        assert value and value not in out


def test_environment_name_changes_the_rules(project: Path) -> None:
    write_demo_project(project, fixed=False)
    # as a development environment, sk_test_ keys and public prefixes are expected
    assert env_command.run(_args("--environment", "development")) == 0


def test_shell_environment_only_with_from_shell(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "launchready.toml").write_text('[env]\nrequired = ["GATE_TEST_VAR"]\n',
                                               encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATE_TEST_VAR", raising=False)
    # the developer's shell is never judged unless asked for
    with pytest.raises(UsageError, match=r"--env-file.*--from-shell"):
        env_command.run(_args())
    assert env_command.run(_args("--from-shell")) == 1
    monkeypatch.setenv("GATE_TEST_VAR", "set-in-ci")
    assert env_command.run(_args("--from-shell")) == 0


def test_bad_paths_are_usage_or_config_errors(project: Path) -> None:
    with pytest.raises(UsageError, match="--env-file"):
        env_command.run(_args("--env-file", "nope.env"))
    (project / ".env.production").unlink()
    with pytest.raises(ConfigError, match=r"env\.environment_file"):
        env_command.run(_args())


def test_unreadable_env_file_is_incomplete_not_pass(project: Path) -> None:
    (project / "binary.env").write_bytes(b"\x00\x01\x02")
    assert env_command.run(_args("--env-file", "binary.env")) == 3
