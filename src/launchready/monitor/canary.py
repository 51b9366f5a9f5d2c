"""Is the monitor's own network there? TCP connects to a few canaries on other networks.

"Every check failed" is what the founder's most common outage looks like (the app's one host
is gone), so it is never enough to call the monitor offline (RELIABILITY 9). The evidence has
to be independent of the targets: ``[monitor] canaries``, by default well-known public anycast
resolvers on three different networks, reached by TCP connect. Any answer — a connection, or
a refusal (a RST came back, so the path works) — means the network is there; only when every
canary is silent or unreachable is the monitor offline.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

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


async def network_reachable(canaries: Sequence[str], *,
                            timeout: float = CANARY_TIMEOUT_S) -> bool:
    """Whether any canary answers within ``timeout`` (all are tried at once). With no
    canaries configured the network is taken to be there."""
    if not canaries:
        return True
    results = await asyncio.gather(*(_answers(c, timeout) for c in canaries))
    return any(results)
