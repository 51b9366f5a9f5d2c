"""Reading a file that a config, a repository or a command line names: capped, regular only.

Such a path is input: a committed symlink may point at ``/dev/zero``, a FIFO or a 2 GB log. The
file is opened without blocking (a FIFO cannot hang the run), must be a regular file (a
device is refused before anything is read from it) and is read up to ``limit`` bytes, so
memory stays bounded whatever the path leads to. A symlink to a regular file is followed: the
operator may keep a shared file elsewhere.

Limits per kind of file (each a few times the largest real file of its kind):

==================  ==========
config file          1 MiB
findings baseline    16 MiB
perf baseline        4 MiB
env file             1 MiB
CA bundle            4 MiB
e-mail message       25 MiB
==================  ==========
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from launchready.errors import ProbeError

CONFIG_LIMIT = 1 << 20
FINDINGS_BASELINE_LIMIT = 16 << 20
PERF_BASELINE_LIMIT = 4 << 20
ENV_FILE_LIMIT = 1 << 20
CA_BUNDLE_LIMIT = 4 << 20
MESSAGE_LIMIT = 25 << 20
_BLOCK = 1 << 20


class UnreadableFile(ProbeError):
    """A named file is missing, not a regular file, too large or unreadable."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def size_text(n: int) -> str:
    """``1 MiB``, ``512 KiB``, ``300 bytes``."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"


def read_capped(path: str | Path, *, limit: int, what: str) -> bytes:
    """The bytes of ``path``; :class:`UnreadableFile` naming ``what`` when it cannot be had.

    ``what`` is the subject of every message ("baseline file known.json"), so it can name
    the file the way the user wrote it.
    """
    shown = what
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise UnreadableFile(f"{shown} is not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UnreadableFile(f"{shown} does not exist", missing=True) from None
    except OSError as exc:
        raise UnreadableFile(f"{shown} cannot be read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        # checked again on the open file: the path may have been swapped meanwhile
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile(f"{shown} is not a regular file")
        if st.st_size > limit:
            raise UnreadableFile(
                f"{shown} is {st.st_size} bytes, over the {size_text(limit)} limit")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            block = os.read(fd, min(_BLOCK, limit + 1 - got))
            if not block:
                break
            chunks.append(block)
            got += len(block)
        if got > limit:
            raise UnreadableFile(f"{shown} is over the {size_text(limit)} limit")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"{shown} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
