"""Frozen facts about an environment and a code base; values never appear in a repr."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvValue:
    """A variable's value. ``repr``/``str`` never show it, so a log line or a traceback cannot."""

    raw: str = field(repr=False)

    def __str__(self) -> str:
        return "<value hidden>"

    @property
    def digest(self) -> str:
        """SHA-256 of the value, for comparing environments without holding both values."""
        return hashlib.sha256(self.raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """Something that could not be read and was left out, with the reason (never a value)."""

    item: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class EnvSnapshot:
    """The variables of one environment as one source describes them.

    ``values`` maps a name to its value, or to ``None`` when the source says the variable is
    set but does not show its value (``fly secrets list``) or declares it without a value
    (``KEY`` alone on a dotenv line).
    """

    label: str
    values: Mapping[str, EnvValue | None]
    skipped: tuple[Skipped, ...] = ()
    #: True when the source lists only names (values are not visible)
    names_only: bool = False
    #: True for the process environment: only contract variables are judged there
    process: bool = False


class ReadKind(enum.StrEnum):
    """How the code reads a variable, which decides what a missing value does."""

    REQUIRED = "required"  # raises when missing: os.environ["X"], a settings field w/o default
    OPTIONAL = "optional"  # returns None/undefined: getenv("X"), .get("X"), process.env.X
    DEFAULTED = "defaulted"  # the code supplies its own value: getenv("X", "d"), X ?? "d"


@dataclass(frozen=True, kw_only=True)
class EnvRead:
    """One place in the code that reads an environment variable."""

    name: str
    path: str
    line: int
    column: int
    kind: ReadKind
    via: str  # e.g. "os.environ[...]", "process.env", "BaseSettings field"


@dataclass(frozen=True, kw_only=True)
class HttpCall:
    """One outbound HTTP call (or client construction) that has no effective timeout."""

    path: str
    line: int
    column: int
    library: str  # requests, httpx, aiohttp, urllib, fetch, axios
    callee: str  # the call as written, e.g. "requests.get", "api.get", "fetch"
    scope: str  # enclosing function/class, "<module>" at top level
    problem: str  # "no-timeout" or "timeout-none"
    #: where the call runs: "server" (a worker waits on it) or "browser" (a visitor's tab)
    runtime: str = "server"


@dataclass(frozen=True, kw_only=True)
class FileScan:
    """What one source file contributes."""

    reads: tuple[EnvRead, ...] = ()
    calls: tuple[HttpCall, ...] = ()
    #: axios calls without their own timeout in this file (judged against project defaults)
    axios_calls: tuple[HttpCall, ...] = ()
    #: the file sets ``axios.defaults.timeout``
    sets_axios_default_timeout: bool = False
    #: lines holding syntax newer than this interpreter, neutralised and not scanned
    unread_lines: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourceScan:
    """What the whole source tree contributes."""

    roots: tuple[str, ...]
    files_scanned: int
    reads: tuple[EnvRead, ...]
    calls: tuple[HttpCall, ...]
    skipped: tuple[Skipped, ...]
