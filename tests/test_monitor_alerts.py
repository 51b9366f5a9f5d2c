"""Alert grouping and storage failure, against real local servers: 50 checks failing at once
give one message per route (RELIABILITY 19); a store that reports "database or disk is full"
gives one storage alert while checks and alerting go on from memory (RELIABILITY 23)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from launchready.config.models import Config
from launchready.monitor.daemon import Monitor
from launchready.monitor.notify import (
    DIGEST_LINES,
    DIGEST_NAMES,
    digest,
    load_transports,
    send_now,
)
from launchready.monitor.store import Commit, Store
from test_monitor_support import Hook, Target, smtp_server, target_server, wait_for, webhook


def _down(name: str) -> tuple[str, str]:
    return f"[DOWN] {name}", f"{name} is DOWN since 2026-01-01 00:00:00 UTC: status 503."


@pytest.mark.parametrize(("parts", "title", "present", "absent"), [
    ([_down("api")], "[DOWN] api", ["api is DOWN since"], ["alerts within"]),
    ([_down(f"c{i:02d}") for i in range(50)], "[DOWN] 50 checks",
     [f"c{i:02d}" for i in range(50)] + ["50 alerts", "50 DOWN"], ["more."]),
    ([_down("api"), ("[RECOVERED] web", "web is UP again at ...")],
     "[ALERTS] 2 messages (1 DOWN, 1 RECOVERED)", ["- api is DOWN", "- web is UP again"], []),
    ([_down(f"n{i:03d}") for i in range(DIGEST_LINES + DIGEST_NAMES + 30)],
     f"[DOWN] {DIGEST_LINES + DIGEST_NAMES + 30} checks",
     ["n000", f"n{DIGEST_LINES + DIGEST_NAMES - 1:03d}", "and 30 more."],
     [f"n{DIGEST_LINES + DIGEST_NAMES:03d}"]),
], ids=["one-unchanged", "fifty-named", "mixed-kinds", "long-list-counted"])
def test_digest(parts: list[tuple[str, str]], title: str, present: list[str],
                absent: list[str]) -> None:
    got_title, body = digest(parts)
    assert got_title == title
    for text in present:
        assert text in body
    for text in absent:
        assert text not in body


def _config(db: Path, checks: list[dict[str, Any]], hooks: list[int]) -> Config:
    return Config.model_validate({"monitor": {
        "interval": "1s", "timeout": "0.5s", "jitter": "0s", "failure_threshold": 2,
        "success_threshold": 2, "database": f"sqlite:///{db}", "allow_private": True,
        "checks": checks,
        "alerts": [{"url": f"json://127.0.0.1:{p}/hook", "name": f"hook{p}"} for p in hooks]}})


def test_fifty_checks_failing_together_are_one_message_per_route(tmp_path: Path) -> None:
    target = Target(status=503)
    hooks = [Hook(), Hook()]

    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as stack:
            port = await stack.enter_async_context(target_server(target))
            ports = [await stack.enter_async_context(webhook(h)) for h in hooks]
            checks = [{"name": f"svc{i:02d}", "url": f"http://127.0.0.1:{port}/health"}
                      for i in range(50)]
            monitor = Monitor(config=_config(tmp_path / "m.db", checks, ports), web=False,
                              group_window=2.0)
            await monitor.start()
            try:
                await wait_for(lambda: all(h.delivered for h in hooks), timeout=10)
                await asyncio.sleep(1.5)  # nothing else trickles in after the digest
            finally:
                await monitor.stop()

    asyncio.run(scenario())
    for hook in hooks:
        assert [p["title"] for p in hook.delivered] == ["[DOWN] 50 checks"]
        body = str(hook.delivered[0].get("message"))
        assert all(f"svc{i:02d}" in body for i in range(50))
    assert target.hits >= 100  # every check ran at least twice


class FillingStore(Store):
    """The real SQLite store, whose writes fail like a full disk while ``full`` is set."""

    full: bool = False

    def _apply(self, b: Commit) -> None:
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        super()._apply(b)


def test_full_disk_sends_one_storage_alert_and_alerting_goes_on(tmp_path: Path) -> None:
    target = Target()
    hook = Hook()
    db = tmp_path / "m.db"

    def titles(prefix: str) -> list[str]:
        return hook.titles(prefix)

    async def scenario() -> tuple[int, str]:
        async with target_server(target) as port, webhook(hook) as hport:
            store = await FillingStore(url=f"sqlite:///{db}").open()
            checks = [{"name": n, "url": f"http://127.0.0.1:{port}/health"}
                      for n in ("api", "web")]
            monitor = Monitor(config=_config(db, checks, [hport]), web=False,
                              group_window=0.5, store=store)
            await monitor.start()
            try:
                await asyncio.sleep(1.2)
                store.full = True
                await wait_for(lambda: bool(titles("[STORAGE FULL]")), timeout=5)
                state = (await monitor.snapshot(datetime.now(UTC))).monitor_state
                hits = target.hits
                target.status = 503
                # DOWN is detected and delivered from memory while the disk is still full
                await wait_for(lambda: bool(titles("[DOWN]")), timeout=8)
                assert target.hits > hits + 2
                await asyncio.sleep(1.5)
                store.full = False
                writer = monitor.writer
                assert writer is not None
                await wait_for(lambda: not writer.failing, timeout=5)
                await asyncio.sleep(1.5)  # the outbox would have re-sent DOWN by now
            finally:
                await monitor.stop()
            return target.hits, state

    hits, state = asyncio.run(scenario())
    assert state == "degraded: storage unavailable"
    assert len(titles("[STORAGE")) == 1
    assert titles("[DOWN]") == ["[DOWN] 2 checks"]
    assert "database or disk is full" in str(hook.delivered[0].get("message"))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        queued = conn.execute("SELECT COUNT(*) FROM outbox WHERE title LIKE '[DOWN]%'"
                              ).fetchone()[0]
    # the results of the full-disk period were kept in memory and written afterwards
    assert stored >= hits - 2
    assert queued == 0  # delivered from memory, so never queued to be sent again


def test_target_text_in_an_alert_is_never_rendered_as_html_mail() -> None:
    async def scenario() -> bytes:
        async with smtp_server() as (box, port):
            load_transports()
            delivery = await asyncio.to_thread(
                send_now, f"mailto://127.0.0.1:{port}?from=m@acme.test&to=ops@acme.test"
                          "&mode=insecure", "[DOWN] api",
                "api is DOWN: expected header.server == 'nginx', saw <script>alert(1)</script>",
                datetime.now(UTC))
            assert delivery.ok
            return box.raw[0]

    raw = asyncio.run(scenario())
    msg = message_from_bytes(raw)
    types = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
    assert types == ["text/plain"]
    text = msg.get_payload(decode=True)
    assert isinstance(text, bytes) and b"saw <script>alert(1)</script>" in text  # as text
