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


@pytest.mark.parametrize("argv", [
    ["secrets", "."], ["secrets", ".", "--format", "json", "-o", "r.json"],
    ["secrets", ".", "--history", "-q"],
], ids=["terminal", "json", "history"])
def test_a_secret_scan_without_a_config_file_loads_no_config_models(
        tmp_path: Path, argv: list[str]) -> None:
    """Without a config file the scan stands on the defaults: pydantic and the config models
    (most of the start-up) are not loaded. With one, they are — the control."""
    (tmp_path / "app.py").write_text("TIMEOUT = 30\n")
    assert "pydantic" not in _loaded(argv, tmp_path)
    (tmp_path / "launchready.toml").write_text('[app]\nname = "Acme"\n')
    assert "pydantic" in _loaded(argv, tmp_path)


def test_the_terminal_report_loads_its_renderer(tmp_path: Path) -> None:
    """The control: the probe does see a renderer that is used."""
    (tmp_path / "app.py").write_text("TIMEOUT = 30\n")
    assert "rich" in _loaded(["secrets", ".", "--no-color"], tmp_path)


def _spy_plugin(site: Path, trace: Path) -> None:
    """A pydantic plugin installed the way a real one is (an entry point in the ``pydantic``
    group); loading it writes ``trace``."""
    (site / "spy_plugin.py").write_text(
        f"from pathlib import Path\nPath({str(trace)!r}).write_text('loaded')\n"
        "class _Spy:\n    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\nplugin = _Spy()\n")
    info = site / "spy_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")


def test_no_pydantic_plugin_sees_the_config(tmp_path: Path) -> None:
    """The config holds credentials; a plugin installed beside the tool must not be handed
    them (and scanning for plugins costs start-up time)."""
    site, trace = tmp_path / "site", tmp_path / "trace"
    site.mkdir()
    _spy_plugin(site, trace)
    (tmp_path / "launchready.toml").write_text('[database]\nurl = "${DATABASE_URL}"\n')
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site),
           "DATABASE_URL": "postgresql://app:hunter2-long-pw@127.0.0.1:9/app"}
    control = subprocess.run(
        [sys.executable, "-c", "import pydantic\nclass M(pydantic.BaseModel):\n    x: int = 0\n"],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert control.returncode == 0 and trace.exists(), "the spy plugin must load in pydantic"
    trace.unlink()
    run = subprocess.run([sys.executable, "-m", "launchready", "secrets", "--format", "json",
                          "-o", "report.json"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode in (0, 1), run.stderr
    assert not trace.exists()
