"""Log files and streams: secrets (SEC005) and personal data (SEC007), with flat memory.

A log is read in blocks of about 1 MiB cut at the last newline, so memory stays flat for a
1 GB file; a single line longer than 4 MiB is cut with a 4 KiB overlap and matches already
reported from the overlap are skipped, so a secret straddling the cut is found exactly once.
``redact_to`` writes the log back out with every secret and personal-data value masked.
``follow`` keeps reading as the file grows, reopening it when it is rotated or truncated.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from launchready.secrets.pii import PiiMatch, find_pii
from launchready.secrets.scanner import Match, Scanner

BLOCK = 1 << 20
MAX_LINE = 4 << 20
OVERLAP = 4096


@dataclass(kw_only=True)
class SecretSeen:
    """One distinct secret value in a log: where first seen and how often."""

    match: Match
    line: int
    count: int = 1


@dataclass(kw_only=True)
class PiiSeen:
    """One kind of personal data in a log."""

    kind: str
    line: int
    example: str
    count: int = 1


@dataclass(kw_only=True)
class LogScan:
    """Findings of one log source (a file name or ``<stdin>``)."""

    source: str
    secrets: dict[tuple[str, str], SecretSeen] = field(default_factory=dict)
    pii: dict[str, PiiSeen] = field(default_factory=dict)
    lines: int = 0
    bytes: int = 0
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Block:
    """A slice of the stream: absolute offset, first line number, and the bytes."""

    offset: int
    line: int
    data: bytes
    #: bytes at the start of ``data`` that belong to the previous block
    overlap: int = 0
    #: matches starting at or after this relative offset belong to the next block
    upto: int = -1

    @property
    def end(self) -> int:
        """Relative end of this block's authority."""
        return len(self.data) if self.upto < 0 else self.upto

    def owns(self, start: int) -> bool:
        """True when a match starting at relative ``start`` is reported by this block."""
        return self.overlap <= start < self.end


def blocks(stream: IO[bytes], *, block: int = BLOCK, offset: int = 0,
           line: int = 1) -> Iterator[Block]:
    """Cut a byte stream into newline-aligned blocks (long lines cut with an overlap)."""
    carry = b""
    overlap = 0
    while True:
        chunk = stream.read(block)
        if not chunk:
            break
        buf = carry + chunk
        cut = buf.rfind(b"\n")
        if cut == -1:
            if len(buf) < MAX_LINE:
                carry = buf
                continue
            cut_at = len(buf) - OVERLAP
            yield Block(offset=offset, line=line, data=buf, overlap=overlap, upto=cut_at)
            offset += cut_at
            carry, overlap = buf[cut_at:], OVERLAP
            continue
        head, carry = buf[:cut + 1], buf[cut + 1:]
        yield Block(offset=offset, line=line, data=head, overlap=overlap)
        overlap = 0
        offset += len(head)
        line += head.count(b"\n")
    if carry:
        yield Block(offset=offset, line=line, data=carry, overlap=overlap)


def _apply(scan: LogScan, blk: Block, secrets: list[Match], pii: list[PiiMatch]) -> None:
    for m in secrets:
        if not blk.owns(m.start):
            continue
        key = (m.rule.id, m.hash)
        line = blk.line + m.line - 1
        seen = scan.secrets.get(key)
        if seen is None:
            scan.secrets[key] = SecretSeen(match=m, line=line)
        else:
            seen.count += 1
    for p in pii:
        if not blk.owns(p.start):
            continue
        line = blk.line + blk.data.count(b"\n", 0, p.start)
        seen_p = scan.pii.get(p.kind)
        if seen_p is None:
            scan.pii[p.kind] = PiiSeen(kind=p.kind, line=line, example=p.masked)
        else:
            seen_p.count += 1


def redact_block(blk: Block, secrets: list[Match], pii: list[PiiMatch], written: int,
                 out: IO[bytes]) -> int:
    """Write this block's part of the log with every value masked; return the new cursor.

    ``written`` is the absolute offset already written (a masked value may run past a cut).
    """
    spans = sorted([(m.start, m.end, m.masked) for m in secrets if blk.owns(m.start)]
                   + [(p.start, p.end, p.masked) for p in pii if blk.owns(p.start)])
    pos = written - blk.offset
    for s, e, masked in spans:
        if s < pos:
            continue
        out.write(blk.data[pos:s])
        out.write(masked.encode())
        pos = e
    if pos < blk.end:
        out.write(blk.data[pos:blk.end])
        pos = blk.end
    return blk.offset + pos


def scan_stream(stream: IO[bytes], source: str, scanner: Scanner, *,
                redact_to: IO[bytes] | None = None, pii: bool = True,
                on_new: Callable[[LogScan], None] | None = None,
                follow: Callable[[], bool] | None = None,
                reopen: Callable[[], IO[bytes] | None] | None = None) -> LogScan:
    """Scan a stream block by block; ``follow`` returns False to stop waiting for more."""
    scan = LogScan(source=source)
    current = stream
    written, offset, line = 0, 0, 1
    while True:
        for blk in blocks(current, offset=offset, line=line):
            offset = blk.offset + blk.end
            line = blk.line + blk.data.count(b"\n", 0, blk.end)
            secrets = scanner.scan(blk.data)
            found_pii = list(find_pii(blk.data)) if pii else []
            before = (len(scan.secrets), len(scan.pii))
            _apply(scan, blk, secrets, found_pii)
            scan.bytes += blk.end - blk.overlap
            scan.lines += blk.data.count(b"\n", blk.overlap, blk.end)
            if redact_to is not None:
                written = redact_block(blk, secrets, found_pii, written, redact_to)
            if on_new is not None and (len(scan.secrets), len(scan.pii)) != before:
                on_new(scan)
        if follow is None or not follow():
            break
        time.sleep(0.2)
        if reopen is not None:
            fresh = reopen()
            if fresh is not None:
                current = fresh
                written, offset, line = 0, 0, 1
    return scan


class _Follower:
    """Reopens a followed file when it is rotated (new inode) or truncated."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.ino = os.fstat(self.fh.fileno()).st_ino

    def reopen(self) -> IO[bytes] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        if st.st_ino != self.ino or st.st_size < self.fh.tell():
            self.fh.close()
            self.fh = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            self.ino = st.st_ino
            return self.fh
        return None

    def close(self) -> None:
        self.fh.close()


def follow_file(path: str) -> _Follower:
    """A follower for ``path``: ``.fh`` is the open stream, ``.reopen`` handles rotation."""
    return _Follower(path)
