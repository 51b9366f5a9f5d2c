"""Text for people: characters a terminal or a page would act on made visible, and the small
formatting every renderer shares.

Anything that came from DNS, HTTP, a file or a repository may hold ESC sequences (which can
retitle a terminal or write its clipboard), NUL, C1 controls or bidirectional overrides
(which reorder what is shown). :func:`visible` turns each into a ``\\xNN``/``\\uNNNN``
escape; every renderer and every command that prints such text goes through it.
"""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, C1 controls, and bidirectional overrides/isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: str) -> str:
    """``value`` with control and bidi-override characters shown as ``\\xNN``/``\\uNNNN``."""
    return _UNSAFE.sub(_show, value)


def minutes(total: int) -> str:
    """``95`` → ``"1 h 35 min"``."""
    hours, mins = divmod(max(total, 0), 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"
