"""Running one phase of a build (install, build) as a subprocess with a hard timeout.

The phase runs in its own process group with its output appended to a log file; on timeout, on
Ctrl-C (the awaiting task is cancelled) or on any other exit the whole group is terminated, then
killed, so no ``node`` or ``esbuild`` child outlives the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from launchready.errors import ProbeError

_GRACE_S = 3.0


@dataclass(frozen=True, kw_only=True)
class PhaseResult:
    """How one phase ended: exit code (None when it was stopped), time taken."""

    name: str
    command: str
    returncode: int | None
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True when the phase exited 0."""
        return self.returncode == 0


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), _GRACE_S)
    except TimeoutError:
        _kill_group(proc.pid, signal.SIGKILL)
        await proc.wait()
    # children that ignored SIGTERM while the leader exited
    _kill_group(proc.pid, signal.SIGKILL)


async def run_phase(name: str, command: str, *, cwd: Path, env: Mapping[str, str],
                    log: Path, timeout: float) -> PhaseResult:
    """Run ``command`` through ``/bin/sh -c`` in ``cwd``; its output is appended to ``log``."""
    started = time.monotonic()
    with log.open("ab") as out:
        out.write(f"\n$ {command}\n".encode())
        out.flush()
        try:
            proc = await asyncio.create_subprocess_exec(
                "/bin/sh", "-c", command, cwd=cwd, env=dict(env), stdin=asyncio.subprocess.DEVNULL,
                stdout=out, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise ProbeError(f"{name}: cannot start {command!r}: {exc.strerror}") from None
        try:
            code: int | None = await asyncio.wait_for(proc.wait(), max(timeout, 0.1))
        except TimeoutError:
            await _stop(proc)
            out.write(f"\n[launchready] {name} stopped after {timeout:g}s\n".encode())
            return PhaseResult(name=name, command=command, returncode=None,
                               seconds=time.monotonic() - started, timed_out=True)
        except BaseException:
            await asyncio.shield(_stop(proc))
            raise
        _kill_group(proc.pid, signal.SIGKILL)  # daemons a build script left behind
    return PhaseResult(name=name, command=command, returncode=code,
                       seconds=time.monotonic() - started)
