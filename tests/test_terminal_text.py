"""Control bytes from DNS, HTTP or files never reach the terminal raw.

``email spf`` prints TXT data, so a record holding ESC sequences or NUL is the sharpest case: it
goes through the real CLI against a local zone. The report renderers share the same helper.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from launchready.demo.dnsserver import ZoneServer
from launchready.model import Location
from launchready.report.text import minutes, visible

# SPF records are US-ASCII (a non-ASCII one is refused before it is shown): ESC, NUL, BEL
HOSTILE = "v=spf1 ip4:198.51.100.7 \x1b[31m\x00\x1b]0;owned\x07 -all"
RAW = ("\x1b", "\x00", "\x07")


def test_email_spf_text_output_escapes_control_bytes_from_dns(tmp_path: Path) -> None:
    zone = ZoneServer({"badchars.example": [("TXT", HOSTILE)]})
    with zone.serve_in_thread() as (host, port):
        proc = subprocess.run(
            [sys.executable, "-m", "launchready", "email", "spf", "badchars.example",
             "198.51.100.7", "--resolver", f"{host}:{port}", "--timeout", "2"],
            cwd=tmp_path, capture_output=True, timeout=60, check=False,
            stdin=subprocess.DEVNULL, env=dict(os.environ))
    out = proc.stdout.decode("utf-8")
    assert "badchars.example" in out, proc.stderr
    for raw in RAW:
        assert raw not in out and raw not in proc.stderr.decode("utf-8")
    assert "\\x1b[31m\\x00\\x1b]0;owned\\x07" in out


@pytest.mark.parametrize(("value", "shown"), [
    ("plain text\twith tab\nand newline", "plain text\twith tab\nand newline"),
    ("\x1b[2J", "\\x1b[2J"), ("a\x00b", "a\\x00b"), ("\x9b", "\\x9b"), ("\x7f", "\\x7f"),
    ("abc\u202edef", "abc\\u202edef"), ("\u2066x\u2069", "\\u2066x\\u2069"),
    ("naïve 日本", "naïve 日本"),
])
def test_visible(value: str, shown: str) -> None:
    assert visible(value) == shown


@pytest.mark.parametrize(("total", "text"), [(0, "0 min"), (45, "45 min"), (60, "1 h"),
                                             (95, "1 h 35 min"), (-5, "0 min")])
def test_minutes(total: int, text: str) -> None:
    assert minutes(total) == text


@pytest.mark.parametrize(("location", "text"), [
    (Location(path="a.py"), "a.py"), (Location(path="a.py", line=3), "a.py:3"),
    (Location(path="a.py", line=3, column=7), "a.py:3:7"),
])
def test_location_text(location: Location, text: str) -> None:
    assert str(location) == text


def test_one_helper_holds_the_escaping() -> None:
    # the pattern lives in report/text.py only; every other module imports visible()
    src = Path(__file__).resolve().parent.parent / "src" / "launchready"
    holders = sorted(str(p.relative_to(src)) for p in src.rglob("*.py")
                     if "\\u202a-\\u202e" in p.read_text(encoding="utf-8"))
    assert holders == ["report/text.py"]
