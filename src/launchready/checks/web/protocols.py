"""TLS005 — does the server still accept TLS 1.0 or TLS 1.1?

What: for the canonical host and the apex (the same targets as TLS001–TLS004), one handshake
offering only TLS 1.0 and one offering only TLS 1.1. The client pins both protocol bounds and
drops OpenSSL's security level to 0, so it can offer what a 2010 client would; certificates are
not verified, only the server's agreement to the version counts. A server that answers with a
``protocol_version`` alert or closes the connection refuses the version.

Why: RFC 8996 deprecates both versions (no SHA-256 suites, weak handshake hashes); PCI DSS
forbids them, and buyers' security questionnaires and scanners (SSL Labs caps the grade at B)
flag them on the first look.

Fix: allow only TLS 1.2 and 1.3 — nginx ``ssl_protocols TLSv1.2 TLSv1.3;``, Apache
``SSLProtocol -all +TLSv1.2 +TLSv1.3``, or the CDN's "minimum TLS version: 1.2" setting — then
reload and re-run.

Pass: ``ssl_protocols TLSv1.2 TLSv1.3;`` (both old versions refused). Fail: nginx with
``ssl_protocols TLSv1 TLSv1.1 TLSv1.2;`` and a cipher list that still allows them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.tls.certificate import target_url, tls_targets
from launchready.model import Finding, Table
from launchready.probes.tls import VersionObservation

#: the deprecated versions tested, by OpenSSL name (RFC 8996)
DEPRECATED = ("TLSv1", "TLSv1.1")
_SHOWN = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1"}


@dataclass(frozen=True, kw_only=True)
class ProtocolObservation:
    """The deprecated-version handshakes with one target."""

    host: str
    port: int
    versions: tuple[VersionObservation, ...]


def _finding(obs: ProtocolObservation) -> Finding | None:
    accepted = [v for v in obs.versions if v.accepted]
    if not accepted:
        return None
    names = " and ".join(_SHOWN.get(v.version, v.version) for v in accepted)
    detail = "; ".join(f"{_SHOWN.get(v.version, v.version)} handshake completed"
                       f"{f' with {v.cipher}' if v.cipher else ''}" for v in accepted)
    return make_finding(
        meta("TLS005"), target=target_url(obs.host, obs.port),
        identity="+".join(v.version for v in accepted),
        title=f"{names} accepted",
        evidence=f"{detail} (client offering only that version)",
        impact=("Security scanners and buyers' questionnaires flag deprecated TLS (RFC 8996) "
                "at first look, and old clients get a weakly protected connection."),
        fix=("Allow only TLS 1.2 and 1.3: nginx `ssl_protocols TLSv1.2 TLSv1.3;` in the "
             "`http` block (and every server block that sets its own), Apache `SSLProtocol -all "
             "+TLSv1.2 +TLSv1.3`, or the CDN's minimum TLS version 1.2; reload, then confirm "
             f"with `openssl s_client -connect {obs.host}:{obs.port} -tls1_1` failing."))


def _cell(version: VersionObservation) -> str:
    if version.accepted is None:
        return f"not tested ({version.failure})"
    return "accepted" if version.accepted else "refused"


class ProtocolVersions(CheckFamily[tuple[ProtocolObservation, ...]]):
    """TLS005 over the canonical host and the apex."""

    rule_ids = ("TLS005",)

    def skip_reason(self, ctx: Context) -> str | None:
        if tls_targets(ctx.config):
            return None
        return "no [app] canonical or domain to check (set canonical = \"https://...\")"

    async def gather(self, ctx: Context) -> tuple[ProtocolObservation, ...]:
        probe = ctx.probes.tls

        async def one(host: str, port: int) -> ProtocolObservation:
            versions = await asyncio.gather(
                *(probe.accepts_version(host, port, v) for v in DEPRECATED))
            return ProtocolObservation(host=host, port=port, versions=tuple(versions))

        return tuple(await asyncio.gather(*(one(h, p) for h, p in tls_targets(ctx.config))))

    def evaluate(self, obs: tuple[ProtocolObservation, ...], ctx: Context) -> Outcome:
        findings = [f for f in (_finding(o) for o in obs) if f is not None]
        untested = [(o, v) for o in obs for v in o.versions if v.accepted is None]
        errors: dict[str, str] = {}
        if untested and not findings:
            errors["TLS005"] = "could not test " + "; ".join(
                f"{_SHOWN.get(v.version, v.version)} on {target_url(o.host, o.port)}: "
                f"{v.failure}" for o, v in untested)
        table = Table(title="Deprecated TLS versions",
                      columns=("target", *(_SHOWN[v] for v in DEPRECATED)),
                      rows=tuple((target_url(o.host, o.port), *(_cell(v) for v in o.versions))
                                 for o in obs))
        return Outcome(findings=tuple(findings), tables=(table,) if obs else (), errors=errors)
