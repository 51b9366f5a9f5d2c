"""The quorum rule of several locations, pure: from each location's recent results to one
verdict the alert state machine (:mod:`~launchready.monitor.state`) takes as an observation.

A location *sees it fail* when its latest ``failure_threshold`` known results (within the
window) all failed, and *sees it up* when its latest ``success_threshold`` all passed. A
location with no known result in the window — its node stored only unknowns (it lost its own
network) or nothing at all (it is not running) — is *offline* and left out of the count. With
``quorum`` unset the count needed is a majority of the locations that are not offline. The
verdict is DOWN when that many see it fail, UP when that many see it up, and undecided
otherwise (fewer healthy locations than the quorum, or no agreement): an undecided verdict
moves no counter, so an open incident stays open and a healthy check stays healthy. Each
location's thresholds are already applied here, so the state machine is fed with thresholds
of 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Seen(StrEnum):
    """What one location's recent results say."""

    FAIL = "fail"
    UP = "up"
    UNSURE = "unsure"  # mixed, or too few results yet
    OFFLINE = "offline"  # no known result in the window: left out of the count


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The decision over every location: ``ok`` None when undecided."""

    ok: bool | None
    needed: int  # how many locations had to agree
    seen: Mapping[str, Seen]
    cause: str = ""

    @property
    def offline(self) -> tuple[str, ...]:
        """The locations left out of the count."""
        return tuple(loc for loc, s in self.seen.items() if s is Seen.OFFLINE)


def seen_from(runs: Sequence[bool | None], *, failure_threshold: int,
              success_threshold: int) -> Seen:
    """What one location's results in the window say; ``runs`` newest first, None unknown."""
    known = [r for r in runs if r is not None]
    if not known:
        return Seen.OFFLINE
    if len(known) >= failure_threshold and not any(known[:failure_threshold]):
        return Seen.FAIL
    if len(known) >= success_threshold and all(known[:success_threshold]):
        return Seen.UP
    return Seen.UNSURE


def decide(runs: Mapping[str, Sequence[bool | None]], *, locations: Sequence[str],
           quorum: int | None, failure_threshold: int, success_threshold: int) -> Verdict:
    """The quorum verdict over ``locations`` (a location absent from ``runs`` is offline)."""
    seen = {loc: seen_from(runs.get(loc, ()), failure_threshold=failure_threshold,
                           success_threshold=success_threshold) for loc in locations}
    healthy = [loc for loc, s in seen.items() if s is not Seen.OFFLINE]
    needed = quorum if quorum is not None else len(healthy) // 2 + 1
    failing = [loc for loc in healthy if seen[loc] is Seen.FAIL]
    up = [loc for loc in healthy if seen[loc] is Seen.UP]
    if not healthy or len(healthy) < needed:
        return Verdict(ok=None, needed=needed, seen=seen,
                       cause=f"only {len(healthy)} of {len(locations)} locations reporting, "
                             f"{needed} needed")
    if len(failing) >= needed:
        return Verdict(ok=False, needed=needed, seen=seen,
                       cause=f"failing from {len(failing)} of {len(healthy)} locations "
                             f"({', '.join(failing)})")
    if len(up) >= needed:
        return Verdict(ok=True, needed=needed, seen=seen)
    return Verdict(ok=None, needed=needed, seen=seen)
