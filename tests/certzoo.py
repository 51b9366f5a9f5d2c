"""The certificate zoo: real HTTPS servers on 127.0.0.1, one per certificate problem.

Each case is a threaded HTTPS server on an ephemeral port, presenting a certificate made by the
throwaway CA for one situation (valid, expired, wrong host, missing intermediate ...), plus
servers that misbehave below TLS: a tarpit that accepts TCP and never answers, one that starts a
ServerHello and never finishes it, one that speaks plain HTTP, and a port that refuses
connections.

Every server answers for the one hostname :data:`ZOO_HOST` on its own port; clients reach it with
curl-style resolve entries (``zoo.resolve`` / ``zoo.resolve_entries``) and trust ``zoo.ca_bundle``
(the root of the trusted CA only; the "untrusted-root" case uses a second CA).

Use from a test module::

    from certzoo import CertZoo, cert_zoo_fixture  # noqa: F401  (registers the fixture)

    def test_something(cert_zoo: CertZoo) -> None:
        url = cert_zoo.url("expired")

or register it once for the whole suite from ``tests/conftest.py`` with
``from certzoo import cert_zoo_fixture  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from launchready.demo.ca import IssuedCert, ThrowawayCA

__all__ = [
    "HTTPS_CASES",
    "RAW_CASES",
    "ZOO_HOST",
    "CertZoo",
    "ZooServer",
    "cert_zoo_fixture",
    "start_zoo",
]

#: the hostname every zoo server answers for (``.test`` is reserved: RFC 2606 §2)
ZOO_HOST = "zoo.launchready.test"
#: the name the wrong-host certificate covers instead
OTHER_HOST = "elsewhere.launchready.test"

#: HTTPS cases, each with what its certificate gets wrong
HTTPS_CASES: dict[str, str] = {
    "valid": "trusted chain, right host, 89 days left",
    "expiring": "trusted chain, right host, 5 days left of a 90-day lifetime",
    "expired": "expired 5 days ago",
    "not-yet-valid": "valid only from 2 days from now",
    "wrong-host": f"covers {OTHER_HOST} only",
    "self-signed": "self-signed leaf",
    "incomplete-chain": "leaf sent without its intermediate",
    "untrusted-root": "leaf and intermediate of a CA the client does not trust",
}
#: servers that fail below the certificate level
RAW_CASES: dict[str, str] = {
    "tarpit": "accepts TCP, never sends a byte",
    "no-handshake": "reads the ClientHello, sends part of a ServerHello record, then stalls",
    "refused": "port bound but not listening: connections are refused",
    "plain-http": "answers the ClientHello with a plain-HTTP 400 response and closes",
}

_DAY = dt.timedelta(days=1)
_SOCKET_TIMEOUT = 3.0  # bounds every server-side read, so shutdown never waits long


@dataclass(frozen=True, kw_only=True)
class ZooServer:
    """One running zoo case."""

    name: str
    description: str
    host: str
    address: str
    port: int
    issued: IssuedCert | None = None  # None for the raw cases

    @property
    def url(self) -> str:
        """``https://host:port/`` for this case."""
        return f"https://{self.host}:{self.port}/"


class _Handler(BaseHTTPRequestHandler):
    """Answers every GET/HEAD with a small page naming the case."""

    timeout = _SOCKET_TIMEOUT
    server: _TlsServer

    def do_GET(self) -> None:
        body = f"certzoo case {self.server.case}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log."""


