"""Helpers for the web-surface tests: hand-made responses and small real servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from aiohttp import web

from launchready.checks.base import CheckFamily, Context
from launchready.checks.web._html import Page
from launchready.config.models import Config
from launchready.engine import arun_audit
from launchready.model import Finding, Report
from launchready.probes.http import HttpResponse

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def response(url: str = "https://app.acme.test/", *, status: int | None = 200,
             headers: Iterable[tuple[str, str]] = (), body: bytes | str = b"",
             method: str = "GET", truncated: bool = False, error: str | None = None
             ) -> HttpResponse:
    """A hand-made probe response."""
    raw = body.encode() if isinstance(body, str) else body
    return HttpResponse(url=url, method=method, status=status, headers=tuple(headers),
                        body=raw, truncated=truncated, error=error)


def page(*hops: HttpResponse) -> Page:
    """A page whose chain is ``hops`` (the last one is the final response)."""
    return Page(start=hops[0].url, hops=hops)


def context(canonical: str = "https://app.acme.test/", **sections: Any) -> Context:
    """A context for ``evaluate`` calls and ``skip_reason`` (no probes)."""
    config = SimpleNamespace(app=SimpleNamespace(canonical=canonical, domain=None), **sections)
    return Context(loaded=cast(Any, config), probes=cast(Any, None), environ={}, now=NOW,
                   timeout=5)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on an ephemeral loopback port; yields ``http://127.0.0.1:PORT``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def local_config(canonical: str, **extra: Any) -> Config:
    """A real config pointed at a loopback server."""
    return Config.model_validate({"app": {"canonical": canonical},
                                  "network": {"timeout": 5}, **extra})


async def audit(config: Config, families: Sequence[CheckFamily[Any]]) -> Report:
    """Run only ``families`` against ``config``."""
    return await arun_audit(config, families=families, environ={}, now=NOW)


def of(report: Report, rule_id: str) -> list[Finding]:
    """The report's findings for one rule."""
    return [f for f in report.findings if f.rule_id == rule_id]


def status(report: Report, rule_id: str) -> str:
    """The check status of one rule (``pass``/``fail``/``error``/``skipped``)."""
    return next(c.status.value for c in report.checks if c.id == rule_id)
