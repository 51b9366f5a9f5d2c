"""A real authoritative DNS server (NSD) on loopback, serving zones given as zone-file text.

Why NSD: it is authoritative-only (it never recurses, so a test cannot leak a query to the
internet), it starts in about 50 ms from one small config file with no database or key
material to prepare, ``nsd -d`` stays in the foreground, and Debian ships it with
``nsd-checkzone``, so a broken test zone fails with the parser's own message instead of a
server that answers SERVFAIL. Knot needs a writable database directory and a longer config;
BIND needs ``rndc`` keys and a working-directory layout. Debian package: ``nsd``.

API (stable; other test modules build on it):

``serve_zones(zones, directory, *, host="127.0.0.1", port=None) -> Iterator[(host, port)]``
    Context manager. ``zones`` maps a zone name (``"acme.test"``) to its zone-file text (a
    complete zone: SOA and NS included; :func:`zone_text` writes those for you). Everything
    (config, zone files, log, pid file) lives in ``directory``; nothing under ``/etc`` is read,
    no systemd is involved and the server runs as the current user (root included: privilege
    dropping and chroot are off). It listens on UDP and TCP on ``host`` and an ephemeral port
    (or ``port``), yields ``(host, port)`` once every zone answers its SOA query, and stops the
    foreground process group on exit. Several servers may run at once, e.g. one per NS address
    on 127.0.0.1 and 127.0.0.2 with the same port, to serve two disagreeing copies of a zone.

``zone_text(origin, body, *, serial=1, nameservers=("ns1",), ttl=300) -> str``
    A complete zone: ``$ORIGIN``, ``$TTL``, the SOA and the NS records, then ``body`` (one
    record per line, relative names allowed).

``authdns`` (fixture, session scope; register with ``from authdns import authdns_fixture``)
    A factory: ``authdns(zones) -> (host, port)`` starts one server per call and stops them
    all at the end of the session. Calls with the same ``zones`` share one server.

``AuthDnsUnavailable``
    Raised when the ``nsd`` binary is missing; the fixture turns it into a test failure that
    says "run `make test` (installs nsd/knot)".

Example::

    from authdns import authdns_fixture, zone_text  # noqa: F401  (registers the fixture)

    def test_www(authdns):
        host, port = authdns({"acme.test": zone_text("acme.test", "www A 127.0.0.1")})
        # query www.acme.test at host:port
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

__all__ = [
    "AuthDnsUnavailable",
    "ZoneFactory",
    "authdns_fixture",
    "find_nsd",
    "serve_zones",
    "zone_text",
]

MISSING = "nsd (the authoritative DNS server the tests use) is not installed: " \
          "run `make test` (installs nsd/knot), or `apt-get install -y nsd`"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
_SEARCH = ("/usr/sbin", "/usr/local/sbin", "/sbin")


class AuthDnsUnavailable(RuntimeError):
    """The authoritative server binary is not installed."""


def find_nsd(tool: str = "nsd") -> str | None:
    """Path of an NSD binary (``nsd``, ``nsd-checkzone``): PATH first, then the sbin dirs."""
    found = shutil.which(tool)
    if found:
        return found
    for folder in _SEARCH:
        candidate = Path(folder) / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def zone_text(origin: str, body: str, *, serial: int = 1,
              nameservers: Sequence[str] = ("ns1",), ttl: int = 300) -> str:
    """A complete zone file for ``origin``: SOA, NS records, then ``body``."""
    origin = origin.rstrip(".") + "."
    lines = [f"$ORIGIN {origin}", f"$TTL {ttl}",
             f"@ IN SOA {nameservers[0]} hostmaster {serial} 3600 600 86400 {ttl}"]
    lines += [f"@ IN NS {ns}" for ns in nameservers]
    lines.append(body.strip("\n"))
    return "\n".join(lines) + "\n"


def _free_port(host: str) -> int:
    """A port free for both UDP and TCP on ``host`` right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise OSError(f"no port free for both UDP and TCP on {host}")


