"""TLS probe: one handshake's facts — the chain as presented, and why it does or does not verify.

The probe opens a TCP connection (honouring curl-style ``--resolve``), then a TLS handshake that
verifies against the trust store (``ca_bundle`` if given, else the system default store), so the
verdict is what OpenSSL-based clients (curl, Python, most SDKs) see. When verification fails, a
second handshake without verification collects the chain the server presents, so the checks can
show what is wrong with it.

OpenSSL reports one verify error, in this order: chain building (self-signed leaf, untrusted root,
missing issuer), then the hostname, then validity dates. The verdict is that first error, mapped
to one :class:`TlsVerdict`. OpenSSL gives one code (20, "unable to get local issuer certificate")
for two different mistakes, which the probe tells apart by the shape of the presented chain:

* the leaf's issuer is not among the presented certificates -> ``INCOMPLETE_CHAIN`` (the server
  forgot its intermediate; the fix is to serve the full chain);
* the presented intermediates link up to a certificate whose issuer is not trusted, or to a
  self-signed root that is not in the store -> ``UNTRUSTED_ROOT`` (the chain is complete but
  leads to a CA the client does not trust).

Expected network outcomes never raise: they come back as an observation with ``failure`` set to
``"timeout"``, ``"refused"``, ``"dns"``, ``"unreachable: <reason>"`` or ``"handshake: <reason>"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import re
import socket
import ssl
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from launchready.probes.dns import DnsProbe, addresses_via
from launchready.probes.trust import ssl_context


class TlsVerdict(enum.StrEnum):
    """Why a presented chain does (``OK``) or does not verify for the host."""

    OK = "ok"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_HOST = "wrong-host"
    SELF_SIGNED = "self-signed"
    INCOMPLETE_CHAIN = "incomplete-chain"
    UNTRUSTED_ROOT = "untrusted-root"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class CertInfo:
    """The facts of one presented certificate. Dates are timezone-aware UTC."""

    subject: str
    issuer: str
    sans: tuple[str, ...]  # DNS names and IP addresses, as written in the certificate
    not_before: datetime
    not_after: datetime
    serial: str  # hexadecimal
    sha256: str  # hexadecimal fingerprint of the DER encoding
    self_signed: bool
    is_ca: bool


@dataclass(frozen=True, kw_only=True)
class TlsObservation:
    """What one handshake attempt to ``host:port`` showed.

    ``connected`` says a TCP connection was opened to ``address`` (when it is False, ``address``
    is the first address tried, if any); the TLS handshake completed when ``failure`` is None,
    and only then are ``verdict`` and ``verify_message`` set.
    """

    host: str
    port: int
    address: str | None
    connected: bool
    failure: str | None
    protocol: str | None = None
    cipher: str | None = None
    chain: tuple[CertInfo, ...] = ()  # as presented, leaf first
    verdict: TlsVerdict | None = None
    verify_message: str | None = None
    elapsed_ms: float = 0.0

    @property
    def leaf(self) -> CertInfo | None:
        """The server's own certificate, when one was presented."""
        return self.chain[0] if self.chain else None


# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h) the verdict distinguishes.
_ERR_UNABLE_TO_GET_ISSUER_CERT = 2
_ERR_CERT_NOT_YET_VALID = 9
_ERR_CERT_HAS_EXPIRED = 10
_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
_ERR_SELF_SIGNED_CERT_IN_CHAIN = 19
_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
_ERR_HOSTNAME_MISMATCH = 62
_ERR_IP_ADDRESS_MISMATCH = 64

_BY_CODE: dict[int, TlsVerdict] = {
    _ERR_CERT_NOT_YET_VALID: TlsVerdict.NOT_YET_VALID,
    _ERR_CERT_HAS_EXPIRED: TlsVerdict.EXPIRED,
    _ERR_DEPTH_ZERO_SELF_SIGNED_CERT: TlsVerdict.SELF_SIGNED,
    _ERR_SELF_SIGNED_CERT_IN_CHAIN: TlsVerdict.UNTRUSTED_ROOT,
    _ERR_HOSTNAME_MISMATCH: TlsVerdict.WRONG_HOST,
    _ERR_IP_ADDRESS_MISMATCH: TlsVerdict.WRONG_HOST,
}
_MISSING_ISSUER = frozenset({_ERR_UNABLE_TO_GET_ISSUER_CERT,
                             _ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                             _ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE})


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key signed ``cert``."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return _issued_by(cert, cert)


