"""Bad config values and arguments are exit 2 naming the key, never an internal error.

Each case goes through the real CLI: ``listen`` that is not HOST:PORT, durations beyond ten
years, a document nested thousands deep, numeric IPv4 spellings in monitor targets and a
``--resolver`` without a port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.config.types import parse_resolver

CHECK = '[[monitor.checks]]\nname = "home"\nurl = "http://127.0.0.1:9/"\n'


def launchready(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))


@pytest.mark.parametrize(("monitor", "needle"), [
    ('listen = "nonsense"', "monitor.listen: 'nonsense' is not HOST:PORT"),
    ('listen = "127.0.0.1:99999"', "monitor.listen: '127.0.0.1:99999' is not HOST:PORT"),
    ('listen = "127.0.0.1:"', "monitor.listen: '127.0.0.1:' is not HOST:PORT"),
    ('reminder = "99999999999999999d"', "monitor.reminder: '99999999999999999d' is longer "
                                        "than 3650 days"),
    ('raw_retention = "99999999999999999d"', "monitor.raw_retention: '99999999999999999d' "
                                             "is longer than 3650 days"),
    ('retention = "4000d"', "monitor.retention: '4000d' is longer than 3650 days"),
], ids=["listen-garbage", "listen-port", "listen-no-port", "reminder", "raw-retention",
        "retention"])
def test_monitor_values_are_config_errors(tmp_path: Path, monitor: str, needle: str) -> None:
    (tmp_path / "m.toml").write_text(f"[monitor]\n{monitor}\n{CHECK}")
    proc = launchready("monitor", "--config", "m.toml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "internal error" not in proc.stderr and "Unclosed" not in proc.stderr


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0177.0.0.1", "0", "0x7f.0.0.1",
                                  "0x7f000001"])
def test_numeric_ip_spellings_are_refused_at_load(tmp_path: Path, host: str) -> None:
    (tmp_path / "m.toml").write_text(
        f'[monitor]\n[[monitor.checks]]\nname = "odd"\nurl = "http://{host}:8080/"\n'
        f'[[monitor.checks]]\nname = "port"\nhost = "{host}"\nport = 22\n')
    proc = launchready("monitor", "once", "--config", "m.toml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"{host!r} is not a dotted-quad IPv4 address" in proc.stderr


def test_dotted_quads_and_names_still_load(tmp_path: Path) -> None:
    from launchready.config import load_config_text

    config = load_config_text(
        '[monitor]\nlisten = "[::1]:0"\n[[monitor.checks]]\nname = "a"\n'
        'url = "http://127.0.0.1:8080/"\n[[monitor.checks]]\nname = "b"\n'
        'url = "https://1password.example/"\n[[monitor.checks]]\nname = "c"\n'
        'host = "10.0.0.1"\nport = 5432\n', environ={})
    assert config.monitor is not None and len(config.monitor.checks) == 3


@pytest.mark.parametrize("doc", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{a = " * 3000 + "1" + "}" * 3000,
    "[" + ".".join(["a"] * 5000) + "]\nb = 1",
], ids=["arrays", "inline-tables", "dotted-table"])
def test_deeply_nested_toml_is_a_config_error(tmp_path: Path, doc: str) -> None:
    (tmp_path / "deep.toml").write_text(doc + "\n")
    proc = launchready("audit", "--config", "deep.toml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "nested more than 32 levels deep" in proc.stderr


@pytest.mark.parametrize("spec", ["127.0.0.1:", "127.0.0.1:99999", "dns.example:53", "[::1]x"])
def test_resolver_argument_is_a_usage_error(tmp_path: Path, spec: str) -> None:
    proc = launchready("email", "spf", "acme.test", "192.0.2.1", "--resolver", spec,
                       cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "--resolver" in proc.stderr and "internal error" not in proc.stderr


def test_configured_resolver_is_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[network]\nresolver = "127.0.0.1:"\n')
    proc = launchready("audit", "--config", "c.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "network.resolver" in proc.stderr


@pytest.mark.parametrize(("spec", "parsed"), [
    ("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("[::1]:5353", ("::1", 5353)), ("[::1]", ("::1", 53)), ("::1", ("::1", 53)),
])
def test_parse_resolver(spec: str, parsed: tuple[str, int]) -> None:
    assert parse_resolver(spec) == parsed