def _config(directory: Path, host: str, port: int, zones: Mapping[str, str]) -> str:
    # Every path points into ``directory``; username/chroot empty keep the process as it is
    # started (root-safe, no privilege drop into a user that cannot read the tmp dir).
    lines = [
        "server:",
        f"  ip-address: {host}@{port}",
        f"  port: {port}",
        '  username: ""',
        '  chroot: ""',
        f'  zonesdir: "{directory}"',
        '  database: ""',
        f'  zonelistfile: "{directory}/zone.list"',
        f'  xfrdfile: "{directory}/xfrd.state"',
        f'  xfrdir: "{directory}"',
        f'  pidfile: "{directory}/nsd.pid"',
        f'  logfile: "{directory}/nsd.log"',
        "  server-count: 1",
        "  do-ip6: no",
        "  hide-version: yes",
        "  verbosity: 1",
        "remote-control:",
        "  control-enable: no",
    ]
    for name in zones:
        origin = name.rstrip(".").lower()
        lines += ["zone:", f"  name: {origin}", f'  zonefile: "{origin}.zone"']
    return "\n".join(lines) + "\n"


def _check_zones(directory: Path, zones: Mapping[str, str]) -> None:
    checker = find_nsd("nsd-checkzone")
    for name, text in zones.items():
        origin = name.rstrip(".").lower()
        path = directory / f"{origin}.zone"
        path.write_text(text, encoding="utf-8")
        if checker is None:
            continue
        done = subprocess.run([checker, origin, str(path)], capture_output=True, text=True,
                              timeout=30, check=False)
        if done.returncode != 0:
            raise ValueError(f"zone {origin} does not load: "
                             f"{(done.stdout + done.stderr).strip()}")


def _answers(host: str, port: int, zone: str) -> bool:
    query = dns.message.make_query(zone.rstrip(".") + ".", "SOA")
    try:
        response = dns.query.udp(query, host, port=port, timeout=0.3)
    except (dns.exception.DNSException, OSError):
        return False
    return response.rcode() == dns.rcode.NOERROR and bool(response.flags & dns.flags.AA)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in its own process group (it forks a zone-transfer helper and a server
    # child); signal the group we created, by its id, and reap the leader.
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
    # children that outlive the leader would keep the port bound
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _log(directory: Path) -> str:
    parts = []
    for name in ("nsd.log", "stderr.log"):
        path = directory / name
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace").strip())
    return "\n".join(p for p in parts if p)[-2000:]


@contextlib.contextmanager
def serve_zones(zones: Mapping[str, str], directory: Path, *, host: str = "127.0.0.1",
                port: int | None = None) -> Iterator[tuple[str, int]]:
    """Serve ``zones`` with NSD on ``host``; yields ``(host, port)``. See the module doc."""
    binary = find_nsd()
    if binary is None:
        raise AuthDnsUnavailable(MISSING)
    if not zones:
        raise ValueError("serve_zones needs at least one zone")
    directory.mkdir(parents=True, exist_ok=True)
    _check_zones(directory, zones)
    attempts = 1 if port is not None else 5
    last = ""
    for _ in range(attempts):
        chosen = port if port is not None else _free_port(host)
        conf = directory / "nsd.conf"
        conf.write_text(_config(directory, host, chosen, zones), encoding="utf-8")
        (directory / "nsd.log").unlink(missing_ok=True)
        with (directory / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(
                [binary, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            ready = False
            while time.monotonic() < deadline and process.poll() is None:
                if all(_answers(host, chosen, zone) for zone in zones):
                    ready = True
                    break
                time.sleep(0.05)
            if ready:
                try:
                    yield host, chosen
                finally:
                    _stop(process)
                return
            last = _log(directory)
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    raise RuntimeError(f"nsd did not start answering on {host}: {last or 'no log'}")


ZoneFactory = Callable[[Mapping[str, str]], tuple[str, int]]


@pytest.fixture(scope="session", name="authdns")
def authdns_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZoneFactory]:
    """Factory: ``authdns(zones) -> (host, port)``; servers stop at the end of the session."""
    if find_nsd() is None:
        pytest.fail(MISSING, pytrace=False)
    stack = contextlib.ExitStack()
    started: dict[tuple[tuple[str, str], ...], tuple[str, int]] = {}

    def start(zones: Mapping[str, str]) -> tuple[str, int]:
        key = tuple(sorted(zones.items()))
        if key not in started:
            directory = tmp_path_factory.mktemp("authdns")
            started[key] = stack.enter_context(serve_zones(zones, directory))
        return started[key]

    with stack:
        yield start
