"""The HTML report opened in a real headless Chromium: readable, inert and self-contained.

Each page load records every request, dialog, console error and page error. JavaScript stays
enabled in the browser, so an escaping bug would show up as a script that actually runs; the
hostile-value test also runs with the page's CSP bypassed, so escaping alone must hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser import MARKS, LoadedPage, open_page
from launchready.report import Format, render
from reportfactory import ATTRIBUTE_PAYLOAD, JAVASCRIPT_URL, SCRIPT_PAYLOAD, sample_report

pytestmark = MARKS


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "launchready-report.html"
    path.write_text(render(sample_report(), Format.HTML), encoding="utf-8")
    return path


@pytest.fixture
def report(browser: Browser, report_file: Path) -> Iterator[LoadedPage]:
    yield from open_page(browser, report_file.as_uri())


def test_the_plan_and_risk_list_are_visible_in_order(report: LoadedPage) -> None:
    page = report.page
    first = sample_report().unsuppressed[0]
    expect(page.locator("#plan li").first).to_contain_text(first.title)
    expect(page.locator("#risks article").first.get_by_role("heading")).to_have_text(first.title)
    expect(page.locator("#risks article").first).to_be_visible()
    headings = page.locator("h2").all_inner_texts()
    # an incomplete run says so first, above the plan, with the check that could not run
    assert headings[0].startswith("incomplete: 1 check could not run")
    expect(page.locator("#incomplete")).to_contain_text("connection refused")
    assert headings[1:3] == ["48-hour plan", "Risk list"]
    assert headings[-1] == "Checks"
    expect(page.locator("#risks .badge.critical").first).to_be_visible()


def test_checks_are_collapsed_until_opened_but_errors_are_open(report: LoadedPage) -> None:
    page = report.page
    errored = page.locator("details.checks-error")
    expect(errored.locator("summary")).to_have_text("Could not run (1)")
    expect(errored.get_by_text("connection refused")).to_be_visible()  # never hidden
    skipped = page.locator("details.checks-skipped")
    expect(skipped.get_by_text("no [smoke] section")).to_be_hidden()
    skipped.locator("summary").click()
    expect(skipped.get_by_text("no [smoke] section")).to_be_visible()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "csp-bypassed"])
def test_hostile_values_show_as_text_and_never_run(
    browser: Browser, report_file: Path, bypass_csp: bool
) -> None:
    for loaded in open_page(browser, report_file.as_uri(), bypass_csp=bypass_csp):
        page = loaded.page
        # Nothing ran and nothing became markup ...
        assert loaded.dialogs == []
        assert page.evaluate("window.__pwned") is False
        assert loaded.errors == []
        assert page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
        assert page.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
        # ... and the payloads are on screen, literally.
        expect(page.locator("#risks pre", has_text=SCRIPT_PAYLOAD)).to_be_visible()
        expect(page.locator("#notes li", has_text=SCRIPT_PAYLOAD)).to_be_visible()
        expect(page.locator("#risks pre", has_text=ATTRIBUTE_PAYLOAD)).to_be_visible()
        expect(page.locator("td", has_text=ATTRIBUTE_PAYLOAD)).to_be_visible()


def test_javascript_target_is_text_not_a_link(report: LoadedPage) -> None:
    page = report.page
    target = page.locator("#risks dd.target", has_text=JAVASCRIPT_URL)
    expect(target).to_be_visible()
    assert target.evaluate("el => el.querySelector('a') === null")
    assert page.locator("a", has_text=JAVASCRIPT_URL).count() == 0
    hrefs = page.evaluate(
        "[...document.querySelectorAll('[href]')].map(e => e.getAttribute('href'))"
    )
    assert hrefs
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs)
    # Clicking the text goes nowhere and runs nothing.
    target.get_by_text(JAVASCRIPT_URL).click()
    assert page.url == report.url
    assert page.evaluate("window.__pwned") is False
    assert report.dialogs == []


def test_the_page_requests_nothing_but_itself(report: LoadedPage) -> None:
    page = report.page
    for summary in page.locator("details summary").all():
        summary.click()
    page.get_by_role("link", name=sample_report().unsuppressed[0].title).click()
    page.wait_for_load_state("load")
    assert report.requests == [report.url]
    assert report.errors == []
