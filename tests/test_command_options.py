"""The common options mean the same under every auditing command (one pipeline).

The same option matrix runs through each command against local targets only (an empty zone
on 127.0.0.1 for DNS, a closed loopback port for HTTP): --skip narrows the command's own
checks, --format/-o write the report, --write-baseline writes the fingerprints, a configured
[secrets] baseline that does not exist yet is fine, and --baseline FILE / --ca-bundle FILE
that do not exist are usage errors (exit 2) naming the option.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchready.cli import main
from launchready.demo.dnsserver import ZoneServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def resolver() -> Iterator[str]:
    with ZoneServer({}).serve_in_thread() as (host, port):
        yield f"{host}:{port}"


MESSAGE = (b"From: App <app@matrix.test>\r\nTo: buyer@example.test\r\nSubject: hi\r\n"
           b"Received: from mail.matrix.test (mail.matrix.test [192.0.2.10])\r\n"
           b"Message-ID: <1@matrix.test>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello\r\n")


@pytest.fixture
def project(tmp_path: Path, resolver: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    port = _closed_port()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / "app.log").write_text("GET / 200 user=ann@example.test\n", encoding="utf-8")
    (tmp_path / ".env.production").write_text("DATABASE_URL=\n", encoding="utf-8")
    (tmp_path / "message.eml").write_bytes(MESSAGE)
    (tmp_path / "launchready.toml").write_text(f"""
[app]
name = "Matrix"
domain = "matrix.test"
canonical = "http://127.0.0.1:{port}/"

[network]
resolver = "{resolver}"
timeout = 2

[secrets]
paths = ["src"]
history = false
logs = ["app.log"]
baseline = "not-written-yet.json"

[env]
environment_file = ".env.production"
required = ["DATABASE_URL"]
source_paths = ["src"]

[email]
domains = ["matrix.test"]

[smoke]
base_url = "http://127.0.0.1:{port}"

[[smoke.steps]]
name = "home"
path = "/"
expect = ["status == 200"]

[perf]
base_url = "http://127.0.0.1:{port}"
requests = 5
concurrency = 1
endpoints = [{{ name = "home", path = "/", class = "core" }}]

[database]
url = "sqlite:///app.db"
""", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


#: command words, and one check ID of the command that --skip must remove
COMMANDS = [
    (["audit"], "SEC001"),
    (["web", "http://127.0.0.1:9/"], "WEB004"),
    (["secrets", "src"], "SEC006"),
    (["logs", "app.log"], "SEC007"),
    (["env"], "ENV003"),
    (["dns"], "DNS005"),
    (["dns", "--authoritative"], "DNS005"),
    (["email", "matrix.test"], "MAIL014"),
    (["email", "verify", "message.eml", "--ip", "192.0.2.10"], "MAIL012"),
    (["smoke"], "SMOKE004"),
    (["perf"], "PERF003"),
    (["db"], "DB003"),
    (["handover"], "SEC001"),
]
IDS = [" ".join(words) for words, _ in COMMANDS]


@pytest.mark.parametrize(("words", "skipped"), COMMANDS, ids=IDS)
def test_common_options_reach_every_command(
        project: Path, words: list[str], skipped: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Given a project whose configured findings baseline does not exist yet,
    # when the command runs with the common options
    out = ["-o", "handover.md"] if words[0] == "handover" else [
        "--format", "json", "-o", "report.json"]
    code = main([*words, "-q", "--no-color", "--skip", skipped, "--write-baseline", "wb.json",
                 "--resolve", "matrix.test:443:127.0.0.1", *out])
    err = capsys.readouterr().err

    # Then it ran (no usage error), wrote the fingerprints and the report, and left out --skip
    assert code in (0, 1, 3), err
    assert json.loads((project / "wb.json").read_text(encoding="utf-8"))["version"] == 1
    if words[0] == "handover":
        assert (project / "handover.md").read_text(encoding="utf-8").startswith("#")
        return
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    ran = {c["id"] for c in report["checks"]}
    assert ran, "the command selected nothing"
    assert skipped not in ran


BAD_OPTIONS = [
    ("ca-bundle", ["--ca-bundle", "no-such-ca.pem"], "--ca-bundle"),
    ("baseline", ["--baseline", "no-such-baseline.json"], "no-such-baseline.json"),
    ("resolve", ["--resolve", "not-a-resolve-entry"], "--resolve"),
]
# under perf, --baseline is the perf baseline (tests/test_perf_baseline.py)
BAD = [pytest.param(words, option, named, id=f"{name}-{' '.join(words)}")
       for words, _ in COMMANDS for name, option, named in BAD_OPTIONS
       if not (words[0] == "perf" and name == "baseline")]


@pytest.mark.parametrize(("words", "option", "named"), BAD)
def test_bad_common_option_is_a_usage_error(
        project: Path, words: list[str], option: list[str], named: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*words, "-q", *option]) == 2
    assert named in capsys.readouterr().err
