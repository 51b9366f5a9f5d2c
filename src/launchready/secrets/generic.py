"""Generic secret assignments, read the way code is written.

A line such as ``SESSION_SECRET=...`` holds a credential only when a *literal* is assigned to a
*secret-named key*. This module finds those pairs on one line, per language family:

* code (JS/TS/JSX, Python, Go, Java/Kotlin, Ruby, PHP, C#, Rust ...): only string literals
  count — ``password = "..."``, ``token: string = "..."``, ``setProperty("db.password", "...")``,
  ``getenv("API_TOKEN", "...")``, ``$cfg['secret'] .= '...'``; literals joined with ``+`` are one
  value. Identifiers, member chains, calls and JSX expressions (``={isPasswordVisible}``) are
  never values.
* config (``.env``, YAML, TOML, INI, properties, shell, Makefile, Dockerfile): quoted literals
  and unquoted scalars (``KEY=value``, ``key: value``, ``X ?= value``).
* JSON and XML/HTML: quoted members (also JSON escaped inside a string, ``\\"k\\":\\"v\\"``), and
  ``<password>value</password>`` elements.

The key must name a secret by one of its words (``dbPassword``, ``client_secret``,
``API-KEY``, ``creds``, ``private-key``, ``auth``), and not be a name *about* a secret
(``tokenUrl``, ``passwordVisible``, ``secret_length``, ``isPasswordSet``). The value must look
generated: not a placeholder, template, path, URL, file name or a name made of words
(``NEXUS-GPT4-API-KEY``, ``newVerificationToken``), with enough entropy and character variety
for its length. Padded base64 (``...Y6g=``, what ``openssl rand -base64 32`` prints) is a value
like any other.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator
from itertools import pairwise

from launchready.secrets.values import is_placeholder, shannon_entropy

CODE, CONFIG, JSON, XML, DOCS, ANY = "code", "config", "json", "xml", "docs", ""

_CODE_SUFFIXES = frozenset({
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte", ".astro",
    ".py", ".pyi", ".go", ".java", ".kt", ".kts", ".scala", ".groovy", ".gradle", ".rb",
    ".php", ".cs", ".rs", ".swift", ".c", ".h", ".cc", ".cpp", ".hpp", ".m", ".dart", ".ex",
    ".exs", ".lua", ".pl", ".r", ".jl",
})
_CONFIG_SUFFIXES = frozenset({
    ".env", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".properties", ".sh", ".bash",
    ".zsh", ".fish", ".mk", ".tf", ".tfvars", ".hcl", ".npmrc", ".pypirc", ".netrc", ".txt",
    ".dockerfile",
})
_CONFIG_NAMES = frozenset({"makefile", "gnumakefile", "dockerfile", "procfile", ".npmrc",
                           ".pypirc", ".netrc", ".envrc", ".pgpass", ".yarnrc"})


_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "e2e", "cypress",
                        "fixtures", "__fixtures__", "testdata", "__mocks__", "mocks"})
_TEST_NAME = re.compile(r"(?:^test_.*\.py|.*_test\.(?:py|go|rb|exs)|.*\.(?:test|spec|e2e)\."
                        r"[cm]?[jt]sx?|.*(?:Test|Tests|Spec)\.(?:java|kt|cs|swift)|.*_spec\.rb"
                        r"|conftest\.py)$")


#: seed data of a non-production environment (Rails' ``db/seeds/test.rb``)
_SEED_ENVIRONMENTS = frozenset({"test", "development", "dev", "local"})


def is_test_path(path: str) -> bool:
    """True for a test file or a file under a test directory (``tests/``, ``__tests__/``,
    ``*.spec.ts``, ``test_*.py``, ``*_test.go``) or the seeds of a test or development
    environment (``db/seeds/test.rb``): its literals are fixtures."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2].lower() == "seeds" and \
            parts[-1].lower().rsplit(".", 1)[0] in _SEED_ENVIRONMENTS:
        return True
    return any(p.lower() in _TEST_DIRS for p in parts[:-1]) or bool(_TEST_NAME.match(parts[-1]))


