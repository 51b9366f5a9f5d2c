"""The Acme demo, flawed and fixed, served over real HTTPS and HTTP listeners on 127.0.0.1.

Each test starts its own site (throwaway CA, seeded SQLite database), talks to it through an
aiohttp client that pins every demo hostname to 127.0.0.1 and trusts only the demo's ``ca.pem``,
and stops it again.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from launchready.demo.app import DEMO_EMAIL, SESSION_COOKIE
from launchready.demo.server import DemoSite, start_site

PASSWORD = "plum-harbour-seven-lanterns"
MODES = [pytest.param(False, id="flawed"), pytest.param(True, id="fixed")]
SECRET_KEY = re.compile(r"sk_live_[0-9A-Za-z]{24,}")
PUBLISHABLE_KEY = re.compile(r"pk_live_[0-9A-Za-z]{24,}")
SCRIPT_SRC = re.compile(r'<script src="(/static/js/app\.[0-9a-f]+\.js)"')


class _PinnedResolver(AbstractResolver):
    """Resolves the demo's hostnames to 127.0.0.1 and nothing else."""

    def __init__(self, hostnames: tuple[str, ...]) -> None:
        self.hostnames = hostnames

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.hostnames:
            raise OSError(f"{host} is not a demo hostname")
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        return None


Scenario = Callable[[DemoSite, aiohttp.ClientSession], Awaitable[None]]


@asynccontextmanager
async def _client(site: DemoSite) -> AsyncIterator[aiohttp.ClientSession]:
    trust = ssl.create_default_context(cafile=str(site.ca_bundle))
    connector = aiohttp.TCPConnector(resolver=_PinnedResolver(site.hostnames), ssl=trust)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def run(tmp_path: Path, fixed: bool, scenario: Scenario) -> None:
    async def main() -> None:
        site = await start_site(fixed=fixed, workdir=tmp_path, password=PASSWORD)
        async with site, _client(site) as client:
            await scenario(site, client)

    asyncio.run(main())


async def _login(site: DemoSite, client: aiohttp.ClientSession) -> str:
    async with client.post(site.url(path="/api/login"),
                           json={"email": DEMO_EMAIL, "password": PASSWORD}) as resp:
        assert resp.status == 200
        body = await resp.json()
        assert body["user"]["email"] == DEMO_EMAIL
        assert isinstance(body["user"]["id"], int)
        return resp.cookies[SESSION_COOKIE].value


