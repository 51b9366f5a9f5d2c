"""Is the monitor's own network there? TCP connects to a few canaries on other networks.

"Every check failed" is what the founder's most common outage looks like (the app's one host
is gone), so it is never enough to call the monitor offline (RELIABILITY 9). The evidence has
to be independent of the targets: ``[monitor] canaries``, by default well-known public anycast
resolvers on three different networks, reached by TCP connect. Any answer — a connection, or
a refusal (a RST came back, so the path works) — means the network is there; only when every
canary that was heard before is silent or unreachable is the monitor offline.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

CANARY_TIMEOUT_S = 2.0


async def _answers(canary: str, timeout: float) -> bool:
    host, _, port = canary.rpartition(":")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        return True
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    except (TimeoutError, OSError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def answering(canaries: Sequence[str], *,
                    timeout: float = CANARY_TIMEOUT_S) -> set[str]:
    """The canaries that answer within ``timeout`` (all are tried at once)."""
    results = await asyncio.gather(*(_answers(c, timeout) for c in canaries))
    return {c for c, ok in zip(canaries, results, strict=True) if ok}


@dataclass
class Canaries:
    """The evidence about the monitor's own network.

    Only a canary that has answered at least once counts: one that never did is blocked
    on this network (an egress firewall, no IPv6), and its silence says nothing. With no
    canary ever heard — none configured, or all blocked — the monitor never calls itself
    offline, so an outage of every target is still DOWN."""

    addresses: Sequence[str]
    heard: set[str] = field(default_factory=set)

    async def learn(self) -> None:
        """Probe once while the network is presumed to work (at start-up)."""
        if self.addresses:
            self.heard |= await answering(self.addresses)

    async def network_gone(self) -> bool:
        """Whether every canary heard before is silent now."""
        if not self.addresses:
            return False
        now = await answering(self.addresses)
        self.heard |= now
        return bool(self.heard) and not now
