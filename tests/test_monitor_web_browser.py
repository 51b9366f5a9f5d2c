"""The public status page opened in a real headless Chromium: readable, inert and self-contained.

The real aiohttp server runs on 127.0.0.1 in a thread of its own (Playwright's sync API owns the
test thread). Every request the browser makes and every path the server answers are recorded, as
are dialogs and script errors. JavaScript stays enabled, so an escaping bug would show up as a
script that actually runs; one load also bypasses the page's CSP, so escaping alone must hold.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from playwright.sync_api import Browser, expect

from browser import MARKS, LoadedPage, open_page
from launchready.monitor.web import build_app
from test_monitor_web import (
    ATTRIBUTE_NAME,
    JAVASCRIPT_NAME,
    NOW,
    PRIVATE_HOST,
    PRIVATE_NAME,
    SCRIPT_NAME,
    TOKEN,
    FakeSource,
)

pytestmark = MARKS


@dataclass
class StatusServer:
    """The status page app served from a background event loop."""

    url: str
    served: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def server() -> Iterator[StatusServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    served: list[str] = []

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        served.append(request.path_qs)

    async def start() -> web.AppRunner:
        app = build_app(FakeSource(), clock=lambda: NOW)
        app.on_response_prepare.append(record)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        host, port = runner.addresses[0][:2]
        yield StatusServer(url=f"http://{host}:{port}/", served=served)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()




@pytest.fixture
def status(browser: Browser, server: StatusServer) -> Iterator[LoadedPage]:
    yield from open_page(browser, server.url)


def test_checks_states_and_uptime_are_visible(status: LoadedPage) -> None:
    page = status.page
    expect(page.locator("#overall")).to_have_text("Partial outage")
    cards = page.locator("article.check")
    expect(cards).to_have_count(4)
    login = cards.filter(has_text="Login")
    expect(login.locator(".badge")).to_have_text("Up")
    expect(login.locator(".uptime dd")).to_have_text(["99.79%", "99.95%", "99.99%"])
    expect(login.get_by_text("recovered while the monitor was offline")).to_be_visible()
    expect(cards.filter(has_text=SCRIPT_NAME).locator(".badge")).to_have_text("Down")
    expect(cards.filter(has_text=ATTRIBUTE_NAME).locator(".badge")).to_have_text("Degraded")
    expect(cards.filter(has_text=JAVASCRIPT_NAME).locator(".badge")).to_have_text("Unknown")
    # The latency chart is drawn server-side and actually has a visible line.
    chart = login.locator("figure svg path.line")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 100


def test_nothing_private_reaches_the_visitor(status: LoadedPage) -> None:
    text = status.page.locator("body").inner_text()
    html = status.page.content()
    for secret in (PRIVATE_NAME, PRIVATE_HOST, TOKEN):
        assert secret not in text
        assert secret not in html


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "csp-bypassed"])
def test_hostile_names_show_as_text_and_never_run(
    browser: Browser, server: StatusServer, bypass_csp: bool
) -> None:
    for loaded in open_page(browser, server.url, bypass_csp=bypass_csp):
        page = loaded.page
        assert loaded.dialogs == []
        assert page.evaluate("window.__pwned") is False
        assert loaded.errors == []
        assert page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
        assert page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
        for name in (SCRIPT_NAME, ATTRIBUTE_NAME, JAVASCRIPT_NAME):
            expect(page.locator("h2 .name", has_text=name)).to_have_text(name)
        assert page.locator("a").count() == 0
        page.get_by_text(JAVASCRIPT_NAME).click()
        assert page.url == server.url
        assert page.evaluate("window.__pwned") is False


def test_the_page_requests_nothing_but_itself(status: LoadedPage, server: StatusServer) -> None:
    page = status.page
    page.locator("article.check").first.click()
    assert status.requests == [server.url]
    assert status.errors == []
    # The server agrees: no favicon, no stylesheet, no API call — only the page.
    assert set(server.served) == {"/"}
