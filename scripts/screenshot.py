"""Take the README screenshot of the HTML report (``docs/report.png``) with headless Chromium.

Usage: ``python scripts/screenshot.py [--report FILE] [--out docs/report.png]``. Without
``--report`` it runs the bundled demo (``launchready.demo.run.run_demo``) and renders its HTML
report into a temporary folder first. The page is opened from a file and every request that is
not for that file is aborted, so the screenshot never reaches the network. Needs Playwright
(the Python package) and Chromium at ``/usr/bin/chromium`` (``scripts/system-deps.sh``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

from launchready.demo.run import run_demo
from launchready.report import Format, render

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent


def demo_report(folder: Path) -> Path:
    """Run the demo and write its HTML report into ``folder``."""
    result = asyncio.run(run_demo(fixed=False, workdir=folder / "work"))
    path = folder / "launchready-report.html"
    path.write_text(render(result.report, Format.HTML), encoding="utf-8")
    return path


def screenshot(report: Path, out: Path, *, width: int, height: int) -> None:
    """Open ``report`` in headless Chromium and save the top ``width`` × ``height`` pixels."""
    page_url = report.resolve().as_uri()

    def only_the_report(route: Route) -> None:
        if route.request.url == page_url:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    device_scale_factor=1, color_scheme="light")
            page.route("**/*", only_the_report)
            page.goto(page_url, wait_until="load")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="HTML report (default: run the demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1400)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.stderr.write(f"{CHROMIUM} not found; run scripts/system-deps.sh\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="launchready-shot-") as tmp:
        report = args.report or demo_report(Path(tmp))
        screenshot(report, args.out, width=args.width, height=args.height)
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
