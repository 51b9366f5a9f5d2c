"""Python source via :mod:`ast`: environment reads and outbound HTTP calls without a timeout.

Syntax newer than the running interpreter is handled by :mod:`.pyparse` (tree-sitter-python).

Env reads (names must be string literals or module-level string constants):

* ``os.environ["X"]`` — required (``KeyError`` when unset); ``os.getenv("X")``,
  ``os.environ.get("X")`` — optional; ``os.getenv("X", "fallback")`` and ``"X" in os.environ``
  — defaulted (the code decides what an unset variable means). ``os.environ.setdefault``
  and assignments to ``os.environ`` are writes, not reads.
* pydantic-settings: every field of a ``BaseSettings`` subclass (also subclasses of such a
  class in the same module) is read as ``env_prefix + NAME`` (``alias``/``validation_alias``
  replace the whole name, as pydantic-settings does); a field without a default is required,
  one with a default is defaulted.
* django-environ (``env = environ.Env()``; ``env("X")``, ``env.str("X")``, ``env.db(...)``)
  and python-decouple (``config("X")``): required unless a ``default`` is given.

HTTP calls (imports are followed, so ``from requests import get`` and ``import requests as r``
are recognised; calls passing ``**kwargs`` are not judged):

* ``requests.get/post/...``/``requests.request`` and methods of a ``requests.Session()``
  without ``timeout=`` (requests waits forever by default; sessions have no default timeout).
* ``httpx`` defaults to 5 seconds, so only an explicit ``timeout=None`` (on a call, a
  ``Client``/``AsyncClient`` or a client's method) is a finding.
* ``aiohttp.ClientSession(...)`` and ``aiohttp.request(...)`` without ``timeout=`` (aiohttp's
  default allows 5 minutes per request, longer than any request handler should wait).
* ``urllib.request.urlopen(url)`` without ``timeout`` (it waits for the socket default,
  which is forever).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from launchready.envcontract.facts import EnvRead, FileScan, HttpCall, ReadKind
from launchready.envcontract.pyparse import parse_python

_REQUESTS_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                             "request"})
_ENVIRON_METHODS = frozenset({"str", "bool", "int", "float", "list", "tuple", "dict", "json",
                              "url", "db", "db_url", "cache", "cache_url", "email",
                              "email_url", "search_url", "path", "bytes", "decimal"})
_SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic.BaseSettings",
                             "pydantic.v1.BaseSettings"})


def _dotted(node: ast.expr) -> str | None:
    """``self.session`` for an attribute chain of names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.settings_classes: set[str] = set()
        # dotted name -> "requests" / "httpx" / "aiohttp" client kind
        self.clients: dict[str, str] = {}
        self.scope: list[str] = []
        self.reads: list[EnvRead] = []
        self.calls: list[HttpCall] = []
        # names bound to ``environ.Env(...)`` (django-environ), called as env("X")
        self.environ_readers: set[str] = set()

    # --- names ---------------------------------------------------------------------------------

    def qualname(self, node: ast.expr) -> str | None:
        """The imported thing an expression names (``os.environ``), or None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def string(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def read(self, name: str, node: ast.AST, kind: ReadKind, via: str) -> None:
        self.reads.append(EnvRead(name=name, path=self.path, line=getattr(node, "lineno", 1),
                                  column=getattr(node, "col_offset", 0) + 1, kind=kind, via=via))

    def call(self, node: ast.Call, library: str, callee: str, problem: str) -> None:
        self.calls.append(HttpCall(path=self.path, line=node.lineno, column=node.col_offset + 1,
                                   library=library, callee=callee,
                                   scope=".".join(self.scope) or "<module>", problem=problem))

    # --- structure -----------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.scope and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = self.string(node.value)
            if value is not None:
                self.constants[node.targets[0].id] = value
            if (isinstance(node.value, ast.Call)
                    and self.qualname(node.value.func) in ("environ.Env", "environ.FileAwareEnv")):
                self.environ_readers.add(node.targets[0].id)
        for target in node.targets:
            self._bind_client(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind_client(node.target, node.value)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_client(item.optional_vars, item.context_expr)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_client(item.optional_vars, item.context_expr)
        self.generic_visit(node)

    def _bind_client(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return
        name = self.qualname(value.func)
        dotted = _dotted(target)
        if name is None or dotted is None:
            return
        kind = {"requests.Session": "requests", "requests.session": "requests",
                "requests.sessions.Session": "requests", "httpx.Client": "httpx",
                "httpx.AsyncClient": "httpx", "aiohttp.ClientSession": "aiohttp"}.get(name)
        if kind is not None:
            self.clients[dotted] = kind

    def _scoped(self, name: str, node: ast.AST) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self._is_settings(node):
            self.settings_classes.add(node.name)
            self._settings_fields(node)
        self._scoped(node.name, node)

    # --- env reads -----------------------------------------------------------------------------

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load) and self.qualname(node.value) == "os.environ":
            name = self.string(node.slice)
            if name is not None:
                self.read(name, node, ReadKind.REQUIRED, "os.environ[...]")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if (len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn)
                and self.qualname(node.comparators[0]) == "os.environ"):
            name = self.string(node.left)
            if name is not None:
                self.read(name, node, ReadKind.DEFAULTED, "in os.environ")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualname(node.func)
        if name in ("os.getenv", "os.environ.get"):
            var = self.string(node.args[0]) if node.args else self.string(
                next((k.value for k in node.keywords if k.arg == "key"), None))
            default = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "default"), None)
            if var is not None:
                self.read(var, node, ReadKind.OPTIONAL if _is_none(default)
                          else ReadKind.DEFAULTED, f"{name}()")
        else:
            self._library_read(node, name)
        self._http(node, name)
        self.generic_visit(node)

    def _library_read(self, node: ast.Call, name: str | None) -> None:
        """django-environ ``env("X")``/``env.str("X", default=...)``, decouple ``config("X")``."""
        via: str | None = None
        if name in ("decouple.config", "decouple.AutoConfig"):
            via = "decouple config()"
        elif isinstance(node.func, ast.Name) and node.func.id in self.environ_readers:
            via = "environ.Env()"
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id in self.environ_readers
              and node.func.attr in _ENVIRON_METHODS):
            via = f"environ.Env().{node.func.attr}()"
        if via is None or not node.args:
            return
        var = self.string(node.args[0])
        if var is None:
            return
        has_default = (len(node.args) > 1 and via.startswith("decouple")) or any(
            k.arg == "default" for k in node.keywords)
        if not has_default and via == "environ.Env()" and len(node.args) > 2:
            has_default = True  # env("X", cast, default)
        self.read(var, node, ReadKind.DEFAULTED if has_default else ReadKind.REQUIRED, via)

    # --- pydantic-settings ---------------------------------------------------------------------

    def _is_settings(self, node: ast.ClassDef) -> bool:
        for base in node.bases:
            qual = self.qualname(base)
            if qual in _SETTINGS_BASES:
                return True
            if isinstance(base, ast.Name) and base.id in self.settings_classes:
                return True
        return False

    def _prefix(self, node: ast.ClassDef) -> str:
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None
                    and any(_dotted(t) == "model_config" for t in _targets(stmt))):
                value = stmt.value
                if isinstance(value, ast.Call):
                    for kw in value.keywords:
                        if kw.arg == "env_prefix":
                            return self.string(kw.value) or ""
                elif isinstance(value, ast.Dict):
                    for key, item in zip(value.keys, value.values, strict=True):
                        if key is not None and self.string(key) == "env_prefix":
                            return self.string(item) or ""
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                for inner in stmt.body:
                    if (isinstance(inner, ast.Assign)
                            and any(_dotted(t) == "env_prefix" for t in inner.targets)):
                        return self.string(inner.value) or ""
        return ""

    def _settings_fields(self, node: ast.ClassDef) -> None:
        prefix = self._prefix(node)
        for stmt in node.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            field = stmt.target.id
            if field.startswith("_") or field == "model_config":
                continue
            annotation = ast.unparse(stmt.annotation)
            if annotation.startswith(("ClassVar", "typing.ClassVar")):
                continue
            required = stmt.value is None
            name = f"{prefix}{field}".upper()
            value = stmt.value
            if isinstance(value, ast.Call) and (self.qualname(value.func) or "").endswith(
                    ".Field"):
                keywords = {kw.arg: kw.value for kw in value.keywords if kw.arg}
                has_default = "default" in keywords or "default_factory" in keywords or (
                    bool(value.args) and not (isinstance(value.args[0], ast.Constant)
                                              and value.args[0].value is Ellipsis))
                required = not has_default
                alias = self.string(keywords.get("validation_alias")) or self.string(
                    keywords.get("alias"))
                if alias:
                    name = alias.upper()
            self.read(name, stmt, ReadKind.REQUIRED if required else ReadKind.DEFAULTED,
                      f"{node.name} (BaseSettings field)")

    # --- outbound HTTP -------------------------------------------------------------------------

    def _http(self, node: ast.Call, name: str | None) -> None:
        if any(kw.arg is None for kw in node.keywords):
            return  # **kwargs may carry the timeout; do not guess
        timeout = next((kw.value for kw in node.keywords if kw.arg == "timeout"), None)
        timeout_none = isinstance(timeout, ast.Constant) and timeout.value is None
        callee = ast.unparse(node.func)
        if name is not None:
            module, _, attr = name.rpartition(".")
            missing = timeout is None
            library: str | None = None
            if module == "requests" and attr in _REQUESTS_VERBS:
                library = "requests"
            elif module == "httpx" and (attr in _REQUESTS_VERBS or attr in (
                    "stream", "Client", "AsyncClient")):
                library, missing = "httpx", False  # httpx's 5 s default applies
            elif name in ("aiohttp.ClientSession", "aiohttp.request"):
                library = "aiohttp"
            elif name == "urllib.request.urlopen":
                library, missing = "urllib", timeout is None and len(node.args) < 3
            if library is not None and (missing or timeout_none):
                self.call(node, library, callee,
                          "timeout-none" if timeout_none else "no-timeout")
            return
        if not isinstance(node.func, ast.Attribute):
            return
        owner = _dotted(node.func.value)
        kind = self.clients.get(owner) if owner else None
        verb = node.func.attr
        if kind == "requests" and verb in _REQUESTS_VERBS and (timeout is None or timeout_none):
            self.call(node, "requests", callee, "timeout-none" if timeout_none else "no-timeout")
        elif kind == "httpx" and (verb in _REQUESTS_VERBS or verb == "stream") and timeout_none:
            self.call(node, "httpx", callee, "timeout-none")


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _targets(stmt: ast.Assign | ast.AnnAssign) -> Iterator[ast.expr]:
    if isinstance(stmt, ast.Assign):
        yield from stmt.targets
    else:
        yield stmt.target


def scan_python(text: str, path: str) -> FileScan:
    """Env reads and timeout-less HTTP calls in one Python file; SyntaxError propagates."""
    tree, patched = parse_python(text, path)
    scanner = _Scanner(path)
    scanner.visit(tree)
    return FileScan(reads=tuple(scanner.reads), calls=tuple(scanner.calls),
                    unread_lines=patched)
