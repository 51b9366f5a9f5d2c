"""TLS006 — HSTS: parse ``Strict-Transport-Security`` and judge it (pure functions).

What: every HTTPS response of the configured hosts (apex, www, the canonical host, mapped
subdomains) is looked at once per host. A missing header, a header browsers ignore because it is
malformed, or ``max-age=0`` (which deletes the policy) is medium; a ``max-age`` under 180 days is
low; a duplicated header is low (RFC 6797 §8.1: browsers use only the first; the preload list
rejects it). HSTS sent over plain HTTP is ignored by browsers (RFC 6797 §8.1, §7.2) and is noted
as info. Preload eligibility (hstspreload.org: ``max-age`` ≥ 31536000, ``includeSubDomains``,
``preload``, on the apex) is shown in the redirect matrix table, never as a finding.

Why: without HSTS the first visit of every buyer starts on plain HTTP, where a café Wi-Fi can
strip the redirect and serve a fake login page; with a short ``max-age`` the protection lapses
between visits.

Fix: send ``Strict-Transport-Security: max-age=31536000; includeSubDomains`` on every HTTPS
response (nginx: ``add_header Strict-Transport-Security "max-age=31536000; includeSubDomains"
always;`` in each ``server`` block that listens with ``ssl``), exactly once.

Pass: ``Strict-Transport-Security: max-age=31536000; includeSubDomains``. Fail: no header
(medium), or ``max-age=86400`` (low).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from launchready.model import Severity

#: RFC 6797 leaves the value to the site; 180 days is the floor the catalog sets for TLS006
MIN_MAX_AGE = 180 * 86400
#: hstspreload.org: the preload list requires at least one year
PRELOAD_MAX_AGE = 31_536_000
RECOMMENDED = "max-age=31536000; includeSubDomains"

_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True, kw_only=True)
class HstsPolicy:
    """One parsed header value; ``problems`` lists why browsers would ignore it."""

    raw: str
    max_age: int | None
    include_subdomains: bool
    preload: bool
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when a browser would store this policy (RFC 6797 §6.1, §8.1)."""
        return not self.problems and self.max_age is not None


def _split_outside_quotes(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_hsts(raw: str) -> HstsPolicy:
    """Parse one ``Strict-Transport-Security`` value per RFC 6797 §6.1.

    Directive names are case-insensitive; each may appear once; ``max-age`` is required and is a
    decimal number of seconds (quoted or not); unknown directives (``preload``) are kept apart.
    """
    problems: list[str] = []
    seen: set[str] = set()
    max_age: int | None = None
    include = preload = False
    for part in _split_outside_quotes(raw, ";"):
        directive = part.strip()
        if not directive:
            continue  # RFC 6797 §6.1 allows empty directives between semicolons
        name, has_value, value = (s.strip() for s in directive.partition("="))
        lname = name.lower()
        if lname in seen:
            problems.append(f"directive {name!r} appears more than once")
            continue
        seen.add(lname)
        if lname == "max-age":
            number = _unquote(value) if has_value else ""
            if not _DIGITS.match(number):
                problems.append(f"max-age value {value!r} is not a number of seconds")
            else:
                max_age = int(number)
        elif lname == "includesubdomains":
            include = True
        elif lname == "preload":
            preload = True
    if max_age is None and not any("max-age" in p for p in problems):
        problems.append("the required max-age directive is missing")
    return HstsPolicy(raw=raw, max_age=max_age, include_subdomains=include, preload=preload,
                      problems=tuple(problems))


def header_values(values: Sequence[str]) -> tuple[str, ...]:
    """Header field values as sent: separate fields, and comma-joined fields split apart.

    A proxy may join repeated fields with commas (RFC 9110 §5.3); HSTS has no commas of its own,
    so a comma outside quotes means the header was sent more than once.
    """
    out: list[str] = []
    for value in values:
        out.extend(p.strip() for p in _split_outside_quotes(value, ",") if p.strip())
    return tuple(out)


class HstsState(enum.StrEnum):
    """The verdict on one host's HSTS."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    DISABLED = "max-age=0"
    SHORT = "short"
    DUPLICATED = "duplicated"


@dataclass(frozen=True, kw_only=True)
class HstsVerdict:
    """HSTS of one HTTPS response: state, severity (None when fine) and preload readiness."""

    state: HstsState
    severity: Severity | None
    policy: HstsPolicy | None
    duplicated: bool
    preload_missing: tuple[str, ...]

    @property
    def preload_ready(self) -> bool:
        """hstspreload.org's header requirements are met (the host must also be the apex)."""
        return not self.preload_missing

    @property
    def summary(self) -> str:
        """Short text for the matrix table."""
        if self.policy is None:
            return "no HSTS"
        if self.state is HstsState.INVALID:
            return "HSTS ignored (malformed)"
        age = self.policy.max_age or 0
        text = f"max-age={age}"
        if self.policy.include_subdomains:
            text += "; includeSubDomains"
        if self.policy.preload:
            text += "; preload"
        return text + (" (sent twice)" if self.duplicated else "")

    @property
    def preload_text(self) -> str:
        """``preload-ready`` or what is missing for the preload list."""
        if self.preload_ready:
            return "preload-ready"
        return "not preload-ready: " + ", ".join(self.preload_missing)


def _preload_missing(policy: HstsPolicy | None, duplicated: bool) -> tuple[str, ...]:
    if policy is None or not policy.valid:
        return ("a valid Strict-Transport-Security header",)
    missing: list[str] = []
    if (policy.max_age or 0) < PRELOAD_MAX_AGE:
        missing.append(f"max-age >= {PRELOAD_MAX_AGE}")
    if not policy.include_subdomains:
        missing.append("includeSubDomains")
    if not policy.preload:
        missing.append("preload")
    if duplicated:
        missing.append("a single header")
    return tuple(missing)


def judge_hsts(values: Sequence[str]) -> HstsVerdict:
    """Judge the ``Strict-Transport-Security`` fields of one HTTPS response."""
    fields = header_values(values)
    duplicated = len(fields) > 1
    if not fields:
        return HstsVerdict(state=HstsState.MISSING, severity=Severity.MEDIUM, policy=None,
                           duplicated=False, preload_missing=_preload_missing(None, False))
    # RFC 6797 §8.1: a browser processes only the first field
    policy = parse_hsts(fields[0])
    state: HstsState
    severity: Severity | None
    if not policy.valid:
        state, severity = HstsState.INVALID, Severity.MEDIUM
    elif policy.max_age == 0:
        state, severity = HstsState.DISABLED, Severity.MEDIUM
    elif (policy.max_age or 0) < MIN_MAX_AGE:
        state, severity = HstsState.SHORT, Severity.LOW
    elif duplicated:
        state, severity = HstsState.DUPLICATED, Severity.LOW
    else:
        state, severity = HstsState.OK, None
    return HstsVerdict(state=state, severity=severity, policy=policy, duplicated=duplicated,
                       preload_missing=_preload_missing(policy, duplicated))