def language_of(path: str) -> str:
    """The language family of a file name (``code``, ``config``, ``json``, ``xml`` or "")."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _CONFIG_NAMES or name.startswith((".env", "dockerfile")) or name.endswith(".env"):
        return CONFIG
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 else ""
    if suffix in _CODE_SUFFIXES:
        return CODE
    if suffix in _CONFIG_SUFFIXES:
        return CONFIG
    if suffix in (".md", ".mdx", ".markdown", ".rst", ".adoc"):
        return DOCS
    if suffix in (".json", ".jsonc", ".json5", ".ipynb", ".map"):
        return JSON
    if suffix in (".xml", ".html", ".htm", ".xhtml", ".plist", ".csproj", ".config", ".svg"):
        return XML
    return ANY


#: words of a key that make it secret-named (one part of ``db_password``, ``clientSecret`` ...)
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
                 "privatekey", "credential", "creds", "pwd")
_SECRET_PARTS = frozenset({"pass", "auth", "pw", "pat"})
_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"),
                    ("signing", "key"), ("encryption", "key"), ("master", "key"),
                    ("auth", "key"), ("license", "key")})
#: a key ending in one of these names something about a secret, not the secret
_ABOUT = frozenset({
    "name", "names", "label", "url", "uri", "urls", "endpoint", "host", "path", "paths", "file",
    "filename", "files", "dir", "length", "len", "size", "count", "type", "types", "kind",
    "field", "fields", "header", "headers", "prefix", "suffix", "pattern", "regex", "format",
    "mode", "policy", "expiry", "expires", "expiration", "exp", "ttl", "timeout", "lifetime",
    "age", "visible", "visibility", "hidden", "shown", "error", "errors", "exception",
    "response", "request", "props", "prop", "state", "schema", "input", "placeholder", "hint",
    "message", "msg", "text", "title", "description", "enabled", "required", "min", "max",
    "hash", "hashed", "digest", "env", "var", "variable", "ref", "version", "method", "scope",
    "scopes", "store", "storage", "provider", "manager", "service", "client", "handler",
    "callback", "location", "param", "params", "query", "strength", "rules", "rule", "changed",
    "id", "ids", "index", "cache", "event", "events", "route", "routes", "page", "component",
    "form", "button", "modal", "view", "screen", "dialog", "link", "icon", "class", "style",
    "column", "table", "key_name", "model", "models", "reset", "data", "status", "result",
    "valid", "invalid", "validator", "validation", "generator", "source", "option",
    "options", "config", "settings", "setting", "arn", "ssm", "vault", "parameter", "keys",
    "list", "map", "set", "flag", "mutation", "payload", "dto", "entity", "repository", "repo",
    "sent", "used", "issued", "created", "updated", "at", "on", "by", "to", "from", "of",
    "fn", "func", "function", "cb", "utils", "util", "helper", "helpers", "module", "lib",
    "test", "spec", "mock", "fixture", "example", "sample", "command", "cmd", "action",
    "reducer", "slice", "selector", "hook", "context", "loader", "render",
})
#: a key starting with one of these is a flag or an action about a secret
_FLAG_START = frozenset({"is", "has", "show", "should", "can", "use", "set", "get", "on",
                         "handle", "validate", "check", "with", "no", "allow", "enable",
                         "disable", "toggle", "forgot", "require", "needs", "need", "must",
                         "verify", "hide", "render", "update", "create", "delete", "refresh",
                         "fetch", "load", "save", "generate", "request", "send", "revoke",
                         "parse", "decode", "encode", "mask", "new", "old", "confirm"})
#: a token named after one of these identifies a thing, it grants nothing (Shopify's
#: ``checkout_token``, an API's ``nextPageToken``)
_IDENTIFYING = frozenset({"page", "checkout", "cart", "continuation", "cursor", "pagination",
                          "sync"})
#: services whose name starts with one of those words (``NEW_RELIC_API_KEY``)
_NAMES_OF_FLAG_WORDS = frozenset({("new", "relic")})

#: what a secret-named key contains (the scanner's keywords for this rule)
KEYWORDS = ("pass", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key",
            "access-key", "accesskey", "private_key", "private-key", "privatekey", "credential",
            "creds", "auth", "_pat", "license_key", "license-key", "licensekey")
#: the lines :func:`find` can accept: a keyword followed, later on the line, by an operator
#: (``=``, ``:``, ``,`` of a call, ``>`` of an element); the scanner hands it only those, so
#: the many lines that merely mention a token cost one regex pass, not a parse each. A line
#: left open (ending in ``=``, ``:``, ``+``, ``(``, ``,`` or a quote) whose next line starts
#: with a quote, or any line whose next line starts with ``+``, takes that line too, up to
#: three: a value on the line after its key, literals joined across lines, or an element's
#: text alone on the line after its opening tag
GATE = (b"(?i)(?:" + b"|".join(re.escape(k.encode()) for k in KEYWORDS) + b")[^\n]*?[=:,>]"
        rb"(?:(?:[^\n]*[=:+(,\"'`])?[ \t]*\r?\n[ \t]*[+\"'`]|[^\n]*\r?\n[ \t]*\+"
        rb"|[ \t]*\r?\n[^\n]*\r?\n[ \t]*</){0,3}")

_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_KEYWORD = re.compile(rb"(?i)pass|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
                      rb"license[_-]?key|credential|creds|auth|pw|pat")
#: ``: string``, ``: String``, ``: str``, Go's `` string`` before ``=``
_ANNOTATION = re.compile(rb"\s*(?::\s*)?(?:&'static\s+|&)?(?:str|string|String|CharSequence|"
                         rb"const\s+char\s*\*)\??\s*(?==[^=])")
_OPERATORS = (b":::=", b"::=", b":=", b"?=", b".=", b"+=", b"=>", b"=", b":", b",")
_SEPARATORS = re.compile(r"[-_./:]")
_WORD_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_INNER_NUMBER = re.compile(r"(?<=[A-Za-z])\d+(?=[A-Za-z])")
_TEMPLATE = ("${", "{{", "$(", "%s", "%(", "#{", "{0}", "{}", "<%", "%>", "$env", "process.env",
             "os.environ", "getenv", "env(", "\\n")
#: an enum member or constant name (``SMTP_API``, ``ROLE_ADMIN_2``)
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
#: a lower-case word prefix such as ``whsec_`` or ``sk_test_``
_WORD_PREFIX = re.compile(r"^[a-z]{2,8}(?:_[a-z]{2,8}){0,2}_")
_FILE_SUFFIX = re.compile(r"\.(?:pem|key|crt|cer|p12|pfx|json|txt|ya?ml|env|js|ts|py|jks|der|"
                          r"pub|gpg|asc|html|csv|toml|ini|cfg|conf|sh|db|sqlite)$", re.I)


def key_parts(name: str) -> list[str]:
    """The lower-case words of a key: ``dbPassword`` -> ``["db", "password"]``."""
    return [p.lower() for p in _PARTS.findall(name)]


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when ``name`` names a credential (``client_secret``, ``API_KEY``, ``pwd``)."""
    parts = key_parts(name)
    if not parts or parts[-1] in _ABOUT:
        return False
    if len(parts) >= 2 and parts[-1] == "token" and parts[-2] in _IDENTIFYING:
        return False
    if parts[0] in _FLAG_START and tuple(parts[:2]) not in _NAMES_OF_FLAG_WORDS:
        return False
    if any(w in p for p in parts for w in _SECRET_WORDS):
        return True
    if any(p in _SECRET_PARTS for p in parts):
        return True
    return any((a, b) in _PAIRS for a, b in pairwise(parts))


