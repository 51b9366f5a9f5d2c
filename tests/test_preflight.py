"""Network preflight and the per-run lookup cache.

A resolver that answers NXDOMAIN for everything (or nothing at all) is the tool's failure to
look, not a fact about the user's domain: the DNS, MAIL and web families say "could not check:
resolver ... unusable" in one line, produce no finding, and the run exits 3. A real DNS server
on 127.0.0.1 plays each resolver.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dns.message
import pytest

from launchready.demo.dnsserver import ZoneServer
from launchready.probes.dns import DnsProbe, DnsStatus, resolver_problem


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "launchready", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def nxdomain_resolver() -> Iterator[str]:
    """A DNS server with no names at all: NXDOMAIN to every query, the root included."""
    with ZoneServer({}).serve_in_thread() as (host, port):
        yield f"{host}:{port}"


@pytest.fixture(scope="module")
def silent_resolver() -> Iterator[str]:
    """A UDP port that swallows every query (a dead resolver)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _config(tmp_path: Path, resolver: str) -> None:
    (tmp_path / "launchready.toml").write_text(
        '[app]\nname = "Preflight"\ndomain = "example.com"\n'
        'canonical = "https://app.example.com/"\n'
        f'[network]\nresolver = "{resolver}"\ntimeout = 1\n'
        '[dns]\nrecords = [{ name = "@", type = "A", values = ["192.0.2.10"] }]\n'
        '[email]\ndomains = ["example.com"]\n', encoding="utf-8")


@pytest.mark.parametrize("command", [
    ("email", "example.com"), ("dns",), ("web",),
], ids=["email", "dns", "web"])
def test_unusable_resolver_is_could_not_check_never_a_finding(
        tmp_path: Path, nxdomain_resolver: str, command: tuple[str, ...]) -> None:
    _config(tmp_path, nxdomain_resolver)
    proc = run(*command, "--resolver", nxdomain_resolver, "--no-color", "--format", "terminal",
               "--format", "json", "-o", "-", "-o", "r.json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["findings"] == []
    assert data["complete"] is False
    errored = [c for c in data["checks"] if c["status"] == "error"]
    assert errored and all("resolver" in c["error"] and "unusable" in c["error"]
                           for c in errored)
    # one line for the reason, however many checks share it
    reason_lines = [line for line in proc.stdout.splitlines() if "unusable" in line]
    assert len(reason_lines) == 1
    assert "Apex does not resolve" not in proc.stdout and "No SPF" not in proc.stdout


def test_dead_resolver_is_could_not_check(tmp_path: Path, silent_resolver: str) -> None:
    _config(tmp_path, silent_resolver)
    proc = run("dns", "--format", "json", "--timeout", "1", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    data = json.loads(proc.stdout)
    assert data["findings"] == [] and data["coverage"]["ran"] == 0
    assert all("timeout" in c["error"] for c in data["checks"] if c["status"] == "error")


def test_private_zone_passes_the_preflight(tmp_path: Path) -> None:
    # Given an authoritative-only server for the domain (it knows no other name), When
    # `dns` runs, Then the preflight passes on the domain's own SOA and the checks judge it
    zone = {"example.com": [("A", "192.0.2.10"), ("NS", "ns1.example.com.")],
            "ns1.example.com": [("A", "192.0.2.53")]}
    with ZoneServer(zone).serve_in_thread() as (host, port):
        _config(tmp_path, f"{host}:{port}")
        proc = run("dns", "--format", "json", "--only", "DNS001,DNS002", cwd=tmp_path)
    data = json.loads(proc.stdout)
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"DNS001": "pass", "DNS002": "pass"}, data["checks"]
    assert proc.returncode == 0


def test_a_missing_domain_on_a_working_resolver_is_a_real_answer() -> None:
    # the resolver answers the root but denies the domain: the domain really does not exist
    with ZoneServer({"other.test": [("A", "192.0.2.1")]}).serve_in_thread() as (host, port):
        probe = DnsProbe(resolver=f"{host}:{port}", timeout=1)
        assert asyncio.run(resolver_problem(probe, "missing.test")) is None


def test_one_run_gives_one_answer_per_name() -> None:
    # Given a caching probe, When many checks ask the same question at once, Then the server
    # is asked once and every caller sees the same answer
    server = ZoneServer({"example.com": [("MX", "10 mx.example.com.")]})
    asked = 0
    answer = server.answer

    def counting(query: dns.message.Message) -> dns.message.Message | None:
        nonlocal asked
        asked += 1
        return answer(query)

    server.answer = counting  # type: ignore[method-assign]

    async def main(probe: DnsProbe) -> set[DnsStatus]:
        answers = await asyncio.gather(*(probe.query("Example.com.", "mx") for _ in range(20)))
        again = await probe.query("example.com", "MX")
        return {a.status for a in [*answers, again]}

    with server.serve_in_thread() as (host, port):
        statuses = asyncio.run(main(DnsProbe(resolver=f"{host}:{port}", timeout=1, cache=True)))
    assert statuses == {DnsStatus.OK}
    assert asked == 1


def test_init_with_an_unusable_resolver_claims_nothing(tmp_path: Path,
                                                       nxdomain_resolver: str) -> None:
    proc = run("init", "--url", "https://app.example.com/", "--domain", "example.com",
               "--resolver", nxdomain_resolver, "--timeout", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "launchready.toml").read_text(encoding="utf-8")
    assert "# DNS could not be checked: could not check: resolver" in text
    assert "no DMARC record found" not in text and "DMARC could not be looked up" in text
    assert "[[dns.records]]  # found live" not in text


def test_handover_with_an_unusable_resolver_lists_nothing_as_live(
        tmp_path: Path, nxdomain_resolver: str) -> None:
    _config(tmp_path, nxdomain_resolver)
    proc = run("handover", "-o", "HANDOVER.md", "--timeout", "1", cwd=tmp_path)
    assert proc.returncode in (1, 3), proc.stderr  # OBS findings on this bare config are real
    text = (tmp_path / "HANDOVER.md").read_text(encoding="utf-8")
    assert "live, not in the map" not in text
    assert "| missing" not in text
    assert "incomplete:" in text.splitlines()[2]  # beside the score, at the top


def test_dns_map_with_an_unusable_resolver_is_incomplete(tmp_path: Path,
                                                          nxdomain_resolver: str) -> None:
    proc = run("dns", "map", "example.com", "--resolver", nxdomain_resolver, cwd=tmp_path)
    assert proc.returncode == 3
    assert "resolver" in proc.stderr and "unusable" in proc.stderr
    assert "not published" not in proc.stdout
