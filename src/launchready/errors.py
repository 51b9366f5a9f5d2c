"""One exception tree for launchready.

    LaunchreadyError
     ├── ConfigError          bad config file, key or value (exit 2); names the key path and the fix
     ├── UsageError           bad command-line use (exit 2)
     ├── ProbeError           a network/file probe could not observe something
     │    ├── ProbeTimeout     it ran out of time
     │    └── ProbeConnectError  it could not connect (refused, unreachable, DNS failure)
     └── RunError             the run as a whole could not complete (exit 3)

Expected failures are always one of these; anything else reaching the engine is a bug and is
recorded as a check error with reason "bug", never a traceback for the user.
"""

from __future__ import annotations


class LaunchreadyError(Exception):
    """Base of every error launchready raises on purpose."""


class ConfigError(LaunchreadyError):
    """The configuration is invalid; ``key`` is the dotted key path, ``fix`` how to mend it."""

    def __init__(self, message: str, *, key: str | None = None, fix: str | None = None,
                 source: str | None = None) -> None:
        self.key = key
        self.fix = fix
        self.source = source
        parts = []
        if source:
            parts.append(f"{source}: ")
        if key:
            parts.append(f"{key}: ")
        parts.append(message)
        if fix:
            parts.append(f" (fix: {fix})")
        super().__init__("".join(parts))


class UsageError(LaunchreadyError):
    """The command line is invalid."""


class ProbeError(LaunchreadyError):
    """A probe could not observe what it was asked for."""


class ProbeTimeout(ProbeError):
    """A probe ran out of time."""


class ProbeConnectError(ProbeError):
    """A probe could not connect."""


class RunError(LaunchreadyError):
    """The run as a whole could not complete."""
