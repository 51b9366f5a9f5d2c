"""The package as users get it, built once per test session: sdist and wheel from
``python -m build``, plus a wheelhouse of every dependency (and the build backend) fetched from
the package index.

Tests that install the package into a fresh virtualenv (the wheel test, the pre-commit hooks)
point pip at the wheelhouse (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``), so the index is read once
per session instead of once per virtualenv; what gets installed is still the real dependency
set the wheel declares.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Built:
    """The built distributions and the wheelhouse that installs them offline."""

    wheel: Path
    sdist: Path
    wheelhouse: Path

    def pip_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment in which pip installs from the wheelhouse only."""
        env = dict(os.environ if base is None else base)
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheelhouse),
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        env.pop("PIP_EXTRA_INDEX_URL", None)
        env.pop("VIRTUAL_ENV", None)
        return env


def _run(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


@pytest.fixture(scope="session", name="built_package")
def built_package_fixture(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``python -m build`` of this checkout and a wheelhouse for it (session-wide)."""
    base = tmp_path_factory.mktemp("dist")
    dist = base / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], base)
    [wheel] = dist.glob("launchready-*.whl")
    [sdist] = dist.glob("launchready-*.tar.gz")
    wheelhouse = base / "wheelhouse"
    # the dependencies of the wheel, and the build backend pre-commit needs to build from source
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheelhouse),
          str(wheel), "hatchling", "pip", "setuptools", "wheel"], base)
    return Built(wheel=wheel, sdist=sdist, wheelhouse=wheelhouse)
