"""The expectation language shared by smoke steps, perf endpoints and monitor checks.

One expectation is ``SUBJECT OP [VALUE]``:

==================  =======================================  ==============================
subject             meaning                                  operators
==================  =======================================  ==============================
``status``          HTTP status code                         == != < <= > >=
``time``            total response time (500ms, 1.5s)        == != < <= > >=
``header.NAME``     response header (case-insensitive)       == != exists matches contains
``body``            response body as text                    contains matches
``json.PATH``       value at a dotted path (json.items.0.id) all of the above
``cert.days_left``  days until the certificate expires       == != < <= > >=
==================  =======================================  ==============================

Values are numbers, durations (time only), or quoted strings (``'ok'`` / ``"ok"``); ``true``,
``false`` and ``null`` are JSON literals. ``matches`` takes a regular expression. Everything is
checked when the config loads, so a typo fails then, not at 3 a.m.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


class ExpectationError(ValueError):
    """An expectation string does not parse; the message names the offending token."""


class Op(enum.StrEnum):
    """Comparison operators."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EXISTS = "exists"
    MATCHES = "matches"
    CONTAINS = "contains"


_ORDER = {Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE}
_ALLOWED: dict[str, set[Op]] = {
    "status": _ORDER,
    "time": _ORDER,
    "header": {Op.EQ, Op.NE, Op.EXISTS, Op.MATCHES, Op.CONTAINS},
    "body": {Op.CONTAINS, Op.MATCHES},
    "json": _ORDER | {Op.EXISTS, Op.MATCHES, Op.CONTAINS},
    "cert": _ORDER,
}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<word>[^\s'"=!<>]+)
    )""",
    re.VERBOSE,
)
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<u>ms|s|m)?$")


@dataclass(frozen=True, kw_only=True)
class Expectation:
    """One parsed expectation; ``source`` is the text as written."""

    source: str
    subject: str  # status | time | header | body | json | cert
    path: str = ""  # header name, json path, or "days_left"
    op: Op
    value: Any = None
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, kw_only=True)
class ResponseFacts:
    """What an expectation is judged against (built by whoever made the request)."""

    status: int | None = None
    elapsed_ms: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    body: str = ""
    cert_days_left: float | None = None

    def json_value(self, path: str) -> Any:
        """Value at a dotted path in the JSON body, or a sentinel when absent."""
        try:
            node: Any = json.loads(self.body)
        except ValueError:
            return _MISSING
        for part in path.split(".") if path else []:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return _MISSING
        return node


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            rest = text[pos:].strip()
            if rest.startswith("=") and not rest.startswith("=="):
                raise ExpectationError(f"unknown operator '=' in {text.strip()!r}; use ==")
            raise ExpectationError(f"cannot read {rest!r}")
        kind = m.lastgroup or "word"
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, raw: str, subject: str) -> Any:
    if kind == "str":
        # only the quote and the backslash itself are escapes; "\d" stays for regexes
        return re.sub(r"\\(['\"\\])", r"\1", raw[1:-1])
    if subject == "time":
        m = _DURATION.match(raw)
        if not m:
            raise ExpectationError(f"{raw!r} is not a duration (write e.g. 500ms or 1.5s)")
        scale = {"ms": 1.0, None: 1.0, "s": 1000.0, "m": 60000.0}[m.group("u")]
        return float(m.group("n")) * scale
    if raw in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[raw]
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        raise ExpectationError(
            f"{raw!r} is not a number; quote text values, e.g. '{raw}'") from None


def parse_expectation(text: str) -> Expectation:
    """Parse ``text``; raise :class:`ExpectationError` naming the bad token."""
    toks = _tokens(text)
    if not toks:
        raise ExpectationError("empty expectation")
    kind, raw = toks[0]
    if kind != "word":
        raise ExpectationError(f"expected a subject (status, time, header.X, body, json.X, "
                               f"cert.days_left), got {raw!r}")
    subject, _, path = raw.partition(".")
    if subject not in _ALLOWED:
        raise ExpectationError(f"unknown subject {raw!r}; use status, time, header.NAME, body, "
                               f"json.PATH or cert.days_left")
    if subject in ("header", "json") and not path and subject == "header":
        raise ExpectationError("header needs a name, e.g. header.cache-control")
    if subject == "cert" and path != "days_left":
        raise ExpectationError(f"unknown subject {raw!r}; the certificate subject is "
                               f"cert.days_left")
    if subject in ("status", "time", "body") and path:
        raise ExpectationError(f"{subject} takes no path, got {raw!r}")
    if len(toks) < 2:
        raise ExpectationError(f"missing operator after {raw!r}")
    op_raw = toks[1][1]
    try:
        op = Op(op_raw)
    except ValueError:
        raise ExpectationError(f"unknown operator {op_raw!r}; use == != < <= > >= exists "
                               f"matches contains") from None
    if op not in _ALLOWED[subject]:
        allowed = " ".join(sorted(o.value for o in _ALLOWED[subject]))
        raise ExpectationError(f"operator {op.value!r} does not apply to {subject}; "
                               f"use one of: {allowed}")
    rest = toks[2:]
    if op is Op.EXISTS:
        if rest:
            raise ExpectationError(f"'exists' takes no value, got {rest[0][1]!r}")
        return Expectation(source=text.strip(), subject=subject, path=path.lower()
                           if subject == "header" else path, op=op)
    if len(rest) != 1:
        raise ExpectationError(f"expected one value after {op.value!r}"
                               + (f", got extra {rest[1][1]!r}" if len(rest) > 1 else ""))
    vkind, vraw = rest[0]
    value = _literal(vkind, vraw, subject)
    pattern = None
    if op in (Op.MATCHES, Op.CONTAINS) and not isinstance(value, str):
        raise ExpectationError(f"{op.value!r} needs a quoted string, got {vraw!r}")
    if op is Op.MATCHES:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ExpectationError(f"bad regular expression {vraw}: {exc}") from None
    if op in _ORDER - {Op.EQ, Op.NE} and not isinstance(value, int | float):
        raise ExpectationError(f"{op.value!r} needs a number, got {vraw!r}")
    if subject in ("status", "cert") and not isinstance(value, int | float):
        raise ExpectationError(f"{subject} compares with a number, got {vraw!r}")
    return Expectation(source=text.strip(), subject=subject,
                       path=path.lower() if subject == "header" else path, op=op,
                       value=value, pattern=pattern)


def _compare(actual: Any, op: Op, expected: Any, pattern: re.Pattern[str] | None) -> bool:
    if op is Op.EXISTS:
        return actual is not _MISSING
    if actual is _MISSING:
        return False
    if op is Op.MATCHES:
        return pattern is not None and pattern.search(str(actual)) is not None
    if op is Op.CONTAINS:
        if isinstance(actual, list):
            return expected in actual
        return str(expected) in str(actual)
    if op is Op.EQ:
        return bool(actual == expected)
    if op is Op.NE:
        return bool(actual != expected)
    result: bool
    if not isinstance(actual, int | float) or isinstance(actual, bool):
        return False
    result = {Op.LT: actual < expected, Op.LE: actual <= expected,
              Op.GT: actual > expected, Op.GE: actual >= expected}[op]
    return result


def _actual(exp: Expectation, facts: ResponseFacts) -> Any:
    if exp.subject == "status":
        return _MISSING if facts.status is None else facts.status
    if exp.subject == "time":
        return _MISSING if facts.elapsed_ms is None else facts.elapsed_ms
    if exp.subject == "header":
        return facts.headers.get(exp.path, _MISSING)
    if exp.subject == "body":
        return facts.body
    if exp.subject == "json":
        return facts.json_value(exp.path)
    return _MISSING if facts.cert_days_left is None else facts.cert_days_left


def check(exp: Expectation, facts: ResponseFacts) -> tuple[bool, str]:
    """Judge ``exp`` against ``facts``; return (ok, what was seen) — never the body itself."""
    actual = _actual(exp, facts)
    ok = _compare(actual, exp.op, exp.value, exp.pattern)
    if actual is _MISSING:
        seen = "absent"
    elif exp.subject == "body":
        seen = f"body of {len(facts.body)} characters"
    elif exp.subject == "time":
        seen = f"{actual:.0f}ms"
    else:
        text = str(actual)
        seen = text if len(text) <= 80 else text[:77] + "..."
    return ok, seen
