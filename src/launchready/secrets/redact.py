"""Masking and hashing of secret values: the only forms in which a value ever leaves the scanner.

A value is shown as at most a short known prefix and its last four characters
(``sk_live_****3xQ9``); values shorter than 16 characters show no tail at all, because four
characters of an eight-character password are half of it. Hashes are salted HMAC-SHA256 so a
baseline or fingerprint never lets anyone test a guess with a plain SHA-256 of a known key.
"""

from __future__ import annotations

import hashlib
import hmac

# A fixed application salt: fingerprints must be stable across runs and machines (baselines are
# committed), so the salt cannot be random; it still stops plain-hash dictionary look-ups.
_SALT = b"launchready/secret-fingerprint/v1"
_MAX_PREFIX = 12
_STARS = "****"


def value_hash(value: bytes | str) -> str:
    """Salted hash of a secret value (hex, 32 characters); equal values give equal hashes."""
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hmac.new(_SALT, raw, hashlib.sha256).hexdigest()[:32]


def mask(value: bytes | str, *, prefix: int = 0) -> str:
    """``value`` with everything hidden except ``prefix`` leading and 4 trailing characters.

    ``prefix`` is the length of the rule's public literal prefix (``sk_live_``, ``ghp_``,
    ``AKIA``); it is capped so a long prefix never reveals the random part.
    """
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    text = "".join(c if c.isprintable() else "?" for c in text)
    keep = min(prefix, _MAX_PREFIX, max(len(text) - 8, 0))
    if len(text) < 16:
        return f"{text[:keep]}{_STARS}"
    return f"{text[:keep]}{_STARS}{text[-4:]}"


def mask_pii(value: str, kind: str) -> str:
    """A masked form of a personal-data value: enough to recognise its kind, never the value."""
    if kind == "email" and "@" in value:
        local, _, domain = value.partition("@")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return f"{local[:1]}***@***.{tld}" if tld else f"{local[:1]}***@***"
    if kind == "phone":
        digits = [c for c in value if c.isdigit()]
        return f"+***{''.join(digits[-2:])}"
    return mask(value, prefix=0)


def safe_path(path: str) -> str:
    """A path fit for one line of output: control characters (newlines in names) escaped."""
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)
