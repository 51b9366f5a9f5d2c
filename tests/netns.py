"""Network namespaces made by a test: a namespace joined to the host by a veth pair.

Root only (``ip netns``); :func:`namespaces_unavailable` gives the reason to skip when they
cannot be made. Names carry the pid and a counter so parallel runs never collide; every
namespace and link is deleted on exit. No tests here.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

_counter = itertools.count(1)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True,
                          timeout=10)


def namespaces_unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None when they can."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"lrprobe{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass(frozen=True)
class Netns:
    """A namespace ``name`` whose ``inner`` address reaches the host's ``outer`` address over
    the veth pair (host side ``host_link``, namespace side ``ns_link``)."""

    name: str
    host_link: str
    ns_link: str
    outer: str
    inner: str

    def exec_args(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        """Take the namespace's side of the link down: its routes to the host go away."""
        _ip("-n", self.name, "link", "set", self.ns_link, "down")

    def restore(self) -> None:
        """Bring the link back (the connected route returns with the address)."""
        _ip("-n", self.name, "link", "set", self.ns_link, "up")


@contextlib.contextmanager
def netns() -> Iterator[Netns]:
    """A fresh namespace with loopback up and a /30 to the host."""
    n = next(_counter)
    tag = f"{os.getpid() % 100000}x{n}"
    subnet = (os.getpid() + n) % 200 + 20
    ns = Netns(name=f"lrmon{tag}", host_link=f"lrh{tag}", ns_link=f"lrn{tag}",
               outer=f"10.{subnet}.{n % 250}.1", inner=f"10.{subnet}.{n % 250}.2")
    _ip("netns", "add", ns.name)
    try:
        _ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.ns_link)
        _ip("link", "set", ns.ns_link, "netns", ns.name)
        _ip("addr", "add", f"{ns.outer}/30", "dev", ns.host_link)
        _ip("link", "set", ns.host_link, "up")
        _ip("-n", ns.name, "addr", "add", f"{ns.inner}/30", "dev", ns.ns_link)
        _ip("-n", ns.name, "link", "set", ns.ns_link, "up")
        _ip("-n", ns.name, "link", "set", "lo", "up")
        yield ns
    finally:
        _ip("link", "del", ns.host_link, check=False)
        _ip("netns", "del", ns.name, check=False)
