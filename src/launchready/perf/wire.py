"""A lean HTTP/1.1 keep-alive client on asyncio protocols, for the load engine only.

Why not aiohttp here: a load generator must spend less CPU per request than the server it
measures, or it measures itself. aiohttp spends ~55 ms of CPU per 1,000 requests; this client
parses exactly what latency measurement needs (status line, ``Content-Length``,
``Transfer-Encoding: chunked``, ``Connection``) and discards bodies without copying them, so it
runs at a fraction of that (see ``bench/perf_bench.py``).

Scope, on purpose: one request in flight per connection (no pipelining), pre-built request
bytes, plain TCP or TLS (certificate and hostname verified by ``ssl``). Message framing follows
RFC 9112 §6.3: no body for ``HEAD``, 1xx, 204 and 304; chunked wins over ``Content-Length``;
otherwise ``Content-Length``; otherwise the body runs until the server closes. A connection is
reused unless the server says ``Connection: close`` (or is HTTP/1.0 without ``keep-alive``).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from launchready.errors import LaunchreadyError, ProbeError, ProbeTimeout

#: response heads larger than this are refused (a protection, not a limit real servers reach)
MAX_HEAD_BYTES = 64 * 1024
#: bytes of body kept when a caller asks to capture a response (to judge expectations)
CAPTURE_BYTES = 64 * 1024
USER_AGENT = "launchready-perf"

_IDLE, _HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILERS, _UNTIL_CLOSE = range(7)


#: ``(status, None)`` for a complete response, ``(0, exception)`` for a failed one
ResponseCallback = Callable[[int, "Exception | None"], None]


class WireError(ProbeError):
    """The server broke HTTP/1.1 framing or closed the connection mid-response."""


class RequestTimeout(ProbeTimeout):
    """No complete response within the request timeout."""


class Interrupted(LaunchreadyError):
    """The run was stopped (Ctrl-C) while this request was in flight."""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Where to connect and what to say: everything needed to build one request's bytes."""

    scheme: str  # "http" or "https"
    host: str  # the name in Host, SNI and certificate checks
    port: int
    address: str  # the IP actually connected to (resolved once, checked by the safety rule)
    ssl_context: ssl.SSLContext | None = None

    @property
    def authority(self) -> str:
        """``host`` or ``host:port`` as the Host header wants it (RFC 9110 §7.2)."""
        default = 443 if self.scheme == "https" else 80
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == default else f"{shown}:{self.port}"


def build_request(endpoint: Endpoint, method: str, target: str, *,
                  headers: Mapping[str, str] | None = None, body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 request; built once per endpoint and sent many times."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {endpoint.authority}",
             f"User-Agent: {USER_AGENT}", "Accept: */*"]
    given = {k.lower() for k in (headers or {})}
    for name, value in (headers or {}).items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(f"{name}: {value}")
    if (body or method in {"POST", "PUT", "PATCH"}) and "content-length" not in given:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(kw_only=True)
