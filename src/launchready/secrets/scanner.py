"""The scanning engine: keyword gate, rule matching, decoding of encoded values.

How a buffer is scanned:

1. One search for "any keyword, base64 run or escape" (:meth:`Scanner.could_match`) returns
   at once for most buffers (4,881 of the 5,000 files of ``bench/secrets_bench.py``'s tree):
   one regex pass, no Python work per hit.
2. One pass of an RE2 set of every rule keyword (case-insensitive) tells which keywords occur
   in the buffer at all; only the rules owning one of them run. Without google-re2 the buffer
   is lower-cased and each keyword looked up with ``bytes.find``.
3. A rule's regex runs over the whole buffer: every pattern spells its keyword itself, so
   "the keyword occurs near the match" is part of the pattern, and there is no Python work
   per keyword hit — real code says ``token``, ``secret`` and ``key`` on most lines. The
   generic rule reads code line by line (:mod:`launchready.secrets.generic`); its ``gate``
   regex picks the lines it could accept (a key word followed by an operator), each cut at
   ±1 KiB around the hit, so a 1 MB minified line costs windows, not a parse of 1 MB.
   With re2 every regex is linear in the input, so a 100k-space line or 10k quotes cannot
   blow up; the fallback engine (``re``) has bounded quantifiers only.
4. Candidates must not be placeholders or documented examples, must reach the rule's entropy
   floor and pass its validity check (checksums, JWT header); a generic match yields to any
   specific one it overlaps.
5. Base64 runs, URL-encoded and JSON-escaped lines are decoded and scanned again, up to
   ``max_depth`` levels (so doubly-encoded values are found), with a bound on decoded bytes.

Values live only inside :class:`Match` (``repr`` hides them); everything that leaves carries
the salted hash and the masked form.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from launchready.secrets.generic import DOCS, is_test_path, language_of
from launchready.secrets.redact import mask, value_hash
from launchready.secrets.rules import RULES, Rule
from launchready.secrets.values import is_placeholder, shannon_entropy

try:  # pragma: no branch - which engine exists is a property of the install
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by forcing engine="re" in tests
    _re2 = None

LINE_WINDOW = 1024
MAX_DECODED_BYTES = 1 << 20
_IGNORE_MARKERS = (b"launchready: ignore", b"launchready:ignore")
#: markers other scanners honour; users already have them in their code
_FOREIGN_MARKERS = (b"gitleaks:allow", b"pragma: allowlist secret", b"pragma:allowlist secret")


class _Pattern(Protocol):
    def finditer(self, string: bytes, pos: int = ..., endpos: int = ...) -> Iterable[Any]: ...

    def search(self, string: bytes, pos: int = ..., endpos: int = ...) -> Any: ...


def available_engine() -> str:
    """``re2`` when google-re2 is importable, else ``re``."""
    return "re" if _re2 is None else "re2"


@dataclass(frozen=True, kw_only=True)
class Match:
    """One secret found in a buffer. ``value`` is never rendered (``repr`` hides it)."""

    rule: Rule
    value: bytes = field(repr=False)
    start: int
    end: int
    line: int = 0
    column: int = 0
    #: how the value was encoded where it was found: "" (plain), "base64", "url", "json",
    #: or a chain such as "base64>url"
    encoding: str = ""
    #: rule IDs named by an inline ``launchready: ignore[...]`` on the line ("*" = all)
    ignore: frozenset[str] = frozenset()
    #: why the value is only a low finding ("local default: ..."), or ""
    note: str = ""

    @property
    def hash(self) -> str:
        """Salted hash of the value."""
        return value_hash(self.value)

    @property
    def masked(self) -> str:
        """The value with all but its public prefix and last 4 characters hidden."""
        return mask(self.value, prefix=self.rule.show_prefix)

    def ignored_for(self, rule_id: str) -> bool:
        """True when an inline comment on the line suppresses ``rule_id``."""
        return "*" in self.ignore or rule_id in self.ignore


def _keyword_set(keywords: Sequence[bytes]) -> Any:
    """An RE2 set that reports, in one pass, which ``keywords`` occur (any case)."""
    opts = _re2.Options()
    opts.max_mem = 64 << 20
    kw_set = _re2.Set.SearchSet(opts)
    for kw in keywords:
        kw_set.Add(b"(?i)" + re.escape(kw))
    kw_set.Compile()
    return kw_set


def _compile(pattern: bytes, engine: str) -> _Pattern:
    if engine == "re2" and _re2 is not None:
        opts = _re2.Options()
        opts.max_mem = 64 << 20
        compiled: _Pattern = _re2.compile(pattern, options=opts)
        return compiled
    return re.compile(pattern, re.DOTALL if b"(?s)" in pattern else 0)


_B64_RUN = rb"[A-Za-z0-9+/_-]{32,}={0,2}"
#: maps every byte of the base64 run alphabet to ``a`` and every other byte to a space, so a
#: run of 32 or more shows as ``_B64_RUN_MARK``
_B64_RUN_MARK = b"a" * 32
_B64_CLASS = bytes(
    ord("a") if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/_-") else ord(" ")
    for c in range(256))
_URL_ESC = rb"%[0-9A-Fa-f]{2}"
_JSON_ESC = rb"\\u[0-9A-Fa-f]{4}|\\/"
_JSON_SUB = re.compile(rb"\\u([0-9A-Fa-f]{4})|\\([\"\\/])")


def _json_unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16)).encode("utf-8", "surrogatepass")
        return m.group(2)
    return _JSON_SUB.sub(one, raw)


def _printable_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    good = sum(1 for c in data if 32 <= c < 127 or c in (9, 10, 13))
    return good / len(data)


def _b64decode(run: bytes) -> bytes | None:
    text = run.rstrip(b"=")
    try:
        if b"-" in text or b"_" in text:
            return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


class Scanner:
    """Scans byte buffers with a rule table; reusable and thread-safe (no mutable state)."""

    def __init__(self, rules: Sequence[Rule] = RULES, *, engine: str = "auto",
                 max_depth: int = 2) -> None:
        self.engine = available_engine() if engine == "auto" else engine
        if self.engine == "re2" and _re2 is None:
            self.engine = "re"
        self.rules = tuple(rules)
        self.max_depth = max_depth
        self._regex = [_compile(r.pattern.encode(), self.engine) if r.pattern else None
                       for r in self.rules]
        for rule in self.rules:
            if rule.finder is not None and not rule.gate:
                raise ValueError(f"rule {rule.id}: a finder needs a gate to pick its lines")
        self._gates = [_compile(rule.gate, self.engine) if rule.gate else None
                       for rule in self.rules]
        by_kw: dict[bytes, list[int]] = defaultdict(list)
        for i, rule in enumerate(self.rules):
            for kw in rule.keywords:
                by_kw[kw.lower().encode()].append(i)
        self._by_kw = dict(by_kw)
        self._kw_list = sorted(by_kw, key=len, reverse=True)
        self._kw_set = _keyword_set(self._kw_list) if self.engine == "re2" else None
        self._b64 = _compile(_B64_RUN, self.engine)
        self._url = _compile(_URL_ESC, self.engine)
        self._json = _compile(_JSON_ESC, self.engine)
        # everything a scan starts from: a keyword, or encoded text that `_decoded` unpacks
        self._any = (_compile(b"(?i:" + b"|".join(re.escape(k) for k in self._kw_list) + b")|"
                              + b"|".join((_B64_RUN, _URL_ESC, _JSON_ESC)), "re2")
                     if self.engine == "re2" else None)

    # -- public -----------------------------------------------------------------------------

    def scan(self, data: bytes, path: str = "", *, lang: str | None = None,
             test: bool | None = None) -> list[Match]:
        """Every secret in ``data``, in offset order, with 1-based line and column.

        ``path`` (the file's name) tells the generic rule which language family to read and
        whether the file is a test; ``lang`` and ``test`` say it directly (texts of many
        files of one kind).
        """
        if not self.could_match(data):
            return []
        if lang is None:
            lang = language_of(path) if path else ""
        if test is None:
            test = is_test_path(path) if path else False
        found = self._scan(data, depth=0, lang=lang, test=test)
        return self._locate(data, found)

    def could_match(self, data: bytes, pos: int = 0, endpos: int | None = None) -> bool:
        """False when ``scan(data[pos:endpos])`` is certainly empty (no keyword, no encoding)."""
        end = len(data) if endpos is None else endpos
        if self._any is not None:
            return self._any.search(data, pos, end) is not None
        part = data[pos:end] if pos or end != len(data) else data
        low = part.lower()
        if any(kw in low for kw in self._kw_list):
            return True
        # a base64 run is 32 characters of its alphabet in a row; ``re`` would retry the class
        # at every position of every word, the translation is one C pass
        return (_B64_RUN_MARK in part.translate(_B64_CLASS)
                or (b"%" in part and self._url.search(part) is not None)
                or (b"\\" in part and self._json.search(part) is not None))

    # -- internals --------------------------------------------------------------------------

    def _present(self, data: bytes) -> list[int]:
        """Indices of the rules one of whose keywords occurs in ``data``, in table order."""
        if self._kw_set is not None:
            kws: Iterable[bytes] = (self._kw_list[i] for i in self._kw_set.Match(data) or ())
        else:
            low = data.lower()
            kws = (kw for kw in self._kw_list if kw in low)
        return sorted({i for kw in kws for i in self._by_kw[kw]})

    def _candidates(self, idx: int, data: bytes, lang: str) -> Iterator[tuple[int, int, bytes]]:
        rule, regex, gate = self.rules[idx], self._regex[idx], self._gates[idx]
        if rule.finder is not None and gate is not None:
            for ls, le in _line_windows(gate, data):
                for vs, ve, value in rule.finder(data[ls:le], lang):
                    yield ls + vs, ls + ve, value
            return
        if regex is None:
            return
        for m in regex.finditer(data):
            vs, ve = m.span(rule.group)
            if vs >= 0:
                yield vs, ve, data[vs:ve]

    def _scan(self, data: bytes, *, depth: int, lang: str = "",
              test: bool = False) -> list[Match]:
        found: dict[tuple[str, int], Match] = {}
        for idx in self._present(data):
            rule = self.rules[idx]
            for vs, ve, value in self._candidates(idx, data, lang):
                if (rule.id, vs) in found or not self._accept(rule, value):
                    continue
                note = rule.context(data, vs, ve) if rule.context is not None else ""
                if note is None:
                    continue  # a documentation example
                if not note and _marked_not_real(data, vs, ve):
                    note = ("a comment calls it a dummy, a fake or not a secret: most likely "
                            "not a credential; rotate it if it is a real one")
                if rule.generic and not note and (lang == DOCS or test):
                    note = (f"in {'documentation' if lang == DOCS else 'a test'}: most "
                            f"likely {'an example' if lang == DOCS else 'a fixture'}; "
                            "rotate it if it is a real credential")
                found[(rule.id, vs)] = Match(rule=rule, value=value, start=vs, end=ve,
                                             note=note)
        matches = _drop_overlaps(sorted(found.values(), key=lambda m: m.start))
        if depth < self.max_depth:
            matches.extend(self._decoded(data, matches, depth))
        return matches

    @staticmethod
    def _accept(rule: Rule, value: bytes) -> bool:
        if is_placeholder(value):
            return False
        if rule.min_entropy is not None and shannon_entropy(value) < rule.min_entropy:
            return False
        return rule.validate is None or rule.validate(value)

    def _decoded(self, data: bytes, plain: list[Match], depth: int) -> list[Match]:
        """Matches inside base64 runs and URL-/JSON-escaped lines, placed at the encoded text."""
        out: list[Match] = []
        seen = {(m.rule.id, m.hash) for m in plain}
        budget = MAX_DECODED_BYTES

        def add(decoded: bytes, at: int, end: int, label: str) -> None:
            nonlocal budget
            # charged by the encoded size: that is what decoding costs
            budget -= max(len(decoded), end - at)
            if budget < 0:
                return
            for inner in self._scan(decoded, depth=depth + 1):
                key = (inner.rule.id, inner.hash)
                if key in seen or (inner.rule.generic and any(
                        p.start < end and at < p.end for p in plain)):
                    continue  # the encoded text is reported already, by a provider's rule
                    # or as the generic value it is
                seen.add(key)
                chain = f"{label}>{inner.encoding}" if inner.encoding else label
                out.append(Match(rule=inner.rule, value=inner.value, start=at, end=end,
                                 encoding=chain, note=inner.note))

        for m in self._b64.finditer(data):
            raw = _b64decode(m.group())
            if raw and len(raw) >= 16 and _printable_ratio(raw) >= 0.9:
                add(raw, m.start(), m.end(), "base64")
        for label, regex, decode in (("url", self._url, unquote_to_bytes),
                                     ("json", self._json, _json_unescape)):
            for ws, we in _line_windows(regex, data):
                if budget <= 0:
                    break
                chunk = data[ws:we]
                decoded = decode(chunk)
                if decoded != chunk:
                    add(decoded, ws, we, label)
        return out

    @staticmethod
    def _locate(data: bytes, matches: list[Match]) -> list[Match]:
        out = []
        line, line_start, cursor = 1, 0, 0
        for m in sorted(matches, key=lambda x: (x.start, x.rule.id)):
            line += data.count(b"\n", cursor, m.start)
            cursor = m.start
            line_start = data.rfind(b"\n", 0, m.start) + 1
            line_end = data.find(b"\n", m.start)
            text = data[line_start:line_end if line_end != -1 else len(data)]
            out.append(Match(rule=m.rule, value=m.value, start=m.start, end=m.end, line=line,
                             column=m.start - line_start + 1, encoding=m.encoding,
                             ignore=_ignore_marker(text), note=m.note))
        return out


def _ignore_marker(line: bytes) -> frozenset[str]:
    low = line.lower()
    if any(m in low for m in _FOREIGN_MARKERS):
        return frozenset({"*"})
    for marker in _IGNORE_MARKERS:
        at = line.find(marker)
        if at == -1:
            continue
        rest = line[at + len(marker):]
        if rest.startswith(b"["):
            inside = rest[1:rest.find(b"]")] if b"]" in rest else rest[1:]
            ids = {p.strip().decode("ascii", "replace").upper() for p in inside.split(b",")}
            return frozenset(i for i in ids if i)
        return frozenset({"*"})
    return frozenset()


#: a comment that says a value is not a credential: ``"whsec_…", // dummy secret``, or
#: ``// This is not actually a secret key`` on the line above
_NOT_REAL = re.compile(rb"(?:^|[\s,;)\]}])(?://|#|/\*|\*|<!--|--)[^\n]*?\b(?:dummy|fake|"
                       rb"not (?:a )?real|not (?:actually |really )?a (?:real )?(?:secret|key|"
                       rb"password|token|credential))\b", re.I)
_COMMENT_LINE = re.compile(rb"[ \t]*(?://|#|/\*|\*|<!--|--)")


def _marked_not_real(data: bytes, vs: int, ve: int) -> bool:
    """True when the rest of the value's line, or a comment line right above it, calls the
    value a dummy, a fake or not a secret."""
    end = data.find(b"\n", ve)
    rest = data[ve:end if end != -1 else len(data)]
    if len(rest) <= 200 and _NOT_REAL.search(rest) is not None:
        return True
    start = data.rfind(b"\n", 0, vs)
    if start <= 0:
        return False
    above = data[data.rfind(b"\n", 0, start) + 1:start]
    return len(above) <= 200 and _COMMENT_LINE.match(above) is not None and \
        _NOT_REAL.search(above) is not None


def _line_windows(regex: _Pattern, data: bytes) -> Iterator[tuple[int, int]]:
    """The lines (cut at ``LINE_WINDOW`` around a hit) where ``regex`` matches.

    A window runs from the start of the line where a match starts to the end of the line
    where it ends.

    The search resumes after each window, so hit-dense input (URL escapes, generic keys) costs
    one search per window, not one per hit, and nothing is kept per hit (bounded memory,
    linear time).
    """
    n = len(data)
    pos = 0
    while pos < n:
        m = regex.search(data, pos)
        if m is None:
            return
        p = m.start()
        lo = max(pos, p - LINE_WINDOW)
        start = data.rfind(b"\n", lo, p) + 1 or lo
        # to the end of the line where the match ends (a gate may take the next lines too)
        end = data.find(b"\n", m.end() - 1, min(n, p + LINE_WINDOW))
        end = end if end != -1 else min(n, p + LINE_WINDOW)
        yield start, end
        pos = max(end, m.end())


def _drop_overlaps(matches: list[Match]) -> list[Match]:
    """A generic match yields to any specific match it overlaps, and a match to an overlapping
    one whose rule ``replaces`` its rule (a Stripe-shaped key assigned to ``CLERK_SECRET_KEY``
    is Clerk's)."""
    specific = sorted((m for m in matches if not m.rule.generic), key=lambda m: m.start)
    if not specific:
        return matches
    starts = [o.start for o in specific]
    longest = max(o.end - o.start for o in specific)

    def yields(m: Match) -> bool:
        # the matches that may overlap m start before its end and at most `longest` before it
        i = bisect.bisect_left(starts, m.end) - 1
        while i >= 0 and starts[i] >= m.start - longest:
            o = specific[i]
            if o is not m and o.end > m.start and (m.rule.generic
                                                  or m.rule.id in o.rule.replaces):
                return True
            i -= 1
        return False

    return [m for m in matches if not yields(m)]
