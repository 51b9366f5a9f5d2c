"""The trust store for HTTPS and TLS probes: the system's, or the configured CA bundle."""

from __future__ import annotations

import re
import ssl

from launchready.errors import ConfigError
from launchready.probes.files import CA_BUNDLE_LIMIT, UnreadableFile, read_capped

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]{1,65536}?"
                       rb"-----END CERTIFICATE-----")


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A verifying client context trusting ``ca_bundle`` (or the system store).

    The bundle is read as a capped regular file (never handed to OpenSSL as a path, which
    would read a device forever); :class:`ConfigError` naming ``network.ca_bundle`` when it
    cannot be used.
    """
    if not ca_bundle:
        return ssl.create_default_context()
    fix = "point it at a readable PEM file of CA certificates"
    try:
        data = read_capped(ca_bundle, limit=CA_BUNDLE_LIMIT, what=f"CA bundle {ca_bundle}")
    except UnreadableFile as exc:
        raise ConfigError(str(exc), key="network.ca_bundle", fix=fix) from None
    # only the certificate blocks: the comments of common bundles are not ASCII
    pem = b"\n".join(m.group(0) for m in _PEM_CERT.finditer(data))
    try:
        return ssl.create_default_context(cadata=pem.decode("ascii") if pem else data)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"cannot load CA bundle {ca_bundle!r}: {exc}",
                          key="network.ca_bundle", fix=fix) from None
