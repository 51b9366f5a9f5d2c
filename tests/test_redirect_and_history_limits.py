"""Limits that were handled but not tested: monitor redirects to non-http(s) schemes and past
the hop cap (RELIABILITY 3), history scans of a single-branch clone or a corrupt repository
(43), and the range-mode note of ``--since`` (44). Each through the real CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from launchready.probes.git import git_env
from launchready.secrets.sample_repo import make_sample_repo


async def _cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "launchready", *args, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _run(*args: str, cwd: Path) -> tuple[int, str, str]:
    return asyncio.run(_cli(*args, cwd=cwd))


def test_monitor_refuses_non_http_redirects_and_stops_after_five_hops(tmp_path: Path) -> None:
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path.startswith("/to/"):
            return web.Response(status=302, headers={
                "Location": request.path.removeprefix("/to/").replace("_", ":", 1)})
        n = int(request.path.strip("/") or 0)
        return web.Response(status=302, headers={"Location": f"/{n + 1}"})

    async def main() -> tuple[int, str, str]:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        checks = "".join(
            f'[[monitor.checks]]\nname = "{name}"\nurl = "{base}{path}"\n'
            for name, path in (("file", "/to/file_///etc/passwd"),
                               ("gopher", "/to/gopher_//127.0.0.1:70/x"), ("chain", "/0")))
        (tmp_path / "m.toml").write_text(
            f'[monitor]\nallow_private = true\ntimeout = "5s"\ninterval = "10s"\n{checks}')
        try:
            return await _cli("monitor", "once", "--config", "m.toml", cwd=tmp_path)
        finally:
            await runner.cleanup()

    _code, out, err = asyncio.run(main())
    lines = {line.split(":", 1)[0]: line for line in out.splitlines() if ":" in line}
    assert "redirect to a non-http(s) URL refused" in lines["file"], out + err
    assert "redirect to a non-http(s) URL refused" in lines["gopher"]
    assert "more than 5 redirects" in lines["chain"]
    chain = [h for h in hits if not h.startswith("/to/")]
    assert chain == ["/0", "/1", "/2", "/3", "/4", "/5"]  # the 7th request is never made


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], env=git_env(), check=True,
                          capture_output=True, text=True, timeout=30).stdout


def test_single_branch_clone_is_incomplete_history(tmp_path: Path) -> None:
    origin = make_sample_repo(tmp_path / "origin", fixed=False)
    _git(origin, "branch", "other")
    subprocess.run(["git", "clone", "-q", "--single-branch", "--branch", "main",
                    f"file://{origin}", str(tmp_path / "clone")], env=git_env(), check=True,
                   capture_output=True, timeout=60)
    code, out, err = _run("secrets", "clone", "--history", "--format", "json", cwd=tmp_path)
    assert code != 0, err  # 1: the clone's tracked .env is a finding as well
    sec002 = next(c for c in json.loads(out)["checks"] if c["id"] == "SEC002")
    assert sec002["status"] == "error"
    assert sec002["error"].startswith("incomplete history: single-branch clone")


def test_corrupt_object_is_incomplete_history(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path / "repo", fixed=False)
    blob = _git(repo, "rev-parse", "HEAD~1:src/billing.py").strip()
    loose = repo / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")
    code, out, err = _run("secrets", "repo", "--history", "--format", "json", cwd=tmp_path)
    assert code != 0, err
    sec002 = next(c for c in json.loads(out)["checks"] if c["id"] == "SEC002")
    assert sec002["status"] == "error"
    assert sec002["error"].startswith("incomplete history: git log failed")


def test_range_mode_says_what_it_did_not_scan(tmp_path: Path) -> None:
    make_sample_repo(tmp_path / "repo", fixed=False)
    code, out, err = _run("secrets", "repo", "--since", "HEAD~1", "--format", "json",
                          cwd=tmp_path)
    assert code in (0, 1), err
    sec002 = next(c for c in json.loads(out)["checks"] if c["id"] == "SEC002")
    assert sec002["status"] == "pass"
    assert "range mode (HEAD~1..HEAD): only lines added in that range were scanned" in out
