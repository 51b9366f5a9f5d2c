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

:class:`ProjectFiles` is the files probe on ``Context.probes.files``: the door through which
the env, db and perf families read the checkout (env files and templates, the source tree, the
slow-query log, the perf baseline), so a test can hand in another reader and those families
hold no file I/O of their own. Its readers live beside the formats they parse
(``envcontract``, ``perf.baseline``, ``probes.db``) and read capped through
:func:`read_capped`; every method is synchronous, for a family's worker thread.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from launchready.errors import ProbeError

if TYPE_CHECKING:
    # the readers pull in tree-sitter grammars and python-dotenv: a run without env checks
    # must not pay for them
    from launchready.envcontract.declarations import ProjectDeclarations
    from launchready.envcontract.facts import EnvSnapshot, Skipped, SourceScan
    from launchready.perf.baseline import Baseline
    from launchready.probes.db import StatementStat

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


class ProjectFiles:
    """Reads of the checkout's files; stateless, one per run."""

    def env_file(self, path: Path, label: str | None = None) -> EnvSnapshot:
        """A dotenv file or platform JSON export; ProbeError when it cannot be read."""
        from launchready.envcontract.envfiles import load_env_file  # noqa: PLC0415 - see above

        return load_env_file(path, label)

    def env_text(self, path: Path) -> str | Skipped:
        """The text of an env file, or why it was not read."""
        from launchready.envcontract.declarations import read_env_text  # noqa: PLC0415

        return read_env_text(path)

    def declarations(self, base: Path, extra: Iterable[Path] = ()) -> ProjectDeclarations:
        """The variables the project's templates (``.env.example`` …) declare."""
        from launchready.envcontract.declarations import read_declarations  # noqa: PLC0415

        return read_declarations(base, extra)

    def source_scan(self, roots: Sequence[Path], base: Path | None = None) -> SourceScan:
        """What the Python and JS/TS source under ``roots`` reads and calls (never run)."""
        from launchready.envcontract.scan import scan_tree  # noqa: PLC0415

        return scan_tree(roots, base)

    def pg_log(self, path: str) -> tuple[tuple[StatementStat, ...], str | None]:
        """Statement durations of a PostgreSQL log (``log_min_duration_statement``), read line
        by line, and why the log could not be read (None when it could)."""
        from launchready.probes.db import parse_pg_log  # noqa: PLC0415

        try:
            # streamed, so a large log costs no memory; a FIFO or device is never opened
            if not stat.S_ISREG(os.stat(path).st_mode):
                return (), f"{path} is not a regular file"
            with Path(path).open(encoding="utf-8", errors="replace") as fh:
                return parse_pg_log(fh), None
        except OSError as exc:
            return (), f"cannot read {path}: {exc.strerror}"

    def perf_baseline(self, path: str) -> Baseline:
        """A perf baseline file; BaselineError when it cannot be used."""
        from launchready.perf.baseline import load  # noqa: PLC0415

        return load(path)