class _TlsServer(ThreadingHTTPServer):
    """HTTPS server that does each TLS handshake in the connection's own thread.

    Doing the handshake in ``accept`` would let one stalled client block every other client.
    """

    daemon_threads = False  # server_close() joins the connection threads
    block_on_close = True

    def __init__(self, case: str, context: ssl.SSLContext) -> None:
        self.case = case
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_SOCKET_TIMEOUT)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return  # the client rejected the certificate or went away: expected here
        try:
            _Handler(tls, client_address, self)
        except OSError:
            pass  # aborted by the client mid-request
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors are the point of the zoo; keep stderr quiet."""


class _RawServer:
    """A TCP listener that misbehaves: one of :data:`RAW_CASES`."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        if mode != "refused":
            self.sock.listen(16)
            self.sock.settimeout(0.1)
            self._spawn(self._accept_loop)

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=f"certzoo-{self.mode}")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            if self.mode == "no-handshake":
                self._spawn(self._stall, conn)
            elif self.mode == "plain-http":
                self._spawn(self._plain_http, conn)

    def _stall(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with contextlib.suppress(OSError):
            conn.recv(4096)  # the ClientHello (or nothing, if the client gave up)
            # a handshake record header announcing 64 bytes, then the first 4 of a ServerHello
            conn.sendall(b"\x16\x03\x03\x00\x40" + b"\x02\x00\x00\x3c")
        while not self._stop.is_set():
            try:
                if conn.recv(4096) == b"":
                    return  # the client closed
            except TimeoutError:
                continue
            except OSError:
                return

    def _plain_http(self, conn: socket.socket) -> None:
        conn.settimeout(_SOCKET_TIMEOUT)
        with contextlib.suppress(OSError):
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
        conn.close()

    def stop(self) -> None:
        """Ask every thread to finish; :meth:`close` waits for them."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            for conn in self._conns:
                conn.close()
        self.sock.close()


@dataclass
class CertZoo:
    """Every zoo case, running. Use :func:`start_zoo` or the ``cert_zoo`` fixture."""

    directory: Path
    now: dt.datetime
    ca: ThrowawayCA
    untrusted_ca: ThrowawayCA
    ca_bundle: str
    servers: dict[str, ZooServer] = field(default_factory=dict)
    _https: list[tuple[_TlsServer, threading.Thread]] = field(default_factory=list)
    _raw: list[_RawServer] = field(default_factory=list)

    def __getitem__(self, case: str) -> ZooServer:
        return self.servers[case]

    def url(self, case: str) -> str:
        """``https://zoo.launchready.test:PORT/`` of ``case``."""
        return self.servers[case].url

    @property
    def resolve(self) -> dict[tuple[str, int], str]:
        """``{(host, port): "127.0.0.1"}`` for every case, for the probes' ``resolve``."""
        return {(s.host, s.port): s.address for s in self.servers.values()}

    @property
    def resolve_entries(self) -> list[str]:
        """curl-style ``HOST:PORT:ADDR`` strings, for ``[network] resolve`` / ``--resolve``."""
        return [f"{h}:{p}:{a}" for (h, p), a in self.resolve.items()]

    def _add_https(self, case: str, issued: IssuedCert) -> None:
        crt, key = issued.write(self.directory, case)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(crt, key)
        server = _TlsServer(case, context)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                  name=f"certzoo-{case}")
        thread.start()
        self._https.append((server, thread))
        self.servers[case] = ZooServer(name=case, description=HTTPS_CASES[case], host=ZOO_HOST,
                                       address="127.0.0.1", port=server.server_address[1],
                                       issued=issued)

    def _add_raw(self, case: str) -> None:
        raw = _RawServer(case)
        self._raw.append(raw)
        self.servers[case] = ZooServer(name=case, description=RAW_CASES[case], host=ZOO_HOST,
                                       address="127.0.0.1", port=raw.port)

    def close(self) -> None:
        """Stop every server and join every thread."""
        for raw in self._raw:
            raw.stop()  # their threads wind down while the HTTPS servers shut down
        for server, thread in self._https:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._https.clear()
        for raw in self._raw:
            raw.close()
        self._raw.clear()


def _issue_cases(ca: ThrowawayCA, untrusted: ThrowawayCA, now: dt.datetime,
                 ) -> dict[str, IssuedCert]:
    hosts = [ZOO_HOST]
    return {
        "valid": ca.issue(hosts),
        "expiring": ca.issue(hosts, not_before=now - 85 * _DAY, not_after=now + 5 * _DAY),
        "expired": ca.issue(hosts, not_before=now - 95 * _DAY, not_after=now - 5 * _DAY),
        "not-yet-valid": ca.issue(hosts, not_before=now + 2 * _DAY, not_after=now + 92 * _DAY),
        "wrong-host": ca.issue([OTHER_HOST]),
        "self-signed": ThrowawayCA.self_signed(hosts),
        "incomplete-chain": ca.issue(hosts, include_chain=False),
        "untrusted-root": untrusted.issue(hosts),
    }


@contextlib.contextmanager
def start_zoo(directory: Path) -> Iterator[CertZoo]:
    """Start every zoo server (certificates written under ``directory``); stop them on exit."""
    now = dt.datetime.now(dt.UTC)
    ca = ThrowawayCA("certzoo trusted root", now=now)
    untrusted = ThrowawayCA("certzoo untrusted root", now=now)
    bundle = ca.write_root(directory / "trusted-root.pem")
    zoo = CertZoo(directory=directory, now=now, ca=ca, untrusted_ca=untrusted,
                  ca_bundle=str(bundle))
    try:
        for case, issued in _issue_cases(ca, untrusted, now).items():
            zoo._add_https(case, issued)
        for case in RAW_CASES:
            zoo._add_raw(case)
        yield zoo
    finally:
        zoo.close()


@pytest.fixture(scope="session", name="cert_zoo")
def cert_zoo_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CertZoo]:
    """The running zoo, shared by the whole session."""
    with start_zoo(tmp_path_factory.mktemp("certzoo")) as zoo:
        yield zoo
