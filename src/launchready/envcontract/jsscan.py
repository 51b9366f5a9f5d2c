"""JavaScript/TypeScript source via tree-sitter: env reads and outbound calls without a timeout.

Parsed with the tree-sitter grammars for JavaScript (also JSX), TypeScript and TSX. A file whose
tree has a syntax error is not judged (:class:`JsSyntaxError` names the first bad line): error
recovery could attribute a read or a call to the wrong place.

Env reads are optional (a missing variable is ``undefined``) except ``process.env.X!``, which
TypeScript code uses to say "always set", and a bare ``import.meta.env.X`` (Vite inlines it at
build time); a read followed by ``??``/``||`` or a destructuring default is *defaulted*:

* ``process.env.X``, ``process.env["X"]``, ``import.meta.env.X`` (Vite's built-ins ``MODE``,
  ``BASE_URL``, ``PROD``, ``DEV`` and ``SSR`` are not variables);
* destructuring: ``const { A, B: b, C = "x" } = process.env`` (and ``import.meta.env``).

t3-env's ``createEnv({server: {...}, client: {...}})`` declares reads too: each key is required
unless its schema is ``.optional()``/``.default()``.

Calls:

* ``fetch(url)`` / ``fetch(url, {...})`` (also ``globalThis.fetch``/``window.fetch``) without a
  ``signal`` (``AbortSignal.timeout(ms)``) — fetch never times out on its own. Options passed as
  a variable or with a spread are not judged.
* ``axios(...)``, ``axios.get/post/...`` and ``axios.create({...})`` without ``timeout`` in their
  config (axios's default is 0: wait forever). Instances made by ``axios.create({timeout})`` and
  projects that set ``axios.defaults.timeout`` pass; calls on an instance are judged at its
  ``create``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from launchready.envcontract.facts import EnvRead, FileScan, HttpCall, ReadKind
from launchready.envcontract.sourcetree import Language

_VITE_BUILTINS = frozenset({"MODE", "BASE_URL", "PROD", "DEV", "SSR"})
_WRAPPERS = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                       "satisfies_expression", "type_assertion"})
# axios method -> index of its config argument
_AXIOS_CONFIG_ARG = {"request": 0, "get": 1, "delete": 1, "head": 1, "options": 1,
                     "post": 2, "put": 2, "patch": 2, "postForm": 2, "putForm": 2,
                     "patchForm": 2}
_SCOPES = frozenset({"function_declaration", "generator_function_declaration",
                     "method_definition", "class_declaration", "function_expression"})


class JsSyntaxError(ValueError):
    """The file does not parse; ``line`` is the first line with an error (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"syntax error at line {line}")
        self.line = line


@functools.cache
def _parser(language: Language) -> tree_sitter.Parser:
    match language:
        case Language.TYPESCRIPT:
            grammar = tree_sitter_typescript.language_typescript()
        case Language.TSX:
            grammar = tree_sitter_typescript.language_tsx()
        case _:
            grammar = tree_sitter_javascript.language()
    return tree_sitter.Parser(tree_sitter.Language(grammar))