#: short words that names are made of (``NEXUS-GPT4-API-KEY``, ``newAppId``)
_SHORT_WORDS = frozenset({
    "api", "key", "new", "old", "app", "web", "dev", "env", "get", "set", "the", "and", "for",
    "use", "max", "min", "sso", "jwt", "aws", "gcp", "llm", "gpt", "ssh", "ftp", "org", "com",
    "net", "pub", "sub", "tmp", "var", "src", "lib", "log", "all", "url", "uri", "dsn", "pat",
    "sql", "sms", "otp", "mfa", "iam", "kms", "rsa", "ecc", "pem", "hex", "b64", "raw", "ttl",
})


def _wordy(part: str) -> bool:
    low = part.lower()
    if low in _SHORT_WORDS:
        return True
    vowels = sum(c in "aeiou" for c in low)
    return len(low) >= 4 and 0.2 <= vowels / len(low) <= 0.7


def looks_like_words(value: str) -> bool:
    """True for names made of words (``NEXUS-GPT4-API-KEY``, ``newVerificationToken``)."""
    letters = sum(c.isalpha() for c in value)
    if not letters:
        return False
    wordy = sum(len(p) for p in _WORD_PART.findall(value) if p.isalpha() and _wordy(p))
    # a number that is a whole part of the name (``0006_require_contenttypes_0002``, a
    # migration) is a sequence or a version, not randomness
    parts = _SEPARATORS.split(value)
    digits = sum(c.isdigit() for part in parts if not part.isdigit() for c in part)
    # random letters of one case fall into word-sized pieces by chance; a name puts a number
    # inside a run of letters at most once (``oauth2callback``, ``utf8``), random
    # alphanumerics more often (camel case marks its words: ``handleOauth2CallbackV2``)
    scattered = any(len(part) >= 12 and (part.islower() or part.isupper())
                    and len(_INNER_NUMBER.findall(part)) >= 2 for part in parts)
    return wordy >= 0.7 * letters and digits <= max(3, len(value) // 8) and not scattered


def looks_generated(value: str) -> bool:
    """True when a literal could be a generated credential rather than code, text or a name."""
    n = len(value)
    if not 8 <= n <= 256 or any(c.isspace() for c in value):
        return False
    low = value.lower()
    if is_placeholder(value.encode("utf-8", "replace")) or any(t in low for t in _TEMPLATE):
        return False
    if "://" in value or value.startswith(("/", "./", "../", "~/", "$", "#", "--", "{", "[", "(",
                                           "<", "%", "\\")):
        return False
    if value.startswith("-") and "=" in value:
        return False  # a command-line flag with its value (``-Dkey=value``)
    if _FILE_SUFFIX.search(value) or looks_like_words(value) or _CONSTANT.fullmatch(value):
        return False
    body = _WORD_PREFIX.sub("", value)
    if len(body) < 8 or is_placeholder(body.encode("utf-8", "replace")):
        return False  # ``whsec_1234``, ``sk_test_abc``: a known prefix and a stub
    if "/" in value and not any(c.isdigit() for c in value):
        return False  # a path or a MIME type
    if value.count(".") >= 2 and all(p.isidentifier() for p in value.split(".")):
        return False  # a member chain or a dotted name
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() for c in value)
    if not (lower or upper):
        # a number, a date or a version; but a long random number is a numeric secret
        return n >= 24 and value.isdigit() and len(set(value)) >= 7 and \
            sum(a != b for a, b in itertools.pairwise(value)) >= n // 2 and \
            shannon_entropy(value.encode()) >= 2.5
    classes = lower + upper + digit + symbol
    if classes < 2 or (not digit and not symbol and n < 20):
        return False
    # hex has 16 symbols: its entropy per character tops out at 4 bits (a UUID's dashes add
    # next to nothing)
    hexy = all(c in "0123456789abcdefABCDEF-" for c in value)
    floor = min(3.0 if hexy else 3.5, math.log2(n) * 0.85)
    return shannon_entropy(value.encode()) >= floor