class Captured:
    """A response kept whole (headers and the first ``CAPTURE_BYTES`` of body)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lower-cased
    body: bytearray = field(default_factory=bytearray)

    def header_all(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        key = name.lower()
        return tuple(v for k, v in self.headers if k == key)


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``send`` returns a future resolving to the status code."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._busy = False  # a request is in flight
        self._waiter: asyncio.Future[int] | None = None
        self._callback: ResponseCallback | None = None
        self._state = _IDLE
        self._remaining = 0
        self._status = 0
        self._keep_alive = True
        self._head_only = False
        self._capture: Captured | None = None
        #: loop time by which the current response must be complete (0: none in flight)
        self.deadline = 0.0
        self.alive = False

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (uvloop's is not an asyncio.Transport subclass, but has its API)
        self._transport = cast(asyncio.Transport, transport)
        self.alive = True

    def data_received(self, data: bytes) -> None:
        if not self._busy:
            # bytes nobody asked for: the connection is out of step, do not reuse it
            self._drop()
            return
        try:
            if self._buf or self._capture is not None or not self._fast(data):
                self._buf += data
                self._parse()
        except (ValueError, WireError) as exc:
            self._fail(WireError(f"bad response: {exc}"))

    def _fast(self, data: bytes) -> bool:
        """Handle ``data`` without buffering when it frames simply; False: use ``_parse``.

        The common case of a load run — a whole small response, or the next piece of a
        ``Content-Length`` body — costs a find, a header scan and no copies.
        """
        state = self._state
        if state == _BODY:
            n = len(data)
            if n < self._remaining:
                self._remaining -= n
                return True
            if n == self._remaining:
                self._finish()
                return True
            return False
        if state != _HEAD:
            return False
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return False
        rest = len(data) - end - 4
        if self._start_body(data[:end]):  # answered without a body
            if rest:
                self._keep_alive = False  # more bytes than framed: never reuse
            self._finish()
            return True
        if self._state == _BODY and rest <= self._remaining:
            self._remaining -= rest
            if self._remaining == 0:
                self._finish()
            return True
        self._buf += data[end + 4:]
        self._parse()
        return True

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost completes or fails the response

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        self._transport = None
        if not self._busy:
            return
        if self._state == _UNTIL_CLOSE:
            self._finish()
        else:
            self._fail(WireError("connection closed before the response ended"))

    # --- API -----------------------------------------------------------------------------------

    def send(self, payload: bytes, *, head_only: bool = False,
             capture: bool = False) -> asyncio.Future[int]:
        """Write one request; the future gives the status once the whole response is read."""
        waiter: asyncio.Future[int] = self._loop.create_future()
        self._begin(payload, head_only, capture)
        self._waiter = waiter
        return waiter

    def send_cb(self, payload: bytes, callback: ResponseCallback, *,
                head_only: bool = False) -> None:
        """Write one request; ``callback(status, None)`` or ``callback(0, exc)`` follows.

        The callback runs inside the protocol's event handler, so it may send the next
        request on this connection straight away: no future, no task switch per request.
        """
        self._begin(payload, head_only, False)
        self._callback = callback

    def _begin(self, payload: bytes, head_only: bool, capture: bool) -> None:
        if self._transport is None or not self.alive or self._busy:
            raise WireError("connection is closed or busy")
        self._busy = True
        self._state = _HEAD
        self._head_only = head_only
        self._capture = Captured(status=0) if capture else None
        self._transport.write(payload)

    @property
    def captured(self) -> Captured | None:
        """The last response, when it was sent with ``capture=True``."""
        return self._capture

    def abort(self, exc: Exception) -> None:
        """Fail the response in flight with ``exc`` and drop the connection."""
        self._fail(exc)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._transport is not None:
            self._transport.close()
        self.alive = False

    # --- parsing -------------------------------------------------------------------------------

    def _parse(self) -> None:
        buf = self._buf
        while self._busy:
            state = self._state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD_BYTES:
                        raise WireError("response head larger than 64 KiB")
                    return
                head = bytes(buf[:end])
                del buf[:end + 4]
                if self._start_body(head):
                    self._finish()
            elif state == _BODY:
                n = len(buf)
                if n < self._remaining:
                    self._keep(buf)
                    self._remaining -= n
                    buf.clear()
                    return
                self._keep(buf[:self._remaining])
                del buf[:self._remaining]
                self._finish()
            elif state == _CHUNK_SIZE:
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 1024:
                        raise WireError("chunk-size line too long")
                    return
                size_text = bytes(buf[:end]).split(b";", 1)[0].strip()
                del buf[:end + 2]
                size = int(size_text, 16)
                if size < 0:
                    raise WireError("negative chunk size")
                if size == 0:
                    self._state = _TRAILERS
                else:
                    self._remaining = size + 2  # the data and its CRLF
                    self._state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                n = len(buf)
                if n < self._remaining:
                    self._keep(buf)
                    self._remaining -= n
                    buf.clear()
                    return
                self._keep(buf[:self._remaining - 2])
                if buf[self._remaining - 2:self._remaining] != b"\r\n":
                    raise WireError("chunk data not followed by CRLF")
                del buf[:self._remaining]
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                # RFC 9112 §7.1.2: optional trailer fields, then an empty line
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    self._finish()
                    continue
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD_BYTES:
                        raise WireError("trailers larger than 64 KiB")
                    return
                del buf[:end + 4]
                self._finish()
            elif state == _UNTIL_CLOSE:
                self._keep(buf)
                buf.clear()
                return
            else:
                return

    def _start_body(self, head: bytes) -> bool:
        """Read a response head; True when the response is complete (it has no body)."""
        # "HTTP/1.1 200 OK": the version, one space, three digits (RFC 9112 §4)
        if not head.startswith(b"HTTP/1.") or head[8:9] != b" ":
            raise WireError(f"not an HTTP/1.x status line: {head[:40]!r}")
        status = int(head[9:12])
        if 100 <= status < 200:
            return False  # interim response (e.g. 100 Continue): the real head follows
        lower = head.lower()
        length = _field_int(lower, b"\r\ncontent-length:")
        encoding = _field(lower, b"\r\ntransfer-encoding:")
        chunked = encoding is not None and encoding.endswith(b"chunked")
        keep_alive = head[5:8] != b"1.0"
        connection = _field(lower, b"\r\nconnection:")
        if connection is not None:
            tokens = {t.strip() for t in connection.split(b",")}
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
        capture = self._capture
        if capture is not None:
            capture.status = status
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                capture.headers.append((name.strip().lower().decode("latin-1"),
                                        value.strip().decode("latin-1")))
        self._status = status
        self._keep_alive = keep_alive
        if self._head_only or status in {204, 304}:
            return True
        if chunked:
            self._state = _CHUNK_SIZE
        elif length is not None:
            if length == 0:
                return True
            self._remaining = length
            self._state = _BODY
        else:
            self._keep_alive = False
            self._state = _UNTIL_CLOSE
        return False

    def _keep(self, data: bytes | bytearray) -> None:
        capture = self._capture
        if capture is not None and len(capture.body) < CAPTURE_BYTES:
            capture.body += data[:CAPTURE_BYTES - len(capture.body)]

    def _finish(self) -> None:
        if not self._keep_alive:
            self.close()
        elif self._buf:
            # more bytes than the response framed: never reuse an out-of-step connection
            self._buf.clear()
            self.close()
        self._complete(self._status, None)

    def _fail(self, exc: Exception) -> None:
        self._drop()
        self._complete(0, exc)

    def _complete(self, status: int, exc: Exception | None) -> None:
        waiter, self._waiter = self._waiter, None
        callback, self._callback = self._callback, None
        self._busy = False
        self._state = _IDLE
        self.deadline = 0.0
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(status)
            else:
                waiter.set_exception(exc)
        if callback is not None:
            callback(status, exc)

    def _drop(self) -> None:
        self._buf.clear()
        if self._transport is not None:
            self._transport.abort()
        self.alive = False


def _field(lower_head: bytes, marker: bytes) -> bytes | None:
    """The value of the first header line starting with ``marker`` (``b"\\r\\nname:"``)."""
    start = lower_head.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = lower_head.find(b"\r\n", start)
    return lower_head[start:end if end >= 0 else None].strip()


def _field_int(lower_head: bytes, marker: bytes) -> int | None:
    value = _field(lower_head, marker)
    if value is None:
        return None
    number = int(value)
    if number < 0:
        raise WireError("negative Content-Length")
    return number


async def connect(endpoint: Endpoint, *, timeout: float) -> Connection:
    """Open one connection to ``endpoint.address`` (TLS when https), within ``timeout``."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, proto = await loop.create_connection(
            lambda: Connection(loop), endpoint.address, endpoint.port,
            ssl=endpoint.ssl_context,
            server_hostname=endpoint.host if endpoint.ssl_context is not None else None)
    return proto


def client_ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A verifying client context: the system store, or ``ca_bundle`` when given."""
    ctx = ssl.create_default_context(cafile=ca_bundle)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