def _text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _unwrap(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    while node is not None and node.type in _WRAPPERS:
        node = node.named_children[0] if node.named_children else None
    return node


def _env_object(node: tree_sitter.Node | None) -> str | None:
    """``process.env`` or ``import.meta.env`` when ``node`` is that object, else None."""
    node = _unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    if _text(prop) != "env" or obj is None:
        return None
    if obj.type == "identifier" and _text(obj) == "process":
        return "process.env"
    if obj.type == "member_expression" and _text(obj).replace(" ", "") == "globalThis.process":
        return "process.env"
    if obj.type == "meta_property":
        return "import.meta.env"
    return None


def _string_value(node: tree_sitter.Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")


def _first_error_line(root: tree_sitter.Node) -> int:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node.start_point[0] + 1
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root.start_point[0] + 1


def _object_keys(node: tree_sitter.Node) -> tuple[set[str], bool]:
    """Keys of an object literal, and whether it has a spread (then keys are not known)."""
    keys: set[str] = set()
    spread = False
    for child in node.named_children:
        if child.type == "spread_element":
            spread = True
        elif child.type == "shorthand_property_identifier":
            keys.add(_text(child))
        elif child.type in ("pair", "method_definition"):
            key = child.child_by_field_name("key") or child.child_by_field_name("name")
            if key is not None:
                keys.add(_string_value(key) or _text(key))
    return keys, spread


def _browser_only(arguments: list[tree_sitter.Node]) -> bool:
    """A fetch only a browser can make: a same-origin relative URL (``fetch("/api/x")`` —
    server runtimes need an absolute URL) or ``credentials`` in its options."""
    if not arguments:
        return False
    url = _unwrap(arguments[0])
    if (url is not None and url.type in ("string", "template_string")
            and _text(url)[1:2] == "/" and _text(url)[2:3] != "/"):
        return True
    if len(arguments) > 1:
        options = _unwrap(arguments[1])
        if options is not None and options.type == "object":
            return "credentials" in _object_keys(options)[0]
    return False


class _Scanner:
    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.lines = source.split(b"\n")
        self.path = path
        self.reads: list[EnvRead] = []
        self.calls: list[HttpCall] = []
        self.axios_calls: list[HttpCall] = []
        self.axios_names: set[str] = set()
        self.instance_creates: dict[str, HttpCall] = {}
        self.instances_with_default: set[str] = set()
        self.sets_default = False

    def where(self, node: tree_sitter.Node) -> tuple[int, int]:
        row, col = node.start_point
        line = self.lines[row] if row < len(self.lines) else b""
        return row + 1, len(line[:col].decode("utf-8", "replace")) + 1

    def read(self, name: str, node: tree_sitter.Node, kind: ReadKind, via: str) -> None:
        line, column = self.where(node)
        self.reads.append(EnvRead(name=name, path=self.path, line=line, column=column,
                                  kind=kind, via=via))

    def call(self, node: tree_sitter.Node, library: str, callee: str, scope: str) -> HttpCall:
        line, column = self.where(node)
        return HttpCall(path=self.path, line=line, column=column, library=library,
                        callee=callee, scope=scope, problem="no-timeout")

    def walk(self, root: tree_sitter.Node) -> Iterator[tuple[tree_sitter.Node, str]]:
        """Every named node with its enclosing function/class name, without recursion."""
        stack: list[tuple[tree_sitter.Node, str]] = [(root, "<module>")]
        while stack:
            node, scope = stack.pop()
            yield node, scope
            inner = scope
            if node.type in _SCOPES:
                name = node.child_by_field_name("name")
                inner = _text(name) if name is not None else scope
            elif node.type == "variable_declarator":
                value = node.child_by_field_name("value")
                if value is not None and value.type in ("arrow_function", "function_expression"):
                    inner = _text(node.child_by_field_name("name")) or scope
            stack.extend((c, inner) for c in reversed(node.named_children))

    # --- first pass: which names are axios --------------------------------------------------

    def collect_imports(self, root: tree_sitter.Node) -> None:
        for node, _ in self.walk(root):
            if node.type == "import_statement":
                if _string_value(node.child_by_field_name("source")) != "axios":
                    continue
                for clause in node.named_children:
                    if clause.type != "import_clause":
                        continue
                    for part in clause.named_children:
                        if part.type == "identifier":
                            self.axios_names.add(_text(part))
                        elif part.type == "namespace_import":
                            self.axios_names.update(_text(c) for c in part.named_children
                                                    if c.type == "identifier")
            elif node.type == "variable_declarator":
                value = _unwrap(node.child_by_field_name("value"))
                name = node.child_by_field_name("name")
                if (value is not None and value.type == "call_expression" and name is not None
                        and name.type == "identifier"
                        and _text(value.child_by_field_name("function")) == "require"):
                    args = value.child_by_field_name("arguments")
                    first = args.named_children[0] if args and args.named_children else None
                    if _string_value(first) == "axios":
                        self.axios_names.add(_text(name))

    # --- second pass ------------------------------------------------------------------------

    def scan(self, root: tree_sitter.Node) -> None:
        for node, scope in self.walk(root):
            match node.type:
                case "member_expression":
                    self.member(node)
                case "subscript_expression":
                    self.subscript(node)
                case "variable_declarator":
                    self.destructure(node)
                case "call_expression":
                    self.call_expression(node, scope)
                case "assignment_expression":
                    self.assignment(node)
                case _:
                    pass

    def _is_write(self, node: tree_sitter.Node) -> bool:
        parent = node.parent
        return (parent is not None and parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == node)

    def _kind(self, node: tree_sitter.Node, via: str) -> ReadKind:
        """REQUIRED for ``X!`` (and a bare ``import.meta.env.X``); DEFAULTED with ``??``/``||``
        and when the read is a test (``if (X)``, ``X ? a : b``, ``X === "true"``, ``!X``): the
        code itself decides what an unset variable means; else OPTIONAL."""
        child, parent = node, node.parent
        while parent is not None and parent.type in ("parenthesized_expression",
                                                     "as_expression", "satisfies_expression"):
            child, parent = parent, parent.parent
        if parent is None:
            return ReadKind.OPTIONAL
        if parent.type == "non_null_expression":
            return ReadKind.REQUIRED
        if parent.type == "binary_expression":
            operator = _text(parent.child_by_field_name("operator"))
            if operator in ("??", "||") and parent.child_by_field_name("left") == child:
                return ReadKind.DEFAULTED
            if operator in ("&&", "==", "===", "!=", "!=="):
                # a toggle: the code decides what an unset variable means
                return ReadKind.DEFAULTED
        if parent.type in ("if_statement", "unary_expression", "while_statement") or (
                parent.type == "ternary_expression"
                and parent.child_by_field_name("condition") == child):
            return ReadKind.DEFAULTED
        # Vite inlines import.meta.env at build time: a bare read is the value the bundle
        # ships, so a missing one ships `undefined` (process.env reads may be guarded later)
        return ReadKind.REQUIRED if via == "import.meta.env" else ReadKind.OPTIONAL

    def member(self, node: tree_sitter.Node) -> None:
        via = _env_object(node.child_by_field_name("object"))
        prop = node.child_by_field_name("property")
        if via is None or prop is None or self._is_write(node):
            return
        name = _text(prop)
        if via == "import.meta.env" and name in _VITE_BUILTINS:
            return
        self.read(name, prop, self._kind(node, via), via)

    def subscript(self, node: tree_sitter.Node) -> None:
        via = _env_object(node.child_by_field_name("object"))
        name = _string_value(node.child_by_field_name("index"))
        if via is None or not name or self._is_write(node):
            return
        if via == "import.meta.env" and name in _VITE_BUILTINS:
            return
        self.read(name, node, self._kind(node, via), f"{via}[...]")

    def destructure(self, node: tree_sitter.Node) -> None:
        pattern = node.child_by_field_name("name")
        via = _env_object(node.child_by_field_name("value"))
        if via is None or pattern is None or pattern.type != "object_pattern":
            return
        for part in pattern.named_children:
            key: tree_sitter.Node | None = None
            if part.type == "shorthand_property_identifier_pattern":
                key = part
            elif part.type == "pair_pattern":
                key = part.child_by_field_name("key")
            elif part.type == "object_assignment_pattern":
                key = part.child_by_field_name("left")
            if key is None:
                continue
            name = _string_value(key) or _text(key)
            if via == "import.meta.env" and name in _VITE_BUILTINS:
                continue
            kind = (ReadKind.DEFAULTED if part.type == "object_assignment_pattern"
                    else ReadKind.OPTIONAL)
            self.read(name, key, kind, f"{via} destructuring")

    def assignment(self, node: tree_sitter.Node) -> None:
        left = "".join(_text(node.child_by_field_name("left")).split())
        owner, _, rest = left.partition(".")
        if rest == "defaults.timeout":
            if owner in self.axios_names:
                self.sets_default = True
            else:
                self.instances_with_default.add(owner)

    def call_expression(self, node: tree_sitter.Node, scope: str) -> None:
        func = _unwrap(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments")
        if func is None or args is None or args.type != "arguments":
            return
        arguments = [a for a in args.named_children if a.type != "comment"]
        callee = "".join(_text(func).split())
        if callee == "createEnv" and arguments and arguments[0].type == "object":
            self.env_schema(arguments[0])
            return
        if callee in ("fetch", "globalThis.fetch", "window.fetch", "self.fetch"):
            if self._lacks(arguments, 1, ("signal", "timeout")):
                found = self.call(node, "fetch", callee, scope)
                if _browser_only(arguments):
                    found = dataclasses.replace(found, runtime="browser")
                self.calls.append(found)
            return
        if func.type == "identifier" and callee in self.axios_names:
            # axios(config) or axios(url, config)
            index = 0 if arguments and arguments[0].type == "object" else 1
            if self._lacks(arguments, index, ("timeout",)):
                self.axios_calls.append(self.call(node, "axios", callee, scope))
            return
        if func.type != "member_expression":
            return
        owner = _text(func.child_by_field_name("object"))
        method = _text(func.child_by_field_name("property"))
        if owner not in self.axios_names:
            return
        if method == "create":
            if self._lacks(arguments, 0, ("timeout",)):
                found = self.call(node, "axios", callee, scope)
                declarator = node.parent
                target = (declarator.child_by_field_name("name")
                          if declarator is not None and declarator.type == "variable_declarator"
                          else None)
                if target is not None and target.type == "identifier":
                    self.instance_creates[_text(target)] = found
                else:
                    self.axios_calls.append(found)
        elif method in _AXIOS_CONFIG_ARG and self._lacks(
                arguments, _AXIOS_CONFIG_ARG[method], ("timeout",)):
            self.axios_calls.append(self.call(node, "axios", callee, scope))

    def env_schema(self, options: tree_sitter.Node) -> None:
        """t3-env ``createEnv({server: {X: z.string()}, client: {...}})``: each key is a read,
        required unless its schema says ``.optional()``, ``.default(...)`` or ``.catch(...)``."""
        for pair in options.named_children:
            if pair.type != "pair" or _text(pair.child_by_field_name("key")) not in (
                    "server", "client", "shared"):
                continue
            schema = _unwrap(pair.child_by_field_name("value"))
            if schema is None or schema.type != "object":
                continue
            for entry in schema.named_children:
                key = entry.child_by_field_name("key") if entry.type == "pair" else None
                if key is None:
                    continue
                rule = "".join(_text(entry.child_by_field_name("value")).split())
                lenient = any(m in rule for m in (".optional(", ".default(", ".catch(",
                                                  ".nullish("))
                self.read(_string_value(key) or _text(key), key,
                          ReadKind.DEFAULTED if lenient else ReadKind.REQUIRED,
                          "createEnv schema")

    @staticmethod
    def _lacks(arguments: list[tree_sitter.Node], index: int, keys: tuple[str, ...]) -> bool:
        """True when the options argument surely has none of ``keys``; unknown -> False."""
        if any(a.type == "spread_element" for a in arguments):
            return False
        if len(arguments) <= index:
            return True
        options = _unwrap(arguments[index])
        if options is None or options.type != "object":
            return False
        found, spread = _object_keys(options)
        return not spread and not any(k in found for k in keys)

    def result(self) -> FileScan:
        creates = [c for name, c in self.instance_creates.items()
                   if name not in self.instances_with_default]
        return FileScan(reads=tuple(self.reads), calls=tuple(self.calls),
                        axios_calls=tuple(self.axios_calls) + tuple(creates),
                        sets_axios_default_timeout=self.sets_default)


def scan_js(text: str, path: str, language: Language) -> FileScan:
    """Env reads and timeout-less calls in one JS/TS file; :class:`JsSyntaxError` if broken."""
    source = text.encode("utf-8")
    tree = _parser(language).parse(source)
    if tree.root_node.has_error:
        raise JsSyntaxError(_first_error_line(tree.root_node))
    scanner = _Scanner(source, path)
    scanner.collect_imports(tree.root_node)
    scanner.scan(tree.root_node)
    return scanner.result()
