"""The env contract's readers: dotenv and platform exports, the Python and JS/TS scanners."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from launchready.envcontract.envfiles import load_env_file
from launchready.envcontract.facts import ReadKind
from launchready.envcontract.jsscan import JsSyntaxError, scan_js
from launchready.envcontract.pyscan import scan_python
from launchready.envcontract.sourcetree import Language
from launchready.errors import ProbeError

PY_CASES = [
    ("environ-subscript", 'import os\nx = os.environ["A"]\n', [("A", ReadKind.REQUIRED)]),
    ("getenv", 'import os\nx = os.getenv("A", "d")\ny = os.getenv("B")\n',
     [("A", ReadKind.DEFAULTED), ("B", ReadKind.OPTIONAL)]),
    ("environ-get", 'from os import environ\nx = environ.get("A")\n',
     [("A", ReadKind.OPTIONAL)]),
    ("alias", 'import os as o\nx = o.environ["A"]\n', [("A", ReadKind.REQUIRED)]),
    ("constant-key", 'import os\nK = "A"\nx = os.environ[K]\n', [("A", ReadKind.REQUIRED)]),
    ("in-environ", 'import os\nif "A" in os.environ: pass\n', [("A", ReadKind.DEFAULTED)]),
    ("writes-ignored", 'import os\nos.environ["A"] = "1"\nos.environ.setdefault("B", "x")\n',
     []),
    ("dynamic-ignored", 'import os\nx = os.environ[name]\n', []),
    ("not-os", 'environ = {}\nx = environ["A"]\n', []),
    ("settings", "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
                 "from pydantic import Field\n"
                 "class S(BaseSettings):\n"
                 "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
                 "    db_url: str\n"
                 "    port: int = 8000\n"
                 "    key: str = Field(alias='THE_KEY')\n"
                 "    other: str = Field(default='x')\n",
     [("APP_DB_URL", ReadKind.REQUIRED), ("APP_PORT", ReadKind.DEFAULTED),
      ("THE_KEY", ReadKind.REQUIRED), ("APP_OTHER", ReadKind.DEFAULTED)]),
    ("settings-subclass-config", "import pydantic_settings\n"
                                 "class Base(pydantic_settings.BaseSettings):\n"
                                 "    a: str\n"
                                 "class S(Base):\n"
                                 "    class Config:\n"
                                 "        env_prefix = 'X_'\n"
                                 "    b: str | None = None\n",
     [("A", ReadKind.REQUIRED), ("X_B", ReadKind.DEFAULTED)]),
    ("django-environ", "import environ\nenv = environ.Env()\nA = env('A')\n"
                       "B = env.bool('B', default=False)\nC = env.db('C')\n",
     [("A", ReadKind.REQUIRED), ("B", ReadKind.DEFAULTED), ("C", ReadKind.REQUIRED)]),
    ("decouple", "from decouple import config\nA = config('A')\nB = config('B', default='x')\n",
     [("A", ReadKind.REQUIRED), ("B", ReadKind.DEFAULTED)]),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in PY_CASES],
                         ids=[c[0] for c in PY_CASES])
def test_python_env_reads(source: str, expected: list[tuple[str, ReadKind]]) -> None:
    assert [(r.name, r.kind) for r in scan_python(source, "m.py").reads] == expected


JS_CASES = [
    ("member", "const a = process.env.A;", [("A", ReadKind.OPTIONAL)]),
    ("subscript", 'const a = process.env["A"] ?? "x";', [("A", ReadKind.DEFAULTED)]),
    ("or-default", 'const a = (process.env.A as string) || "x";', [("A", ReadKind.DEFAULTED)]),
    ("guarded", "if (process.env.A) {}; const b = process.env.B ? 1 : 0;"
                " const c = process.env.C === 'true';",
     [("A", ReadKind.DEFAULTED), ("B", ReadKind.DEFAULTED), ("C", ReadKind.DEFAULTED)]),
    ("t3-env", "export const env = createEnv({ server: { A: z.string().min(1), "
               "B: z.string().optional() }, client: { NEXT_PUBLIC_C: z.enum(['x']).default('x'),"
               " NEXT_PUBLIC_D: z.string().url() }, runtimeEnv: { A: process.env.A } });",
     [("A", ReadKind.REQUIRED), ("B", ReadKind.DEFAULTED), ("NEXT_PUBLIC_C", ReadKind.DEFAULTED),
      ("NEXT_PUBLIC_D", ReadKind.REQUIRED), ("A", ReadKind.OPTIONAL)]),
    ("non-null", "const a: string = process.env.A!;", [("A", ReadKind.REQUIRED)]),
    ("import-meta", "const a = import.meta.env.VITE_A; const m = import.meta.env.MODE;",
     [("VITE_A", ReadKind.REQUIRED)]),
    ("import-meta-defaulted", 'const a = import.meta.env.VITE_A ?? "/api";',
     [("VITE_A", ReadKind.DEFAULTED)]),
    ("destructuring", 'const { A, B: b, C = "d", ...rest } = process.env;',
     [("A", ReadKind.OPTIONAL), ("B", ReadKind.OPTIONAL), ("C", ReadKind.DEFAULTED)]),
    ("destructuring-meta", "const { VITE_A, DEV } = import.meta.env;",
     [("VITE_A", ReadKind.OPTIONAL)]),
    ("write-ignored", 'process.env.A = "1";', []),
    ("other-object", "const a = config.env.A;", []),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in JS_CASES],
                         ids=[c[0] for c in JS_CASES])
def test_typescript_env_reads(source: str, expected: list[tuple[str, ReadKind]]) -> None:
    assert [(r.name, r.kind) for r in scan_js(source, "a.ts", Language.TYPESCRIPT).reads] \
        == expected


def test_tsx_and_js_grammars() -> None:
    tsx = "export const B = () => <b>{process.env.NEXT_PUBLIC_A as string}</b>;"
    assert [r.name for r in scan_js(tsx, "a.tsx", Language.TSX).reads] == ["NEXT_PUBLIC_A"]
    jsx = "export const B = () => <b>{process.env.NEXT_PUBLIC_A}</b>;"
    assert [r.name for r in scan_js(jsx, "a.jsx", Language.JAVASCRIPT).reads] == ["NEXT_PUBLIC_A"]


def test_ts_syntax_error_names_line() -> None:
    with pytest.raises(JsSyntaxError) as info:
        scan_js("const a = 1;\nfunction f( {\n", "a.ts", Language.TYPESCRIPT)
    assert info.value.line == 2


def test_read_location_is_one_based() -> None:
    read = scan_js("\n  const x = process.env.A;", "a.ts", Language.TYPESCRIPT).reads[0]
    assert (read.line, read.column) == (2, 25)


DOTENV = (
    "# comment\n"
    "export A=1\n"
    "B='single $NOT_EXPANDED'\n"
    'C="double"\n'
    "D\n"
    "E=\n"
    "not a line\n"
    "F=  trimmed  \n"
)


def test_dotenv_rules(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(DOTENV, encoding="utf-8")
    snap = load_env_file(path)
    shown = {k: (None if x is None else x.raw) for k, x in snap.values.items()}
    assert shown == {"A": "1", "B": "single $NOT_EXPANDED", "C": "double", "D": None, "E": "",
                     "F": "trimmed"}
    assert [s.item for s in snap.skipped] == [".env:7"]


@pytest.mark.parametrize(("payload", "names_only", "expected"), [
    ({"A": "1", "B": 2}, False, {"A": "1", "B": "2"}),
    ([{"envVar": {"key": "A", "value": "1"}, "cursor": "x"}], False, {"A": "1"}),
    ({"envs": [{"key": "A", "value": "1", "target": ["production"]}]}, False, {"A": "1"}),
    ([{"Name": "A", "Digest": "abc", "CreatedAt": "2026-01-01"}], True, {"A": None}),
], ids=["heroku-railway-object", "render-api", "vercel-api", "fly-secrets-list"])
def test_platform_json_exports(tmp_path: Path, payload: object, names_only: bool,
                               expected: dict[str, str | None]) -> None:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    snap = load_env_file(path)
    assert snap.names_only is names_only
    assert {k: (None if x is None else x.raw) for k, x in snap.values.items()} == expected


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"), (b"A=1\x00\x01", "binary"), (b"\xff\xfeA=1", "not UTF-8"),
    (b"{not json", "not valid JSON"),
], ids=["missing", "binary", "latin1", "bad-json"])
def test_unreadable_env_file_is_a_probe_error(tmp_path: Path, content: bytes | None,
                                              message: str) -> None:
    path = tmp_path / ".env"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ProbeError, match=message):
        load_env_file(path)


def test_python_newer_than_the_interpreter_is_still_scanned() -> None:
    from launchready.envcontract.pyscan import scan_python
    source = ("import os\n"
              "type Alias = list[int]\n"
              "def f[T](x: T) -> T:\n"
              "    return os.environ['A']\n"
              "class S[T]:\n"
              "    B = os.getenv('B')\n"
              "C = os.environ['C']\n")
    result = scan_python(source, "m.py")
    assert [(r.name, r.line) for r in result.reads] == [("A", 4), ("B", 6), ("C", 7)]
    import sys
    assert result.unread_lines == (() if sys.version_info >= (3, 12) else (2,))


def test_python_syntax_error_is_still_an_error() -> None:
    from launchready.envcontract.pyscan import scan_python
    with pytest.raises(SyntaxError):
        scan_python("def f(:\n    pass\n", "bad.py")


def test_utf16_and_bom_sources_are_read(tmp_path: Path) -> None:
    from launchready.envcontract.scan import scan_tree
    (tmp_path / "a.py").write_bytes("import os\nX = os.environ['U16']\n".encode("utf-16"))
    (tmp_path / "b.py").write_bytes(b"\xef\xbb\xbfimport os\nY = os.environ['BOM']\n")
    scan = scan_tree([tmp_path], tmp_path)
    assert sorted(r.name for r in scan.reads) == ["BOM", "U16"]
    assert scan.skipped == ()


def test_declarations_and_lint_read_statements_not_lines() -> None:
    from launchready.envcontract.declarations import declarations_in, lint_dotenv
    text = ('# Optional\n\n# JACKSON_URL=https://sso.example\nA=1\n'
            'KEY="-----BEGIN KEY-----\nMIIEvQ==\n-----END KEY-----"\n\n\nexport B=2\nA=3\n')
    names = [(d.name, d.line, d.commented) for d in declarations_in(text, ".env.example")]
    assert names == [("JACKSON_URL", 3, True), ("A", 4, False), ("KEY", 5, False),
                     ("B", 10, False), ("A", 11, False)]
    assert [(i.kind, i.name, i.line) for i in lint_dotenv(text, ".env.example")] == [
        ("duplicate", "A", 11)]
