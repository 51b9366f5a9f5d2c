"""The web-surface checks against a real nginx: a bare site fails, the suggested fixes pass.

The hardened configuration is built from the nginx snippets the findings' ``fix`` texts give, so
this test also checks that those snippets are valid nginx and do what they say.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from launchready.checks.base import CheckFamily
from launchready.checks.web.caching import AssetCachingChecks
from launchready.checks.web.errors import ErrorPageChecks
from launchready.checks.web.exposure import ExposureChecks
from launchready.checks.web.headers import HeaderChecks
from launchready.config.models import Config
from nginxharness import Nginx, NginxFactory
from webfixtures import audit, of, status

pytestmark = pytest.mark.nginx

HOST = "app.acme.test"
RULES = ("WEB004", "WEB005", "WEB007", "SEC004", "SEC009")

HARDENED = r"""
    server_tokens off;
    gzip on;
    gzip_types text/css application/javascript application/json image/svg+xml;
    gzip_min_length 1024;
    add_header Content-Security-Policy "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header X-Frame-Options "DENY" always;
    add_header Referrer-Policy "strict-origin-when-cross-origin" always;
    location ~ /\.(?!well-known) { deny all; }
    location ~* \.map$ { return 404; }
    location ~* "\.[0-9a-f]{6,}\.(js|css)$" {
        add_header Cache-Control "public, max-age=31536000, immutable" always;
    }
"""  # noqa: E501 - one nginx directive per line, as users paste it


def _site(ng: Nginx) -> None:
    filler = "<p>Acme dashboard</p>\n" * 80
    ng.write_page("index.html", "<!doctype html><html><head>"
                                '<script src="/static/app.3f9a1c.js"></script></head><body>'
                                f"{filler}</body></html>")
    ng.write_page("static/app.3f9a1c.js", "console.log('acme');\n" * 80
                  + "//# sourceMappingURL=app.3f9a1c.js.map\n")
    ng.write_page("static/app.3f9a1c.js.map",
                  '{"version":3,"sources":["src/main.ts"],"mappings":"AAAA"}')
    ng.write_page(".git/HEAD", "ref: refs/heads/main\n")


def _start(ng: Nginx, *, hardened: bool) -> int:
    port = ng.port()
    _site(ng)
    ng.start(f"""
        server {{
            listen 127.0.0.1:{port} ssl;
            server_name {HOST};
            {ng.tls(HOST)}
            root {ng.html};
            types {{ text/html html; application/javascript js; application/json map; }}
            {HARDENED if hardened else "server_tokens on;"}
        }}""")
    return port


def _families() -> list[CheckFamily[Any]]:
    return [HeaderChecks(), AssetCachingChecks(), ErrorPageChecks(), ExposureChecks()]


@pytest.mark.parametrize("hardened", [False, True], ids=["bare", "hardened"])
def test_nginx(nginx_factory: NginxFactory, hardened: bool) -> None:
    ng = nginx_factory()
    port = _start(ng, hardened=hardened)
    config = Config.model_validate({
        "app": {"canonical": f"https://{HOST}:{port}/"},
        "network": {"resolve": [f"{HOST}:{port}:127.0.0.1"], "ca_bundle": str(ng.ca_bundle),
                    "timeout": 5}})
    report = asyncio.run(audit(config, _families()))
    results = {rid: status(report, rid) for rid in RULES}
    if hardened:
        assert results == dict.fromkeys(RULES, "pass"), report.findings
        return
    assert results == dict.fromkeys(RULES, "fail")
    assert len(of(report, "WEB004")) == 4
    assert {f.title for f in of(report, "WEB005")} == {
        "Fingerprinted assets without long-lived caching", "Text responses not compressed"}
    banners = " ".join(f.evidence for f in of(report, "WEB007"))
    assert "nginx/1." in banners
    (exposed,) = of(report, "SEC009")
    assert exposed.target.endswith("/.git/HEAD")
