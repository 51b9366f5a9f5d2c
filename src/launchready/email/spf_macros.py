"""SPF macro expansion (RFC 7208 §7.3, §7.4) and target-name rules (§4.3, §7.3), pure.

The caller supplies the value of each macro letter; the one letter that needs DNS (``p``) is
resolved by ``check_host`` before calling ``expand``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import quote

from launchready.email.spf_parse import Macro, MacroString

__all__ = [
    "client_address",
    "domain_problem",
    "expand",
    "ip_macro_values",
    "query_name",
    "reverse_name",
]

_MAX_NAME = 253  # RFC 7208 §7.3 (and RFC 1035 §2.3.4 less the root and length octets)
_MAX_LABEL = 63  # RFC 1035 §2.3.4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def expand(string: MacroString, values: Mapping[str, str]) -> str:
    """Expand ``string`` with ``values`` (macro letter -> value), per RFC 7208 §7.3."""
    out: list[str] = []
    for part in string.parts:
        out.append(part if isinstance(part, str) else _expand_macro(part, values[part.letter]))
    return "".join(out)


def _expand_macro(macro: Macro, value: str) -> str:
    # RFC 7208 §7.3: split on the delimiters (default "."), optionally reverse, keep the
    # rightmost DIGIT parts, and join with ".".
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.keep is not None and macro.keep < len(parts):
        parts = parts[-macro.keep:]
    text = ".".join(parts)
    if macro.url_escape:
        # RFC 7208 §7.3: upper-case macros are URL-escaped; everything outside the unreserved
        # set (ALPHA / DIGIT / "-" / "." / "_" / "~") is %-encoded.
        text = quote(text, safe="")
    return text


def client_address(ip: str) -> IPAddress:
    """Parse the client IP; an IPv4-mapped IPv6 address is its IPv4 address (RFC 7208 §5)."""
    address = ipaddress.ip_address(ip.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_macro_values(address: IPAddress) -> dict[str, str]:
    """The ``i``, ``c`` and ``v`` macro values for ``address`` (RFC 7208 §7.3)."""
    if isinstance(address, ipaddress.IPv4Address):
        return {"i": str(address), "c": str(address), "v": "in-addr"}
    # "i" is the dot-format of the 32 nibbles. RFC 7208 does not fix their case; the test suite
    # expects upper case, and DNS compares names case-insensitively.
    nibbles = ".".join(address.exploded.replace(":", "").upper())
    return {"i": nibbles, "c": address.compressed, "v": "ip6"}


def reverse_name(address: IPAddress) -> str:
    """The in-addr.arpa / ip6.arpa name for a PTR lookup (RFC 7208 §5.5)."""
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(reversed(str(address).split("."))) + ".in-addr.arpa"
    return ".".join(reversed(address.exploded.replace(":", ""))) + ".ip6.arpa"


def query_name(expanded: str) -> tuple[str | None, str | None]:
    """Turn an expanded domain-spec into a name to query: ``(name, None)`` or ``(None, why)``.

    RFC 7208 §7.3: a name longer than 253 characters loses labels from the left until it
    fits. A name that still cannot be queried (empty or over-long label) is treated as
    non-existent, by analogy with §4.3 (RFC 7208 leaves this case undefined).
    """
    name = expanded[:-1] if expanded.endswith(".") else expanded
    while len(name) > _MAX_NAME and "." in name:
        name = name.split(".", 1)[1]
    why = _label_problem(name)
    if why is not None:
        return None, why
    return _to_ascii(name)


def domain_problem(domain: str) -> str | None:
    """Why ``domain`` is not a usable <domain> for check_host() (RFC 7208 §4.3), or ``None``."""
    name = domain[:-1] if domain.endswith(".") else domain
    if not name:
        return "the domain is empty"
    if name.startswith("["):
        return f"{domain!r} is an address literal, not a domain name"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return f"{domain!r} is an IP address, not a domain name"
    if "." not in name:
        return f"{domain!r} is not a fully qualified domain name"
    if len(name) > _MAX_NAME:
        return f"{domain!r} is longer than {_MAX_NAME} characters"
    why = _label_problem(name)
    if why is not None:
        return why
    _ascii, why = _to_ascii(name)
    return why


def _label_problem(name: str) -> str | None:
    if not name:
        return "the name is empty"
    for label in name.split("."):
        if not label:
            return f"{name!r} has an empty label"
        if len(label.encode("utf-8")) > _MAX_LABEL:
            return f"{name!r} has a label longer than {_MAX_LABEL} octets"
    return None


def _to_ascii(name: str) -> tuple[str | None, str | None]:
    if name.isascii():
        return name, None
    try:
        return name.encode("idna").decode("ascii"), None
    except UnicodeError:
        return None, f"{name!r} is not a valid internationalised domain name"
