"""The demo site and its DNS zone served from a background event loop, for tests whose code
under test runs its own loop (commands, synchronous helpers)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from launchready.demo.dnsserver import ZoneServer
from launchready.demo.run import demo_zone
from launchready.demo.server import DemoSite, start_site

T = TypeVar("T")


class LoopThread:
    """An event loop in a background thread, for servers the code under test talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@contextlib.contextmanager
def demo_in_thread(workdir: Path, *, fixed: bool = False) -> Iterator[tuple[DemoSite, int]]:
    """The demo site and its zone served from a background loop; yields (site, DNS port)."""
    runner = LoopThread()
    site: DemoSite | None = None
    zone: ZoneServer | None = None
    try:
        site = runner.call(start_site(fixed=fixed, workdir=workdir,
                                      password=secrets.token_urlsafe(12), invoices=500))
        zone = ZoneServer(demo_zone(fixed=fixed))
        _, port = runner.call(zone.start())
        yield site, port
    finally:
        if zone is not None:
            runner.call(zone.stop())
        if site is not None:
            runner.call(site.stop())
        runner.close()


