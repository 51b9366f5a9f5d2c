"""What a command loads before it works: a secret scan or ``--version`` must not pay for the
network stack, the HTML templates or the terminal renderer it does not use.

Run in a fresh interpreter, so the modules other tests imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: loaded only by commands that talk to the network or render HTML / the terminal report
HEAVY = ("aiohttp", "dns", "cryptography", "jinja2", "rich")

_PROBE = """
import json, sys
sys.argv = ["launchready", *json.loads(sys.argv[1])]
from launchready.cli import main
try:
    code = main()
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
print("\\n" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _loaded(argv: list[str], cwd: Path) -> set[str]:
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv)], cwd=cwd,
                         capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [
    ["--version"],
    ["secrets", ".", "--format", "json", "-o", "report.json"],
    ["secrets", ".", "--format", "sarif", "-o", "report.sarif"],
], ids=["version", "secrets-json", "secrets-sarif"])
def test_a_secret_scan_loads_no_network_or_renderer_stack(tmp_path: Path,
                                                           argv: list[str]) -> None:
    (tmp_path / "app.py").write_text("TIMEOUT = 30\n")
    loaded = _loaded(argv, tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_version_loads_no_config_models(tmp_path: Path) -> None:
    assert "pydantic" not in _loaded(["--version"], tmp_path)


def test_the_terminal_report_loads_its_renderer(tmp_path: Path) -> None:
    """The control: the probe does see a renderer that is used."""
    (tmp_path / "app.py").write_text("TIMEOUT = 30\n")
    assert "rich" in _loaded(["secrets", ".", "--no-color"], tmp_path)
