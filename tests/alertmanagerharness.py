"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) on 127.0.0.1, on a
free port, clustering off, receiving into a receiver that sends nowhere. No tests here."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
CONFIG = """\
route:
  receiver: nowhere
  group_wait: 1s
receivers:
  - name: nowhere
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Alertmanager:
    """A running Alertmanager; :meth:`alerts` reads its v2 API."""

    def __init__(self, port: int) -> None:
        self.port = port

    def alerts(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/alerts",
                                    timeout=5) as resp:
            data = json.loads(resp.read())
        return list(data)


@contextlib.contextmanager
def alertmanager(tmp: Path) -> Iterator[Alertmanager]:
    """Start Alertmanager in ``tmp``; stopped (by its pid) on exit."""
    if BINARY is None:
        raise RuntimeError("prometheus-alertmanager is not installed")
    (tmp / "am.yml").write_text(CONFIG)
    port = _free_port()
    proc = subprocess.Popen(
        [BINARY, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                            timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("Alertmanager did not start") from None
                time.sleep(0.1)
        yield Alertmanager(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
