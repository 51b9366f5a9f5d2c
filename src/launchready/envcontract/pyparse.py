"""Parse Python source with the newest grammar at hand.

The running interpreter's :mod:`ast` is tried first. When it rejects the file and
tree-sitter-python (whose grammar follows the newest Python) parses it cleanly, the file uses
syntax newer than this interpreter — PEP 695 ``def f[T]()``/``class C[T]``/``type X = ...`` on
3.11, for instance. Then, statement by statement, the new construct is neutralised in a copy of
the text (type parameter lists blanked, any other new statement replaced by ``pass``, line
numbers kept) until :mod:`ast` accepts it, so the rest of the file is still scanned. The lines
that were neutralised are returned so the scan can say which statements it did not read. A file
that tree-sitter also rejects is a real syntax error and raises the original ``SyntaxError``.
"""

from __future__ import annotations

import ast
import functools

import tree_sitter
import tree_sitter_python

#: at most this many statements are neutralised in one file before giving up
MAX_PATCHES = 200


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def _is_statement(node: tree_sitter.Node) -> bool:
    return node.type.endswith(("_statement", "_definition")) or node.type in (
        "decorated_definition",)


def _blank(data: bytearray, start: int, end: int, *, keyword: bytes = b"") -> None:
    """Spaces over ``data[start:end]`` (newlines kept), ``keyword`` written at ``start``."""
    for i in range(start, end):
        if data[i] not in (0x0A, 0x0D):
            data[i] = 0x20
    data[start:start + len(keyword)] = keyword


def _innermost_statement(root: tree_sitter.Node, row: int) -> tree_sitter.Node | None:
    found: tree_sitter.Node | None = None
    node = root
    while True:
        inner = next((c for c in node.children
                      if c.start_point[0] <= row <= c.end_point[0]), None)
        if inner is None:
            return found
        if _is_statement(inner):
            found = inner
        node = inner


def _patch(root: tree_sitter.Node, data: bytearray, row: int) -> str | None:
    """Neutralise the construct at ``row``: ``"params"`` when only type parameters were blanked
    (the statement is still read), ``"statement"`` when it became ``pass``, None if neither."""
    type_params: list[tree_sitter.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start_point[0] > row or node.end_point[0] < row:
            continue
        if (node.type == "type_parameter" and node.start_point[0] == row
                and node.parent is not None
                and node.parent.type in ("function_definition", "class_definition")):
            type_params.append(node)  # `def f[T](...)`, `class C[T]:` (not `list[int]`)
            continue
        stack.extend(node.children)
    if type_params:
        for node in type_params:
            _blank(data, node.start_byte, node.end_byte)
        return "params"
    statement = _innermost_statement(root, row)
    if statement is None or statement.end_byte - statement.start_byte < 4:
        return None
    _blank(data, statement.start_byte, statement.end_byte, keyword=b"pass")
    return "statement"


def parse_python(text: str, path: str) -> tuple[ast.Module, tuple[int, ...]]:
    """The module's AST and the (1-based) lines whose newer syntax was neutralised."""
    try:
        return ast.parse(text, filename=path), ()
    except SyntaxError as first:
        original = first
    data = bytearray(text.encode("utf-8"))
    if _parser().parse(bytes(data)).root_node.has_error:
        raise original
    tried: set[int] = set()
    unread: list[int] = []
    for _ in range(MAX_PATCHES):
        try:
            return ast.parse(data.decode("utf-8"), filename=path), tuple(unread)
        except SyntaxError as exc:
            row = (exc.lineno or 1) - 1
            if row in tried:
                raise original from None
            tried.add(row)
            done = _patch(_parser().parse(bytes(data)).root_node, data, row)
            if done is None:
                raise original from None
            if done == "statement":
                unread.append(row + 1)
    raise original
