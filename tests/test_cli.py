"""The real CLI: exit codes 0/1/2/3, outputs, baselines, and commands without a config file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from certzoo import CertZoo
from launchready.demo.dnsserver import ZoneServer


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module", autouse=True)
def local_resolver() -> Iterator[str]:
    """Every name the CLI looks up goes to this empty zone on 127.0.0.1 (NXDOMAIN), never to
    the machine's resolver."""
    with ZoneServer({}).serve_in_thread() as (host, port):
        global RESOLVER  # noqa: PLW0603 - one server for the module's subprocess runs
        RESOLVER = f"{host}:{port}"
        yield RESOLVER


RESOLVER = ""


def write_config(path: Path, zoo: CertZoo, case: str, extra: str = "") -> Path:
    resolve = ", ".join(f'"{e}"' for e in zoo.resolve_entries)
    path.write_text(
        f'[app]\nname = "CLI test"\ncanonical = "{zoo.url(case)}"\n\n'
        f'[network]\nresolve = [{resolve}]\nca_bundle = "{zoo.ca_bundle}"\ntimeout = 5\n'
        f'resolver = "{RESOLVER}"\n' + extra, encoding="utf-8")
    return path


def test_exit_0_when_clean(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "valid")
    proc = run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004,SEC008", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Score 100/100" in proc.stdout


def test_exit_1_on_findings_and_fail_on(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "expired")
    proc = run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "TLS002" in proc.stdout
    assert run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", "--fail-on", "never",
               cwd=tmp_path).returncode == 0
    # expiring (5 days left) is high: --fail-on critical lets it pass
    write_config(tmp_path / "launchready.toml", cert_zoo, "expiring")
    assert run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", "--fail-on", "critical",
               cwd=tmp_path).returncode == 0
    assert run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", "--fail-on", "high",
               cwd=tmp_path).returncode == 1


@pytest.mark.parametrize(("toml", "needle"), [
    ('[app]\ncanonical = "https://a.test"\nnmae = "x"\n', "app.nmae: unknown key"),
    ('[app]\ncanonical = 5\n', "app.canonical"),
    ('[database]\nurl = "${LR_TEST_UNSET_VAR}"\n', "LR_TEST_UNSET_VAR is not set"),
    ('[smoke]\n[[smoke.steps]]\nname = "x"\npath = "/"\nexpect = ["stauts == 200"]\n',
     "unknown subject 'stauts'"),
], ids=["unknown-key", "wrong-type", "unset-var", "bad-expectation"])
def test_exit_2_on_config_errors(tmp_path: Path, toml: str, needle: str) -> None:
    (tmp_path / "launchready.toml").write_text(toml, encoding="utf-8")
    proc = run("audit", cwd=tmp_path)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_exit_2_on_usage_errors(tmp_path: Path) -> None:
    for args in (["audit", "--fail-on", "sometimes"], ["nonsense"], ["audit"],
                 ["web", "ftp://x"], ["checks", "NOPE999"]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr


def test_exit_3_when_no_network_check_could_connect(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "refused")
    proc = run("audit", "-q", "--format", "json", "--only", "TLS,WEB", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    checks = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["TLS001"]["status"] == "error"
    assert "connection refused" in checks["TLS001"]["error"]


def test_outputs_and_baseline(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "self-signed")
    proc = run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", "--format", "json",
               "-o", "r.json", "--format", "sarif", "-o", "r.sarif", "-o", "r.html",
               "--write-baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert [f["rule_id"] for f in report["findings"]] == ["TLS004"]
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert "<html" in (tmp_path / "r.html").read_text()
    # every format has a file: the terminal gets the one-line verdict, not the whole report
    assert proc.stdout.splitlines() == ["score 75/100 · 1 critical · ran 4/4 · plan 1 fix"]
    to_stdout = run("audit", "-q", "--only", "TLS001", "--format", "json", "-o", "-",
                    "--format", "md", "-o", "r.md", cwd=tmp_path)
    assert json.loads(to_stdout.stdout)["coverage"]["ran"] == 1  # `-o -` is standard output
    assert not (tmp_path / "-").exists() and (tmp_path / "r.md").is_file()
    again = run("audit", "-q", "--only", "TLS001,TLS002,TLS003,TLS004", "--baseline",
                "base.json", "--format", "json", cwd=tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout)["summary"]["suppressed"] == 1


def test_web_without_config(cert_zoo: CertZoo, tmp_path: Path) -> None:
    args = ["web", cert_zoo.url("wrong-host"), "--ca-bundle", str(cert_zoo.ca_bundle),
            "--timeout", "2", "--format", "json", "--resolver", RESOLVER, "--only", "TLS003"]
    for entry in cert_zoo.resolve_entries:
        args += ["--resolve", entry]
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["TLS003"]


def test_checks_lists_the_catalog(tmp_path: Path) -> None:
    proc = run("checks", cwd=tmp_path)
    assert proc.returncode == 0
    assert "TLS004" in proc.stdout and "MAIL013" in proc.stdout
    doc = run("checks", "tls004", cwd=tmp_path)
    assert "fullchain" in doc.stdout
    # the family's full doc, not only the catalog summary
    for part in ("What:", "Why:", "Fix:", "Pass:"):
        assert part in doc.stdout
    rows = json.loads(run("checks", "--format", "json", cwd=tmp_path).stdout)
    assert {r["id"]: r["available"] for r in rows}["TLS001"] is True


def test_email_spf_json(tmp_path: Path) -> None:
    zone = ZoneServer({"mail.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 include:_s.mail.test -all")],
                       "_s.mail.test": [("TXT", "v=spf1 a -all")],
                       })
    with zone.serve_in_thread() as (host, port):
        proc = run("email", "spf", "mail.test", "192.0.2.7", "--sender", "a@mail.test",
                   "--resolver", f"{host}:{port}", "--format", "json", cwd=tmp_path)
        fail = run("email", "spf", "mail.test", "203.0.113.9", "--sender", "a@mail.test",
                   "--resolver", f"{host}:{port}", "--timeout", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["result"] == "pass"
    assert {"result", "explanation", "dns_lookups", "void_lookups", "tree"} <= set(result)
    assert fail.returncode == 0
    assert "SPF fail" in fail.stdout
    assert "_s.mail.test" in fail.stdout  # the include tree is shown


def test_literal_credential_is_sec008_by_key_only(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "valid",
                 '\n[smoke]\n[[smoke.steps]]\nname = "login"\npath = "/"\n'
                 'json = { password = "correct-horse-battery" }\n')
    proc = run("audit", "-q", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    assert "correct-horse-battery" not in proc.stdout + proc.stderr
    proc = run("audit", "-q", "--format", "json", "--only", "SEC008", cwd=tmp_path)
    (finding,) = json.loads(proc.stdout)["findings"]
    assert finding["rule_id"] == "SEC008"
    assert "smoke.steps[0].json.password" in finding["target"]


def test_configured_baseline_may_not_exist_yet(cert_zoo: CertZoo, tmp_path: Path) -> None:
    write_config(tmp_path / "launchready.toml", cert_zoo, "valid",
                 '\n[secrets]\npaths = []\nbaseline = "known.json"\n')
    first = run("audit", "-q", "--only", "SEC008", "--write-baseline", "known.json",
                cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "known.json").is_file()
    # an explicit --baseline must exist
    missing = run("audit", "-q", "--only", "SEC008", "--baseline", "nope.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "nope.json does not exist" in missing.stderr
