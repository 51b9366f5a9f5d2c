"""``launchready handover`` against the running demo site and its DNS zone on 127.0.0.1.

The command audits and makes its own lookups (the live record map, response headers, TXT
records) through the configured resolver, ``--resolve`` pins and CA bundle, then writes the
document. A second local server answers with a Vercel request-id header, to show the provider
map reading hosting from response headers.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from demosite import LoopThread, demo_in_thread
from launchready.commands import handover as handover_command
from launchready.demo.run import DOMAIN
from launchready.demo.server import DemoSite


def _args(config: Path, **overrides: Any) -> argparse.Namespace:
    values: dict[str, Any] = {
        "config": str(config), "formats": [], "outputs": [], "fail_on": "high", "only": "",
        "skip": "", "baseline": None, "write_baseline": None, "resolve": [], "resolver": None,
        "ca_bundle": None, "timeout": None, "quiet": True, "verbose": False, "no_color": True}
    values.update(overrides)
    return argparse.Namespace(**values)


def _demo_toml(site: DemoSite, dns_port: int) -> str:
    resolve = ", ".join(f'"{r}"' for r in site.resolve)
    return f"""
[app]
name = "Acme Dashboard"
domain = "{DOMAIN}"
canonical = "{site.canonical}"

[network]
resolver = "127.0.0.1:{dns_port}"
resolve = [{resolve}]
ca_bundle = "{site.ca_bundle}"
timeout = 5

[dns]
provider = "{DOMAIN}"
records = [
  {{ name = "@", type = "A", values = ["127.0.0.1"] }},
  {{ name = "@", type = "MX", values = ["10 mail.{DOMAIN}."] }},
  {{ name = "www", type = "A", values = ["127.0.0.1"] }},
]

[email]
domains = ["{DOMAIN}"]
senders = ["include:spf.mailer.test"]
dkim_selectors = ["mail"]

[monitor]
checks = [{{ name = "home", url = "{site.canonical}/", expect = ["status == 200"] }}]
alerts = [{{ url = "${{ALERT_URL}}" }}]

[handover]
owners = {{ dns = "Sam", email = "Alex" }}
admins = ["sam@{DOMAIN}"]
credentials_stored_in = "1Password vault 'Acme Ops'"
"""


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoSite, int]]:
    with demo_in_thread(tmp_path_factory.mktemp("site")) as running:
        yield running


def test_handover_command_writes_markdown_from_live_lookups(
        demo_site: tuple[DemoSite, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    site, dns_port = demo_site
    alert = "https://hooks.slack.com/services/T0/B0/" + secrets.token_urlsafe(16)
    monkeypatch.setenv("ALERT_URL", alert)
    config = tmp_path / "launchready.toml"
    config.write_text(_demo_toml(site, dns_port), encoding="utf-8")
    out = tmp_path / "HANDOVER.md"

    code = handover_command.run(_args(config, outputs=[str(out)], only="DNS,MAIL"))

    assert code == 1  # the demo has no DMARC record: a high finding
    doc = out.read_text(encoding="utf-8")
    # the live record map (with ttl-less rows, MX operator column) and its verdicts
    assert "| acme.test | MX | 10 mail.acme.test. |  | in the map |" in doc
    assert "| www.acme.test | A | 127.0.0.1 |  | in the map |" in doc
    # the provider map cites the response header it read from the live page
    assert "header Server: Python/" in doc
    assert "| DNS | acme.test | self-hosted or unrecognised | NS ns1.acme.test |" in doc
    # the DKIM record was looked up by the handover itself
    assert "mail.\\_domainkey.acme.test: rsa 2048 bits" in doc
    # alert route and access register: the route by host only, the owners by name
    assert "https://hooks.slack.com/…" in doc and alert not in doc
    assert "| dns | Sam |" in doc
    assert "65 s (2 failures" in doc  # 2 × 30 s interval + the 5 s network timeout
    # what apex and www serve, from the handover's own requests
    assert ("| acme.test | 127.0.0.1 | self-hosted or unrecognised | redirects to "
            "https://app.") in doc


def test_handover_command_html_by_extension(demo_site: tuple[DemoSite, int],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    site, dns_port = demo_site
    monkeypatch.setenv("ALERT_URL", "slack://T0/B0/C0")
    config = tmp_path / "launchready.toml"
    config.write_text(_demo_toml(site, dns_port), encoding="utf-8")
    out = tmp_path / "handover.html"

    code = handover_command.run(_args(config, outputs=[str(out)], only="DNS001",
                                      fail_on="never"))

    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "<script" not in html


def test_handover_command_rejects_other_formats(tmp_path: Path) -> None:
    from launchready.errors import UsageError

    config = tmp_path / "launchready.toml"
    config.write_text("[app]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(UsageError, match="md or html"):
        handover_command.run(_args(config, formats=["sarif"]))


@pytest.fixture
def vercel_like() -> Iterator[int]:
    """A plain-HTTP server on 127.0.0.1 that answers like a Vercel edge."""
    async def page(_: web.Request) -> web.Response:
        return web.Response(text="ok", headers={"Server": "Vercel",
                                                "X-Vercel-Id": "fra1::abcd-1234"})

    runner_thread = LoopThread()
    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    runner_thread.call(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    runner_thread.call(site.start())
    port = runner.addresses[0][1]
    try:
        yield int(port)
    finally:
        runner_thread.call(runner.cleanup())
        runner_thread.close()


def test_provider_map_reads_hosting_from_response_headers(vercel_like: int,
                                                          tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    config = tmp_path / "launchready.toml"
    config.write_text(f'[app]\nname = "Edge"\ncanonical = "http://edge.test:{vercel_like}"\n'
                      f'[network]\nresolve = ["edge.test:{vercel_like}:127.0.0.1"]\n'
                      "timeout = 5\n", encoding="utf-8")

    handover_command.run(_args(config, only="DNS001", fail_on="never"))

    doc = capsys.readouterr().out
    assert "| hosting/CDN | edge.test | Vercel | header X-Vercel-Id: fra1::abcd-1234 |" in doc


def test_demo_command_writes_handover_next_to_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from launchready.demo.run import REPORT_FILE, demo_command
    from test_handover import GOLDEN, structure

    # Given an empty folder, when the repaired demo runs there
    monkeypatch.chdir(tmp_path)
    code = demo_command(argparse.Namespace(
        fixed=True, keep_running=False, formats=[], outputs=[], quiet=True, no_color=True,
        fail_on="never", only="", skip="", baseline=None, write_baseline=None,
        verbose=False))

    # Then HANDOVER.md sits next to the report, with the structure the golden file pins
    assert code == 0
    capsys.readouterr()
    assert (tmp_path / REPORT_FILE).is_file()
    doc = (tmp_path / "HANDOVER.md").read_text(encoding="utf-8")
    assert structure(doc) == GOLDEN.read_text(encoding="utf-8")
    assert "| DMARC | ok |" in doc
