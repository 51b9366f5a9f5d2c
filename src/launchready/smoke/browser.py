"""Run ``[[smoke.browser]]`` steps in headless Chromium through Playwright (optional extra).

Install with ``pip install 'launchready[browser]'`` and Debian's ``chromium`` package; the
browser is ``/usr/bin/chromium`` (Playwright's own browser download is not used). Hostnames from
``--resolve`` / ``[network] resolve`` are mapped with Chromium's ``--host-resolver-rules``.
Chromium trusts the system store only, so an HTTPS site whose certificate needs
``[network] ca_bundle`` cannot be checked in browser mode (the run says so).

The result is the same :class:`~launchready.smoke.runner.FlowResult` the HTTP runner returns,
so SMOKE001/SMOKE002 are judged the same way: a failure at or before the login step is
SMOKE001 (the login step is the one with ``login = true`` or named "login", together with
the ``expect_text``/``expect_url`` steps right after it), a later one SMOKE002, and a failed
step stops the run (the page is no longer where the
next step expects it). The logout replay (SMOKE003) is an HTTP-mode check.

Typed values are never shown: step results name the field, not what was typed, and every
string the run reports (errors included) is masked for every value typed into any field.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from launchready.config.browser_steps import BrowserStep
from launchready.errors import ProbeError
from launchready.smoke.masking import Masker
from launchready.smoke.runner import (
    ExpectationResult,
    FlowResult,
    Role,
    StepHook,
    StepResult,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "run_browser_flow"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync")
_POLL_S = 0.05
#: typed values shorter than this are not masked (they would garble every message)
_MIN_MASKED = 3
_NO_REPLAY = "browser mode: the logout replay runs in HTTP mode"


def _fill(text: str, run_id: str, environ: Mapping[str, str]) -> str:
    out = text.replace("${RUN_ID}", run_id)
    for name, value in environ.items():
        if name.isupper() and f"${{{name}}}" in out:
            out = out.replace(f"${{{name}}}", value)
    return out


def _role_indices(steps: Sequence[BrowserStep]) -> tuple[int | None, int | None]:
    def find(flag: str) -> int | None:
        for i, step in enumerate(steps):
            if getattr(step, flag) is True:
                return i
        for i, step in enumerate(steps):
            if (step.name or "").strip().lower() == flag and getattr(step, flag) is not False:
                return i
        return None

    login = find("login")
    # the checks right after the login action (expect_text, expect_url) are what prove it
    # worked: they belong to the login
    while (login is not None and login + 1 < len(steps)
           and steps[login + 1].action in ("expect_text", "expect_url")):
        login += 1
    return login, find("logout")


def _resolver_rules(resolve: Mapping[tuple[str, int], str]) -> list[str]:
    if not resolve:
        return []
    rules = ", ".join(f"MAP {host} {addr}" for (host, _), addr in sorted(resolve.items()))
    return [f"--host-resolver-rules={rules}"]


async def _wait_for(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL_S)


async def _perform(page: Page, step: BrowserStep, url: str, timeout: float
                   ) -> tuple[int | None, ExpectationResult | None]:
    """Do one step; return the HTTP status (goto) and the judged expectation, if any."""
    ms = timeout * 1000
    match step.action:
        case "goto":
            response = await page.goto(url, timeout=ms, wait_until="load")
            return (response.status if response is not None else None), None
        case "fill":
            await page.locator(step.argument).first.fill(step.value or "", timeout=ms)
            return None, None
        case "click":
            await page.locator(step.argument).first.click(timeout=ms)
            return None, None
        case "expect_text":
            async def shown() -> bool:
                return step.argument in await page.locator("body").inner_text(timeout=ms)
            ok = await _wait_for(shown, timeout)
            return None, ExpectationResult(
                expectation=f"text {step.argument!r} is shown", ok=ok, timing=False,
                seen="shown" if ok else f"not on the page after {timeout:g}s")
        case "expect_url":
            async def reached() -> bool:
                return step.argument in page.url
            ok = await _wait_for(reached, timeout)
            return None, ExpectationResult(
                expectation=f"URL contains {step.argument!r}", ok=ok, timing=False,
                seen=urlsplit(page.url).path or "/")


async def run_browser_flow(steps: Sequence[BrowserStep], *, base_url: str, run_id: str,
                           environ: Mapping[str, str], timeout: float = 10.0,
                           resolve: Mapping[tuple[str, int], str] | None = None,
                           ca_bundle: str | None = None, chromium: Path = CHROMIUM,
                           on_step: StepHook | None = None) -> FlowResult:
    """Run the browser steps once in a fresh headless Chromium; never raises for page errors.

    Raises :class:`~launchready.errors.ProbeError` when browser mode cannot run at all
    (Playwright not installed, no Chromium, an HTTPS site that needs ``ca_bundle``).
    """
    base = base_url.rstrip("/")
    if ca_bundle and base.lower().startswith("https://"):
        raise ProbeError("browser mode cannot trust [network] ca_bundle (Chromium uses the "
                         "system store); run the smoke flow in HTTP mode for this site")
    if not await asyncio.to_thread(chromium.exists):
        raise ProbeError(f"browser mode needs Chromium at {chromium} "
                         f"(apt-get install -y chromium)")
    try:
        from playwright.async_api import Error as PlaywrightError  # noqa: PLC0415
        from playwright.async_api import async_playwright  # noqa: PLC0415
    except ImportError:
        raise ProbeError("browser mode needs Playwright: pip install 'launchready[browser]'"
                         ) from None

    masker = Masker()
    for step in steps:
        if step.value is not None:
            masker.add(_fill(step.value, run_id, environ), min_length=_MIN_MASKED)
    login_i, logout_i = _role_indices(steps)
    results: list[StepResult] = []
    halted: str | None = None
    unreachable: str | None = None

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium),
            args=[*CHROMIUM_ARGS, *_resolver_rules(resolve or {})])
        try:
            context = await browser.new_context()
            page = await context.new_page()
            for index, step in enumerate(steps):
                role = (Role.LOGIN if login_i is not None and index <= login_i
                        else Role.LOGOUT if index == logout_i else Role.STEP)
                path = _fill(step.goto, run_id, environ) if step.goto else None
                url = (path if path and not path.startswith("/") else base + (path or ""))
                target = url if step.action == "goto" else f"{base} {step.argument}"
                fields: dict[str, Any] = {
                    "name": step.label, "index": index, "role": role, "via": "browser",
                    "method": step.action.upper(), "target": target, "sensitive": True}
                if halted is not None:
                    results.append(StepResult(**fields, ran=False, skip_reason=halted))
                    continue
                started = time.perf_counter()
                status: int | None = None
                checks: tuple[ExpectationResult, ...] = ()
                error: str | None = None
                try:
                    status, judged = await _perform(page, step, url, step.timeout or timeout)
                    if judged is not None:
                        checks = (judged,)
                    elif status is not None:
                        checks = (ExpectationResult(expectation="status < 400",
                                                    ok=status < 400, seen=str(status),
                                                    timing=False),)
                except PlaywrightError as exc:
                    # first line only: Playwright's call log can quote what was typed
                    error = masker.mask(str(exc).strip().splitlines()[0])
                    if (step.action == "goto" and not any(r.ran for r in results)
                            and "ERR_CONNECTION_REFUSED" in error):
                        unreachable = masker.mask(f"{url}: {error}")
                shown_url = url if step.action == "goto" else f"{page.url} {step.argument}"
                result = StepResult(**fields, url=masker.mask(shown_url), status=status,
                                    elapsed_ms=(time.perf_counter() - started) * 1000,
                                    error=error, checks=checks)
                results.append(result)
                if on_step is not None:
                    on_step(result)
                if unreachable is not None:
                    halted = "not run: the site could not be reached"
                elif result.failed:
                    halted = f"not run: step {step.label!r} failed"
            await context.close()
        finally:
            await browser.close()

    return FlowResult(
        base_url=base, run_id=run_id, steps=tuple(results),
        login=next((s.label for s in steps if s.login or (s.name or "").lower() == "login"),
                   None),
        logout=steps[logout_i].label if logout_i is not None else None,
        replay=None, replay_skipped=_NO_REPLAY, session=None, unreachable=unreachable)
