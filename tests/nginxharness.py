"""A real nginx for tests: started per scenario on 127.0.0.1 high ports, stopped cleanly.

The harness runs the system nginx (Debian ``nginx-light``; ``make test`` installs it through
``scripts/system-deps.sh``) with its master process in the foreground (``daemon off;``), a prefix
directory under the test's tmp dir (``-p``), a generated configuration (``-c``), its pid file,
error log, access log and temp directories all inside that prefix, and one worker running as the
current user. Certificates come from the throwaway CA (:class:`launchready.demo.ca.ThrowawayCA`);
clients trust ``harness.ca_bundle`` and reach the test hostnames through curl-style resolve pins.

Use from a test module::

    from nginxharness import NginxFactory, nginx_factory_fixture  # noqa: F401

    def test_something(nginx_factory: NginxFactory) -> None:
        ng = nginx_factory()
        port = ng.port()
        ng.start(f'''
            server {{
                listen 127.0.0.1:{port} ssl;
                server_name app.acme.test;
                {ng.tls("app.acme.test")}
                location / {{ return 200 "hello"; }}
            }}''')

The test gives the ``server`` blocks (they go inside ``http {}``); :meth:`Nginx.start` waits until
every port handed out by :meth:`Nginx.port` accepts connections. When nginx is missing the fixture
fails — it never skips — with a message saying how to install it.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from launchready.demo.ca import ThrowawayCA

__all__ = ["Nginx", "NginxError", "NginxFactory", "find_nginx", "nginx_factory_fixture"]

LOOPBACK = "127.0.0.1"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
_INSTALL_HINT = ("nginx is not installed: `make test` installs it (scripts/system-deps.sh, "
                 "Debian package nginx-light; or run `sudo apt-get install nginx-light`)")


class NginxError(RuntimeError):
    """nginx could not be started, or exited early; the message carries its error log."""


def find_nginx() -> str | None:
    """Path of the nginx binary: on PATH, else the Debian location."""
    found = shutil.which("nginx")
    if found:
        return found
    debian = Path("/usr/sbin/nginx")
    return str(debian) if debian.is_file() and os.access(debian, os.X_OK) else None


def free_port(address: str = LOOPBACK) -> int:
    """A TCP port that was free on ``address`` a moment ago (the kernel's ephemeral pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _user_directive() -> str:
    # Only a root master switches users; keep its worker as the current user (root in CI
    # containers) so it can read the certificates and write the temp directories here.
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};"


class Nginx:
    """One nginx instance: allocate ports and certificates, then :meth:`start` it once."""

    def __init__(self, binary: str, prefix: Path, ca: ThrowawayCA, ca_bundle: Path) -> None:
        self.binary = binary
        self.prefix = prefix
        self.ca = ca
        self.ca_bundle = ca_bundle
        self.ports: list[tuple[str, int]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._certs = 0
        for sub in ("logs", "tmp", "conf", "html", "certs"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)

    @property
    def error_log(self) -> Path:
        """nginx's error log (also read into :class:`NginxError` messages)."""
        return self.prefix / "logs" / "error.log"

    @property
    def html(self) -> Path:
        """A document root the test may fill (``root {ng.html};``)."""
        return self.prefix / "html"

    def port(self, address: str = LOOPBACK) -> int:
        """A fresh port on ``address`` for a ``listen`` line; :meth:`start` waits for it."""
        port = free_port(address)
        self.ports.append((address, port))
        return port

    def tls(self, *hostnames: str, **issue: object) -> str:
        """``ssl_certificate``/``ssl_certificate_key`` lines for a new certificate.

        ``issue`` goes to :meth:`ThrowawayCA.issue` (e.g. ``include_chain=False``).
        """
        self._certs += 1
        issued = self.ca.issue(list(hostnames), **issue)  # type: ignore[arg-type]
        crt, key = issued.write(self.prefix / "certs", f"cert{self._certs}")
        return f"ssl_certificate {crt}; ssl_certificate_key {key};"

    def write_page(self, relative: str, text: str) -> Path:
        """Write a file under :attr:`html` (for ``root`` based scenarios)."""
        path = self.html / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def config_text(self, servers: str) -> str:
        """The whole nginx.conf wrapping the test's ``server`` blocks."""
        tmp = self.prefix / "tmp"
        body = textwrap.indent(textwrap.dedent(servers).strip(), "    ")
        return "\n".join([
            _user_directive(),
            "daemon off;",
            "master_process on;",
            "worker_processes 1;",
            f"pid {self.prefix / 'logs' / 'nginx.pid'};",
            f"error_log {self.error_log} warn;",
            "events { worker_connections 256; }",
            "http {",
            f"    access_log {self.prefix / 'logs' / 'access.log'};",
            f"    client_body_temp_path {tmp / 'body'};",
            f"    proxy_temp_path {tmp / 'proxy'};",
            f"    fastcgi_temp_path {tmp / 'fastcgi'};",
            f"    uwsgi_temp_path {tmp / 'uwsgi'};",
            f"    scgi_temp_path {tmp / 'scgi'};",
            "    default_type text/html;",
            "    server_tokens off;",
            body,
            "}",
            "",
        ])

    def start(self, servers: str, *, wait: bool = True) -> None:
        """Write the configuration, start nginx, wait until every allocated port accepts."""
        if self._process is not None:
            raise NginxError("this nginx is already running; use a new one per scenario")
        conf = self.prefix / "conf" / "nginx.conf"
        conf.write_text(self.config_text(servers), encoding="utf-8")
        self._process = subprocess.Popen(
            [self.binary, "-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.error_log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            self._wait_ready()

    def _log(self) -> str:
        try:
            return self.error_log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return "(no error log)"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        pending = list(self.ports)
        while pending:
            process = self._process
            if process is None or process.poll() is not None:
                self.stop()
                raise NginxError(f"nginx exited during start-up:\n{self._log()}")
            address, port = pending[0]
            with contextlib.suppress(OSError), \
                    socket.create_connection((address, port), timeout=0.2):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                self.stop()
                raise NginxError(f"nginx did not listen on {address}:{port} within "
                                 f"{_START_TIMEOUT:g}s:\n{self._log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop nginx (fast shutdown, then kill after a grace period); idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        """True while the master process is alive."""
        return self._process is not None and self._process.poll() is None


NginxFactory = Callable[[], Nginx]


@contextlib.contextmanager
def nginx_instances(directory: Path) -> Iterator[NginxFactory]:
    """A factory of :class:`Nginx` instances sharing one CA; all stopped on exit."""
    binary = find_nginx()
    if binary is None:
        pytest.fail(_INSTALL_HINT, pytrace=False)
    ca = ThrowawayCA("nginx harness root")
    bundle = ca.write_root(directory / "ca.pem")
    made: list[Nginx] = []

    def make() -> Nginx:
        instance = Nginx(binary, directory / f"nginx{len(made)}", ca, bundle)
        made.append(instance)
        return instance

    try:
        yield make
    finally:
        for instance in made:
            instance.stop()


@pytest.fixture(name="nginx_factory")
def nginx_factory_fixture(tmp_path: Path) -> Iterator[NginxFactory]:
    """Per-test factory: ``ng = nginx_factory()``; every instance is stopped after the test."""
    with nginx_instances(tmp_path) as make:
        yield make