@pytest.mark.parametrize("fixed", MODES)
def test_login_dashboard_project_logout_flow(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        # Given a logged-in demo user
        async with client.post(site.url(path="/api/login"),
                               json={"email": DEMO_EMAIL, "password": PASSWORD}) as resp:
            assert resp.status == 200
            morsel = resp.cookies[SESSION_COOKIE]
            assert morsel["secure"] and morsel["httponly"]
            assert morsel["samesite"] == "Lax"
        # When they open the dashboard, create a project and read the list and the report
        async with client.get(site.url(path="/api/dashboard")) as resp:
            assert resp.status == 200
            dashboard = await resp.json()
            assert dashboard["account"]["name"] == "Acme Corp"
            assert dashboard["projects"]["count"] == len(dashboard["projects"]["recent"]) + 1
        async with client.post(site.url(path="/api/projects"), json={"name": "smoke-1"}) as resp:
            assert resp.status == 201
            created = (await resp.json())["project"]
        async with client.get(site.url(path="/api/projects")) as resp:
            assert resp.status == 200
            projects = (await resp.json())["projects"]
            assert projects[0] == created
        async with client.get(site.url(path="/api/reports/revenue")) as resp:
            assert resp.status == 200
            report = await resp.json()
            assert len(report["months"]) >= 12
            assert report["total"] == sum(m["revenue"] for m in report["months"]) > 0
        # Then logging out ends the session for this browser
        async with client.post(site.url(path="/api/logout")) as resp:
            assert resp.status == 204
        async with client.get(site.url(path="/api/dashboard")) as resp:
            assert resp.status == 401

    run(tmp_path, fixed, scenario)


def test_bad_credentials_and_bad_input_are_rejected(tmp_path: Path) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        for creds in ({"email": DEMO_EMAIL, "password": "wrong"},
                      {"email": "nobody@acme.test", "password": PASSWORD}):
            async with client.post(site.url(path="/api/login"), json=creds) as resp:
                assert resp.status == 401
                assert SESSION_COOKIE not in resp.cookies
        async with client.post(site.url(path="/api/login"), data=b"not json") as resp:
            assert resp.status == 400
        for path in ("/api/dashboard", "/api/projects", "/api/reports/revenue"):
            async with client.get(site.url(path=path)) as resp:
                assert resp.status == 401, path
        await _login(site, client)
        async with client.post(site.url(path="/api/projects"), json={"name": " "}) as resp:
            assert resp.status == 400
        async with client.get(site.url(path="/api/nope")) as resp:
            assert resp.status == 404
            assert await resp.json() == {"error": "not found"}

    run(tmp_path, False, scenario)


@pytest.mark.parametrize(("fixed", "busy"), [pytest.param(False, True, id="flawed"),
                                              pytest.param(True, False, id="fixed")])
def test_login_burst(tmp_path: Path, fixed: bool, busy: bool) -> None:
    # 30 logins at once: the flawed app hashes on the event loop behind a 4-slot pool and
    # sheds most of them with 503; the fixed one hashes in threads and serves them all
    async def login(site: DemoSite, client: aiohttp.ClientSession) -> tuple[int, str | None]:
        async with client.post(site.url(path="/api/login"),
                               json={"email": DEMO_EMAIL, "password": PASSWORD}) as resp:
            await resp.read()
            return resp.status, resp.headers.get("Retry-After")

    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        results = await asyncio.gather(*(login(site, client) for _ in range(30)))
        statuses = sorted(status for status, _ in results)
        assert set(statuses) <= {200, 503}, statuses
        assert 200 in statuses, statuses  # the pool serves some in either mode
        assert (503 in statuses) is busy, statuses
        assert all(retry == "1" for status, retry in results if status == 503)
        await _login(site, client)  # and a lone login afterwards is fine in both modes

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize(("fixed", "replay_status"), [pytest.param(False, 200, id="flawed"),
                                                      pytest.param(True, 401, id="fixed")])
def test_session_token_replayed_after_logout(tmp_path: Path, fixed: bool,
                                             replay_status: int) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        token = await _login(site, client)
        async with client.post(site.url(path="/api/logout")) as resp:
            assert resp.status == 204
        # An attacker (or a shared computer) still holding the old cookie value
        async with client.get(site.url(path="/api/dashboard"),
                              headers={"Cookie": f"{SESSION_COOKIE}={token}"}) as resp:
            assert resp.status == replay_status

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_hsts_and_security_headers(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        async with client.get(site.url()) as resp:
            assert resp.status == 200
            headers = resp.headers
        if fixed:
            assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert headers["Server"] == "acme"
        else:
            for name in ("Strict-Transport-Security", "Content-Security-Policy",
                         "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
                assert name not in headers, name
            assert "aiohttp/" in headers["Server"]

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_dashboard_cache_headers(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        await _login(site, client)
        async with client.get(site.url(path="/api/dashboard")) as resp:
            assert resp.status == 200
            if fixed:
                assert resp.headers["Cache-Control"] == "private, no-store"
                assert resp.headers["Vary"] == "Cookie"
            else:
                assert resp.headers["Cache-Control"] == "public, max-age=300"
                assert "Vary" not in resp.headers
        async with client.get(site.url(path="/api/projects")) as resp:
            assert "no-store" in resp.headers["Cache-Control"]

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_error_page(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        async with client.get(site.url(path="/api/debug/crash")) as resp:
            assert resp.status == 500
            body = await resp.text()
            server = resp.headers["Server"]
        if fixed:
            assert "Traceback" not in body and "aiohttp" not in body
            assert "aiohttp" not in server
            assert json.loads(body)["error"] == "internal error"
        else:
            assert "Traceback (most recent call last)" in body
            assert "ZeroDivisionError" in body
            assert re.search(r"aiohttp/\d+\.\d+", body)
            assert "aiohttp/" in server

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_healthz_checks_the_database(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        async with client.get(site.url(path="/healthz")) as resp:
            assert resp.status == 200
            assert await resp.json() == {"status": "ok", "db": "ok"}
        # When the database loses its data, health says so
        with closing(sqlite3.connect(site.db_path)) as conn, conn:
            conn.execute("DELETE FROM accounts")
        async with client.get(site.url(path="/healthz")) as resp:
            assert resp.status == 503
            assert (await resp.json())["db"] == "error"

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_bundle_and_source_map(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        async with client.get(site.url()) as resp:
            match = SCRIPT_SRC.search(await resp.text())
        assert match, "login page loads no fingerprinted bundle"
        async with client.get(site.url(path=match.group(1))) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            bundle = await resp.text()
        assert PUBLISHABLE_KEY.search(bundle)
        map_url = site.url(path=match.group(1) + ".map")
        async with client.get(map_url) as resp:
            map_status = resp.status
            source_map = await resp.json() if resp.status == 200 else None
        if fixed:
            assert not SECRET_KEY.search(bundle)
            assert "sourceMappingURL" not in bundle
            assert map_status == 404
        else:
            key = SECRET_KEY.search(bundle)
            assert key
            assert bundle.rstrip().endswith(f"//# sourceMappingURL={match.group(1)[11:]}.map")
            assert map_status == 200 and source_map is not None
            assert any(key.group(0) in src for src in source_map["sourcesContent"])

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_http_redirects_to_https(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        for host in site.hostnames:
            url = site.url(host, "/pricing?plan=growth", https=False)
            async with client.get(url, allow_redirects=False) as resp:
                assert resp.status == 301
                location = resp.headers["Location"]
            expected_host = host if fixed else site.canonical_host
            assert location == site.url(expected_host, "/pricing?plan=growth"), host

    run(tmp_path, fixed, scenario)


@pytest.mark.parametrize("fixed", MODES)
def test_apex_and_www_over_https(tmp_path: Path, fixed: bool) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        canonical = f"{site.canonical}/projects?tab=all"
        async with client.get(site.url(site.apex, "/projects?tab=all"),
                              allow_redirects=False) as resp:
            assert resp.status == 301
            assert resp.headers["Location"] == canonical
            # HSTS with includeSubDomains belongs on the apex too (RFC 6797 §6.1.2)
            assert ("Strict-Transport-Security" in resp.headers) is fixed
        async with client.get(site.url("www.acme.test", "/projects?tab=all"),
                              allow_redirects=False) as resp:
            if fixed:
                assert resp.status == 301
                assert resp.headers["Location"] == canonical
        async with client.get(site.url("www.acme.test", "/?ref=ad"), allow_redirects=False) as resp:
            if fixed:
                assert resp.status == 301
                assert resp.headers["Location"] == f"{site.canonical}/?ref=ad"
            else:
                assert resp.status == 200
                assert "Acme Dashboard" in await resp.text()
        # Following the fixed chain from plain HTTP on the apex takes two hops
        async with client.get(site.url(site.apex, "/", https=False)) as resp:
            assert resp.status == 200
            assert str(resp.url) == f"{site.canonical}/"
            assert len(resp.history) == (2 if fixed else 1)

    run(tmp_path, fixed, scenario)


def test_site_addresses_and_unknown_hosts(tmp_path: Path) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        assert site.canonical == f"https://app.acme.test:{site.https_port}"
        assert site.ca_bundle == tmp_path / "ca.pem"
        assert sorted(site.resolve) == sorted(
            f"{host}:{port}:127.0.0.1" for host in ("acme.test", "www.acme.test", "app.acme.test")
            for port in (site.https_port, site.http_port))
        async with client.get(site.url(path="/"), headers={"Host": "evil.test"}) as resp:
            assert resp.status == 421

    run(tmp_path, True, scenario)


@pytest.mark.parametrize(("fixed", "plan"), [pytest.param(False, "SCAN invoices", id="flawed"),
                                             pytest.param(True, "ix_invoices_account_id",
                                                          id="fixed")])
def test_report_query_plan(tmp_path: Path, fixed: bool, plan: str) -> None:
    async def scenario(site: DemoSite, client: aiohttp.ClientSession) -> None:
        with closing(sqlite3.connect(site.db_path)) as conn:
            count = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
            rows = conn.execute("EXPLAIN QUERY PLAN SELECT sum(amount) FROM invoices "
                                "WHERE account_id = ?", (1,)).fetchall()
        assert count == 50_000
        assert plan in " ".join(str(row[-1]) for row in rows)

    run(tmp_path, fixed, scenario)
