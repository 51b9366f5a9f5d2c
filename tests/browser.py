"""Headless Debian Chromium for the browser tests (HTML report, status page).

The launch flags are the product's own (``launchready.smoke.browser``): no background traffic,
so the browser talks to nothing but the page under test. ``TRIPWIRE`` runs before any page
script and records whether anything called ``alert()`` (what the hostile payloads do).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

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