def _name_bounds(line: bytes, at: int, end: int) -> tuple[int, int]:
    lo, hi = at, end
    while lo > 0 and line[lo - 1] in _NAME_CHARS and at - lo < 80:
        lo -= 1
    while hi < len(line) and line[hi] in _NAME_CHARS and hi - end < 80:
        hi += 1
    return lo, hi


#: a string literal on one line, per quote; backslash escapes stay as written
_LITERALS = {q: re.compile(rb"%s((?:[^%s\\\n]|\\.){0,512})%s" % (q, q, q))
             for q in (b'"', b"'", b"`")}
#: a JSON string escaped inside another string: ``\"value\"``
_ESCAPED = {q: re.compile(rb"\\%s([^%s\\\n]{0,512})\\%s" % (q, q, q)) for q in (b'"', b"'")}
#: a call's name and its opening parenthesis, right before a quoted key
_CALL = re.compile(rb"[A-Za-z0-9_$\]][ \t]*\([ \t]*$")
#: between two literals joined into one: ``+`` (on one line or across lines), or a line
#: break (Python's implicit concatenation inside parentheses)
_JOIN = re.compile(rb"\s*\+\s*|[ \t]*\r?\n\s*(?=[\"'])")
#: an unquoted scalar (``.env``, YAML, Makefile): up to a space, quote, ``;``, ``,``, ``#`` or
#: an escaped line break (``"X_TOKEN=…\\nNEXT=1"``: an env file held in a JSON or YAML string)
_SCALAR = re.compile(rb"(?:[^ \t\r\n\"'`;,#\\]|\\(?![nrt])){1,513}")
_MAX_LITERAL = 512
#: secret-named keys looked at in one line (the rest of a longer line is left to the
#: provider rules, which still see all of it)
MAX_KEYS_PER_LINE = 256


