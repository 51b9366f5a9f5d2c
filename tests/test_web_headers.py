"""WEB004: security headers — the pure judgement as a table, then real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from launchready.checks.catalog import BY_ID
from launchready.checks.web.headers import HeaderChecks, header_findings, missing_headers
from webfixtures import HOSTILE, audit, context, local_config, of, page, response, serve, status

GOOD = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
HTML = "<!doctype html><html><head>{meta}</head><body></body></html>"

CASES = [
    # (id, headers, body, expected missing keys)
    ("all present", GOOD, "", set()),
    ("nothing sent", (), "", {"csp", "nosniff", "framing", "referrer"}),
    ("X-Frame-Options instead of frame-ancestors",
     (("Content-Security-Policy", "default-src 'self'"), ("X-Frame-Options", "SAMEORIGIN"),
      ("X-Content-Type-Options", "NoSniff"), ("Referrer-Policy", "no-referrer")), "", set()),
    ("CSP without frame-ancestors and no XFO",
     (("Content-Security-Policy", "default-src 'self'"), *GOOD[1:]), "", {"framing"}),
    ("report-only CSP does not count",
     (("Content-Security-Policy-Report-Only", "default-src 'self'; frame-ancestors 'none'"),
      *GOOD[1:]), "", {"csp", "framing"}),
    ("XFO ALLOW-FROM is obsolete", (*GOOD[1:], ("Content-Security-Policy", "img-src *"),
                                    ("X-Frame-Options", "ALLOW-FROM https://x.test")),
     "", {"framing"}),
    ("nosniff misspelt", (GOOD[0], ("X-Content-Type-Options", "no-sniff"), GOOD[2]), "",
     {"nosniff"}),
    ("unsafe-url referrer", (*GOOD[:2], ("Referrer-Policy", "unsafe-url")), "", {"referrer"}),
    ("unknown referrer token", (*GOOD[:2], ("Referrer-Policy", "strict")), "", {"referrer"}),
    ("fallback list: last valid token wins",
     (*GOOD[:2], ("Referrer-Policy", "no-referrer, strict-origin-when-cross-origin")), "",
     set()),
    ("meta CSP and meta referrer count",
     (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
      ("Content-Type", "text/html")),
     HTML.format(meta='<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
                      '<meta name="referrer" content="same-origin">'), set()),
    ("frame-ancestors in a meta policy is ignored",
     (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "origin"),
      ("Content-Type", "text/html")),
     HTML.format(meta='<meta http-equiv="Content-Security-Policy" '
                      'content="frame-ancestors \'none\'">'), {"framing"}),
]


@pytest.mark.parametrize(("headers", "body", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_missing_headers(headers: tuple[tuple[str, str], ...], body: str,
                         expected: set[str]) -> None:
    got = {m.key for m in missing_headers(page(response(headers=headers, body=body)))}
    assert got == expected


def test_one_low_finding_per_missing_header_with_stable_fingerprints() -> None:
    findings = header_findings(page(response()))
    assert [f.severity.value for f in findings] == ["low"] * 4
    assert len({f.fingerprint for f in findings}) == 4
    again = header_findings(page(response(headers=(("Date", "other"),))))
    assert {f.fingerprint for f in findings} == {f.fingerprint for f in again}
    for finding in findings:
        for platform in ("nginx", "Caddy", "Cloudflare", "vercel.json", "_headers",
                         "Python app"):
            assert platform in finding.fix, (finding.title, platform)
        assert "always;" in finding.fix


def test_hostile_header_values_stay_plain_text_in_evidence() -> None:
    headers = (("X-Frame-Options", HOSTILE[0]), ("Referrer-Policy", HOSTILE[1]),
               ("X-Content-Type-Options", HOSTILE[0] + "\r\nInjected: yes"))
    evidence = " ".join(f.evidence for f in header_findings(page(response(headers=headers))))
    assert HOSTILE[0] in evidence and HOSTILE[1] in evidence
    assert "\r" not in evidence and "\n" not in evidence


def test_skips_without_target_and_ids_are_catalogued() -> None:
    assert HeaderChecks().skip_reason(context(canonical="")) is not None
    assert HeaderChecks().skip_reason(context()) is None
    assert all(r in BY_ID for r in HeaderChecks.rule_ids)


def _app(headers: dict[str, str]) -> web.Application:
    async def index(_: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>x</title>", content_type="text/html",
                            headers=headers)

    async def to_index(_: web.Request) -> web.Response:
        raise web.HTTPFound("/app/")

    app = web.Application()
    app.router.add_get("/", to_index)
    app.router.add_get("/app/", index)
    return app


SERVERS = [
    ("headers present", {**dict(GOOD), "X-Frame-Options": "DENY"}, set()),
    ("headers missing", {}, {"Content-Security-Policy", "X-Content-Type-Options",
                             "X-Frame-Options", "Referrer-Policy"}),
    ("hostile values", {"X-Frame-Options": HOSTILE[1], "Content-Security-Policy": "x",
                        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "origin"},
     {"X-Frame-Options"}),
]


@pytest.mark.parametrize(("headers", "expected"), [s[1:] for s in SERVERS],
                         ids=[s[0] for s in SERVERS])
def test_real_server(headers: dict[str, str], expected: set[str]) -> None:
    async def main() -> None:
        async with serve(_app(headers)) as base:
            report = await audit(local_config(base + "/"), [HeaderChecks()])
        findings = of(report, "WEB004")
        assert {f.title.rsplit(": ", 1)[1] for f in findings} == expected
        assert status(report, "WEB004") == ("fail" if expected else "pass")
        # the page judged is the one the redirect leads to
        assert all(f.target.endswith("/app/") for f in findings)
        if "X-Frame-Options" in headers and headers["X-Frame-Options"] == HOSTILE[1]:
            assert HOSTILE[1] in findings[0].evidence

    asyncio.run(main())


def test_unreachable_site_is_an_error_not_a_finding() -> None:
    async def main() -> None:
        async with serve(web.Application()) as base:
            dead = base  # the port is closed once the server stops
        report = await audit(local_config(dead + "/"), [HeaderChecks()])
        assert status(report, "WEB004") == "error"
        assert not report.findings

    asyncio.run(main())
