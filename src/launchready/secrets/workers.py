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


@contextmanager
def worker_pool() -> Iterator[ProcessPoolExecutor | None]:
    """A pool of one worker per core (started on first use), or None on one core."""
    n = cores()
    if n < 2:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_batches(pool: ProcessPoolExecutor | None, work: Callable[[J], R],
                batches: Sequence[J], here: Callable[[J], R]) -> list[R]:
    """``work(batch)`` for every batch in a worker, in order; ``here(batch)`` in this process
    when there is no pool or the batch's worker died."""
    if pool is None:
        return [here(b) for b in batches]
    futures: list[Future[R] | None] = []
    for b in batches:
        try:
            futures.append(pool.submit(work, b))
        except BrokenProcessPool:
            futures.append(None)
    out: list[R] = []
    for b, fut in zip(batches, futures, strict=True):
        try:
            out.append(here(b) if fut is None else fut.result())
        except BrokenProcessPool:
            out.append(here(b))
    return out
