"""URLs given by the user: validated before any work, and never shown with a password.

``check_url`` turns a malformed URL (``https://[::1``, port 99999, no host) into one clear
:class:`~launchready.errors.UsageError` instead of a traceback mid-run. ``mask_credentials``
replaces the ``user:password@`` part of every URL in a text with ``user:****@``, so a URL from
the command line, the config or a redirect can be printed, logged or put in a report.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from urllib.parse import urlsplit

from launchready.errors import UsageError

# scheme://userinfo@ — userinfo is everything up to the last "@" before the host part ends
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:?#]*)"
                       r"(?::(?P<password>[^/@\s?#]*))?@")


def mask_credentials(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` URL masked.

    ``https://sam:hunter2@app.example/`` becomes ``https://sam:****@app.example/``; a URL
    with a user name only keeps it (it is not a secret), and other text is left as it is.
    """
    def mask(match: re.Match[str]) -> str:
        if match.group("password") is None:
            return match.group(0)
        return f"{match.group('scheme')}{match.group('user')}:****@"

    return _USERINFO.sub(mask, text)


def check_url(value: str, *, what: str) -> str:
    """``value`` if it is a usable http(s) URL, else a UsageError naming ``what`` and the fix."""
    shown = mask_credentials(value)
    if not value.lower().startswith(("http://", "https://")):
        raise UsageError(f"{what}: {shown!r} is not an http(s) URL; "
                         f"write it as https://host/path")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{what}: {shown!r} is not a valid URL ({exc})") from None
    if not parts.hostname:
        raise UsageError(f"{what}: {shown!r} has no host name")
    if port == 0:
        raise UsageError(f"{what}: {shown!r}: port 0 cannot be connected to")
    return value


class MaskingFormatter(logging.Formatter):
    """A log formatter whose every line has URL passwords masked (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_credentials(super().format(record))


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 address literal (no lookup needed), False for a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
