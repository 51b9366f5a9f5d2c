"""A private PostgreSQL server on 127.0.0.1 for tests (Debian's postgresql package).

``start_postgres(directory)`` runs ``initdb`` and ``postgres`` in a temporary directory with
``pg_stat_statements`` preloaded, on an ephemeral port, and yields a :class:`PgServer`. As root
the server runs as the ``postgres`` system user (PostgreSQL refuses to run as root). If the
binaries are missing the fixture fails and says that ``make test`` installs them.
"""

from __future__ import annotations

import contextlib
import glob
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server; ``url(db, user, password)`` builds connection URLs; ``stop()`` and
    ``start()`` take it down and bring it back on the same port and data."""

    port: int
    bindir: Path
    argv: list[str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    def url(self, db: str = "postgres", user: str = "postgres", password: str | None = None,
            host: str = "127.0.0.1") -> str:
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgresql://{auth}{host}:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def start(self) -> None:
        """Start the server again and wait until it accepts connections."""
        assert self.argv is not None
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            probe = subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(self.port)], capture_output=True, check=False)
            if probe.returncode == 0:
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.1)

    def psql(self, sql: str, db: str = "postgres") -> str:
        """Run SQL as the superuser; return stdout."""
        proc = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr}")
        return proc.stdout


@contextlib.contextmanager
def start_postgres(listen: tuple[str, ...] = ("127.0.0.1",)) -> Iterator[PgServer]:
    """Start a throwaway cluster listening on ``listen`` (clients of any address there are
    trusted); stop and delete it afterwards."""
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found; run `make test` (installs postgresql)")
    root = Path(tempfile.mkdtemp(prefix="lr-pg-", dir="/tmp"))
    data = root / "data"
    as_root = os.geteuid() == 0
    prefix: list[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, timeout=120)
    with (data / "pg_hba.conf").open("a") as hba:
        for address in listen:
            if address != "127.0.0.1":  # a namespace's peer of ``address`` (a /30)
                hba.write(f"host all all {ipaddress.ip_interface(address + '/30').network} "
                          "trust\n")
    argv = [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k",
            str(root), "-c", f"listen_addresses={','.join(listen)}",
            "-c", "shared_preload_libraries=pg_stat_statements",
            "-c", "fsync=off", "-c", "log_min_messages=warning"]
    server = PgServer(port=port, bindir=bindir, argv=argv)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", name="postgres")
def postgres_fixture() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session."""
    with start_postgres() as server:
        yield server
