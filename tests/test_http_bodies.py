"""Response bodies are read whole up to their cap, however many writes the server makes.

A bundle secret in the last line of a 2 MiB script is found (live and on disk), a smoke step
judges ``json.ok`` at the end of a ~300 KB answer, and a body cut at the cap makes the check
incomplete instead of clean.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from launchready.checks.web.matrix import RedirectMatrix
from launchready.config.models import Config
from launchready.engine import arun_audit
from launchready.model import CheckStatus
from launchready.probes.http import HttpProbe
from nginxharness import NginxFactory

STRIPE = "sk_" + "live_" + "51Hq8ZkW3nR5tY2uV9xB4cD7e"
BUNDLE = b"var a=1;\n" * ((2 << 20) // 9) + f'var k="{STRIPE}";\n'.encode()
LAST_LINE = BUNDLE.count(b"\n")
PAGE = b'<html><script src="/static/big.js"></script></html>'
BIG_JSON = json.dumps({"items": [{"id": i, "name": f"project {i}", "owner": "ana"}
                                 for i in range(7000)], "ok": True}).encode()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def in_pieces(body: bytes, content_type: str, pieces: int = 16) -> Handler:
    """A handler that sends ``body`` in ``pieces`` writes, pausing between them."""
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": content_type})
        await resp.prepare(request)
        step = len(body) // pieces + 1
        for at in range(0, len(body), step):
            await resp.write(body[at:at + step])
            await asyncio.sleep(0.005)
        await resp.write_eof()
        return resp
    return handler


async def _serve(routes: dict[str, Handler]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def _cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "launchready", *args, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_live_bundle_secret_in_the_last_line_of_2_mib_is_found(tmp_path: Path) -> None:
    async def main() -> tuple[int, str, str]:
        runner, origin = await _serve({"/p": in_pieces(PAGE, "text/html", 1),
                                       "/static/big.js": in_pieces(BUNDLE, "text/javascript")})
        try:
            return await _cli("secrets", "--bundle", f"{origin}/p", "--format", "json",
                              cwd=tmp_path)
        finally:
            await runner.cleanup()

    code, out, err = asyncio.run(main())
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert [f["rule_id"] for f in findings] == ["SEC003"]
    assert findings[0]["target"].endswith(f"/static/big.js:{LAST_LINE}")
    assert STRIPE not in out


def test_bundle_on_disk_secret_in_the_last_line_of_2_mib_is_found(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "big.js").write_bytes(BUNDLE)

    code, out, err = asyncio.run(_cli("secrets", "--bundle", "dist", "--format", "json",
                                      cwd=tmp_path))
    assert code == 1, err
    sec003 = [f for f in json.loads(out)["findings"] if f["rule_id"] == "SEC003"]
    assert [f["target"] for f in sec003] == [f"dist/big.js:{LAST_LINE}"]


def test_smoke_step_judges_json_at_the_end_of_a_300_kb_answer(tmp_path: Path) -> None:
    assert len(BIG_JSON) > 300_000

    async def main() -> tuple[int, str, str]:
        runner, origin = await _serve({"/api/projects": in_pieces(BIG_JSON, "application/json")})
        (tmp_path / "launchready.toml").write_text(
            f'[smoke]\nbase_url = "{origin}"\n[[smoke.steps]]\nname = "projects"\n'
            'path = "/api/projects"\nexpect = ["status == 200", "json.ok == true"]\n')
        try:
            return await _cli("smoke", "--format", "json", cwd=tmp_path)
        finally:
            await runner.cleanup()

    _code, out, err = asyncio.run(main())
    report = json.loads(out)
    assert [f["rule_id"] for f in report["findings"]] == [], err
    smoke002 = next(c for c in report["checks"] if c["id"] == "SMOKE002")
    assert smoke002["status"] == "pass"


def test_body_cut_at_the_cap_is_marked_and_never_judged_clean() -> None:
    async def main() -> tuple[int, bool, int, bool]:
        runner, origin = await _serve({"/big.js": in_pieces(BUNDLE, "text/javascript")})
        probe = HttpProbe(timeout=10)
        try:
            whole = await probe.fetch(f"{origin}/big.js", max_body=len(BUNDLE))
            cut = await probe.fetch(f"{origin}/big.js", max_body=100_000)
        finally:
            await probe.aclose()
            await runner.cleanup()
        return len(whole.body), whole.truncated, len(cut.body), cut.truncated

    assert asyncio.run(main()) == (len(BUNDLE), False, 100_000, True)


def test_live_bundle_over_the_cap_is_incomplete_not_clean(tmp_path: Path) -> None:
    # the key sits past the 32 MiB cap: it cannot be seen, so the scan must not pass
    huge = b"var a=1;\n" * ((33 << 20) // 9) + f'var k="{STRIPE}";\n'.encode()

    async def main() -> tuple[int, str, str]:
        runner, origin = await _serve({"/p": in_pieces(PAGE, "text/html", 1),
                                       "/static/big.js": in_pieces(huge, "text/javascript")})
        try:
            return await _cli("secrets", "--bundle", f"{origin}/p", "--format", "json",
                              cwd=tmp_path)
        finally:
            await runner.cleanup()

    code, out, err = asyncio.run(main())
    assert code == 3, err
    sec003 = next(c for c in json.loads(out)["checks"] if c["id"] == "SEC003")
    assert sec003["status"] == "error"
    assert sec003["error"].startswith("incomplete: ") and "32 MiB cap" in sec003["error"]


def test_page_longer_than_the_cap_is_incomplete_for_mixed_content(
        nginx_factory: NginxFactory, tmp_path: Path) -> None:
    # the http:// script sits after the first 4 MiB: the check cannot have seen it
    host = "app.acme.test"
    (tmp_path / "index.html").write_bytes(
        b"<!doctype html><title>Acme</title>" + b"<p>filler</p>\n" * ((5 << 20) // 14)
        + b'<script src="http://cdn.acme.test/app.js"></script>')
    ng = nginx_factory()
    https = ng.port()
    ng.start(f"""
        server {{
            listen 127.0.0.1:{https} ssl; server_name {host}; {ng.tls(host)}
            add_header Strict-Transport-Security "max-age=31536000" always;
            location = / {{ root {tmp_path}; try_files /index.html =404; }}
            location / {{ return 404; }}
        }}""")
    config = Config.model_validate({
        "app": {"canonical": f"https://{host}:{https}/"},
        "network": {"resolve": [f"{host}:{https}:127.0.0.1"], "ca_bundle": str(ng.ca_bundle),
                    "timeout": 5}})
    report = asyncio.run(arun_audit(config, families=[RedirectMatrix()]))
    tls008 = next(c for c in report.checks if c.id == "TLS008")
    assert tls008.status is CheckStatus.ERROR
    assert tls008.error is not None and tls008.error.startswith("incomplete:")
