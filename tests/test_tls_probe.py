"""The TLS probe against the certificate zoo: one distinct verdict per certificate problem."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from certzoo import (
    HTTPS_CASES,
    ZOO_HOST,
    CertZoo,
)
from launchready.demo.ca import ThrowawayCA
from launchready.errors import ConfigError
from launchready.probes.tls import TlsObservation, TlsProbe, TlsVerdict, classify

SHORT = 0.5  # seconds: the timeout the stalling servers must hit

EXPECTED_VERDICT = {
    "valid": TlsVerdict.OK,
    "expiring": TlsVerdict.OK,
    "expired": TlsVerdict.EXPIRED,
    "not-yet-valid": TlsVerdict.NOT_YET_VALID,
    "wrong-host": TlsVerdict.WRONG_HOST,
    "self-signed": TlsVerdict.SELF_SIGNED,
    "incomplete-chain": TlsVerdict.INCOMPLETE_CHAIN,
    "untrusted-root": TlsVerdict.UNTRUSTED_ROOT,
}


def _probe(zoo: CertZoo, **kwargs: object) -> TlsProbe:
    options: dict[str, object] = {"ca_bundle": zoo.ca_bundle, "resolve": zoo.resolve,
                                  "timeout": SHORT}
    options.update(kwargs)
    return TlsProbe(**options)  # type: ignore[arg-type]


def _handshake(probe: TlsProbe, zoo: CertZoo, case: str) -> TlsObservation:
    server = zoo[case]
    return asyncio.run(probe.handshake(server.host, server.port))


def test_every_https_case_has_an_expected_verdict() -> None:
    assert set(EXPECTED_VERDICT) == set(HTTPS_CASES)


@pytest.mark.parametrize("case", sorted(EXPECTED_VERDICT), ids=sorted(EXPECTED_VERDICT))
def test_each_zoo_case_gets_its_verdict(cert_zoo: CertZoo, case: str) -> None:
    # Given a server presenting the case's certificate, reached through --resolve
    # When the probe handshakes with it as zoo.launchready.test
    obs = _handshake(_probe(cert_zoo), cert_zoo, case)
    # Then the handshake completes and the verdict names the case's problem
    assert obs.failure is None
    assert obs.connected and obs.address == "127.0.0.1"
    assert obs.verdict is EXPECTED_VERDICT[case]
    assert obs.chain, "the presented chain is collected even when it does not verify"
    assert obs.protocol in ("TLSv1.2", "TLSv1.3")
    assert obs.cipher
    assert (obs.verify_message is None) == (obs.verdict is TlsVerdict.OK)


def test_problem_verdicts_are_all_distinct(cert_zoo: CertZoo) -> None:
    problems = [c for c, v in EXPECTED_VERDICT.items() if v is not TlsVerdict.OK]
    probe = _probe(cert_zoo)

    async def run() -> list[TlsObservation]:
        return list(await asyncio.gather(
            *(probe.handshake(cert_zoo[c].host, cert_zoo[c].port) for c in problems)))

    verdicts = [o.verdict for o in asyncio.run(run())]
    assert len(set(verdicts)) == len(problems)


def test_chain_facts_of_a_valid_server(cert_zoo: CertZoo) -> None:
    obs = _handshake(_probe(cert_zoo), cert_zoo, "valid")
    issued = cert_zoo["valid"].issued
    assert issued is not None
    leaf, intermediate = obs.chain
    assert leaf.sans == (ZOO_HOST,)
    assert leaf.sha256 == issued.cert.fingerprint(hashes.SHA256()).hex()
    assert leaf.serial == format(issued.cert.serial_number, "x")
    assert leaf.not_after == issued.cert.not_valid_after_utc
    assert leaf.not_after.tzinfo is not None and leaf.not_after.utcoffset() == dt.timedelta(0)
    assert not leaf.is_ca and not leaf.self_signed
    assert intermediate.is_ca and not intermediate.self_signed
    assert leaf.issuer == intermediate.subject
    assert "CN=" in leaf.subject


def test_incomplete_chain_presents_the_leaf_alone(cert_zoo: CertZoo) -> None:
    obs = _handshake(_probe(cert_zoo), cert_zoo, "incomplete-chain")
    assert len(obs.chain) == 1
    assert obs.verify_message is not None and "20" in obs.verify_message


def test_self_signed_leaf_is_marked(cert_zoo: CertZoo) -> None:
    obs = _handshake(_probe(cert_zoo), cert_zoo, "self-signed")
    assert obs.chain[0].self_signed


@pytest.mark.parametrize("case", ["tarpit", "no-handshake"], ids=["tarpit", "no-handshake"])
def test_stalling_servers_time_out_at_the_timeout(cert_zoo: CertZoo, case: str) -> None:
    # Given a server that accepts TCP but never completes a handshake
    started = time.perf_counter()
    obs = _handshake(_probe(cert_zoo), cert_zoo, case)
    elapsed = time.perf_counter() - started
    # Then the probe gives up at its timeout, saying so, with TCP connected
    assert obs.failure == "timeout"
    assert obs.connected
    assert obs.verdict is None and obs.chain == ()
    assert SHORT * 0.9 <= elapsed < SHORT + 0.75


def test_refused_port(cert_zoo: CertZoo) -> None:
    obs = _handshake(_probe(cert_zoo), cert_zoo, "refused")
    assert obs.failure == "refused"
    assert not obs.connected
    assert obs.verdict is None


def test_plain_http_port_fails_the_handshake(cert_zoo: CertZoo) -> None:
    obs = _handshake(_probe(cert_zoo), cert_zoo, "plain-http")
    assert obs.connected
    assert obs.failure is not None and obs.failure.startswith("handshake: ")
    assert "_ssl.c" not in obs.failure


def test_unresolvable_name_is_a_dns_failure() -> None:
    # a 64-character label cannot be looked up at all, so this never leaves the machine
    obs = asyncio.run(TlsProbe(timeout=SHORT).handshake("a" * 64 + ".test", 443))
    assert obs.failure == "dns"
    assert not obs.connected and obs.address is None


def test_system_store_does_not_trust_the_throwaway_ca(cert_zoo: CertZoo) -> None:
    # Without ca_bundle the system store is used, which has never heard of the zoo's root
    obs = _handshake(TlsProbe(resolve=cert_zoo.resolve, timeout=SHORT), cert_zoo, "valid")
    assert obs.verdict is TlsVerdict.UNTRUSTED_ROOT


def test_unreadable_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"network\.ca_bundle"):
        TlsProbe(ca_bundle=str(tmp_path / "missing.pem"))


def test_per_host_cap_serialises_handshakes(cert_zoo: CertZoo) -> None:
    # Two handshakes to one stalling host: with a cap of 1 the second waits for the first
    tarpit = cert_zoo["tarpit"]
    timeout = 0.2

    def both(per_host: int) -> float:
        probe = _probe(cert_zoo, timeout=timeout, per_host=per_host)

        async def run() -> None:
            await asyncio.gather(probe.handshake(tarpit.host, tarpit.port),
                                 probe.handshake(tarpit.host, tarpit.port))

        started = time.perf_counter()
        asyncio.run(run())
        return time.perf_counter() - started

    assert both(1) >= 2 * timeout * 0.9
    assert both(2) < 2 * timeout * 0.9


def test_probe_survives_a_new_event_loop(cert_zoo: CertZoo) -> None:
    probe = _probe(cert_zoo)
    assert _handshake(probe, cert_zoo, "valid").verdict is TlsVerdict.OK
    assert _handshake(probe, cert_zoo, "valid").verdict is TlsVerdict.OK


# --- classify: the pure mapping from OpenSSL's code and the presented chain ----------------------

def _intermediate(ca: ThrowawayCA) -> x509.Certificate:
    if ca.intermediate is None:
        raise AssertionError("the CA was made with an intermediate")
    return ca.intermediate


_CA = ThrowawayCA("classify root")
_OTHER = ThrowawayCA("classify untrusted root")
_LEAF = _CA.issue(["a.test"]).cert
_FOREIGN = _OTHER.issue(["a.test"]).cert
_SELF = ThrowawayCA.self_signed(["a.test"]).cert

CLASSIFY_CASES: list[tuple[str, int, tuple[x509.Certificate, ...], TlsVerdict]] = [
    ("leaf alone, issuer unknown", 20, (_LEAF,), TlsVerdict.INCOMPLETE_CHAIN),
    ("leaf alone, code 21", 21, (_LEAF,), TlsVerdict.INCOMPLETE_CHAIN),
    ("no chain collected", 20, (), TlsVerdict.INCOMPLETE_CHAIN),
    ("leaf and intermediate, root unknown", 20, (_FOREIGN, _intermediate(_OTHER)),
     TlsVerdict.UNTRUSTED_ROOT),
    ("out of order, with an unrelated extra", 2,
     (_FOREIGN, _CA.root, _intermediate(_OTHER)), TlsVerdict.UNTRUSTED_ROOT),
    ("untrusted root sent too", 19, (_FOREIGN, _intermediate(_OTHER), _OTHER.root),
     TlsVerdict.UNTRUSTED_ROOT),
    ("leaf with an unrelated intermediate", 20, (_FOREIGN, _intermediate(_CA)),
     TlsVerdict.INCOMPLETE_CHAIN),
    ("self-signed leaf", 18, (_SELF,), TlsVerdict.SELF_SIGNED),
    ("expired", 10, (_LEAF,), TlsVerdict.EXPIRED),
    ("not yet valid", 9, (_LEAF,), TlsVerdict.NOT_YET_VALID),
    ("hostname mismatch", 62, (_LEAF,), TlsVerdict.WRONG_HOST),
    ("IP mismatch", 64, (_LEAF,), TlsVerdict.WRONG_HOST),
    ("invalid purpose", 26, (_LEAF,), TlsVerdict.OTHER),
]


@pytest.mark.parametrize(("code", "chain", "expected"), [c[1:] for c in CLASSIFY_CASES],
                         ids=[c[0] for c in CLASSIFY_CASES])
def test_classify(code: int, chain: tuple[x509.Certificate, ...], expected: TlsVerdict) -> None:
    assert classify(code, chain) is expected
