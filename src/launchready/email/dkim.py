"""DKIM key records (RFC 6376 §3.6.1, RFC 8463) and signature tags, as pure functions.

``parse_key_record`` takes the raw character-strings of one TXT record at
``<selector>._domainkey.<domain>`` and returns a ``DkimKey`` or a ``DkimKeyProblem`` naming
exactly what is wrong (undecodable bytes, bad tag list, wrong version, unknown ``k=``, revoked
empty ``p=``, bad base64, a key that does not load). It never raises for bad input.
``parse_tags`` reads the tag-list of a DKIM-Signature header (RFC 6376 §3.2).
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

__all__ = [
    "COMMON_SELECTORS",
    "DkimKey",
    "DkimKeyProblem",
    "KeyProblem",
    "join_txt",
    "key_name",
    "parse_key_record",
    "parse_tags",
]

#: Selectors tried when none are configured: the defaults of the providers founders use most
#: (Google Workspace, Microsoft 365, SendGrid/Mailchimp/Mailjet, Mandrill, Postmark-style,
#: Fastmail, Zoho, HubSpot, Proton, Mailgun) plus generic names.
COMMON_SELECTORS: tuple[str, ...] = (
    "google", "selector1", "selector2", "s1", "s2", "k1", "k2", "k3", "mandrill", "mxvault",
    "default", "dkim", "mail", "smtp", "fm1", "fm2", "fm3", "zmail", "hs1", "hs2",
    "protonmail", "mx", "everlytickey1", "cm",
)

_TAG_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_B64_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_ED25519_KEY_BYTES = 32  # RFC 8463 §4.2: p= is the raw 32-byte public key


class KeyProblem(enum.StrEnum):
    """Why a key record is not usable."""

    UNDECODABLE = "undecodable"
    SYNTAX = "syntax"
    VERSION = "version"
    UNKNOWN_KEY_TYPE = "unknown-k"
    REVOKED = "revoked"
    BAD_BASE64 = "bad-base64"
    BAD_KEY = "bad-key"
    NO_KEY = "no-p"


@dataclass(frozen=True, kw_only=True)
class DkimKey:
    """A usable public key: ``key_type`` is ``rsa`` or ``ed25519``; ``bits`` its size."""

    record: str
    key_type: str
    bits: int
    testing: bool = False
    services: tuple[str, ...] = ("*",)
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DkimKeyProblem:
    """A key record that cannot verify mail, and why."""

    record: str
    kind: KeyProblem
    message: str


def key_name(selector: str, domain: str) -> str:
    """``<selector>._domainkey.<domain>`` (RFC 6376 §3.6.2.1)."""
    return f"{selector.strip('.')}._domainkey.{domain.strip('.')}"


def join_txt(strings: Sequence[bytes]) -> bytes:
    """One TXT record's character-strings joined without separator (RFC 6376 §3.6.2.2)."""
    return b"".join(strings)


def parse_tags(text: str) -> dict[str, str] | str:
    """A tag-list (RFC 6376 §3.2) as a dict, or a message saying why it does not parse.

    Whitespace around tags and values is dropped (folding whitespace inside values such as
    ``b=`` is removed too, as §3.2 allows); a tag appearing twice is an error.
    """
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue  # §3.2: a trailing ";" is allowed
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq:
            return f"'{part.strip()}' is not tag=value"
        if not _TAG_RE.match(name):
            return f"'{name}' is not a valid tag name"
        if name in tags:
            return f"tag '{name}' appears twice (RFC 6376 §3.2)"
        tags[name] = re.sub(r"[ \t\r\n]+", "", value) if name in ("b", "bh", "p") \
            else value.strip()
    return tags


def parse_key_record(strings: Sequence[bytes]) -> DkimKey | DkimKeyProblem:
    """Parse one DKIM key TXT record given as its raw character-strings."""
    raw = join_txt(strings)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        shown = raw.decode("ascii", errors="backslashreplace")
        bad = next(b for b in raw if b > 0x7F)
        return DkimKeyProblem(record=shown, kind=KeyProblem.UNDECODABLE,
                              message=f"the record contains the non-ASCII byte 0x{bad:02X}; "
                                      "DKIM key records are plain ASCII (RFC 6376 §3.6.2.2)")
    tags = parse_tags(text)
    if isinstance(tags, str):
        return DkimKeyProblem(record=text, kind=KeyProblem.SYNTAX,
                              message=f"the tag list does not parse: {tags}")
    version = tags.get("v")
    if version is not None and (version != "DKIM1" or not text.lstrip().startswith("v")):
        # RFC 6376 §3.6.1: v= is optional, but when present it is first and exactly "DKIM1".
        return DkimKeyProblem(record=text, kind=KeyProblem.VERSION,
                              message=f"v={version!r} is not 'DKIM1' or is not the first tag "
                                      "(RFC 6376 §3.6.1)")
    key_type = tags.get("k", "rsa").lower()
    if key_type not in ("rsa", "ed25519"):
        return DkimKeyProblem(record=text, kind=KeyProblem.UNKNOWN_KEY_TYPE,
                              message=f"k={key_type} is not a key type receivers know (rsa, "
                                      "or ed25519 from RFC 8463); they ignore this key")
    if "p" not in tags:
        return DkimKeyProblem(record=text, kind=KeyProblem.NO_KEY,
                              message="the record has no p= tag (RFC 6376 §3.6.1 requires it)")
    encoded = tags["p"]
    if not encoded:
        # §3.6.1: an empty p= means the key has been revoked.
        return DkimKeyProblem(record=text, kind=KeyProblem.REVOKED,
                              message="p= is empty: the key has been revoked, so every "
                                      "signature made with this selector fails")
    if not _B64_RE.match(encoded) or len(encoded) % 4:
        return DkimKeyProblem(record=text, kind=KeyProblem.BAD_BASE64,
                              message=f"p= is not valid base64 ({len(encoded)} characters; "
                                      "often a character lost when the key was split or "
                                      "pasted)")
    try:
        der = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return DkimKeyProblem(record=text, kind=KeyProblem.BAD_BASE64,
                              message="p= is not valid base64")
    services = tuple(s.strip() for s in tags.get("s", "*").split(":") if s.strip())
    flags = {f.strip() for f in tags.get("t", "").split(":")}
    hashes = tuple(h.strip() for h in tags.get("h", "").split(":") if h.strip())
    if key_type == "ed25519":
        if len(der) != _ED25519_KEY_BYTES:
            return DkimKeyProblem(record=text, kind=KeyProblem.BAD_KEY,
                                  message=f"an Ed25519 key is 32 bytes, p= holds {len(der)} "
                                          "(RFC 8463 §4.2)")
        return DkimKey(record=text, key_type="ed25519", bits=256, testing="y" in flags,
                       services=services, hashes=hashes)
    try:
        key = load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        return DkimKeyProblem(record=text, kind=KeyProblem.BAD_KEY,
                              message="p= decodes but is not an RSA public key in DER form")
    if isinstance(key, ed25519.Ed25519PublicKey) or not isinstance(key, rsa.RSAPublicKey):
        return DkimKeyProblem(record=text, kind=KeyProblem.BAD_KEY,
                              message=f"k=rsa but p= holds a {type(key).__name__}")
    return DkimKey(record=text, key_type="rsa", bits=key.key_size, testing="y" in flags,
                   services=services, hashes=hashes)
