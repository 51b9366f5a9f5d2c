"""A throwaway certificate authority, made in memory at start-up.

Used by the demo (its HTTPS servers) and by the test-suite's certificate zoo. Keys are EC P-256
so issuing is fast; nothing here is meant to protect anything real.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = dt.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "launchready throwaway"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass(frozen=True, kw_only=True)
class IssuedCert:
    """A leaf certificate with its key and the chain a server should present."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]  # certificates to send after the leaf

    @property
    def chain_pem(self) -> bytes:
        """Leaf followed by the presented chain, PEM."""
        return _pem(self.cert) + b"".join(_pem(c) for c in self.chain)

    @property
    def key_pem(self) -> bytes:
        """The private key, PEM (unencrypted)."""
        return _key_pem(self.key)

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.crt`` (leaf + chain) and ``stem.key``; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        crt, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        crt.write_bytes(self.chain_pem)
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return crt, key


class ThrowawayCA:
    """A root (optionally with an intermediate) that issues leaf certificates on demand."""

    def __init__(self, common_name: str = "launchready throwaway root", *,
                 with_intermediate: bool = True, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._ca_cert(common_name, self.root_key, None, None)
        self.intermediate_key: ec.EllipticCurvePrivateKey | None = None
        self.intermediate: x509.Certificate | None = None
        if with_intermediate:
            self.intermediate_key = ec.generate_private_key(ec.SECP256R1())
            self.intermediate = self._ca_cert(f"{common_name} intermediate",
                                              self.intermediate_key, self.root, self.root_key)

    @property
    def root_pem(self) -> bytes:
        """The root certificate, PEM: what a client's CA bundle holds."""
        return _pem(self.root)

    def write_root(self, path: Path) -> Path:
        """Write the root certificate as a CA bundle file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.root_pem)
        return path

    def _ca_cert(self, cn: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
                 issuer_key: ec.EllipticCurvePrivateKey | None) -> x509.Certificate:
        subject = _name(cn)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - _DAY)
            .not_valid_after(self.now + 3650 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
                critical=False)
        return builder.sign(issuer_key or key, hashes.SHA256())

    def issue(self, hostnames: Sequence[str], *, not_before: dt.datetime | None = None,
              not_after: dt.datetime | None = None, days: int = 90,
              include_chain: bool = True) -> IssuedCert:
        """Issue a leaf for ``hostnames`` (DNS names or IP literals).

        ``include_chain=False`` leaves the intermediate out of the presented chain, making an
        "incomplete chain" server.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        signer_cert = self.intermediate or self.root
        signer_key = self.intermediate_key or self.root_key
        start = not_before or (self.now - _DAY)
        end = not_after or (start + days * _DAY)
        sans: list[x509.GeneralName] = []
        for host in hostnames:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hostnames[0] if hostnames else "leaf"))
            .issuer_name(signer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_cert.public_key()),  # type: ignore[arg-type]
                critical=False)
            .sign(signer_key, hashes.SHA256())
        )
        chain = (self.intermediate,) if (self.intermediate and include_chain) else ()
        return IssuedCert(cert=cert, key=key, chain=chain)

    @staticmethod
    def self_signed(hostnames: Sequence[str], *, days: int = 90) -> IssuedCert:
        """A self-signed leaf for ``hostnames`` (no CA at all)."""
        ca = ThrowawayCA(hostnames[0] if hostnames else "self-signed", with_intermediate=False)
        # the "root" itself is the leaf: re-issue it with SANs and CA=False
        key = ca.root_key
        sans: list[x509.GeneralName] = []
        for host in hostnames:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        name = _name(hostnames[0] if hostnames else "self-signed")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(ca.now - _DAY).not_valid_after(ca.now + days * _DAY)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return IssuedCert(cert=cert, key=key, chain=())
