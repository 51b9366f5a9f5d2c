"""The HTTP/1.1 load client against a raw asyncio server sending exact bytes (RFC 9112 §6.3)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from launchready.perf.wire import (
    Endpoint,
    WireError,
    build_request,
    connect,
)

Reply = Callable[[bytes], bytes]


async def _serve(reply: Reply, *, close_after: bool = False,
                 scenario: Callable[[Endpoint, list[int]], Awaitable[None]]) -> None:
    """Run ``scenario`` against a server answering each request head with ``reply(head)``."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                writer.write(reply(head))
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await scenario(Endpoint(scheme="http", host="127.0.0.1", port=port,
                                address="127.0.0.1"), connections)
    finally:
        server.close()
        await server.wait_closed()


def _fixed(data: bytes) -> Reply:
    return lambda head: data


CASES = [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, b"hello", True),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, b"abcde", True),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"3\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n", 200, b"abc", True),
    (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nContent-Length: 99\r\n\r\n"
     b"1\r\nz\r\n0\r\n\r\n", 200, b"z", True),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", True),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
     201, b"ok", True),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 200, b"ok", False),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, b"ok", False),
]


@pytest.mark.parametrize(("raw", "status", "body", "reusable"), CASES,
                         ids=["content-length", "chunked-ext", "chunked-trailer",
                              "chunked-beats-length", "204", "interim-100", "conn-close",
                              "http10"])
def test_framing(raw: bytes, status: int, body: bytes, reusable: bool) -> None:
    async def scenario(ep: Endpoint, _: list[int]) -> None:
        conn = await connect(ep, timeout=2)
        try:
            got = await conn.send(build_request(ep, "GET", "/"), capture=True)
            assert got == status
            assert conn.captured is not None
            assert bytes(conn.captured.body) == body
            assert conn.alive is reusable
            if reusable:  # a second request on the same connection works
                assert await conn.send(build_request(ep, "GET", "/")) == status
        finally:
            conn.close()

    asyncio.run(_serve(_fixed(raw), close_after=not reusable, scenario=scenario))


def test_body_until_close_and_split_packets() -> None:
    async def scenario(ep: Endpoint, _: list[int]) -> None:
        conn = await connect(ep, timeout=2)
        try:
            assert await conn.send(build_request(ep, "GET", "/"), capture=True) == 200
            assert conn.captured is not None
            assert bytes(conn.captured.body) == b"all of it"
            assert not conn.alive
        finally:
            conn.close()

    asyncio.run(_serve(_fixed(b"HTTP/1.1 200 OK\r\n\r\nall of it"), close_after=True,
                       scenario=scenario))


def test_head_request_has_no_body_and_keeps_alive() -> None:
    async def scenario(ep: Endpoint, connections: list[int]) -> None:
        conn = await connect(ep, timeout=2)
        try:
            for _ in range(3):
                status = await conn.send(build_request(ep, "HEAD", "/"), head_only=True)
                assert status == 200
            assert len(connections) == 1
        finally:
            conn.close()

    asyncio.run(_serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
                       scenario=scenario))


@pytest.mark.parametrize("raw", [
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
], ids=["not-http", "closed-mid-body", "bad-chunk-size"])
def test_broken_responses_fail_cleanly(raw: bytes) -> None:
    async def scenario(ep: Endpoint, _: list[int]) -> None:
        conn = await connect(ep, timeout=2)
        try:
            with pytest.raises(WireError):
                await asyncio.wait_for(conn.send(build_request(ep, "GET", "/")), 2)
            assert not conn.alive
        finally:
            conn.close()

    asyncio.run(_serve(_fixed(raw), close_after=True, scenario=scenario))


def test_request_bytes() -> None:
    ep = Endpoint(scheme="https", host="app.example.test", port=8443, address="127.0.0.1")
    raw = build_request(ep, "POST", "/api/login", headers={"Content-Type": "application/json"},
                        body=b"{}")
    assert raw.startswith(b"POST /api/login HTTP/1.1\r\nHost: app.example.test:8443\r\n")
    assert raw.endswith(b"Content-Length: 2\r\n\r\n{}")
    with pytest.raises(ValueError, match="line break"):
        build_request(ep, "GET", "/", headers={"X-Bad": "a\r\nInjected: 1"})
