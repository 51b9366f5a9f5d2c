"""Leadership among the nodes of several locations: exactly one decides and sends.

Every node probes and writes its own results; the one holding the store's ``leader`` lease
also writes states, incidents and the outbox, and delivers. The lease is a ``meta`` row taken
with the same compare-and-set as the writer lease (:meth:`Store.take_lease`), valid for
``[monitor] leader_lease`` (15 s by default) and renewed every third of it. When the leader
dies, another node takes the row once it has expired (at once when the dead leader ran on the
same host: its pid no longer runs), so the decisions pause for at most one lease — the term
:mod:`~launchready.monitor.timing` adds to the worst-case time to alert. Outbox rows are
claimed with a compare-and-set too, so even two nodes that both believe they lead for a
moment never send the same row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from launchready.monitor.store import Lease, Store, StoreError

log = logging.getLogger("launchready.monitor")
LEADER_LEASE = "leader"


@dataclass
class Leadership:
    """Takes, renews and gives up the ``leader`` lease; :attr:`leading` says who decides."""

    store: Store
    # "pid@host"; the lease names "pid@host (location)", so a node of another location on
    # the same host waits for the lease to expire instead of reading the pid as its own
    holder: str
    token: str
    location: str
    ttl: float  # seconds
    clock: Callable[[], datetime]
    alive: Callable[[int], bool]
    # awaited when this node becomes the leader, before it decides anything
    on_gain: Callable[[], Awaitable[None]] | None = None
    _leading: bool = False
    _until: float = 0.0  # monotonic time the lease this node holds runs out

    @property
    def leading(self) -> bool:
        """Whether this node decides and sends: it holds the lease and the lease has not run
        out by its own clock (a renewal stuck on an unreachable store must not leave it
        leading beside the node that took the expired lease)."""
        return self._leading and time.monotonic() < self._until

    async def attempt(self) -> bool:
        """Take or renew the lease once; a store error ends this node's leadership (another
        node may take the lease once it runs out)."""
        began = time.monotonic()
        try:
            lease = await self.store.take_lease(
                LEADER_LEASE, holder=leader_holder(self.holder, self.location), token=self.token,
                now=self.clock(), ttl=self.ttl, alive=self.alive)
        except StoreError as exc:
            log.warning("could not renew the leader lease: %s", exc)
            self._leading = False
            return False
        mine = lease.token == self.token
        if mine:
            self._until = began + self.ttl
        if mine and not self._leading:
            if self.on_gain is not None:
                await self.on_gain()
            log.warning("this node (%s) now leads: it decides and sends the alerts",
                        self.location)
        elif self._leading and not mine:
            log.warning("leadership went to %s; this node only probes now", lease.holder)
        self._leading = mine
        return mine

    async def keep(self, stop: asyncio.Event) -> None:
        """Renew (or try to take) the lease every third of its length until ``stop``."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.ttl / 3)
            if not stop.is_set() and self.store.is_open:
                await self.attempt()

    async def release(self) -> None:
        """Give the lease up at a clean stop, so another node leads at once."""
        if self.leading and self.store.is_open:
            with contextlib.suppress(StoreError):
                await self.store.release_lease(LEADER_LEASE, token=self.token)
        self._leading = False


def leader_holder(holder: str, location: str) -> str:
    """The leader lease's holder text: the node's ``pid@host`` and its location."""
    return f"{holder} ({location})"


def leader_location(lease: Lease) -> str:
    """The location of the node holding the leader lease (read back from its holder text)."""
    return lease.holder.rpartition(" (")[2].removesuffix(")")


async def current_leader(store: Store, now: datetime) -> Lease | None:
    """The live leader lease of ``store``, or None."""
    lease = Lease.decode(await store.get_meta(f"lease:{LEADER_LEASE}"))
    return lease if lease is not None and lease.expires > now else None
