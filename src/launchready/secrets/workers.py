"""Worker processes for large scans, so every core matches instead of one.

Matching is CPU-bound Python, and threads share one core (the GIL). A scan big enough to pay
for starting interpreters (about 0.1 s of CPU each) hands batches to processes — files of the
tree, commit ranges of the history — and takes the results back in submission order, so the
report is the same as a serial scan's. A batch whose worker died (killed, out of memory) runs
again in this process; an error a batch raises (git failing) is raised here, as it would be
serially. A worker exits within 0.2 s of its parent (Ctrl-C, ``kill``). Workers are
started with ``spawn``: forking a process that runs threads can copy a
lock in the middle of being held.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

from launchready.secrets.scanner import Scanner

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

#: the scanner of this worker process, built once when it starts
_SCANNER: list[Scanner] = []


def _start() -> None:
    if not _SCANNER:
        _SCANNER.append(Scanner())


def _start_worker() -> None:
    """A worker holds no terminal (its output is nobody's, and an open stdout would keep a
    caller reading it waiting) and leaves within a moment of its parent: after Ctrl-C the
    command exits at once, and its workers do not scan on for no one."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    _start()


def worker_scanner() -> Scanner:
    """The scanner of this worker process."""
    _start()
    return _SCANNER[0]


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Workers:
    """One worker process per core, started when the first batch is handed over: a scan too
    small to use them pays nothing (not even multiprocessing's resource tracker process)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        self._failed = False

    def executor(self) -> ProcessPoolExecutor | None:
        """The process pool, or None when this system cannot start one (no usable
        semaphores in a sandbox, a process limit): the scan then runs in this process."""
        if self._pool is None and not self._failed:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.count, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker)
            except (OSError, ValueError) as exc:
                self._failed = True
                log.warning("secret scan: no worker processes (%s); scanning in one process",
                            exc)
        return self._pool

    def close(self) -> None:
        """Stop the workers (after their current batches)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def worker_pool() -> Iterator[Workers | None]:
    """Workers for one scan, one per core, or None on one core."""
    n = cores()
    if n < 2:
        yield None
        return
    workers = Workers(n)
    try:
        yield workers
    finally:
        workers.close()


def run_batches(pool: Workers | None, work: Callable[[J], R],
                batches: Sequence[J], here: Callable[[J], R]) -> list[R]:
    """``work(batch)`` for every batch in a worker, in order; ``here(batch)`` in this process
    when there is no pool, it cannot start, or the batch's worker died."""
    executor = pool.executor() if pool is not None else None
    if executor is None:
        return [here(b) for b in batches]
    futures: list[Future[R] | None] = []
    for b in batches:
        try:
            futures.append(executor.submit(work, b))
        except (BrokenProcessPool, OSError):
            futures.append(None)
    out: list[R] = []
    for b, fut in zip(batches, futures, strict=True):
        try:
            out.append(here(b) if fut is None else fut.result())
        except BrokenProcessPool:
            out.append(here(b))
    return out
