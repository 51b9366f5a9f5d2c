"""The SPF record grammar of RFC 7208 (§4.5, §4.6, §5, §6, §7.1), as pure functions.

``parse_record`` turns record text into an ``SpfRecord`` or an ``SpfSyntaxProblem`` (it never
raises for bad input), so lint checks and ``check_host`` share one parser. ``select_record``
applies the record-selection rules of §4.5 to the raw TXT strings a DNS lookup returned.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DOMAIN_MACRO_LETTERS",
    "EXPLANATION_MACRO_LETTERS",
    "Macro",
    "MacroString",
    "Mechanism",
    "MechanismKind",
    "Modifier",
    "Qualifier",
    "RecordSelection",
    "SpfRecord",
    "SpfSyntaxProblem",
    "parse_explanation",
    "parse_macro_string",
    "parse_record",
    "select_record",
]

# RFC 7208 §7.1: c, r and t are only allowed in explanation text.
DOMAIN_MACRO_LETTERS = frozenset("slodiphv")
EXPLANATION_MACRO_LETTERS = DOMAIN_MACRO_LETTERS | frozenset("crt")
_DELIMITERS = ".-+,/_="

_VERSION = "v=spf1"
# RFC 7208 §4.6.1: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=".
_MODIFIER_RE = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)", re.DOTALL)
_MECHANISM_RE = re.compile(r"([+\-~?]?)([^:/]*)(.*)", re.DOTALL)
# RFC 7208 §7.1: toplabel = ( *alphanum ALPHA *alphanum ) /
#                           ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
_TOPLABEL = r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])"
_DOMAIN_END_RE = re.compile(r"\." + _TOPLABEL + r"\.?\Z")
_DUAL_CIDR_RE = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")
_DOMAIN_DUAL_CIDR_RE = re.compile(r"(.*?)(?:/([0-9]+))?(?://([0-9]+))?\Z", re.DOTALL)
# RFC 7208 §5.6: ip4-network = qnum "." qnum "." qnum "." qnum, without leading zeros.
_IP4_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
_IP6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")


class Qualifier(enum.StrEnum):
    """RFC 7208 §4.6.2: the result a matching mechanism gives."""

    PASS = "+"  # noqa: S105 - an SPF qualifier, not a password
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"


class MechanismKind(enum.StrEnum):
    """RFC 7208 §5: the eight mechanisms."""

    ALL = "all"
    INCLUDE = "include"
    A = "a"
    MX = "mx"
    PTR = "ptr"
    IP4 = "ip4"
    IP6 = "ip6"
    EXISTS = "exists"

    @property
    def queries_dns(self) -> bool:
        """RFC 7208 §4.6.4: include, a, mx, ptr and exists count toward the 10-lookup limit."""
        return self in _DNS_KINDS


_DNS_KINDS = frozenset({MechanismKind.INCLUDE, MechanismKind.A, MechanismKind.MX,
                        MechanismKind.PTR, MechanismKind.EXISTS})


@dataclass(frozen=True, kw_only=True)
class Macro:
    """One ``%{...}`` macro-expand (RFC 7208 §7.1)."""

    text: str
    letter: str               # lower case
    url_escape: bool          # written in upper case: URL-escape the value (§7.3)
    keep: int | None          # DIGIT transformer: how many right-hand parts to keep
    reverse: bool             # "r" transformer
    delimiters: str           # "" means the default "."


@dataclass(frozen=True, kw_only=True)
class MacroString:
    """A parsed macro-string: literal text (escapes already resolved) and macros, in order."""

    text: str
    parts: tuple[str | Macro, ...]

    @property
    def letters(self) -> frozenset[str]:
        """The macro letters used."""
        return frozenset(p.letter for p in self.parts if isinstance(p, Macro))


@dataclass(frozen=True, kw_only=True)
class Mechanism:
    """A mechanism term (RFC 7208 §5)."""

    text: str
    qualifier: Qualifier
    kind: MechanismKind
    domain: MacroString | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    cidr4: int | None = None
    cidr6: int | None = None


@dataclass(frozen=True, kw_only=True)
class Modifier:
    """A modifier term (RFC 7208 §6): redirect, exp, or one this implementation ignores."""

    text: str
    name: str                 # lower case
    value: MacroString


Term = Mechanism | Modifier


@dataclass(frozen=True, kw_only=True)
class SpfRecord:
    """A syntactically valid SPF record."""

    text: str
    terms: tuple[Term, ...]
    redirect: Modifier | None = None
    explanation: Modifier | None = None

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        """The mechanisms, in record order."""
        return tuple(t for t in self.terms if isinstance(t, Mechanism))

    @property
    def has_all(self) -> bool:
        """True when an ``all`` mechanism appears anywhere (RFC 7208 §6.1 ignores redirect)."""
        return any(m.kind is MechanismKind.ALL for m in self.mechanisms)


@dataclass(frozen=True, kw_only=True)
class SpfSyntaxProblem:
    """Why a record is not valid SPF; ``term`` is the offending term when there is one."""

    message: str
    term: str | None = None

    def __str__(self) -> str:
        return f"{self.message} in term {self.term!r}" if self.term is not None else self.message


@dataclass(frozen=True, kw_only=True)
class RecordSelection:
    """The outcome of RFC 7208 §4.5 record selection over one TXT answer.

    ``found`` counts records starting with ``v=spf1``; ``record`` is the single one, decoded,
    when it can be used; ``problem`` says why it cannot (several records, non-ASCII bytes).
    """

    found: int
    record: str | None = None
    problem: str | None = None
    raw: bytes | None = None


class _GrammarError(Exception):
    pass


def select_record(txt_records: Sequence[Sequence[bytes]]) -> RecordSelection:
    """Pick the SPF record out of the TXT records of one name (RFC 7208 §4.5)."""
    candidates: list[bytes] = []
    for strings in txt_records:
        # RFC 7208 §3.3: the strings of one TXT record are joined with no separator.
        joined = b"".join(strings)
        # §4.5: keep records whose version section is exactly "v=spf1" (case-insensitively,
        # as the test suite requires), ended by a space or the end of the record.
        head = joined[:len(_VERSION)]
        if head.lower() == _VERSION.encode() and (len(joined) == len(_VERSION)
                                                  or joined[len(_VERSION)] == 0x20):
            candidates.append(joined)
    if not candidates:
        return RecordSelection(found=0)
    if len(candidates) > 1:
        return RecordSelection(found=len(candidates),
                               problem=f"{len(candidates)} SPF records published; exactly one "
                                       "is allowed (RFC 7208 §4.5)")
    raw = candidates[0]
    bad = next((b for b in raw if b > 0x7F), None)
    if bad is not None:
        # RFC 7208 §3.1: the record is US-ASCII.
        return RecordSelection(found=1, raw=raw,
                               problem=f"SPF record contains the non-ASCII byte 0x{bad:02X} "
                                       "(RFC 7208 §3.1: records are US-ASCII)")
    return RecordSelection(found=1, record=raw.decode("ascii", errors="replace"), raw=raw)


def parse_record(text: str) -> SpfRecord | SpfSyntaxProblem:
    """Parse a whole record, ``v=spf1`` included; every term is checked (RFC 7208 §4.6)."""
    for index, char in enumerate(text):
        if ord(char) > 0x7F:
            return SpfSyntaxProblem(message=f"non-ASCII character U+{ord(char):04X} at position "
                                          f"{index} (RFC 7208 §3.1: records are US-ASCII)")
    # RFC 7208 §4.6.1: terms are separated by one or more SP; trailing SP is allowed (§4.5).
    tokens = text.split(" ")
    if tokens[0].lower() != _VERSION:
        return SpfSyntaxProblem(message="record must start with 'v=spf1' followed by a space "
                                      "(RFC 7208 §4.5)")
    terms: list[Term] = []
    redirect: Modifier | None = None
    explanation: Modifier | None = None
    for token in tokens[1:]:
        if not token:
            continue
        try:
            term = _parse_term(token)
        except _GrammarError as exc:
            return SpfSyntaxProblem(message=str(exc), term=token)
        if isinstance(term, Modifier):
            # RFC 7208 §6: redirect and exp MUST NOT appear more than once each.
            if term.name == "redirect":
                if redirect is not None:
                    return SpfSyntaxProblem(message="'redirect' appears more than once "
                                                  "(RFC 7208 §6)", term=token)
                redirect = term
            elif term.name == "exp":
                if explanation is not None:
                    return SpfSyntaxProblem(message="'exp' appears more than once (RFC 7208 §6)",
                                          term=token)
                explanation = term
        terms.append(term)
    return SpfRecord(text=text, terms=tuple(terms), redirect=redirect, explanation=explanation)


def parse_macro_string(text: str) -> MacroString | SpfSyntaxProblem:
    """Parse a macro-string with every macro letter allowed (RFC 7208 §7.1)."""
    try:
        return _macro_string(text, letters=EXPLANATION_MACRO_LETTERS, allow_space=False)
    except _GrammarError as exc:
        return SpfSyntaxProblem(message=str(exc))


def parse_explanation(text: str) -> MacroString | SpfSyntaxProblem:
    """Parse explanation text fetched via ``exp=`` (RFC 7208 §6.2: macro-strings and SP)."""
    try:
        return _macro_string(text, letters=EXPLANATION_MACRO_LETTERS, allow_space=True)
    except _GrammarError as exc:
        return SpfSyntaxProblem(message=str(exc))


# -- terms ---------------------------------------------------------------------------------


def _parse_term(token: str) -> Term:
    modifier = _MODIFIER_RE.fullmatch(token)
    if modifier is not None:
        return _parse_modifier(token, modifier.group(1).lower(), modifier.group(2))
    match = _MECHANISM_RE.fullmatch(token)
    if match is None:  # pragma: no cover - the pattern matches every string
        raise _GrammarError("unparsable term")
    qualifier_text, name, rest = match.groups()
    qualifier = Qualifier(qualifier_text) if qualifier_text else Qualifier.PASS
    try:
        kind = MechanismKind(name.lower())
    except ValueError:
        if name.lower() in ("redirect", "exp"):
            raise _GrammarError(f"'{name}' is a modifier and needs '=' (RFC 7208 §6)") from None
        raise _GrammarError(f"unknown mechanism {name!r} (RFC 7208 §5)") from None
    match kind:
        case MechanismKind.ALL:
            if rest:
                raise _GrammarError("'all' takes no argument (RFC 7208 §5.1)")
            return Mechanism(text=token, qualifier=qualifier, kind=kind)
        case MechanismKind.INCLUDE | MechanismKind.EXISTS:
            if not rest.startswith(":") or len(rest) == 1:
                raise _GrammarError(f"'{kind}' needs ':' and a domain (RFC 7208 §5.2, §5.7)")
            return Mechanism(text=token, qualifier=qualifier, kind=kind,
                             domain=_domain_spec(rest[1:]))
        case MechanismKind.PTR:
            domain = None
            if rest:
                if not rest.startswith(":"):
                    raise _GrammarError("'ptr' takes only ':' and a domain (RFC 7208 §5.5)")
                domain = _domain_spec(rest[1:])
            return Mechanism(text=token, qualifier=qualifier, kind=kind, domain=domain)
        case MechanismKind.A | MechanismKind.MX:
            return _parse_a_mx(token, qualifier, kind, rest)
        case MechanismKind.IP4 | MechanismKind.IP6:
            return _parse_ip(token, qualifier, kind, rest)


def _parse_modifier(token: str, name: str, value: str) -> Modifier:
    if name in ("redirect", "exp"):
        # RFC 7208 §6.1/§6.2: the value is a domain-spec; known names never fall back to
        # unknown-modifier, so a bad value is a syntax error (test suite: exp-syntax-error).
        if not value:
            raise _GrammarError(f"'{name}=' needs a domain (RFC 7208 §6)")
        return Modifier(text=token, name=name, value=_domain_spec(value))
    # RFC 7208 §6.3 / Appendix A: unknown-modifier = name "=" macro-string.
    return Modifier(text=token, name=name,
                    value=_macro_string(value, letters=EXPLANATION_MACRO_LETTERS,
                                        allow_space=False))


def _parse_a_mx(token: str, qualifier: Qualifier, kind: MechanismKind, rest: str) -> Mechanism:
    domain: MacroString | None = None
    if rest.startswith(":"):
        match = _DOMAIN_DUAL_CIDR_RE.fullmatch(rest[1:])
        if match is None:  # pragma: no cover - the pattern matches every string
            raise _GrammarError("unparsable domain")
        spec, cidr4, cidr6 = match.groups()
        if not spec:
            raise _GrammarError(f"'{kind}:' needs a domain (RFC 7208 §5.3, §5.4)")
        domain = _domain_spec(spec)
    else:
        dual = _DUAL_CIDR_RE.fullmatch(rest)
        if dual is None:
            raise _GrammarError(f"bad '{kind}' arguments: expected [:domain][/n][//n] "
                                "(RFC 7208 §5.3, §5.4)")
        cidr4, cidr6 = dual.groups()
    return Mechanism(text=token, qualifier=qualifier, kind=kind, domain=domain,
                     cidr4=_cidr(cidr4, 32), cidr6=_cidr(cidr6, 128))


def _parse_ip(token: str, qualifier: Qualifier, kind: MechanismKind, rest: str) -> Mechanism:
    if not rest.startswith(":") or len(rest) == 1:
        raise _GrammarError(f"'{kind}' needs ':' and a network (RFC 7208 §5.6)")
    address, slash, length = rest[1:].partition("/")
    if kind is MechanismKind.IP4:
        if not _IP4_RE.fullmatch(address):
            raise _GrammarError(f"{address!r} is not a dotted-quad IPv4 address (RFC 7208 §5.6)")
        try:
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(address)
        except ValueError:
            raise _GrammarError(f"{address!r} is not an IPv4 address (RFC 7208 §5.6)") from None
        max_len = 32
    else:
        if not _IP6_CHARS_RE.fullmatch(address):
            raise _GrammarError(f"{address!r} is not an IPv6 address (RFC 7208 §5.6)")
        try:
            ip = ipaddress.IPv6Address(address)
        except ValueError:
            raise _GrammarError(f"{address!r} is not an IPv6 address (RFC 7208 §5.6)") from None
        max_len = 128
    prefix = max_len
    if slash:
        parsed = _cidr(length, max_len)
        if parsed is None:
            raise _GrammarError("empty CIDR length (RFC 7208 §5.6)")
        prefix = parsed
    network = ipaddress.ip_network((ip, prefix), strict=False)
    return Mechanism(text=token, qualifier=qualifier, kind=kind, network=network,
                     cidr4=prefix if max_len == 32 else None,
                     cidr6=prefix if max_len == 128 else None)


def _cidr(text: str | None, max_len: int) -> int | None:
    if text is None:
        return None
    # RFC 7208 §5.6: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6 likewise up to 128.
    if not text.isdigit() or not text.isascii():
        raise _GrammarError(f"bad CIDR length {text!r}: expected '/' and digits (RFC 7208 §5.6)")
    if len(text) > 1 and text[0] == "0":
        raise _GrammarError(f"bad CIDR length {text!r}: no leading zeros (RFC 7208 §5.6)")
    value = int(text)
    if value > max_len:
        raise _GrammarError(f"CIDR length /{value} is larger than {max_len} (RFC 7208 §5.6)")
    return value


# -- macro-strings and domain-specs -------------------------------------------------------


def _domain_spec(text: str) -> MacroString:
    """RFC 7208 §7.1: domain-spec = macro-string domain-end."""
    parsed, tail, ends_with_macro = _scan(text, letters=DOMAIN_MACRO_LETTERS, allow_space=False)
    # domain-end = ( "." toplabel [ "." ] ) / macro-expand
    if not ends_with_macro and _DOMAIN_END_RE.search(tail) is None:
        raise _GrammarError(f"{text!r} is not a valid domain: it must end in '.' and a top "
                            "label that is not all-numeric, or in a macro (RFC 7208 §7.1)")
    return parsed


def _macro_string(text: str, *, letters: frozenset[str], allow_space: bool) -> MacroString:
    parsed, _tail, _ends = _scan(text, letters=letters, allow_space=allow_space)
    return parsed


def _scan(text: str, *, letters: frozenset[str],
          allow_space: bool) -> tuple[MacroString, str, bool]:
    """Tokenise a macro-string; also return the literal text after the last macro-expand."""
    parts: list[str | Macro] = []
    literal: list[str] = []
    tail_start = 0
    ends_with_macro = False
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "%":
            nxt = text[i + 1] if i + 1 < n else ""
            if nxt in ("%", "_", "-"):
                # RFC 7208 §7.1: "%%" -> "%", "%_" -> SP, "%-" -> "%20".
                literal.append({"%": "%", "_": " ", "-": "%20"}[nxt])
                i += 2
            elif nxt == "{":
                close = text.find("}", i + 2)
                if close < 0:
                    raise _GrammarError(f"unterminated macro in {text!r} (RFC 7208 §7.1)")
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(_macro(text[i:close + 1], letters))
                i = close + 1
            else:
                raise _GrammarError(f"'%' must be followed by '{{', '%', '_' or '-' in {text!r} "
                                    "(RFC 7208 §7.1)")
            tail_start = i
            ends_with_macro = True
            continue
        code = ord(char)
        # macro-literal = %x21-24 / %x26-7E (visible characters except "%").
        if not (0x21 <= code <= 0x7E or (allow_space and code == 0x20)):
            raise _GrammarError(f"character {char!r} is not allowed in {text!r} "
                                "(RFC 7208 §7.1: visible ASCII only)")
        literal.append(char)
        ends_with_macro = False
        i += 1
    if literal:
        parts.append("".join(literal))
    return MacroString(text=text, parts=tuple(parts)), text[tail_start:], ends_with_macro


def _macro(text: str, letters: frozenset[str]) -> Macro:
    # macro-expand = "%{" macro-letter transformers *delimiter "}"
    body = text[2:-1]
    if not body:
        raise _GrammarError(f"empty macro {text!r} (RFC 7208 §7.1)")
    letter_char = body[0]
    letter = letter_char.lower()
    if letter not in EXPLANATION_MACRO_LETTERS or not letter_char.isascii():
        raise _GrammarError(f"unknown macro letter {letter_char!r} in {text!r} (RFC 7208 §7.2)")
    if letter not in letters:
        raise _GrammarError(f"macro {text!r} is only allowed in explanation text "
                            "(RFC 7208 §7.1: c, r, t)")
    i = 1
    digits = ""
    while i < len(body) and body[i].isascii() and body[i].isdigit():
        digits += body[i]
        i += 1
    reverse = False
    if i < len(body) and body[i] in "rR":
        reverse = True
        i += 1
    delimiters = body[i:]
    if any(d not in _DELIMITERS for d in delimiters):
        raise _GrammarError(f"bad macro transformer or delimiter in {text!r} "
                            f"(RFC 7208 §7.1: delimiters are {_DELIMITERS})")
    keep: int | None = None
    if digits:
        keep = int(digits)
        if keep == 0:
            raise _GrammarError(f"macro {text!r} keeps zero parts (RFC 7208 §7.3: must be "
                                "nonzero)")
    return Macro(text=text, letter=letter, url_escape=letter_char.isupper(), keep=keep,
                 reverse=reverse, delimiters=delimiters)
