"""SEC009 (sensitive paths) and SEC004 (public source maps): recognisers, then real servers."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile

import pytest
from aiohttp import web

from launchready.checks.web.exposure import (
    SENSITIVE,
    ExposureChecks,
    ExposureObs,
    ScriptMaps,
    exposure_findings,
    inline_map,
    map_reference,
    parse_source_map,
    source_map_findings,
)
from webfixtures import audit, local_config, of, page, response, serve, status

SPA_INDEX = "<!doctype html><html><body><div id=root></div></body></html>"
BY_PATH = {s.path: s for s in SENSITIVE}


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("db.sql", "CREATE TABLE users (id int);")
    return buf.getvalue()


CONTENT = [
    # (id, path, content type, body, recognised)
    ("env file", "/.env", "text/plain", "# prod\nDATABASE_URL=postgres://u:p@db/x\n"
                                         "export STRIPE_KEY=sk_live_x\n", True),
    ("env as html index", "/.env", "text/html", SPA_INDEX, False),
    ("env-shaped prose", "/.env", "text/plain", "Hello\nThis is a page\nA=1\nmore words\n",
     False),
    ("git HEAD ref", "/.git/HEAD", "text/plain", "ref: refs/heads/main\n", True),
    ("git HEAD sha", "/.git/HEAD", "text/plain", "3f9a1c" * 6 + "abcd\n", True),
    ("git HEAD html", "/.git/HEAD", "text/html", SPA_INDEX, False),
    ("git config", "/.git/config", "text/plain",
     '[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://t@x/y.git\n',
     True),
    ("config with keys", "/config.json", "application/json",
     json.dumps({"api": {"url": "https://x", "api_key": "AKIA1234567890ABCDEF"}}), True),
    ("public config", "/config.json", "application/json",
     json.dumps({"apiUrl": "https://x", "token": "", "password": "changeme"}), False),
    ("zip backup", "/backup.zip", "application/zip", _zip(), True),
    ("sql dump", "/db.sql", "application/sql", "-- PostgreSQL database dump\nCREATE TABLE x();",
     True),
    ("html mentioning sql", "/db.sql", "text/html", "<html>INSERT INTO docs</html>", False),
    ("htpasswd", "/.htpasswd", "text/plain", "admin:$apr1$abc$def\n", True),
    ("apache status", "/server-status", "text/html",
     "<html><h1>Apache Server Status for app.acme.test (via 10.0.0.1)</h1></html>", True),
    ("ds_store", "/.DS_Store", "application/octet-stream", b"\x00\x00\x00\x01Bud1\x00", True),
]


@pytest.mark.parametrize(("path", "ctype", "body", "recognised"), [c[1:] for c in CONTENT],
                         ids=[c[0] for c in CONTENT])
def test_recognisers(path: str, ctype: str, body: str | bytes, recognised: bool) -> None:
    resp = response(f"https://app.acme.test{path}", headers=(("Content-Type", ctype),), body=body)
    assert (BY_PATH[path].recognise(resp) is not None) is recognised


def _obs(path: str, body: str, *, baseline: str = "<html>404</html>") -> ExposureObs:
    home = page(response(body=SPA_INDEX))
    answer = response(f"https://app.acme.test{path}", body=body)
    return ExposureObs(page=home, baseline=response(body=baseline),
                       sensitive=((BY_PATH[path], answer),))


def test_secret_values_never_reach_evidence() -> None:
    (finding,) = exposure_findings(_obs("/.env", "DB_PASSWORD=hunter2-very-secret\nA=b\n"))
    assert "DB_PASSWORD" in finding.evidence and "hunter2" not in finding.evidence
    assert finding.severity.value == "critical"
    (finding,) = exposure_findings(_obs("/config.json", '{"client_secret": "s3cr3t-value"}'))
    assert "client_secret" in finding.evidence and "s3cr3t" not in finding.evidence


def test_answer_identical_to_a_random_path_is_not_there() -> None:
    # a server that answers everything with the same env-looking text is not exposing /.env
    text = "A=1\nB=2\n"
    assert exposure_findings(_obs("/.env", text, baseline=text)) == []
    assert len(exposure_findings(_obs("/.env", text))) == 1


def test_severities() -> None:
    status_page = "<h1>Apache Server Status for x</h1>"
    (finding,) = exposure_findings(_obs("/server-status", status_page))
    assert finding.severity.value == "high"
    assert "deny all;" in finding.fix and "Caddy" in finding.fix


MAPS = [
    ("valid v3", b'{"version":3,"sources":["a.ts"],"sourcesContent":["x"],"mappings":"AAAA"}',
     False, True),
    ("xssi prefix", b')]}\'\n{"version":3,"sources":[],"mappings":""}', False, True),
    ("index map", b'{"version":3,"sections":[]}', False, True),
    ("no mappings", b'{"version":3,"sources":[]}', False, False),
    ("html index", SPA_INDEX.encode(), False, False),
    ("json but not a map", b'{"ok":true}', False, False),
    ("truncated big map", b'{"version":3,"sources":["a.ts"],"sourcesContent":["' + b"x" * 100,
     True, True),
    ("truncated non-map", b'{"items":[' + b"1," * 100, True, False),
]


@pytest.mark.parametrize(("body", "truncated", "is_map"), [m[1:] for m in MAPS],
                         ids=[m[0] for m in MAPS])
def test_parse_source_map(body: bytes, truncated: bool, is_map: bool) -> None:
    assert (parse_source_map(body, truncated=truncated) is not None) is is_map


def test_map_reference_and_inline_maps() -> None:
    script = response(body="f();\n//# sourceMappingURL=app.1a2b3c.js.map\n")
    assert map_reference(script) == "app.1a2b3c.js.map"
    header = response(headers=(("SourceMap", "/maps/app.map"),), body="f();")
    assert map_reference(header) == "/maps/app.map"
    data = base64.b64encode(b'{"version":3,"sources":["s.ts"],"mappings":"A"}').decode()
    info = inline_map(f"data:application/json;charset=utf-8;base64,{data}")
    assert info is not None and info.sources == 1
    assert inline_map("app.js.map") is None


def test_source_map_finding_is_one_per_page() -> None:
    js = "https://app.acme.test/static/app.1a2b3c.js"
    good_map = response(js + ".map", body=b'{"version":3,"sources":["a","b"],"mappings":"A"}')
    obs = ExposureObs(page=page(response()), scripts=(
        ScriptMaps(script=response(js), maps=(("next to the script", good_map),)),
        ScriptMaps(script=response(js.replace("app", "vendor")),
                   maps=(("next to the script", response(status=404)),))))
    (finding,) = source_map_findings(obs)
    assert finding.severity.value == "medium" and "2 source files" in finding.evidence
    assert 'sourcemap: "hidden"' in finding.fix


# --- real servers --------------------------------------------------------------------------------

SOURCE_MAP = json.dumps({"version": 3, "file": "app.3f9a1c.js", "sources": ["src/main.ts"],
                         "sourcesContent": ["console.log('hi')"], "mappings": "AAAA"})


def _spa() -> web.Application:
    """Answers 200 with its index page for every path, as many SPA hosts do."""
    async def any_path(_: web.Request) -> web.Response:
        return web.Response(text=SPA_INDEX.replace("<body>", '<body><script src="/app.js">'
                                                             "</script>"),
                            content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", any_path)
    return app


def _leaky(*, map_via: str) -> web.Application:
    js_body = "console.log('hi');\n"
    if map_via == "comment":
        js_body += "//# sourceMappingURL=maps/app.3f9a1c.js.map\n"
    files = {
        "/": ("text/html", '<!doctype html><script src="/static/app.3f9a1c.js"></script>'),
        "/static/app.3f9a1c.js": ("application/javascript", js_body),
        "/.git/HEAD": ("text/plain", "ref: refs/heads/main\n"),
        "/.env": ("text/plain", "SESSION_SECRET=abcdefghijklmnop1234\nDEBUG=0\n"),
    }
    if map_via == "comment":
        files["/static/maps/app.3f9a1c.js.map"] = ("application/json", SOURCE_MAP)
    else:
        files["/static/app.3f9a1c.js.map"] = ("application/json", SOURCE_MAP)

    async def serve_file(request: web.Request) -> web.Response:
        found = files.get(request.path)
        if found is None:
            return web.Response(status=404, text="not found")
        return web.Response(text=found[1], content_type=found[0])

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve_file)
    return app


def test_spa_answering_200_everywhere_is_not_exposed() -> None:
    async def main() -> None:
        async with serve(_spa()) as base:
            report = await audit(local_config(base + "/"), [ExposureChecks()])
        assert status(report, "SEC009") == "pass"
        assert status(report, "SEC004") == "pass"  # /app.js.map is the index page, not a map

    asyncio.run(main())


@pytest.mark.parametrize("map_via", ["comment", "next to the script"])
def test_real_git_head_env_and_source_map(map_via: str) -> None:
    async def main() -> None:
        async with serve(_leaky(map_via=map_via)) as base:
            report = await audit(local_config(base + "/"), [ExposureChecks()])
        exposed = {f.target.removeprefix(base): f for f in of(report, "SEC009")}
        assert set(exposed) == {"/.git/HEAD", "/.env"}
        assert "ref: refs/heads/main" in exposed["/.git/HEAD"].evidence
        assert "abcdefghijklmnop" not in exposed["/.env"].evidence
        (maps,) = of(report, "SEC004")
        expected = ("/static/maps/app.3f9a1c.js.map" if map_via == "comment"
                    else "/static/app.3f9a1c.js.map")
        assert expected in maps.evidence and "sourcesContent included" in maps.evidence

    asyncio.run(main())


def test_endless_body_is_read_capped() -> None:
    """RELIABILITY 6: a huge (here 64 MiB, streamed) answer is judged from its prefix."""
    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        chunk = b"API_TOKEN=abcdefghijklmnopqrstuvwxyz123456\n" * 1500
        try:
            for _ in range(1000):
                await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up after reading its capped prefix
        return resp

    async def other(_: web.Request) -> web.Response:
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_get("/.env", endless)
    app.router.add_get("/{tail:.*}", other)

    async def main() -> None:
        async with serve(app) as base:
            started = asyncio.get_running_loop().time()
            report = await audit(local_config(base + "/"), [ExposureChecks()])
            elapsed = asyncio.get_running_loop().time() - started
        (finding,) = of(report, "SEC009")
        assert "API_TOKEN" in finding.evidence and "abcdefgh" not in finding.evidence
        assert elapsed < 5

    asyncio.run(main())


def test_hostile_nesting_is_not_a_crash() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    resp = response("https://app.acme.test/config.json", body=deep)
    assert BY_PATH["/config.json"].recognise(resp) is None
    assert parse_source_map(("{" + '"a":' * 40_000 + "1" + "}" * 40_000).encode()) is None