def chain_end(chain: Sequence[x509.Certificate]) -> x509.Certificate:
    """Follow issuer links through the presented certificates, from the leaf; return the last.

    Certificates that do not link (sent out of order, or unrelated) are skipped over; each is
    used at most once, so a loop in the presented certificates ends the walk.
    """
    current = chain[0]
    remaining = list(chain[1:])
    while not _self_signed(current):
        parent = next((c for c in remaining if _issued_by(current, c)), None)
        if parent is None:
            break
        remaining.remove(parent)
        current = parent
    return current


def classify(verify_code: int, chain: Sequence[x509.Certificate]) -> TlsVerdict:
    """Map an OpenSSL verify error code and the presented chain to one verdict."""
    if verify_code in _MISSING_ISSUER:
        if not chain:
            return TlsVerdict.INCOMPLETE_CHAIN
        end = chain_end(chain)
        if end is chain[0]:
            # nothing the server sent issued its leaf: the intermediate was left out
            return TlsVerdict.SELF_SIGNED if _self_signed(end) else TlsVerdict.INCOMPLETE_CHAIN
        # the intermediates are there, but the CA they lead to is not trusted
        return TlsVerdict.UNTRUSTED_ROOT
    return _BY_CODE.get(verify_code, TlsVerdict.OTHER)


def cert_info(cert: x509.Certificate) -> CertInfo:
    """The facts of one certificate."""
    sans: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound):
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans.extend(ext.get_values_for_type(x509.DNSName))
        sans.extend(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    is_ca = False
    with contextlib.suppress(x509.ExtensionNotFound):
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        sans=tuple(sans),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial=format(cert.serial_number, "x"),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        self_signed=_self_signed(cert),
        is_ca=is_ca,
    )


def _presented_chain(ssl_object: ssl.SSLObject) -> list[x509.Certificate]:
    """The peer's chain as sent, leaf first, without verifying it.

    Python 3.13 has a public ``get_unverified_chain``; 3.10-3.12 have the same method on the
    private ``_sslobj``. Without either, only the leaf is available.
    """
    items: list[object] | None = None
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        items = list(getter() or ())
    if items is None:
        leaf = ssl_object.getpeercert(binary_form=True)
        items = [leaf] if leaf else []
    chain: list[x509.Certificate] = []
    for item in items:
        with contextlib.suppress(ValueError):
            if isinstance(item, bytes):
                chain.append(x509.load_der_x509_certificate(item))
            else:
                # the private objects export PEM text by default
                pem = str(item.public_bytes())  # type: ignore[attr-defined]
                chain.append(x509.load_pem_x509_certificate(pem.encode("ascii")))
    return chain


_SSL_LOCATION = re.compile(r"\s*\(_ssl\.c:\d+\)$")


def _handshake_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLEOFError | ConnectionResetError | BrokenPipeError):
        return "connection closed by the server during the handshake"
    return _SSL_LOCATION.sub("", str(exc)) or type(exc).__name__


@dataclass
class _Attempt:
    """Mutable record of one connection attempt, filled in as it progresses."""

    address: str | None = None
    connected: bool = False
    failure: str | None = None
    protocol: str | None = None
    cipher: str | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    verify_code: int | None = None
    verify_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class VersionObservation:
    """Whether ``host:port`` completed a handshake limited to one protocol ``version``.

    ``accepted`` is None when it could not be tested: no TCP connection (``failure`` is
    ``"timeout"``, ``"refused"``, ``"dns"`` or ``"unreachable: ..."``), the server stalled, or this
    client's OpenSSL cannot offer the version at all (``failure`` starts ``"client: "``).
    """

    host: str
    port: int
    version: str  # "TLSv1", "TLSv1.1", ... as OpenSSL names them
    accepted: bool | None
    failure: str | None = None
    cipher: str | None = None
    detail: str | None = None  # the server's refusal, e.g. "tlsv1 alert protocol version"
    elapsed_ms: float = 0.0


