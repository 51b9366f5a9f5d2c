"""TLS006: the HSTS parser and verdicts (RFC 6797 §6.1, §8.1; hstspreload.org)."""

from __future__ import annotations

import pytest

from launchready.checks.web.hsts import (
    HstsState,
    header_values,
    judge_hsts,
    parse_hsts,
)
from launchready.model import Severity

PARSE = [
    # (id, raw, max_age, includeSubDomains, preload, valid)
    ("plain", "max-age=31536000", 31536000, False, False, True),
    ("all directives", "max-age=63072000; includeSubDomains; preload", 63072000, True, True,
     True),
    ("case-insensitive names", "Max-Age=600; INCLUDESUBDOMAINS", 600, True, False, True),
    ("quoted max-age", 'max-age="31536000"', 31536000, False, False, True),
    ("empty directives", ";; max-age=10 ;;", 10, False, False, True),
    ("spaces around =", "max-age = 20", 20, False, False, True),
    ("missing max-age", "includeSubDomains", None, True, False, False),
    ("not a number", "max-age=1y", None, False, False, False),
    ("negative", "max-age=-1", None, False, False, False),
    ("repeated directive", "max-age=1; max-age=2", 1, False, False, False),
    ("hostile value", 'max-age=<script>alert(1)</script>', None, False, False, False),
    ("empty", "", None, False, False, False),
]


@pytest.mark.parametrize(("raw", "max_age", "include", "preload", "valid"),
                         [p[1:] for p in PARSE], ids=[p[0] for p in PARSE])
def test_parse_hsts(raw: str, max_age: int | None, include: bool, preload: bool,
                    valid: bool) -> None:
    policy = parse_hsts(raw)
    assert policy.max_age == max_age
    assert policy.include_subdomains is include
    assert policy.preload is preload
    assert policy.valid is valid
    assert bool(policy.problems) is not valid


VERDICTS = [
    # (id, header fields, state, severity, preload ready)
    ("missing", (), HstsState.MISSING, Severity.MEDIUM, False),
    ("max-age=0", ("max-age=0",), HstsState.DISABLED, Severity.MEDIUM, False),
    ("malformed", ("max-age=forever",), HstsState.INVALID, Severity.MEDIUM, False),
    ("one day", ("max-age=86400",), HstsState.SHORT, Severity.LOW, False),
    ("just under 180 days", (f"max-age={180 * 86400 - 1}",), HstsState.SHORT, Severity.LOW,
     False),
    ("exactly 180 days", (f"max-age={180 * 86400}",), HstsState.OK, None, False),
    ("one year, no preload", ("max-age=31536000; includeSubDomains",), HstsState.OK, None,
     False),
    ("preload-ready", ("max-age=31536000; includeSubDomains; preload",), HstsState.OK, None,
     True),
    ("preload without includeSubDomains", ("max-age=31536000; preload",), HstsState.OK, None,
     False),
    ("preload with half a year", ("max-age=15552000; includeSubDomains; preload",),
     HstsState.OK, None, False),
    ("duplicated field", ("max-age=31536000", "max-age=31536000"), HstsState.DUPLICATED,
     Severity.LOW, False),
    ("comma-joined duplicate", ("max-age=31536000; includeSubDomains; preload, max-age=1",),
     HstsState.DUPLICATED, Severity.LOW, False),
    ("duplicate of a short policy stays short", ("max-age=60", "max-age=31536000"),
     HstsState.SHORT, Severity.LOW, False),
]


@pytest.mark.parametrize(("fields", "state", "severity", "preload"),
                         [v[1:] for v in VERDICTS], ids=[v[0] for v in VERDICTS])
def test_judge_hsts(fields: tuple[str, ...], state: HstsState, severity: Severity | None,
                    preload: bool) -> None:
    verdict = judge_hsts(fields)
    assert verdict.state is state
    assert verdict.severity is severity
    assert verdict.preload_ready is preload
    assert verdict.summary
    assert verdict.preload_text.startswith("preload-ready" if preload else "not preload-ready")


def test_duplicate_is_named_in_summary_and_preload_text() -> None:
    verdict = judge_hsts(("max-age=31536000; includeSubDomains; preload",) * 2)
    assert "(sent twice)" in verdict.summary
    assert "a single header" in verdict.preload_text


def test_header_values_keep_commas_inside_quotes() -> None:
    assert header_values(['max-age="1,2"', "a, b"]) == ('max-age="1,2"', "a", "b")
