"""The monitor's one writer: results, state changes and alerts go to the store from here.

Writes go through a queue to one writer task, so a locked or unreachable database delays only
the writes: checks keep running, batches are kept in memory and retried (RELIABILITY 20, 21,
26). Alerts are queued in the outbox in the same transaction as their state change and
delivered by :class:`~launchready.monitor.notify.Outbox`.

When the store cannot be opened or written because it is full or failing (SQLITE_FULL,
SQLITE_IOERR, read-only, corrupt; any other write error after ``STORAGE_ALERT_AFTER_S``),
one "storage" alert goes to every route straight from memory, and until the store recovers
the alerts of queued results are delivered from memory too; the ones delivered are not
queued in the outbox again (RELIABILITY 23). A store that cannot be opened is opened again
on every retry.

The writer also holds the store's single-writer lease (two monitors on one store would
record and send everything twice): taken at open, renewed every ``LEASE_RENEW_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from launchready.errors import RunError
from launchready.monitor.notify import Outbox
from launchready.monitor.store import Commit, Message, Store, StoreError

log = logging.getLogger("launchready.monitor")
MAX_BACKLOG = 50_000  # results kept in memory while the store is unavailable
WRITE_TICK_S = 0.2  # the writer commits what arrived within this long in one transaction
STORAGE_ALERT_AFTER_S = 300.0  # a store failing for another reason (locked, server down)
# words of SQLite/PostgreSQL errors that mean the storage itself is full or broken
_STORAGE_BROKEN = ("full", "no space", "disk i/o", "readonly", "read-only", "malformed",
                   "not a database", "disk quota")
WRITER_LEASE = "writer"  # one monitor process per store
LEASE_TTL_S = 30.0  # a holder that stops renewing loses the lease after this long
LEASE_RENEW_S = 10.0


def fmt(at: datetime) -> str:
    """How messages write a time."""
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it runs
    return True


@dataclass
class Writer:
    """Queue -> store, in batches; the storage-failure mode; the writer lease."""

    store: Store
    routes: int  # how many alert routes there are
    clock: Callable[[], datetime]
    group_window: float
    outbox: Outbox | None = None
    queue: list[Commit] = field(default_factory=list)
    queued: asyncio.Event = field(default_factory=asyncio.Event)
    failing: bool = False
    error: str = ""
    failing_since: float | None = None  # monotonic
    write_began: float | None = None  # monotonic start of the write in progress
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    holder: str = field(default_factory=lambda: f"{os.getpid()}@{socket.gethostname()}")
    fatal: str | None = None  # why the monitor had to stop (its lease was taken over)
    lost: asyncio.Event = field(default_factory=asyncio.Event)  # set with ``fatal``
    _alerted: set[int] = field(default_factory=set)  # routes told of this storage episode

    def put(self, commit: Commit) -> None:
        """Queue one observation's changes (the oldest are dropped past ``MAX_BACKLOG``)."""
        self.queue.append(commit)
        if len(self.queue) > MAX_BACKLOG:
            del self.queue[: len(self.queue) - MAX_BACKLOG]
        self.queued.set()

    # ---- opening and the lease -----------------------------------------------------------

    async def open_store(self) -> bool:
        """Open the store; when that fails (full disk, I/O error, server down) the monitor
        runs degraded instead of not at all: checks go on, results wait in memory, the
        storage alert goes out from memory and the open is retried. With nothing loaded,
        every check starts UNKNOWN, which sends nothing for healthy targets."""
        try:
            await self.store.open()
        except StoreError as exc:
            if not self.failing:
                log.error("monitor store %s cannot be opened (%s); running from memory and "
                          "retrying", self.store.label, exc)
                self.failing_since = time.monotonic()
            self.failing = True
            self.error = str(exc)
            return False
        if self.failing:
            log.warning("monitor store %s opened", self.store.label)
            try:
                await self.take_lease()
            except RunError as exc:
                self.lose(str(exc))
                return False
        return True

    async def take_lease(self) -> None:
        """Take (or renew) the store's single-writer lease; raise :class:`RunError` naming
        the holder when another live monitor has it."""
        lease = await self.store.take_lease(WRITER_LEASE, holder=self.holder, token=self.token,
                                            now=self.clock(), ttl=LEASE_TTL_S,
                                            alive=_pid_alive)
        if lease.token != self.token:
            raise RunError(
                f"another monitor ({lease.holder}) is using the store {self.store.label}; its "
                f"lease runs until {fmt(lease.expires)} unless it renews it. Stop it, or "
                f"give this one another database")

    async def release_lease(self) -> None:
        """Give the lease up (at a clean stop), unless it was lost."""
        if self.store.is_open and self.fatal is None:
            with contextlib.suppress(StoreError):
                await self.store.release_lease(WRITER_LEASE, token=self.token)

    def lose(self, why: str) -> None:
        """Stop the monitor: its lease went to another one."""
        log.critical("%s; stopping", why)
        self.fatal = why
        self.lost.set()

    async def keep_lease(self, stop: asyncio.Event) -> None:
        """Renew the writer lease until ``stop``; stop the monitor if another one took it."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LEASE_RENEW_S)
            if stop.is_set() or not self.store.is_open:
                continue
            try:
                await self.take_lease()
            except StoreError as exc:
                log.warning("could not renew the store lease: %s", exc)
            except RunError as exc:
                self.lose(str(exc))
                return

    # ---- writing -------------------------------------------------------------------------

    async def flush(self) -> bool:
        """Write everything queued in one transaction; False when the store failed (the
        batch stays queued)."""
        if not self.queue:
            return True
        if not self.store.is_open and not await self.open_store():
            return False
        batch = list(self.queue)
        self.write_began = time.monotonic()
        try:
            await self.store.commit_many(batch)
        except StoreError as exc:
            self.write_began = None
            if not self.failing:
                log.error("monitor store write failed (%s); %d results kept in memory and "
                          "retried", exc, len(batch))
                self.failing_since = time.monotonic()
            self.failing = True
            self.error = str(exc)
            return False
        self.write_began = None
        del self.queue[: len(batch)]
        if self.failing:
            log.warning("monitor store writable again; backlog written")
        self.failing = False
        self.failing_since = None
        self._alerted.clear()
        if self.outbox is not None and self.outbox.wake is not None and any(
                b.messages for b in batch):
            self.outbox.wake.set()
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """The writer task: commit what arrives, one transaction per tick, until ``stop``."""
        while not stop.is_set():
            await self.queued.wait()
            # gather what arrives in the next moment into the same transaction: at hundreds
            # of results a second, one commit per tick instead of one per result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=WRITE_TICK_S)
            self.queued.clear()
            if not await self.flush():
                await self.alert_from_memory()
                await asyncio.sleep(1.0)
                self.queued.set()

    def lag(self) -> float:
        """Seconds the write in progress has waited (0 when none is)."""
        return 0.0 if self.write_began is None else time.monotonic() - self.write_began

    # ---- the storage-failure mode --------------------------------------------------------

    def storage_alert(self) -> tuple[str, str] | None:
        """(title, body) of the storage alert when it is due, else None."""
        error = self.error.lower()
        # a store that cannot even be opened is broken: nothing can be recorded at all
        broken = any(word in error for word in _STORAGE_BROKEN) or not self.store.is_open
        since = self.failing_since
        if not broken and (since is None or time.monotonic() - since < STORAGE_ALERT_AFTER_S):
            return None
        full = "full" in error or "no space" in error or "quota" in error
        title = "[STORAGE FULL] launchready monitor" if full else \
            "[STORAGE FAILING] launchready monitor"
        return title, (
            f"The monitor cannot write to its store ({self.store.label}) since "
            f"{fmt(self.clock())}: {self.error}. Checks and alerts continue from memory (up "
            f"to {MAX_BACKLOG:,} results are kept and written when the store is writable "
            f"again); the status page shows 'degraded: storage unavailable'. "
            f"{'Free disk space' if full else 'Check the disk and the database'} on the "
            f"monitor host.")

    async def alert_from_memory(self) -> None:
        """While the store fails: tell every route once, and deliver the alerts of queued
        results from memory (grouped), dropping the delivered ones from the queue."""
        if self.outbox is None or not self.routes:
            return
        alert = self.storage_alert()
        if alert is not None:
            todo = [Message(dedupe=f"storage:{i}", route=i, title=alert[0], body=alert[1])
                    for i in range(self.routes) if i not in self._alerted]
            if todo:
                self._alerted |= {int(k.rsplit(":", 1)[1])
                                  for k in await self.outbox.deliver_now(todo)}
        # once the oldest has waited out the grouping window, everything waiting goes as one
        # message per route (a burst split at the window's edge would be two)
        waiting = [c for c in self.queue if c.messages]
        if not waiting or time.monotonic() - min(c.mono for c in waiting) < self.group_window:
            return
        pending = [m for c in waiting for m in c.messages]
        done = await self.outbox.deliver_now(pending)
        if done:
            self.queue[:] = [
                replace(c, messages=tuple(m for m in c.messages if m.dedupe not in done))
                if any(m.dedupe in done for m in c.messages) else c for c in self.queue]
