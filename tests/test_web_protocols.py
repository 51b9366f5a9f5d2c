"""TLS005: deprecated protocol versions, against real nginx and the certificate zoo."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from certzoo import CertZoo
from launchready.checks.base import Context
from launchready.checks.web.protocols import ProtocolObservation, ProtocolVersions
from launchready.config.models import Config
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report, Severity
from launchready.probes.tls import TlsProbe, VersionObservation
from nginxharness import NginxFactory

HOST = "app.acme.test"


def _audit(https: int, ca_bundle: str) -> Report:
    config = Config.model_validate({
        "app": {"canonical": f"https://{HOST}:{https}"},
        "network": {"resolve": [f"{HOST}:{https}:127.0.0.1"], "ca_bundle": ca_bundle,
                    "timeout": 3},
    })
    return asyncio.run(arun_audit(config, families=[ProtocolVersions()]))


def _site(nginx_factory: NginxFactory, protocols: str) -> tuple[int, str]:
    ng = nginx_factory()
    https = ng.port()
    ng.start(f"""
        server {{
            listen 127.0.0.1:{https} ssl; server_name {HOST}; {ng.tls(HOST)}
            {protocols}
            return 200 'ok';
        }}""")
    return https, str(ng.ca_bundle)


def test_old_versions_accepted_is_tls005(nginx_factory: NginxFactory) -> None:
    # Given nginx that still allows TLS 1.0 and 1.1 (and ciphers that make them usable)
    https, bundle = _site(nginx_factory, "ssl_protocols TLSv1 TLSv1.1 TLSv1.2; "
                                         "ssl_ciphers DEFAULT:@SECLEVEL=0;")
    # When TLS005 runs
    report = _audit(https, bundle)
    # Then one medium finding names both versions
    (finding,) = report.findings
    assert finding.rule_id == "TLS005"
    assert finding.severity is Severity.MEDIUM
    assert finding.title == "TLS 1.0 and TLS 1.1 accepted"
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in finding.fix
    (table,) = report.tables
    assert table.rows == ((f"https://{HOST}:{https}/", "accepted", "accepted"),)


def test_only_tls11_accepted(nginx_factory: NginxFactory) -> None:
    https, bundle = _site(nginx_factory, "ssl_protocols TLSv1.1 TLSv1.2; "
                                         "ssl_ciphers DEFAULT:@SECLEVEL=0;")
    (finding,) = _audit(https, bundle).findings
    assert finding.title == "TLS 1.1 accepted"


def test_modern_versions_only_pass(nginx_factory: NginxFactory) -> None:
    https, bundle = _site(nginx_factory, "ssl_protocols TLSv1.2 TLSv1.3;")
    report = _audit(https, bundle)
    assert report.findings == ()
    assert [c.status for c in report.checks] == [CheckStatus.PASS]
    (table,) = report.tables
    assert table.rows[0][1:] == ("refused", "refused")


@pytest.mark.parametrize("case", ["tarpit", "no-handshake"])
def test_stalling_server_is_untested_at_the_timeout(cert_zoo: CertZoo, case: str) -> None:
    probe = TlsProbe(resolve=cert_zoo.resolve, timeout=0.4)
    server = cert_zoo[case]
    obs = asyncio.run(probe.accepts_version(server.host, server.port, "TLSv1"))
    assert obs.accepted is None
    assert obs.failure == "timeout"
    assert obs.elapsed_ms < 2000


def test_refused_port_is_untested(cert_zoo: CertZoo) -> None:
    probe = TlsProbe(resolve=cert_zoo.resolve, timeout=0.5)
    server = cert_zoo["refused"]
    obs = asyncio.run(probe.accepts_version(server.host, server.port, "TLSv1.1"))
    assert (obs.accepted, obs.failure) == (None, "refused")


def test_zoo_server_accepts_tls12(cert_zoo: CertZoo) -> None:
    probe = TlsProbe(resolve=cert_zoo.resolve, timeout=2)
    server = cert_zoo["valid"]
    obs = asyncio.run(probe.accepts_version(server.host, server.port, "TLSv1.2"))
    assert obs.accepted is True
    assert obs.cipher


def test_unknown_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown TLS version"):
        asyncio.run(TlsProbe().accepts_version("127.0.0.1", 1, "SSLv3"))


def _version(version: str, accepted: bool | None, failure: str | None = None,
             ) -> VersionObservation:
    return VersionObservation(host=HOST, port=443, version=version, accepted=accepted,
                              failure=failure)


EVALUATE = [
    ("both refused", (False, False), None, False),
    ("TLS 1.0 only", (True, False), "TLS 1.0 accepted", False),
    ("both accepted", (True, True), "TLS 1.0 and TLS 1.1 accepted", False),
    ("untested", (None, None), None, True),
    ("one untested, one accepted", (None, True), "TLS 1.1 accepted", False),
]


@pytest.mark.parametrize(("accepted", "title", "error"), [e[1:] for e in EVALUATE],
                         ids=[e[0] for e in EVALUATE])
def test_evaluate(accepted: tuple[bool | None, bool | None], title: str | None,
                  error: bool) -> None:
    obs = (ProtocolObservation(host=HOST, port=443, versions=(
        _version("TLSv1", accepted[0], None if accepted[0] is not None else "timeout"),
        _version("TLSv1.1", accepted[1], None if accepted[1] is not None else "timeout"))),)
    ctx = Context(loaded=cast(Any, None), probes=cast(Any, None), environ={},
                  now=datetime.now(UTC), timeout=5)
    outcome = ProtocolVersions().evaluate(obs, ctx)
    assert [f.title for f in outcome.findings] == ([title] if title else [])
    assert ("TLS005" in outcome.errors) is error
