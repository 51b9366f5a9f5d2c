"""The package as users install it: ``python -m build``'s wheel and sdist, installed with pipx
into a fresh virtualenv (dependencies included), running the demo from an empty folder as an
unprivileged user — the same steps and layout as the ``Dockerfile``, which is linted with
hadolint (no container engine runs here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchready._version import __version__
from wheelhouse import Built

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOBODY = 65534

pytestmark = pytest.mark.slow


def _package_files() -> list[str]:
    """Every file of the package in the source tree, as a path inside the wheel."""
    src = ROOT / "src"
    return sorted(str(p.relative_to(src)) for p in (src / "launchready").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_wheel_carries_the_whole_package_and_one_version(built_package: Built) -> None:
    with zipfile.ZipFile(built_package.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"launchready-{__version__}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"launchready-{__version__}.dist-info/entry_points.txt")
    missing = [f for f in _package_files() if f not in names]
    assert not missing, missing
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    assert f"\nVersion: {__version__}\n" in metadata  # from _version.py, the one place
    assert built_package.wheel.name == f"launchready-{__version__}-py3-none-any.whl"
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert f"launchready = {script['launchready']}".encode() in entry_points
    uvloop = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: uvloop")]
    assert uvloop and "sys_platform != 'win32'" in uvloop[0] and "extra ==" not in uvloop[0]


def test_sdist_rebuilds_the_package(built_package: Built) -> None:
    with tarfile.open(built_package.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "Dockerfile", "action.yml",
                   ".pre-commit-hooks.yaml", *(f"src/{f}" for f in _package_files())):
        assert needed in names, needed
    assert not any(n.startswith((".venv/", ".git/")) for n in names)


@pytest.fixture(scope="module")
def pipx_install(built_package: Built) -> Iterator[Path]:
    """``pipx install`` of the wheel into a fresh virtualenv; yields the ``launchready`` path."""
    # readable by an unprivileged user: the demo runs as one below
    base = Path(tempfile.mkdtemp(prefix="launchready-pipx-"))
    base.chmod(0o755)
    env = built_package.pip_env({**os.environ, "PIPX_HOME": str(base / "home"),
                                 "PIPX_BIN_DIR": str(base / "bin"),
                                 "PIPX_MAN_DIR": str(base / "man")})
    proc = subprocess.run([str(BIN / "pipx"), "install", str(built_package.wheel)], env=env,
                          capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield base / "bin" / "launchready"
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_fresh_install_runs_the_fixed_demo_from_an_empty_folder_as_non_root(
        pipx_install: Path) -> None:
    venv_python = pipx_install.resolve().parent / "python"
    # Given a fresh virtualenv with only the wheel and its dependencies
    deps = subprocess.run([str(venv_python), "-c", "import uvloop, launchready; "
                           "print(launchready.__file__)"], capture_output=True, text=True,
                          check=True)
    assert "/site-packages/launchready/" in deps.stdout
    version = subprocess.run([str(pipx_install), "--version"], capture_output=True, text=True,
                             check=True)
    assert version.stdout.strip() == f"launchready {__version__}"
    # When an unprivileged user runs the fixed demo in an empty folder
    work = Path(tempfile.mkdtemp(prefix="launchready-empty-"))
    try:
        os.chown(work, NOBODY, NOBODY)
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        proc = subprocess.run([*as_nobody, str(pipx_install), "demo", "--fixed", "-q",
                               "--no-color", "--format", "json", "-o", "report.json",
                               "--format", "terminal"], cwd=work, capture_output=True, text=True,
                              check=False, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(work),
                                   "LANG": "C.UTF-8"})
        # Then it audits clean and writes its report where it runs, nowhere else
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert (work / "launchready-report.html").is_file()
        report = json.loads((work / "report.json").read_text())
        errored = [c for c in report["checks"] if c["status"] == "error"]
        assert not errored, errored  # every check could run as this user, from this folder
        # the repaired demo has no finding (its clean-checkout build included); latency
        # budgets depend on this machine's load
        flagged = {f["rule_id"]: f["evidence"] for f in report["findings"]
                   if f["severity"] != "info"}
        assert set(flagged) <= {"PERF001", "PERF002", "PERF004", "SMOKE004"}, \
            flagged
        assert "Acme Dashboard" in proc.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_dockerfile_lints_clean_and_matches_these_steps() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    lint = subprocess.run([str(BIN / "hadolint"), "--no-color", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(stages) == 2 and all(re.fullmatch(r"python:3\.\d+-slim", s) for s in stages)
    # the wheel comes from the project's own build, and is what the final image installs
    assert "RUN python -m build --wheel --outdir /dist" in dockerfile
    assert "pip install --no-cache-dir /tmp/dist/*.whl" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["launchready"\]$', dockerfile, re.MULTILINE)
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE)
    for group in copied:
        for name in group.split():
            assert (ROOT / name).exists(), name
