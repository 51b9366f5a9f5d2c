"""Real local parts for the monitor tests: an SMTP server, a webhook receiver, a switchable
HTTP target and a TCP forwarder (so a restarted app keeps its address). No tests here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Mailbox:
    """Messages received by the SMTP server: (subject, body)."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # whole messages, as received

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.raw.append(envelope.original_content or b"")
        msg = message_from_bytes(envelope.original_content or b"")
        body = ""
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    body = payload.decode("utf-8", "replace")
                    break
        self.messages.append((str(msg.get("Subject", "")), body))
        return "250 OK"

    def subjects(self, prefix: str) -> list[str]:
        return [s for s, _ in self.messages if s.startswith(prefix)]


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 in the running loop."""
    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(box, hostname="mail.test", loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield box, port
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class Hook:
    """A webhook receiver: answers with the scripted statuses in turn, then 200."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read() or b"{}")
        self.received.append((time.monotonic(), payload))
        if self.script:
            status, headers = self.script.pop(0)
            return web.Response(status=status, headers=headers, text="no")
        self.delivered.append(payload)
        return web.Response(text="ok")

    def titles(self, prefix: str) -> list[str]:
        return [str(p.get("title", "")) for p in self.delivered
                if str(p.get("title", "")).startswith(prefix)]


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, port: int = 0) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    try:
        yield int(bound)
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def webhook(hook: Hook) -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    async with serve_app(app) as port:
        yield port


@dataclass
class Target:
    """A switchable HTTP target: ``status`` is what /health answers; ``delay`` stalls it."""

    status: int = 200
    delay: float = 0.0
    hits: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"status": "ok" if self.status == 200 else "error"},
                                 status=self.status)


@contextlib.asynccontextmanager
async def target_server(target: Target, port: int = 0) -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/health", target.handle)
    async with serve_app(app, port) as bound:
        yield bound


@dataclass
class Forwarder:
    """TCP forwarder on a fixed port to ``upstream`` (changeable; None: refuse)."""

    upstream: int | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.upstream is None:
            writer.close()
            return
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        a = asyncio.create_task(self._pipe(reader, up_w))
        b = asyncio.create_task(self._pipe(up_r, writer))
        self._tasks |= {a, b}
        await asyncio.gather(a, b, return_exceptions=True)
        self._tasks -= {a, b}


@contextlib.asynccontextmanager
async def forwarder(fwd: Forwarder) -> AsyncIterator[int]:
    server = await asyncio.start_server(fwd.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield int(port)
    finally:
        server.close()
        for task in list(fwd._tasks):
            task.cancel()
        await asyncio.gather(*fwd._tasks, return_exceptions=True)
        await server.wait_closed()


@contextlib.asynccontextmanager
async def tarpit() -> AsyncIterator[int]:
    """Accepts connections and never sends a byte."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    """Wait until ``predicate()``; return the seconds waited (raise on timeout)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(step)
    return time.monotonic() - start
