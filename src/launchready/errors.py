"""One exception tree for launchready, as the code raises it.

    LaunchreadyError                      the CLI: "error: <message>", exit 3
     ├── ConfigError                      bad config file, key or value (exit 2); key path + fix
     ├── UsageError                       bad command-line use (exit 2)
     ├── ProbeError                       a probe could not observe something
     │    ├── ProbeTimeout                it ran out of time
     │    │    └── perf.wire.RequestTimeout   no complete response within the request timeout
     │    ├── ProbeConnectError           it could not connect (checks.db: the database)
     │    ├── probes.git.GitError         git failed or is missing
     │    └── perf.wire.WireError         the server broke HTTP/1.1 framing
     ├── perf.baseline.BaselineError      a perf baseline file cannot be used
     ├── perf.load.LoadRefused            the load policy refuses the target host
     ├── perf.wire.Interrupted            Ctrl-C stopped a request in flight
     ├── checks.perf.latency.AuthFailed   the smoke login for a perf run failed
     └── RunError                         the run as a whole cannot go on (the monitor's
                                          store lease is held elsewhere); exit 3

A check that raises one of these is recorded by the engine as errored with an
:class:`~launchready.model.ErrorReason` (usage for ConfigError/UsageError, timeout for
ProbeTimeout, else connectivity or incomplete input); anything else is reason "bug" with its
trace, never a traceback for the user.

Outside the tree on purpose: ``ValueError`` subclasses raised inside validators and parsers,
which their callers turn into one of the above or into a finding (``config.expect
.ExpectationError``, ``config.captures.CaptureError``, ``envcontract.jsscan.JsSyntaxError``);
``monitor.guard.BlockedAddress`` is an ``OSError`` so aiohttp treats a refused address as a
failed connection; ``monitor.store.StoreError`` stays inside the monitor daemon, which records
it as a storage alert.
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
    """The run as a whole could not complete (e.g. another monitor holds the store's lease)."""
