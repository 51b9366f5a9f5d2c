"""The perf baseline: file round trip, the noise-aware regression rule, the PR comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from launchready.perf.baseline import (
    SCHEMA,
    BaselineError,
    EndpointStats,
    compare,
    comparison_markdown,
    dump,
    load,
)


def stats(p95: float, segments: tuple[float, ...] = (), model: str = "closed") -> EndpointStats:
    return EndpointStats(model=model, requests=200, p50_ms=p95 / 2, p95_ms=p95,
                         p99_ms=p95 * 1.2, segment_p95_ms=segments)


TIGHT = (99.0, 100.0, 101.0, 100.5, 99.5)  # spread 2 ms
NOISY = (60.0, 100.0, 150.0, 90.0, 110.0)  # spread 90 ms

CASES = [
    (stats(100, TIGHT), stats(101, TIGHT), "unchanged"),
    (stats(100, TIGHT), stats(140, TIGHT), "regressed"),
    (stats(100, NOISY), stats(140, TIGHT), "within noise"),
    (stats(100, TIGHT), stats(140, NOISY), "within noise"),
    (stats(100, TIGHT), stats(60, TIGHT), "improved"),
    (stats(0.4, ()), stats(1.0, ()), "within noise"),  # +150 % but under the 1 ms floor
    (None, stats(100, TIGHT), "new"),
    (stats(100, TIGHT, model="open"), stats(140, TIGHT), "not comparable"),
]


@pytest.mark.parametrize(("base", "current", "verdict"), CASES,
                         ids=["no-change", "real-regression", "noise-in-baseline",
                              "noise-in-current", "improvement", "sub-millisecond", "new",
                              "other-model"])
def test_regression_rule(base: EndpointStats | None, current: EndpointStats,
                         verdict: str) -> None:
    assert compare("projects", current, base, max_regression=0.2).verdict == verdict


def test_threshold_is_the_larger_of_tolerance_and_noise() -> None:
    comp = compare("x", stats(100, TIGHT), stats(100, NOISY), max_regression=0.2)
    assert comp.noise_ms == 90.0
    assert comp.threshold_ms == 90.0
    comp = compare("x", stats(118, TIGHT), stats(100, TIGHT), max_regression=0.2)
    assert comp.threshold_ms == 20.0
    assert comp.change_text == "+18 %"


def test_round_trip_and_markdown(tmp_path: Path) -> None:
    path = tmp_path / "perf.json"
    path.write_text(dump({"projects list": stats(40, TIGHT), "revenue": stats(80, TIGHT)}))
    baseline = load(path)
    assert baseline.endpoints["revenue"].p95_ms == 80
    assert baseline.endpoints["projects list"].segment_p95_ms == TIGHT
    raw = json.loads(path.read_text())
    assert raw["schema"] == SCHEMA
    comps = [compare("revenue", stats(100, TIGHT), baseline.endpoints["revenue"],
                     max_regression=0.2),
             compare("projects list", stats(40, TIGHT), baseline.endpoints["projects list"],
                     max_regression=0.2)]
    text = comparison_markdown(comps)
    assert text.startswith("**p95 +25 % vs baseline** on revenue")
    assert "| revenue | 100.0 ms | 80.0 ms | +25 % |" in text
    assert "| projects list | 40.0 ms | 40.0 ms | +0 % |" in text
    assert "No p95 regression" in comparison_markdown(comps[1:])


@pytest.mark.parametrize("content", [
    "not json",
    json.dumps({"schema": "something-else"}),
    json.dumps({"schema": SCHEMA, "endpoints": []}),
    json.dumps({"schema": SCHEMA, "endpoints": {"a": {"p50_ms": 1, "p95_ms": "fast",
                                                      "p99_ms": 1}}}),
    json.dumps({"schema": SCHEMA, "endpoints": {"a": {"p50_ms": 1, "p95_ms": 1e999,
                                                      "p99_ms": 1}}}),
], ids=["not-json", "wrong-schema", "endpoints-list", "string-number", "infinite"])
def test_bad_baseline_files_are_clear_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "perf.json"
    path.write_text(content)
    with pytest.raises(BaselineError):
        load(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"absent\.json does not exist"):
        load(tmp_path / "absent.json")


def test_dump_is_stable_and_holds_only_numbers() -> None:
    text = dump({"b": stats(2), "a": stats(1)})
    doc = json.loads(text)
    assert list(doc["endpoints"]) == ["a", "b"]
    assert set(doc["endpoints"]["a"]) == {"model", "requests", "p50_ms", "p95_ms", "p99_ms",
                                          "segment_p95_ms"}
