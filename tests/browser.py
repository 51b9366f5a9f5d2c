"""Headless Debian Chromium for the browser tests (HTML report, status page).

The launch flags are the product's own (``launchready.smoke.browser``): no background traffic,
so the browser talks to nothing but the page under test. ``TRIPWIRE`` runs before any page
script and records whether anything called ``alert()`` (what the hostile payloads do).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from launchready.smoke.browser import CHROMIUM, CHROMIUM_ARGS

TRIPWIRE = """
window.__pwned = false;
const realAlert = window.alert.bind(window);
window.alert = (message) => { window.__pwned = true; return realAlert(message); };
"""

MARKS = [
    pytest.mark.chromium,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs /usr/bin/chromium (make test installs it)"),
]


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    """One Chromium per test module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=list(CHROMIUM_ARGS))
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class LoadedPage:
    """A page in the browser, with everything it did while loading."""

    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_page(browser: Browser, url: str, *, bypass_csp: bool = False) -> Iterator[LoadedPage]:
    """Load ``url`` with JavaScript on and the tripwire set; record requests, dialogs (dismissed)
    and console/page errors. A generator, for ``yield from`` in fixtures or a ``for`` loop."""
    context = browser.new_context(bypass_csp=bypass_csp, java_script_enabled=True)
    try:
        context.add_init_script(TRIPWIRE)
        page = context.new_page()
        loaded = LoadedPage(page=page, url=url)

        def on_dialog(dialog: Dialog) -> None:
            loaded.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                loaded.errors.append(message.text)

        page.on("request", lambda request: loaded.requests.append(request.url))
        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: loaded.errors.append(str(error)))
        page.goto(url, wait_until="load")
        yield loaded
    finally:
        context.close()
