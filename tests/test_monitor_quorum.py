"""The quorum rule of several locations, table-driven over the pure layer, then through the
alert state machine as the leader feeds it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from launchready.monitor.quorum import Seen, decide, seen_from
from launchready.monitor.state import CheckState, EventKind, Observation, Policy, Status, advance

F, T, U = False, True, None
ABC = ["a", "b", "c"]


@pytest.mark.parametrize(("runs", "seen"), [
    ([F, F], Seen.FAIL),
    ([F, F, T], Seen.FAIL),  # the latest two failed: an older success does not matter
    ([F, T], Seen.UNSURE),
    ([F], Seen.UNSURE),  # one failure is not yet the threshold
    ([T, T], Seen.UP),
    ([T, F], Seen.UNSURE),
    ([U, F, F], Seen.FAIL),  # an unknown run is skipped, not a success
    ([U, U], Seen.OFFLINE),
    ([], Seen.OFFLINE),
])
def test_what_one_location_sees(runs: list[bool | None], seen: Seen) -> None:
    assert seen_from(runs, failure_threshold=2, success_threshold=2) is seen


CASES: list[tuple[str, dict[str, Sequence[bool | None]], int | None, bool | None, int]] = [
    ("all three fail", {"a": [F, F], "b": [F, F], "c": [F, F]}, None, False, 2),
    ("two of three fail: majority", {"a": [F, F], "b": [F, F], "c": [T, T]}, None, False, 2),
    ("one of three fails: still up", {"a": [F, F], "b": [T, T], "c": [T, T]}, None, True, 2),
    ("one fails, others unsure: undecided", {"a": [F, F], "b": [T, F], "c": [F, T]}, None,
     None, 2),
    ("one location offline, two fail", {"a": [F, F], "b": [F, F], "c": [U, U]}, None, False, 2),
    ("one offline, one of two fails: undecided", {"a": [F, F], "b": [T, T], "c": [U]}, None,
     None, 2),
    ("two offline: the one left decides", {"a": [F, F]}, None, False, 1),
    ("explicit quorum 3, two fail", {"a": [F, F], "b": [F, F], "c": [T, T]}, 3, None, 3),
    ("explicit quorum 2, one offline, two up", {"a": [T, T], "b": [T, T]}, 2, True, 2),
    ("explicit quorum 2, only one reporting", {"a": [F, F]}, 2, None, 2),
    ("nobody reporting", {}, None, None, 1),
]


@pytest.mark.parametrize(("runs", "quorum", "ok", "needed"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_quorum_verdict(runs: dict[str, Sequence[bool | None]], quorum: int | None,
                        ok: bool | None, needed: int) -> None:
    verdict = decide(runs, locations=ABC, quorum=quorum, failure_threshold=2,
                     success_threshold=2)
    assert (verdict.ok, verdict.needed) == (ok, needed)
    assert set(verdict.offline) == {loc for loc in ABC if not any(
        r is not None for r in runs.get(loc, ()))}


def test_the_state_machine_fed_with_verdicts_alerts_once_and_recovers_once() -> None:
    """As the leader does: each verdict is one observation with thresholds of 1; undecided
    verdicts move nothing, so a flapping minority neither opens nor closes an incident."""
    policy = Policy(failure_threshold=1, success_threshold=1, reminder=None)
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    series: list[dict[str, Sequence[bool | None]]] = [
        {"a": [T, T], "b": [T, T], "c": [T, T]},
        {"a": [F, T], "b": [T, T], "c": [T, T]},
        {"a": [F, F], "b": [T, T], "c": [T, T]},  # one location alone: no alert
        {"a": [F, F], "b": [F, T], "c": [T, T]},
        {"a": [F, F], "b": [F, F], "c": [T, T]},  # two of three: DOWN
        {"a": [F, F], "b": [F, F], "c": [U, T]},
        {"a": [F, F], "b": [F, F], "c": [U, U]},  # c offline: still DOWN, no second alert
        {"a": [T, F], "b": [T, F]},
        {"a": [T, T], "b": [T, F]},  # one of the two healthy ones up: undecided
        {"a": [T, T], "b": [T, T]},  # both: RECOVERED
        {"a": [T, T], "b": [T, T], "c": [T, T]},
    ]
    status, kinds = Status(), []
    for i, runs in enumerate(series):
        v = decide(runs, locations=ABC, quorum=None, failure_threshold=2, success_threshold=2)
        obs = Observation(at=t0 + timedelta(seconds=30 * i), mono=30.0 * i, ok=bool(v.ok),
                          cause=v.cause, slow=False, maintenance=False, offline=v.ok is None)
        status, events = advance(status, obs, policy)
        kinds += [(i, e.kind) for e in events]
    assert kinds == [(4, EventKind.DOWN), (9, EventKind.RECOVERED)]
    assert status.state is CheckState.UP
