"""The RFC 7208 test suite (openspf.org, vendored in tests/data/rfc7208) against check_host().

Each YAML document's zone is served by a real ZoneServer on 127.0.0.1 and queried through the
real DnsProbe, so record selection, split strings, raw bytes, timeouts and CNAMEs all cross the
wire. Every case must pass; ``test_conformance_summary`` runs any case that was not selected,
prints "N passed / N" and fails unless all passed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from launchready.demo.dnsserver import ZoneServer
from launchready.email.spf import SpfResult, check_host
from launchready.probes.dns import DnsProbe

SUITE = Path(__file__).resolve().parent / "data" / "rfc7208" / "rfc7208-tests.yml"
DNS_TIMEOUT = 0.5  # TIMEOUT entries never answer; keep those cases fast


@dataclass(frozen=True)
class Case:
    section: str
    name: str
    doc: int
    host: str
    mailfrom: str
    helo: str
    results: tuple[str, ...]
    explanation: str | None

    @property
    def id(self) -> str:
        return f"{self.section}/{self.name}"


def _txt_bytes(value: object) -> bytes | list[bytes]:
    """YAML gives str; "\\xEF" escapes are code points, so latin-1 recovers the raw bytes."""
    def one(item: object) -> bytes:
        text = str(item)
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")
    if isinstance(value, list):
        return [one(item) for item in value]
    return one(value)


def zone_records(zonedata: Mapping[str, Sequence[object]]) -> dict[str, list[tuple[str, object]]]:
    """Translate the suite's zonedata into ZoneServer records.

    The suite's convention (file header): SPF-type records are also served as TXT when the
    name has no TXT records; ``TXT: NONE`` means "no TXT record here"; a bare ``TIMEOUT`` (or
    ``TIMEOUT: true``) makes queries for missing types go unanswered.
    """
    records: dict[str, list[tuple[str, object]]] = {}
    for owner, entries in zonedata.items():
        out: list[tuple[str, object]] = []
        spf: list[object] = []
        has_txt = False
        for entry in entries:
            if entry == "TIMEOUT":
                out.append(("TIMEOUT", True))
                continue
            assert isinstance(entry, dict) and len(entry) == 1, entry
            ((rdtype, value),) = entry.items()
            rdtype = str(rdtype).upper()
            if rdtype == "TIMEOUT":
                out.append(("TIMEOUT", bool(value)))
            elif rdtype == "TXT":
                has_txt = True
                if value != "NONE":
                    out.append(("TXT", _txt_bytes(value)))
            elif rdtype == "SPF":
                spf.append(value)
                out.append(("SPF", _txt_bytes(value)))
            elif rdtype == "MX":
                preference, exchange = value
                out.append(("MX", f"{preference} {exchange or '.'}"))
            else:
                out.append((rdtype, str(value)))
        if not has_txt:
            out.extend(("TXT", _txt_bytes(value)) for value in spf)
        records[str(owner)] = out
    return records


def load_suite() -> tuple[list[dict[str, object]], list[Case]]:
    with SUITE.open(encoding="utf-8") as handle:
        docs = [doc for doc in yaml.safe_load_all(handle) if doc]
    cases: list[Case] = []
    for index, doc in enumerate(docs):
        section = str(doc["description"])
        for name, spec in doc["tests"].items():
            expected = spec["result"]
            results = tuple(expected) if isinstance(expected, list) else (expected,)
            cases.append(Case(section=section, name=str(name), doc=index,
                              host=str(spec["host"]), mailfrom=str(spec.get("mailfrom", "")),
                              helo=str(spec.get("helo", "")), results=tuple(map(str, results)),
                              explanation=spec.get("explanation")))
    return docs, cases


DOCS, CASES = load_suite()
OUTCOMES: dict[str, bool] = {}


@pytest.fixture(scope="module")
def zone_ports() -> Iterator[dict[int, int]]:
    """One real DNS server per YAML document, for the whole module."""
    with contextlib.ExitStack() as stack:
        ports: dict[int, int] = {}
        for index, doc in enumerate(DOCS):
            server = ZoneServer(zone_records(doc.get("zonedata") or {}))
            _host, port = stack.enter_context(server.serve_in_thread())
            ports[index] = port
        yield ports


def evaluate(case: Case, port: int) -> SpfResult:
    async def run() -> SpfResult:
        probe = DnsProbe(resolver=f"127.0.0.1:{port}", timeout=DNS_TIMEOUT)
        domain = case.mailfrom.rpartition("@")[2] if case.mailfrom else case.helo
        return await check_host(case.host, domain, case.mailfrom, resolver=probe,
                                helo=case.helo, receiver="receiver.example")
    return asyncio.run(run())


def verdict(case: Case, outcome: SpfResult) -> str | None:
    """None when the outcome satisfies the case, else what went wrong."""
    if str(outcome.result) not in case.results:
        return (f"{case.id}: expected {'|'.join(case.results)}, got {outcome.result} "
                f"(problem: {outcome.problem})")
    if case.explanation is not None:
        # "DEFAULT" means no exp= explanation applies; we then return none at all (§6.2).
        wanted = None if case.explanation == "DEFAULT" else case.explanation
        if outcome.explanation != wanted:
            return f"{case.id}: explanation {outcome.explanation!r}, expected {wanted!r}"
    return None


def test_suite_file_present() -> None:
    assert SUITE.is_file(), f"RFC 7208 test suite missing at {SUITE}"
    assert CASES, "the RFC 7208 test suite has no cases"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rfc7208_case(case: Case, zone_ports: dict[int, int]) -> None:
    # Given the document's zone served over real DNS, when check_host() runs for the case's
    # client, sender and HELO, then the result (and explanation, when given) is as specified.
    problem = verdict(case, evaluate(case, zone_ports[case.doc]))
    OUTCOMES[case.id] = problem is None
    assert problem is None, problem


def test_conformance_summary(zone_ports: dict[int, int],
                             capsys: pytest.CaptureFixture[str]) -> None:
    failures: list[str] = [cid for cid, ok in OUTCOMES.items() if not ok]
    for case in CASES:
        if case.id not in OUTCOMES:
            problem = verdict(case, evaluate(case, zone_ports[case.doc]))
            OUTCOMES[case.id] = problem is None
            if problem is not None:
                failures.append(problem)
    passed = sum(1 for case in CASES if OUTCOMES.get(case.id))
    with capsys.disabled():
        print(f"\nRFC 7208 conformance: {passed} passed / {len(CASES)}")
    assert CASES and passed == len(CASES), failures
