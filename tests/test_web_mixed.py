"""TLS008: mixed content on the canonical page, and the page facts WEB010 compares."""

from __future__ import annotations

import asyncio

import pytest

from launchready.checks.web.matrix import RedirectMatrix
from launchready.checks.web.mixed import default_page, page_facts
from launchready.config.models import Config
from launchready.engine import arun_audit
from launchready.model import Report, Severity
from nginxharness import NginxFactory

HOST = "app.acme.test"

INSECURE = [
    ("none", '<script src="/a.js"></script><img src="https://cdn.test/a.png">', []),
    ("script", '<script src="http://cdn.test/a.js"></script>', ["script src"]),
    ("upper-case scheme", '<IMG SRC="HTTP://cdn.test/a.png">', ["img src"]),
    ("stylesheet", '<link rel="stylesheet" href="http://cdn.test/a.css">', ["link href"]),
    ("icon among rels", '<link rel="shortcut icon" href="http://cdn.test/f.ico">',
     ["link href"]),
    ("canonical link is navigation", '<link rel="canonical" href="http://a.test/">', []),
    ("anchor is navigation", '<a href="http://a.test/">x</a>', []),
    ("iframe", '<iframe src="http://a.test/embed"></iframe>', ["iframe src"]),
    ("srcset candidate", '<img srcset="https://c.test/1.png 1x, http://c.test/2.png 2x">',
     ["img srcset"]),
    ("form action", '<form action="http://a.test/login"></form>', ["form action"]),
    ("object data", '<object data="http://a.test/x.swf"></object>', ["object data"]),
    ("self-closing", '<img src="http://a.test/x.png"/>', ["img src"]),
    ("duplicates counted once", '<img src="http://a.test/x.png"><img src="http://a.test/x.png">',
     ["img src"]),
    ("protocol-relative is fine", '<script src="//cdn.test/a.js"></script>', []),
    ("inside a script string is not markup",
     '<script>var s = "<img src=\\"http://a.test/x.png\\">";</script>', []),
    ("broken markup", '<img src="http://a.test/x.png" <<<>>> <script src=', ["img src"]),
]


@pytest.mark.parametrize(("html", "expected"), [c[1:] for c in INSECURE],
                         ids=[c[0] for c in INSECURE])
def test_insecure_subresources(html: str, expected: list[str]) -> None:
    facts = page_facts(html)
    assert [f"{s.tag} {s.attribute}" for s in facts.insecure] == expected


TITLES = [
    ("plain", "<title>Acme</title>", "Acme"),
    ("whitespace folded", "<title>\n  Sign in ·\n Acme </title>", "Sign in · Acme"),
    ("entities decoded", "<title>A &amp; B</title>", "A & B"),
    ("markup inside is text", '<title>"><img src=x onerror=alert(1)></title>',
     '"><img src=x onerror=alert(1)>'),
    ("first title wins", "<title>One</title><svg><title>Two</title></svg>", "One"),
    ("no title", "<h1>hi</h1>", None),
]


@pytest.mark.parametrize(("html", "title"), [t[1:] for t in TITLES], ids=[t[0] for t in TITLES])
def test_titles(html: str, title: str | None) -> None:
    assert page_facts(html).title == title


DEFAULTS = [
    ("nginx", "Welcome to nginx!", "", "nginx default page"),
    ("apache body", None, "<h1>It works!</h1>", "web server default page"),
    ("parking", "example.com", "<p>This domain is for sale</p>", "parking page"),
    ("real app", "Acme Dashboard", "<h1>Acme</h1>", None),
]


@pytest.mark.parametrize(("title", "body", "kind"), [d[1:] for d in DEFAULTS],
                         ids=[d[0] for d in DEFAULTS])
def test_default_pages(title: str | None, body: str, kind: str | None) -> None:
    assert default_page(title, body) == kind


def _audit(nginx_factory: NginxFactory, page: str) -> Report:
    ng = nginx_factory()
    https = ng.port()
    ng.start(f"""
        server {{
            listen 127.0.0.1:{https} ssl; server_name {HOST}; {ng.tls(HOST)}
            add_header Strict-Transport-Security "max-age=31536000" always;
            location = / {{ return 200 '{page}'; }}
            location / {{ return 404; }}
        }}""")
    config = Config.model_validate({
        "app": {"canonical": f"https://{HOST}:{https}/"},
        "network": {"resolve": [f"{HOST}:{https}:127.0.0.1"], "ca_bundle": str(ng.ca_bundle),
                    "timeout": 2},
    })
    return asyncio.run(arun_audit(config, families=[RedirectMatrix()]))


def test_nginx_mixed_content_is_tls008(nginx_factory: NginxFactory) -> None:
    report = _audit(nginx_factory, '<!doctype html><title>Acme</title>'
                                   '<script src="http://cdn.acme.test/app.js"></script>'
                                   '<img src="http://cdn.acme.test/logo.png">')
    (finding,) = [f for f in report.findings if f.rule_id == "TLS008"]
    assert finding.severity is Severity.MEDIUM
    assert "2 http:// subresources" in finding.evidence
    assert "http://cdn.acme.test/app.js" in finding.evidence
    assert "upgrade-insecure-requests" in finding.fix


def test_nginx_secure_page_passes_tls008(nginx_factory: NginxFactory) -> None:
    report = _audit(nginx_factory, '<!doctype html><title>Acme</title>'
                                   '<script src="/app.js"></script>'
                                   '<a href="http://example.test/">docs</a>')
    assert not [f for f in report.findings if f.rule_id == "TLS008"]
    assert {c.id: c.status.value for c in report.checks}["TLS008"] == "pass"
