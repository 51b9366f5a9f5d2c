"""The scanning engine: keyword prefilter, windowed rule matching, decoding of encoded values.

How a buffer is scanned:

1. One case-insensitive alternation of every rule keyword runs over the whole buffer. With
   google-re2 (a DFA, linear in the input) this runs at roughly 600 MB/s here; without it the
   fallback lower-cases the buffer and looks each keyword up with ``bytes.find`` (about
   50 MB/s for the whole table — the price of not having re2, measured on a 90 MB corpus).
2. Each keyword hit opens a bounded window (its line, cut at ±1 KiB; 16 KiB forward for
   multi-line rules such as private keys). Only the rules owning that keyword run, and only
   inside merged windows, so the work is linear in the input even for a 100k-space line or
   10k quotes: every regex sees at most the windows, and with re2 every regex is linear too.
3. Candidates must not be placeholders or documented examples, must reach the rule's entropy
   floor and pass its validity check (checksums, JWT header); a generic match yields to any
   specific one it overlaps.
4. Base64 runs, URL-encoded and JSON-escaped lines are decoded and scanned again, up to
   ``max_depth`` levels (so doubly-encoded values are found), with a bound on decoded bytes.

Most buffers hold none of that (4,881 of the 5,000 files of ``bench/secrets_bench.py``'s
tree), so :meth:`Scanner.scan` first runs one search for "any keyword, base64 run or escape"
and returns at once when it finds nothing: one regex pass instead of four, and no Python work
per hit. Joining many files into one buffer for that pass would be slower: the join copies
every byte, while a search call costs a few microseconds.

Values live only inside :class:`Match` (``repr`` hides them); everything that leaves carries
the salted hash and the masked form.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from launchready.secrets.generic import DOCS, language_of
from launchready.secrets.redact import mask, value_hash
from launchready.secrets.rules import RULES, Rule
from launchready.secrets.values import is_placeholder, shannon_entropy

try:  # pragma: no branch - which engine exists is a property of the install
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by forcing engine="re" in tests
    _re2 = None

LINE_WINDOW = 1024
MULTILINE_WINDOW = 16384
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
        by_kw: dict[bytes, list[int]] = defaultdict(list)
        for i, rule in enumerate(self.rules):
            for kw in rule.keywords:
                by_kw[kw.lower().encode()].append(i)
        # the prefilter reports one keyword per position, the longest: it stands for every
        # keyword inside it too ("xoxe-" also opens the window of the rule keyed on "xoxe")
        self._by_kw = {kw: sorted({i for other, idxs in by_kw.items() if other in kw
                                   for i in idxs}) for kw in by_kw}
        # longest keywords first so an alternation reports the most specific one
        kws = sorted(self._by_kw, key=len, reverse=True)
        self._kw_list = kws
        alternation = b"(?i)(?:" + b"|".join(re.escape(k) for k in kws) + b")"
        self._prefilter = _compile(alternation, "re2") if self.engine == "re2" else None
        self._b64 = _compile(_B64_RUN, self.engine)
        self._url = _compile(_URL_ESC, self.engine)
        self._json = _compile(_JSON_ESC, self.engine)
        # everything a scan starts from: a keyword, or encoded text that `_decoded` unpacks
        self._any = (_compile(b"(?i:" + b"|".join(re.escape(k) for k in kws) + b")|"
                              + b"|".join((_B64_RUN, _URL_ESC, _JSON_ESC)), "re2")
                     if self.engine == "re2" else None)

    # -- public -----------------------------------------------------------------------------

    def scan(self, data: bytes, path: str = "") -> list[Match]:
        """Every secret in ``data``, in offset order, with 1-based line and column.

        ``path`` (the file's name) tells the generic rule which language family to read.
        """
        if not self.could_match(data):
            return []
        found = self._scan(data, depth=0, lang=language_of(path) if path else "")
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

    def _hits(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        if self._prefilter is not None:
            for m in self._prefilter.finditer(data):
                yield m.start(), m.group().lower()
            return
        low = data.lower()
        for kw in self._kw_list:
            pos = low.find(kw)
            while pos != -1:
                yield pos, kw
                pos = low.find(kw, pos + 1)

    def _windows(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Per rule, the merged windows around its keyword hits (memory bounded by lines)."""
        windows: dict[int, list[tuple[int, int]]] = defaultdict(list)
        n = len(data)
        line_lo = line_hi = -1
        for pos, kw in self._hits(data):
            if not line_lo <= pos < line_hi:
                lo = max(0, pos - LINE_WINDOW)
                line_lo = data.rfind(b"\n", lo, pos) + 1 or lo
                end = data.find(b"\n", pos, min(n, pos + LINE_WINDOW))
                # the newline is kept in the window: re2 does not treat ``endpos`` as ``$``
                line_hi = end + 1 if end != -1 else min(n, pos + LINE_WINDOW)
            for idx in self._by_kw.get(kw, ()):
                span = ((max(0, pos - 64), min(n, pos + MULTILINE_WINDOW))
                        if self.rules[idx].multiline else (line_lo, line_hi))
                spans = windows[idx]
                if spans and span[0] <= spans[-1][1] and span[1] >= spans[-1][0]:
                    spans[-1] = (min(span[0], spans[-1][0]), max(span[1], spans[-1][1]))
                else:
                    spans.append(span)
        return {idx: _merge(spans) for idx, spans in windows.items()}

    def _candidates(self, idx: int, data: bytes, ws: int, we: int,
                    lang: str) -> Iterator[tuple[int, int, bytes]]:
        rule, regex = self.rules[idx], self._regex[idx]
        if rule.finder is not None:
            at = ws
            while at < we:
                eol = data.find(b"\n", at, we)
                stop = we if eol == -1 else eol
                line = data[at:stop]
                for vs, ve, value in rule.finder(line, lang):
                    yield at + vs, at + ve, value
                at = stop + 1
            return
        if regex is None:
            return
        for m in regex.finditer(data, ws, we):
            vs, ve = m.span(rule.group)
            if vs >= 0:
                yield vs, ve, data[vs:ve]

    def _scan(self, data: bytes, *, depth: int, lang: str = "") -> list[Match]:
        found: dict[tuple[str, int], Match] = {}
        for idx, spans in self._windows(data).items():
            rule = self.rules[idx]
            for ws, we in spans:
                for vs, ve, value in self._candidates(idx, data, ws, we, lang):
                    if (rule.id, vs) in found or not self._accept(rule, value):
                        continue
                    note = rule.context(data, vs, ve) if rule.context is not None else ""
                    if note is None:
                        continue  # a documentation example
                    if rule.generic and lang == DOCS and not note:
                        note = ("in documentation: most likely an example; rotate it if it "
                                "is a real credential")
                    found[(rule.id, vs)] = Match(rule=rule, value=value, start=vs, end=ve,
                                                 note=note)
        matches = _drop_generic_overlaps(sorted(found.values(), key=lambda m: m.start))
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
                if key in seen:
                    continue
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
            for ws, we in _escape_windows(regex, data):
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


def _escape_windows(regex: _Pattern, data: bytes) -> Iterator[tuple[int, int]]:
    """The lines (cut at ``LINE_WINDOW`` past an escape) that hold URL or JSON escapes.

    The search resumes after each window, so escape-dense input costs one search per window,
    not one per escape, and nothing is kept per escape (bounded memory, linear time).
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
        end = data.find(b"\n", p, min(n, p + LINE_WINDOW))
        end = end if end != -1 else min(n, p + LINE_WINDOW)
        yield start, end
        pos = max(end, m.end())


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _drop_generic_overlaps(matches: list[Match]) -> list[Match]:
    specific = [(m.start, m.end) for m in matches if not m.rule.generic]
    if not specific:
        return matches
    return [m for m in matches
            if not m.rule.generic or not any(s < m.end and m.start < e for s, e in specific)]
