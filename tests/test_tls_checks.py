"""TLS001–TLS004: the pure judgement (tables) and the whole family against the certificate zoo."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from certzoo import (
    HTTPS_CASES,
    ZOO_HOST,
    CertZoo,
)
from launchready.checks.base import Context
from launchready.checks.catalog import BY_ID
from launchready.checks.tls.certificate import (
    CertificateChecks,
    expiry_thresholds,
    hostname_covered,
    tls_targets,
)
from launchready.model import Finding, Severity
from launchready.probes.tls import CertInfo, TlsObservation, TlsProbe, TlsVerdict

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _config(canonical: str | None, domain: str | None = None) -> Any:
    return SimpleNamespace(app=SimpleNamespace(canonical=canonical, domain=domain))


def _ctx(config: Any, probe: TlsProbe | None = None, now: datetime = NOW) -> Context:
    return Context(loaded=config, probes=cast(Any, SimpleNamespace(tls=probe)), environ={},
                   now=now, timeout=5)


def _cert(*, left: timedelta, lifetime: timedelta = 90 * DAY, sans: tuple[str, ...] = ("a.test",),
          subject: str = "CN=a.test", issuer: str = "CN=Issuing CA", is_ca: bool = False,
          sha256: str = "ab" * 32) -> CertInfo:
    not_after = NOW + left
    return CertInfo(subject=subject, issuer=issuer, sans=sans, not_before=not_after - lifetime,
                    not_after=not_after, serial="1f", sha256=sha256, self_signed=False,
                    is_ca=is_ca)


def _obs(*chain: CertInfo, host: str = "a.test", verdict: TlsVerdict = TlsVerdict.OK,
         failure: str | None = None, connected: bool = True, message: str | None = None,
         ) -> TlsObservation:
    return TlsObservation(host=host, port=443, address="192.0.2.1", connected=connected,
                          failure=failure, protocol="TLSv1.3" if failure is None else None,
                          cipher=None, chain=chain, verdict=None if failure else verdict,
                          verify_message=message, elapsed_ms=500.0)


def _evaluate(*obs: TlsObservation, now: datetime = NOW) -> tuple[Finding, ...]:
    return CertificateChecks().evaluate(obs, _ctx(_config("https://a.test"), now=now)).findings


# --- targets -------------------------------------------------------------------------------------

TARGETS = [
    ("canonical only", "https://app.acme.example", None, (("app.acme.example", 443),)),
    ("canonical and apex", "https://app.acme.example/", "acme.example",
     (("app.acme.example", 443), ("acme.example", 443))),
    ("apex is the canonical host", "https://acme.example", "acme.example",
     (("acme.example", 443),)),
    ("explicit port carries to the apex", "https://app.acme.example:8443/x", "acme.example",
     (("app.acme.example", 8443), ("acme.example", 8443))),
    ("case and trailing dot", "https://App.Acme.Example./", "ACME.example.",
     (("app.acme.example", 443), ("acme.example", 443))),
    ("http canonical checks 443", "http://app.acme.example:8080/", None,
     (("app.acme.example", 443),)),
    ("apex only", None, "acme.example", (("acme.example", 443),)),
    ("nothing configured", None, None, ()),
]


@pytest.mark.parametrize(("canonical", "domain", "expected"), [t[1:] for t in TARGETS],
                         ids=[t[0] for t in TARGETS])
def test_tls_targets(canonical: str | None, domain: str | None,
                     expected: tuple[tuple[str, int], ...]) -> None:
    assert tls_targets(_config(canonical, domain)) == expected


def test_family_skips_without_targets() -> None:
    assert CertificateChecks().skip_reason(_ctx(_config(None))) is not None
    assert CertificateChecks().skip_reason(_ctx(_config("https://a.test"))) is None


def test_rule_ids_are_in_the_catalog() -> None:
    assert all(rid in BY_ID for rid in CertificateChecks.rule_ids)


# --- TLS003: hostname matching -------------------------------------------------------------------

HOSTNAMES = [
    ("exact", ("app.acme.example",), "app.acme.example", True),
    ("case-insensitive", ("App.ACME.example",), "app.acme.example", True),
    ("wildcard covers one label", ("*.acme.example",), "app.acme.example", True),
    ("wildcard does not cover the apex", ("*.acme.example",), "acme.example", False),
    ("wildcard does not cover two labels", ("*.acme.example",), "a.b.acme.example", False),
    ("no wildcard on a one-label suffix", ("*.example",), "acme.example", False),
    ("other name", ("www.acme.example",), "app.acme.example", False),
    ("IP entry", ("127.0.0.1",), "127.0.0.1", True),
    ("IP does not match a DNS entry", ("localhost",), "127.0.0.1", False),
    ("IPv6 entry", ("::1",), "::1", True),
    ("no names at all", (), "app.acme.example", False),
]


@pytest.mark.parametrize(("sans", "host", "expected"), [h[1:] for h in HOSTNAMES],
                         ids=[h[0] for h in HOSTNAMES])
def test_hostname_covered(sans: tuple[str, ...], host: str, expected: bool) -> None:
    assert hostname_covered(sans, host) is expected


# --- TLS002: expiry thresholds -------------------------------------------------------------------

EXPIRY = [
    # (id, lifetime, time left, expected severity or None)
    ("90-day cert, 40 days left", 90 * DAY, 40 * DAY, None),
    ("90-day cert, exactly 30 days left", 90 * DAY, 30 * DAY, None),
    ("90-day cert, 29 days left", 90 * DAY, 29 * DAY, Severity.MEDIUM),
    ("90-day cert, exactly 14 days left", 90 * DAY, 14 * DAY, Severity.MEDIUM),
    ("90-day cert, 13 days left", 90 * DAY, 13 * DAY, Severity.HIGH),
    ("90-day cert, 1 hour left", 90 * DAY, timedelta(hours=1), Severity.HIGH),
    ("expires right now", 90 * DAY, timedelta(0), Severity.CRITICAL),
    ("expired 5 days ago", 90 * DAY, -5 * DAY, Severity.CRITICAL),
    ("398-day cert, 29 days left: no upscaling", 398 * DAY, 29 * DAY, Severity.MEDIUM),
    ("398-day cert, 31 days left", 398 * DAY, 31 * DAY, None),
    ("45-day cert, 16 days left", 45 * DAY, 16 * DAY, None),
    ("45-day cert, 14 days left: medium under 15", 45 * DAY, 14 * DAY, Severity.MEDIUM),
    ("45-day cert, 6 days left: high under 7", 45 * DAY, 6 * DAY, Severity.HIGH),
    ("6-day cert, 3 days left", 6 * DAY, 3 * DAY, None),
    ("6-day cert, 36 hours left: medium under 2 days", 6 * DAY, timedelta(hours=36),
     Severity.MEDIUM),
    ("6-day cert, 20 hours left: high under 22.4 hours", 6 * DAY, timedelta(hours=20),
     Severity.HIGH),
    ("6-day cert, expired", 6 * DAY, -timedelta(hours=1), Severity.CRITICAL),
]


@pytest.mark.parametrize(("lifetime", "left", "expected"), [e[1:] for e in EXPIRY],
                         ids=[e[0] for e in EXPIRY])
def test_expiry_severity_through_evaluate(lifetime: timedelta, left: timedelta,
                                          expected: Severity | None) -> None:
    findings = _evaluate(_obs(_cert(left=left, lifetime=lifetime)))
    tls002 = [f for f in findings if f.rule_id == "TLS002"]
    if expected is None:
        assert tls002 == []
    else:
        assert [f.severity for f in tls002] == [expected]
    assert [f.rule_id for f in findings if f.rule_id != "TLS002"] == []


def test_short_lived_thresholds_scale_with_lifetime() -> None:
    high, medium = expiry_thresholds(_cert(left=DAY, lifetime=6 * DAY))
    assert high == timedelta(hours=22.4)
    assert medium == 2 * DAY


def test_expiry_evidence_names_date_and_issuer() -> None:
    (finding,) = _evaluate(_obs(_cert(left=-5 * DAY)))
    assert finding.title == "Certificate expired"
    assert "2026-02-24 12:00 (UTC), 5 days ago" in finding.evidence
    assert "issuer CN=Issuing CA" in finding.evidence
    assert "certbot renew" in finding.fix


def test_short_lived_evidence_explains_scaling() -> None:
    (finding,) = _evaluate(_obs(_cert(left=timedelta(hours=20), lifetime=6 * DAY)))
    assert "6 days lifetime" in finding.evidence
    assert "22.4 hours" in finding.evidence


def test_fingerprint_does_not_change_as_days_pass() -> None:
    obs = _obs(_cert(left=25 * DAY))
    (today,) = _evaluate(obs)
    (tomorrow,) = _evaluate(obs, now=NOW + DAY)
    assert today.evidence != tomorrow.evidence
    assert today.fingerprint == tomorrow.fingerprint


def test_an_expiring_intermediate_is_reported() -> None:
    leaf = _cert(left=80 * DAY)
    intermediate = _cert(left=10 * DAY, lifetime=5 * 365 * DAY, subject="CN=Issuing CA",
                         issuer="CN=Root", is_ca=True, sha256="cd" * 32, sans=())
    (finding,) = _evaluate(_obs(leaf, intermediate))
    assert finding.severity is Severity.HIGH
    assert "intermediate CN=Issuing CA" in finding.evidence


def test_not_yet_valid_is_its_own_finding() -> None:
    future = CertInfo(subject="CN=a.test", issuer="CN=Issuing CA", sans=("a.test",),
                      not_before=NOW + 2 * DAY, not_after=NOW + 92 * DAY, serial="1",
                      sha256="ef" * 32, self_signed=False, is_ca=False)
    (finding,) = _evaluate(_obs(future, verdict=TlsVerdict.NOT_YET_VALID))
    assert (finding.rule_id, finding.severity) == ("TLS002", Severity.CRITICAL)
    assert finding.title == "Certificate not yet valid"


# --- TLS003 and TLS004 from hand-made observations ------------------------------------------

TRUST = [
    ("self-signed", TlsVerdict.SELF_SIGNED, "Self-signed certificate"),
    ("incomplete chain", TlsVerdict.INCOMPLETE_CHAIN,
     "Incomplete certificate chain (intermediate missing)"),
    ("untrusted root", TlsVerdict.UNTRUSTED_ROOT, "Certificate chain ends in an untrusted root"),
    ("other verification failure", TlsVerdict.OTHER, "Certificate chain does not verify"),
]


@pytest.mark.parametrize(("verdict", "title"), [t[1:] for t in TRUST], ids=[t[0] for t in TRUST])
def test_trust_verdicts_give_tls004(verdict: TlsVerdict, title: str) -> None:
    (finding,) = _evaluate(_obs(_cert(left=60 * DAY), verdict=verdict, message="why [code]"))
    assert (finding.rule_id, finding.title, finding.severity) == ("TLS004", title,
                                                                   Severity.CRITICAL)


def test_untrusted_self_signed_root_sent_by_the_server_is_named() -> None:
    leaf = _cert(left=60 * DAY, issuer="CN=Private Root")
    root = CertInfo(subject="CN=Private Root", issuer="CN=Private Root", sans=(),
                    not_before=NOW - DAY, not_after=NOW + 3650 * DAY, serial="2",
                    sha256="12" * 32, self_signed=True, is_ca=True)
    (finding,) = _evaluate(_obs(leaf, root, verdict=TlsVerdict.UNTRUSTED_ROOT))
    assert "the self-signed root CN=Private Root" in finding.evidence
    assert "--ca-bundle" in finding.fix


def test_problems_of_one_certificate_are_all_reported() -> None:
    # a self-signed certificate for another name, 3 days from expiry: three findings
    cert = _cert(left=3 * DAY, sans=("other.test",))
    findings = _evaluate(_obs(cert, verdict=TlsVerdict.SELF_SIGNED))
    assert [f.rule_id for f in findings] == ["TLS002", "TLS003", "TLS004"]


def test_wrong_host_verdict_is_reported_even_if_names_look_right() -> None:
    (finding,) = _evaluate(_obs(_cert(left=60 * DAY), verdict=TlsVerdict.WRONG_HOST))
    assert finding.rule_id == "TLS003"


# --- unreachable targets -------------------------------------------------------------------------

HANDSHAKE_FAILURES = [
    ("handshake timeout", "timeout", "no TLS handshake completed within 0.5 s"),
    ("handshake failure", "handshake: [SSL: WRONG_VERSION_NUMBER] wrong version number",
     "TLS handshake with 192.0.2.1:443 failed: [SSL: WRONG_VERSION_NUMBER]"),
]


@pytest.mark.parametrize(("failure", "evidence"), [u[1:] for u in HANDSHAKE_FAILURES],
                         ids=[u[0] for u in HANDSHAKE_FAILURES])
def test_failed_handshake_gives_tls001_only(failure: str, evidence: str) -> None:
    # Given TCP connected but TLS did not complete
    outcome = CertificateChecks().evaluate(
        (_obs(failure=failure, connected=True),), _ctx(_config("https://a.test")))
    (finding,) = outcome.findings
    assert finding.rule_id == "TLS001"
    assert evidence in finding.evidence
    assert finding.target == "https://a.test/"
    assert outcome.errors == {}


CONNECT_FAILURES = [
    ("refused", "refused", "connection refused by 192.0.2.1:443"),
    ("connect timeout", "timeout", "no TCP connection to 192.0.2.1:443 within 0.5 s"),
    ("dns", "dns", "a.test does not resolve"),
    ("unreachable", "unreachable: No route to host", "192.0.2.1:443: unreachable"),
]


@pytest.mark.parametrize(("failure", "reason"), [u[1:] for u in CONNECT_FAILURES],
                         ids=[u[0] for u in CONNECT_FAILURES])
def test_unreachable_target_is_an_error_not_a_finding(failure: str, reason: str) -> None:
    # Given no TCP connection opened: nothing about HTTPS can be judged
    outcome = CertificateChecks().evaluate(
        (_obs(failure=failure, connected=False),), _ctx(_config("https://a.test")))
    assert outcome.findings == ()
    assert set(outcome.errors) == {"TLS001", "TLS002", "TLS003", "TLS004"}
    assert reason in outcome.errors["TLS001"]


def test_one_reachable_target_keeps_the_other_judged() -> None:
    outcome = CertificateChecks().evaluate(
        (_obs(failure="refused", connected=False),
         _obs(_cert(left=60 * DAY), verdict=TlsVerdict.SELF_SIGNED)),
        _ctx(_config("https://a.test")))
    assert [f.rule_id for f in outcome.findings] == ["TLS004"]
    assert "connection refused" in outcome.errors["TLS004"]


# --- the family against the zoo ------------------------------------------------------------------

# case -> (rule ID, title) of the one finding it must produce; None: no finding
ZOO_EXPECTED: dict[str, tuple[str, str] | None] = {
    "valid": None,
    "expiring": ("TLS002", "Certificate expiring soon"),
    "expired": ("TLS002", "Certificate expired"),
    "not-yet-valid": ("TLS002", "Certificate not yet valid"),
    "wrong-host": ("TLS003", "Certificate does not cover the hostname"),
    "self-signed": ("TLS004", "Self-signed certificate"),
    "incomplete-chain": ("TLS004", "Incomplete certificate chain (intermediate missing)"),
    "untrusted-root": ("TLS004", "Certificate chain ends in an untrusted root"),
    "tarpit": ("TLS001", "HTTPS not served"),
    "no-handshake": ("TLS001", "HTTPS not served"),
    "plain-http": ("TLS001", "HTTPS not served"),
}
ZOO_SEVERITY = {"expiring": Severity.HIGH}


def _audit(zoo: CertZoo, canonical: str, domain: str | None = None,
           extra_resolve: dict[tuple[str, int], str] | None = None) -> tuple[Finding, ...]:
    probe = TlsProbe(ca_bundle=zoo.ca_bundle, resolve={**zoo.resolve, **(extra_resolve or {})},
                     timeout=0.3)
    ctx = _ctx(_config(canonical, domain), probe, now=datetime.now(UTC))
    family = CertificateChecks()
    assert family.skip_reason(ctx) is None
    observations = asyncio.run(family.gather(ctx))
    return family.evaluate(observations, ctx).findings


def test_refused_zoo_case_is_an_error(cert_zoo: CertZoo) -> None:
    probe = TlsProbe(ca_bundle=cert_zoo.ca_bundle, resolve=cert_zoo.resolve, timeout=0.3)
    ctx = _ctx(_config(cert_zoo.url("refused")), probe, now=datetime.now(UTC))
    family = CertificateChecks()
    outcome = family.evaluate(asyncio.run(family.gather(ctx)), ctx)
    assert outcome.findings == ()
    assert "connection refused" in outcome.errors["TLS001"]


@pytest.mark.parametrize("case", list(ZOO_EXPECTED), ids=list(ZOO_EXPECTED))
def test_each_zoo_case_gets_its_own_finding(cert_zoo: CertZoo, case: str) -> None:
    # Given the canonical URL is served by the case's server
    findings = _audit(cert_zoo, cert_zoo.url(case))
    # Then exactly the case's finding comes out, aimed at that URL
    expected = ZOO_EXPECTED[case]
    if expected is None:
        assert findings == ()
        return
    (finding,) = findings
    assert (finding.rule_id, finding.title) == expected
    assert finding.severity is ZOO_SEVERITY.get(case, Severity.CRITICAL)
    assert finding.target == f"https://{ZOO_HOST}:{cert_zoo[case].port}/"
    assert finding.evidence and finding.impact and finding.fix


def test_zoo_findings_are_distinct(cert_zoo: CertZoo) -> None:
    # certificate problems differ by rule and title ...
    problems = [c for c in HTTPS_CASES if c != "valid"]
    keys = {(f.rule_id, f.title) for case in problems for f in _audit(cert_zoo, cert_zoo.url(case))}
    assert len(keys) == len(problems)
    # ... and the ways of not serving HTTPS by what the evidence says happened
    unreachable = ("tarpit", "plain-http")
    openings = {" ".join(f.evidence.split()[:3])
                for case in unreachable for f in _audit(cert_zoo, cert_zoo.url(case))}
    assert len(openings) == len(unreachable)


def test_incomplete_chain_is_not_reported_as_untrusted(cert_zoo: CertZoo) -> None:
    (finding,) = _audit(cert_zoo, cert_zoo.url("incomplete-chain"))
    assert "intermediate certificate is missing" in finding.evidence
    assert "fullchain.pem" in finding.fix
    assert "untrusted" not in finding.title.lower()


def test_apex_is_checked_on_the_canonical_port(cert_zoo: CertZoo) -> None:
    # Given the apex resolves to the same server, whose certificate covers only the canonical host
    server = cert_zoo["valid"]
    apex = "launchready.test"
    findings = _audit(cert_zoo, server.url, apex, {(apex, server.port): server.address})
    # Then only the apex is reported, for the hostname
    (finding,) = findings
    assert finding.rule_id == "TLS003"
    assert finding.target == f"https://{apex}:{server.port}/"
    assert ZOO_HOST in finding.evidence
