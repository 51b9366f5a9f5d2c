"""A suite-wide guard: in-process code may connect only to loopback and to the 10.x links of
the network namespaces the tests create (``tests/netns.py``), never to another host.

Subprocesses are outside its reach; their configs name loopback targets (and the monitor has no
default canaries), which is what keeps them on the machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_ALLOWED = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"),
            ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("0.0.0.0/32"),
            ipaddress.ip_network("::/128"))


def _refused(address: Any) -> str | None:
    if not isinstance(address, tuple) or not address or not isinstance(address[0], str):
        return None  # AF_UNIX paths and the like stay on the machine
    host = address[0].split("%", 1)[0]
    if host == "localhost":
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"{host} (a name; tests connect to addresses)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return None if any(ip in net for net in _ALLOWED) else str(ip)


@pytest.fixture(autouse=True, scope="session")
def loopback_only_fixture() -> Iterator[None]:
    """Fail a test at once if its code tries to open a connection off the machine."""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if (where := _refused(address)) is not None:
            raise AssertionError(f"test tried to connect to {where}: only loopback is allowed")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if (where := _refused(address)) is not None:
            raise AssertionError(f"test tried to connect to {where}: only loopback is allowed")
        return original_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
