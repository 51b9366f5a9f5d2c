"""Every file a config, a repository or a command line names is read capped and only if regular.

A committed symlink to ``/dev/zero`` or a FIFO, or a file far larger than its kind ever is,
gives an error naming the key (exit 2) at once instead of eating memory or hanging.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.errors import ProbeError
from launchready.perf import baseline as perf_baseline
from launchready.probes.files import UnreadableFile, read_capped


def launchready(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # a 1.5 GB address-space limit turns a runaway read into a quick MemoryError
    return subprocess.run(
        ["/bin/sh", "-c", 'ulimit -v 1500000; exec "$@"', "sh", sys.executable, "-m",
         "launchready", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
        check=False, env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("print('hello')\n")
    return root


def _hostile(path: Path, kind: str) -> None:
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        with path.open("wb") as fh:
            fh.truncate(40 << 20)  # sparse: bigger than any cap, costs no disk


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "huge"])
def test_configured_findings_baseline_is_a_config_error(project: Path, kind: str) -> None:
    (project / "launchready.toml").write_text(
        '[secrets]\npaths = ["."]\nhistory = false\nbaseline = "known-findings.json"\n')
    _hostile(project / "known-findings.json", kind)
    for command in ("secrets", "audit"):
        proc = launchready(command, cwd=project)
        assert proc.returncode == 2, (command, proc.stderr)
        assert "secrets.baseline" in proc.stderr
        assert ("not a regular file" if kind != "huge" else "over the 16 MiB limit") \
            in proc.stderr
        assert "internal error" not in proc.stderr


def test_configured_baseline_that_does_not_exist_yet_is_empty(project: Path) -> None:
    (project / "launchready.toml").write_text(
        '[secrets]\npaths = ["."]\nhistory = false\nbaseline = "later.json"\n')
    proc = launchready("secrets", "--write-baseline", "later.json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "later.json").is_file()


def test_baseline_option_names_the_option(project: Path) -> None:
    _hostile(project / "b.json", "dev-zero")
    proc = launchready("secrets", ".", "--baseline", "b.json", cwd=project)
    assert proc.returncode == 2
    assert "--baseline: baseline file b.json is not a regular file" in proc.stderr


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "huge"])
def test_config_file_itself_is_capped(project: Path, kind: str) -> None:
    _hostile(project / "cfg.toml", kind)
    proc = launchready("audit", "--config", "cfg.toml", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert ("not a regular file" if kind != "huge" else "over the 1 MiB limit") in proc.stderr


def test_config_with_a_16_mib_string_is_refused_quickly(project: Path) -> None:
    (project / "big.toml").write_text('[app]\nname = "' + "x" * (16 << 20) + '"\n')
    proc = launchready("audit", "--config", "big.toml", cwd=project)
    assert proc.returncode == 2
    assert "config file big.toml is" in proc.stderr and "1 MiB limit" in proc.stderr


def test_ca_bundle_on_a_device_is_a_config_error(project: Path) -> None:
    (project / "launchready.toml").write_text(
        '[network]\nca_bundle = "ca.pem"\n'
        '[secrets]\npaths = ["."]\nhistory = false\n')
    _hostile(project / "ca.pem", "dev-zero")
    proc = launchready("audit", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert "network.ca_bundle" in proc.stderr and "not a regular file" in proc.stderr


def test_env_file_on_a_device_is_reported_not_read(project: Path) -> None:
    (project / "launchready.toml").write_text(
        '[env]\nrequired = ["DATABASE_URL"]\nenvironment_file = ".env.production"\n')
    _hostile(project / ".env.production", "dev-zero")
    proc = launchready("env", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert "env.environment_file: .env.production is not a regular file" in proc.stderr
    proc = launchready("env", "--env-file", ".env.production", cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert "--env-file: .env.production is not a regular file" in proc.stderr


def test_env_file_read_by_the_audit_is_capped(tmp_path: Path) -> None:
    # the audit reads the configured file without the command's up-front check
    from launchready.envcontract.envfiles import load_env_file

    _hostile(tmp_path / ".env", "dev-zero")
    with pytest.raises(ProbeError, match=r"\.env is not a regular file"):
        load_env_file(tmp_path / ".env", ".env")


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "huge"])
def test_perf_baseline_is_capped(tmp_path: Path, kind: str) -> None:
    _hostile(tmp_path / "perf.json", kind)
    with pytest.raises(perf_baseline.BaselineError, match="perf baseline"):
        perf_baseline.load(tmp_path / "perf.json")


def test_read_capped(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 100)
    assert read_capped(f, limit=100, what="f") == b"x" * 100
    with pytest.raises(UnreadableFile, match="over the 99 bytes limit"):
        read_capped(f, limit=99, what="f")
    with pytest.raises(UnreadableFile, match="does not exist") as missing:
        read_capped(tmp_path / "nope", limit=10, what="nope")
    assert missing.value.missing and isinstance(missing.value, ProbeError)
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_capped(tmp_path, limit=10, what="dir")
