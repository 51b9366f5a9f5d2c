"""Every MAIL rule's passing and failing case again, served by a real authoritative server
(NSD, via ``tests/authdns.py``) instead of the in-process ZoneServer. Fault injection (timeout,
SERVFAIL) stays in test_mail_checks.py: NSD cannot be told to misbehave per name."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from authdns import ZoneFactory, zone_text
from launchready.model import CheckStatus
from test_mail_checks import CASES, PASSING, _run, _zone


def _quote(raw: bytes) -> str:
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")  # RFC 1035 §5.1: \DDD
    return '"' + "".join(out) + '"'


def _strings(value: object) -> list[bytes]:
    if isinstance(value, str):
        raw = value.encode()
        return [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    if isinstance(value, bytes):
        return [value]
    assert isinstance(value, Sequence)
    return [v.encode() if isinstance(v, str) else bytes(v) for v in value]


def _zone_file() -> str:
    lines = []
    for owner, entries in _zone().items():
        if any(kind in ("TIMEOUT", "SERVFAIL") for kind, _ in entries):
            continue
        for kind, value in entries:
            rdata = " ".join(_quote(s) for s in _strings(value)) if kind == "TXT" else str(value)
            lines.append(f"{owner}. IN {kind} {rdata}")
    return zone_text("test", "\n".join(lines))


@pytest.fixture(scope="module")
def nsd(authdns: ZoneFactory) -> tuple[str, int]:
    return authdns({"test": _zone_file()})


@pytest.mark.parametrize(("domain", "rule", "evidence"), CASES,
                         ids=[f"{r}-{d}" for d, r, _ in CASES])
def test_failing_case_live(nsd: tuple[str, int], domain: str, rule: str, evidence: str) -> None:
    report = _run(nsd, domain)
    hits = [f for f in report.findings if f.rule_id == rule]
    assert any(evidence in f.evidence for f in hits), [(f.rule_id, f.evidence)
                                                       for f in report.findings]


@pytest.mark.parametrize(("domain", "rule"), PASSING, ids=[f"{r}-{d}" for d, r in PASSING])
def test_passing_case_live(nsd: tuple[str, int], domain: str, rule: str) -> None:
    report = _run(nsd, domain)
    assert not [f for f in report.findings if f.rule_id == rule]
    assert next(c for c in report.checks if c.id == rule).status is CheckStatus.PASS


def test_good_domain_live(nsd: tuple[str, int]) -> None:
    report = _run(nsd, "good.test")
    assert not [f for f in report.findings if f.severity.value != "info"], \
        [(f.rule_id, f.evidence) for f in report.findings]