#: versions the protocol test can pin, by OpenSSL name
_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def _pinned_context(version: str) -> ssl.SSLContext:
    """A non-verifying client context that offers exactly ``version``.

    OpenSSL 3 refuses TLS 1.0/1.1 at its default security level (and distributions raise the
    minimum version in openssl.cnf), so the context pins both bounds explicitly and lowers the
    cipher security level to 0: the point is to learn what the *server* accepts.
    """
    if version not in _VERSIONS:
        raise ValueError(f"unknown TLS version {version!r}; use one of {', '.join(_VERSIONS)}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # Python deprecates the TLSv1/TLSv1_1 members; testing for them is exactly the use case
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = _VERSIONS[version]
        context.maximum_version = _VERSIONS[version]
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


# OpenSSL reasons that mean this client could not build a ClientHello for the version at all
_CLIENT_CANNOT = ("no protocols available", "no ciphers available")


def _normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


class TlsProbe:
    """Asynchronous TLS handshakes with explicit timeouts and a per-host concurrency cap."""

    def __init__(self, *, ca_bundle: str | None = None,
                 resolve: Mapping[tuple[str, int], str] | None = None,
                 timeout: float = 10.0, per_host: int = 4,
                 dns: DnsProbe | None = None) -> None:
        """``dns``: resolve names through this probe (the configured resolver) instead of
        the system resolver; ``resolve`` entries win over both."""
        self._dns = dns
        self._verifying = ssl_context(ca_bundle)
        # collects the presented chain when verification failed; never used to trust anything
        self._collecting = ssl.create_default_context()
        self._collecting.check_hostname = False
        self._collecting.verify_mode = ssl.CERT_NONE
        self._resolve = {(_normalise_host(h), p): _normalise_host(a)
                         for (h, p), a in (resolve or {}).items()}
        self._timeout = timeout
        self._per_host = max(1, per_host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}

    @property
    def timeout(self) -> float:
        """Seconds allowed for connect plus handshake, per connection.

        A handshake whose verification fails opens a second connection to collect the chain,
        so one :meth:`handshake` call takes at most twice this.
        """
        return self._timeout

    def _slot(self, host: str) -> asyncio.Semaphore:
        # semaphores belong to one event loop; a probe reused under a new loop starts afresh
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._slots = loop, {}
        if host not in self._slots:
            self._slots[host] = asyncio.Semaphore(self._per_host)
        return self._slots[host]

    async def handshake(self, host: str, port: int = 443) -> TlsObservation:
        """Connect to ``host:port``, handshake, verify; never raises for network outcomes."""
        started = time.perf_counter()
        name = _normalise_host(host)
        async with self._slot(name):
            first = await self._attempt(name, port, verify=True)
            shown = first
            if first.verify_code is not None:
                shown = await self._attempt(name, port, verify=False)
        verdict: TlsVerdict | None = None
        message: str | None = None
        if first.failure is None:
            if first.verify_code is None:
                verdict = TlsVerdict.OK
            else:
                verdict = classify(first.verify_code, shown.chain)
                message = f"{first.verify_message} [OpenSSL verify error {first.verify_code}]"
        return TlsObservation(
            host=name, port=port, address=first.address, connected=first.connected,
            failure=first.failure, protocol=shown.protocol, cipher=shown.cipher,
            chain=tuple(cert_info(c) for c in shown.chain),
            verdict=verdict, verify_message=message,
            elapsed_ms=(time.perf_counter() - started) * 1000)

    async def accepts_version(self, host: str, port: int, version: str) -> VersionObservation:
        """Handshake with ``host:port`` offering only ``version`` (``"TLSv1"``, ``"TLSv1.1"``...).

        Certificates are not verified: only whether the server agrees to the version counts.
        Never raises for network outcomes; an unknown ``version`` is a ``ValueError``.
        """
        context = _pinned_context(version)
        started = time.perf_counter()
        name = _normalise_host(host)
        attempt = _Attempt()
        accepted: bool | None = None
        detail: str | None = None
        writer: asyncio.StreamWriter | None = None
        async with self._slot(name):
            try:
                async with asyncio.timeout(self._timeout):
                    _, writer = await self._connect(name, port, attempt)
                    await writer.start_tls(context, server_hostname=name,
                                           ssl_handshake_timeout=self._timeout + 1)
                ssl_object = writer.get_extra_info("ssl_object")
                if isinstance(ssl_object, ssl.SSLObject):
                    cipher = ssl_object.cipher()
                    attempt.cipher = cipher[0] if cipher else None
                    accepted = ssl_object.version() == version
            except TimeoutError:
                attempt.failure = attempt.failure or "timeout"
            except (ssl.SSLError, OSError) as exc:
                if attempt.failure is None:
                    reason = _handshake_reason(exc)
                    if attempt.connected and not any(c in reason for c in _CLIENT_CANNOT):
                        # the server refused the version: an alert, or closing the connection
                        accepted, detail = False, reason
                    else:
                        attempt.failure = f"client: {reason}" if attempt.connected else (
                            f"handshake: {reason}")
            finally:
                if writer is not None:
                    writer.transport.abort()
                    await asyncio.sleep(0)
        return VersionObservation(
            host=name, port=port, version=version, accepted=accepted, failure=attempt.failure,
            cipher=attempt.cipher, detail=detail,
            elapsed_ms=(time.perf_counter() - started) * 1000)

    async def _addresses(self, host: str, port: int) -> list[str]:
        mapped = self._resolve.get((host, port))
        if mapped is not None:
            return [mapped]
        with contextlib.suppress(ValueError):
            return [str(ipaddress.ip_address(host))]
        if self._dns is not None:
            found = await addresses_via(self._dns, host)
            if not found:
                raise socket.gaierror(socket.EAI_NONAME, f"{host} does not resolve")
            return found
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM)
        seen: list[str] = []
        for *_, sockaddr in infos:
            addr = str(sockaddr[0])
            if addr not in seen:
                seen.append(addr)
        return seen

    async def _connect(self, host: str, port: int, attempt: _Attempt,
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            addresses = await self._addresses(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            # UnicodeError: the name cannot even be encoded for a lookup (e.g. a label > 63)
            attempt.failure = "dns"
            raise OSError(str(exc)) from exc
        errors: list[OSError] = []
        for addr in addresses:
            try:
                reader, writer = await asyncio.open_connection(addr, port)
            except OSError as exc:
                errors.append(exc)
                attempt.address = attempt.address or addr  # the first address tried
                continue
            attempt.address, attempt.connected = addr, True
            return reader, writer
        if not errors:
            attempt.failure = "dns"
        elif any(isinstance(e, TimeoutError) for e in errors):
            attempt.failure = "timeout"
        elif any(isinstance(e, ConnectionRefusedError) for e in errors):
            attempt.failure = "refused"
        else:
            attempt.failure = f"unreachable: {errors[0].strerror or errors[0]}"
        raise errors[0] if errors else OSError(f"{host} has no address")

    async def _attempt(self, host: str, port: int, *, verify: bool) -> _Attempt:
        attempt = _Attempt()
        context = self._verifying if verify else self._collecting
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(self._timeout):
                _, writer = await self._connect(host, port, attempt)
                # the enclosing deadline ends connect + handshake; asyncio's own handshake
                # timeout is only a backstop, set later so it never wins the race
                await writer.start_tls(context, server_hostname=host,
                                       ssl_handshake_timeout=self._timeout + 1)
            ssl_object = writer.get_extra_info("ssl_object")
            if isinstance(ssl_object, ssl.SSLObject):
                attempt.protocol = ssl_object.version()
                cipher = ssl_object.cipher()
                attempt.cipher = cipher[0] if cipher else None
                attempt.chain = _presented_chain(ssl_object)
        except TimeoutError:
            attempt.failure = "timeout"
        except ssl.SSLCertVerificationError as exc:
            attempt.verify_code = exc.verify_code
            attempt.verify_message = exc.verify_message
        except (ssl.SSLError, OSError) as exc:
            if attempt.failure is None:
                attempt.failure = f"handshake: {_handshake_reason(exc)}"
        finally:
            if writer is not None:
                # a probe need not wait for the server's close_notify; abort frees the socket now
                writer.transport.abort()
                await asyncio.sleep(0)
        return attempt