def _literal(line: bytes, pos: int, lang: str) -> tuple[int, int, bytes] | None:
    """The string literal at ``pos`` (its opening quote), joined across ``+`` in code."""
    parts: list[bytes] = []
    start = end = pos
    while True:
        escaped = line.startswith((b'\\"', b"\\'"), pos)
        quote = line[pos + escaped:pos + escaped + 1]
        regex = (_ESCAPED if escaped else _LITERALS).get(quote)
        m = regex.match(line, pos) if regex is not None else None
        if m is None:
            return (start, end, b"".join(parts)) if parts else None
        if quote == b"`" and b"${" in m.group(1):
            return None  # a template with interpolation
        if not parts:
            start = m.start(1)
        parts.append(m.group(1))
        end = m.end(1)
        join = _JOIN.match(line, m.end())
        if lang not in (CODE, ANY) or join is None or join.end() == m.end():
            return start, end, b"".join(parts)
        pos = join.end()


def _unquoted(line: bytes, pos: int) -> tuple[int, int, bytes] | None:
    m = _SCALAR.match(line, pos)
    if m is None or m.end() - pos > _MAX_LITERAL:
        return None  # empty, or longer than any credential
    return pos, m.end(), m.group()


def find(line: bytes, lang: str = ANY) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, value) of every secret-named literal assignment in ``line``."""
    if not any(op in line for op in (b"=", b":", b",", b">")):
        return  # no assignment, annotation, argument list or element on this line
    seen: set[int] = set()
    for kw in _KEYWORD.finditer(line):
        lo, hi = _name_bounds(line, kw.start(), kw.end())
        if lo in seen:
            continue
        if len(seen) >= MAX_KEYS_PER_LINE:
            return  # no code line assigns this many secrets; minified or hostile input
        seen.add(lo)
        name = line[lo:hi].strip(b".-$@").decode("ascii", "replace")
        if not is_secret_name(name):
            continue
        found = _value_after(line, lo, hi, lang)
        if found is None:
            continue
        vs, ve, value = found
        text = value.decode("utf-8", "replace")
        if text.lower() in name.lower() or not looks_generated(text):
            continue
        yield vs, ve, value


#: the default of a shell or compose parameter expansion: ``${NAME:-default}``,
#: ``${NAME:=default}``, ``${NAME=default}`` (used whenever the variable is unset)
_EXPANSION_DEFAULT = re.compile(rb":?[-=]([^}\s\"'`$]{1,512})\}")


def _value_after(line: bytes, lo: int, hi: int, lang: str) -> tuple[int, int, bytes] | None:
    if line[max(0, lo - 2):lo] == b"${":
        m = _EXPANSION_DEFAULT.match(line, hi)
        return (m.start(1), m.end(1), m.group(1)) if m is not None else None
    before = line[lo - 1:lo] if lo else b""
    quoted_key = before in (b'"', b"'", b"`")
    pos = hi
    if quoted_key and line[pos:pos + 1] == before:
        pos += 1
    elif line.startswith(b'\\"', pos):
        quoted_key = True
        pos += 2
    if lang in (XML, ANY) and before == b"<" and line[pos:pos + 1] == b">":
        close = line.find(b"</", pos + 1, pos + _MAX_LITERAL)
        if close == -1:
            return None
        # the text of the element, on its line or alone on the next one
        inner = line[pos + 1:close]
        start = pos + 1 + len(inner) - len(inner.lstrip())
        end = pos + 1 + len(inner.rstrip())
        return (start, end, line[start:end]) if b"\n" not in line[start:end] else None
    if line[pos:pos + 1] == b"]":
        pos += 1  # $cfg['password'] = / cfg["secret"] =
    ann = _ANNOTATION.match(line, pos)
    if ann is not None and lang in (CODE, ANY):
        pos = ann.end()
    while pos < len(line) and line[pos] in b" \t":
        pos += 1
    op = next((o for o in _OPERATORS if line.startswith(o, pos)), None)
    if op is None or (op == b":" and lang == CODE and line.startswith(b"::", pos)):
        return None
    if op == b"," and not (quoted_key and _CALL.search(line, 0, lo - 1)):
        return None  # only ``call("KEY", "value")``, never a list or a tuple of strings
    if op == b"=" and line[pos + 1:pos + 2] in (b"=", b"~"):
        return None  # a comparison
    if op == b"=" and pos and line[pos - 1:pos] in (b"!", b"<", b">"):
        return None
    pos += len(op)
    while pos < len(line) and line[pos] in b" \t":
        pos += 1
    if lang in (CODE, ANY) and line[pos:pos + 1] == b"(" and \
            line[pos + 1:].lstrip(b" \t")[:1] in (b"\r", b"\n"):
        pos += 1  # a value in parentheses over the next lines
        while pos < len(line) and line[pos] in b" \t":
            pos += 1
    if line[pos:pos + 1] in (b"\r", b"\n"):
        # the value on the next line (``password =`` then the literal): only a quoted one,
        # never the next line of a .env file
        while pos < len(line) and line[pos] in b" \t\r\n":
            pos += 1
        if line[pos:pos + 1] not in (b'"', b"'", b"`"):
            return None
    if lang == CODE and line[pos:pos + 1] in (b"b", b"r", b"u") and \
            line[pos + 1:pos + 2] in (b'"', b"'"):
        pos += 1  # Python b"..." / r"..."
    lit = _literal(line, pos, lang)
    if lit is not None:
        return lit
    if lang in (CONFIG, DOCS, ANY) and op != b",":
        return _unquoted(line, pos)
    if lang == JSON and op == b"=" and (before == b'"' or line[lo - 2:lo] == b"\\n"):
        return _unquoted(line, pos)  # an env file held in a JSON string: "X_TOKEN=…\nNEXT=1"
    return None
