"""The address guard: which addresses a monitor check may connect to (SPEC §8).

A monitor fetches URLs a user typed into a config file, from inside their network, on a
timer — the textbook server-side request forgery setup (blackbox_exporter #669/#1639). So every
address is judged twice: when the name is resolved (before any packet is sent) and again in
the socket factory, on the exact address the socket is about to connect to. The second check
is the one DNS rebinding (a name that flips to 127.0.0.1 after validation) and IP-literal URLs
cannot slip past, because aiohttp does not resolve IP literals at all.

By default only globally routable addresses are allowed. ``allow_private = true`` opens
loopback, RFC 1918, CGNAT and unique-local ranges; link-local and cloud-metadata addresses
(169.254.0.0/16, fe80::/10, fd00:ec2::254) stay refused unless listed in ``allow_networks``.
IPv4-mapped IPv6 addresses (``::ffff:169.254.169.254``) are judged as the IPv4 address.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LINK_LOCAL: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
)


class BlockedAddress(OSError):
    """A check tried to reach an address its policy refuses."""


@dataclass(frozen=True)
class AddressPolicy:
    """What one check may reach."""

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def build(cls, *, allow_private: bool, networks: Sequence[str] = ()) -> AddressPolicy:
        """From config values (``networks`` already validated at load)."""
        return cls(allow_private=allow_private,
                   allow_networks=tuple(ipaddress.ip_network(n, strict=False)
                                        for n in networks))

    def refusal(self, address: str) -> str | None:
        """Why ``address`` is refused, or None when it may be reached."""
        return _refusal(self, address)

    def check(self, address: str) -> None:
        """Raise :class:`BlockedAddress` when ``address`` is refused."""
        reason = _refusal(self, address)
        if reason is not None:
            raise BlockedAddress(reason)

    def socket_factory(self, addr_info: tuple[int, int, int, str, tuple[object, ...]]
                       ) -> socket.socket:
        """aiohttp's ``socket_factory``: judge the address right before connecting to it."""
        family, type_, proto, _, sockaddr = addr_info
        self.check(str(sockaddr[0]))
        return socket.socket(family=family, type=type_, proto=proto)


# The verdict depends only on the (immutable) policy and the address, and a monitor meets the
# same few addresses thousands of times an hour: judging one costs tens of microseconds of
# network-table walks, a cached verdict a dictionary lookup.
@functools.lru_cache(maxsize=4096)
def _refusal(policy: AddressPolicy, address: str) -> str | None:
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"blocked non-public address {address!r} (not an IP address)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in policy.allow_networks if net.version == ip.version):
        return None
    if any(ip in net for net in _LINK_LOCAL if net.version == ip.version):
        return (f"blocked non-public address {ip} (link-local / cloud metadata; "
                f"list it in allow_networks to reach it)")
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"blocked non-public address {ip}"
    if not ip.is_global and not policy.allow_private:
        return (f"blocked non-public address {ip} (set allow_private = true on the "
                f"check to reach private addresses)")
    return None
