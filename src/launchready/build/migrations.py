"""Migrations that cannot be rolled back or that destroy data, read without running them.

Python migrations (Alembic, Django) are parsed with :mod:`ast`; SQL (Prisma, Drizzle, plain),
Knex (JS/TS), Rails (Ruby) and Laravel (PHP) migrations are read as text, only their "up" part
(a ``down`` that drops the table it created is what a rollback should do).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_MIGRATION_BYTES = 2 << 20
#: how deep under the project migration folders are looked for
MAX_DEPTH = 5
_SKIP_DIRS = frozenset({"node_modules", ".git", ".venv", "venv", "site-packages", "dist",
                        "build", "__pycache__"})


@dataclass(frozen=True, kw_only=True)
class MigrationProblem:
    """One reason a migration cannot be undone safely, at a line of its file."""

    path: str
    line: int
    tool: str
    problem: str  # "no downgrade", "irreversible step", "drops data", "NOT NULL without a
    # default", "rename in place"
    detail: str


def _is_empty_body(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or ``...``
        if isinstance(stmt, ast.Raise):
            continue  # raise NotImplementedError: no way back either
        return False
    return True


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _falsy(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value in (None, False))


def _alembic(tree: ast.Module, rel: str) -> list[MigrationProblem]:
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    out: list[MigrationProblem] = []
    up = funcs["upgrade"]
    down = funcs.get("downgrade")
    if down is None or _is_empty_body(down.body):
        line = down.lineno if down else up.lineno
        out.append(MigrationProblem(path=rel, line=line, tool="Alembic", problem="no downgrade",
                                    detail="downgrade() is missing or does nothing"))
    for node in ast.walk(up):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name in ("drop_table", "drop_column"):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Alembic",
                                        problem="drops data", detail=f"op.{name}(...)"))
        elif name == "execute" and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            out.extend(_sql(node.args[0].value, rel, "Alembic", node.lineno))
        elif name == "alter_column" and _is_false(_kw(node, "nullable")) \
                and _falsy(_kw(node, "server_default")):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Alembic",
                                        problem="NOT NULL without a default",
                                        detail="op.alter_column(..., nullable=False)"))
        elif name == "alter_column" and _kw(node, "new_column_name") is not None:
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Alembic",
                                        problem="rename in place",
                                        detail="op.alter_column(..., new_column_name=...)"))
        elif name == "rename_table":
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Alembic",
                                        problem="rename in place", detail="op.rename_table(...)"))
        elif name == "add_column":
            for col in ast.walk(node):
                if isinstance(col, ast.Call) and _call_name(col.func) == "Column" and \
                        _is_false(_kw(col, "nullable")) and _falsy(_kw(col, "server_default")):
                    out.append(MigrationProblem(
                        path=rel, line=node.lineno, tool="Alembic",
                        problem="NOT NULL without a default",
                        detail="op.add_column(... nullable=False) without server_default"))
    return out


def _django(tree: ast.Module, rel: str) -> list[MigrationProblem]:
    out: list[MigrationProblem] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name == "RunPython" and len(node.args) < 2 and _falsy(_kw(node, "reverse_code")):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Django",
                                        problem="irreversible step",
                                        detail="RunPython without reverse_code"))
        elif name == "RunSQL" and len(node.args) < 2 and _falsy(_kw(node, "reverse_sql")):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Django",
                                        problem="irreversible step",
                                        detail="RunSQL without reverse_sql"))
        elif name in ("RemoveField", "DeleteModel"):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Django",
                                        problem="drops data", detail=f"migrations.{name}(...)"))
        elif name in ("RenameField", "RenameModel"):
            out.append(MigrationProblem(path=rel, line=node.lineno, tool="Django",
                                        problem="rename in place",
                                        detail=f"migrations.{name}(...)"))
    return out


def _python(text: str, rel: str) -> list[MigrationProblem]:
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError):
        return []
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if "upgrade" in names:
        return _alembic(tree, rel)
    if any(isinstance(n, ast.ClassDef) and n.name == "Migration" for n in tree.body):
        return _django(tree, rel)
    return []


_SQL_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\bDROP\s+TABLE\b", re.I), "drops data", "DROP TABLE"),
    (re.compile(r"\bDROP\s+COLUMN\b", re.I), "drops data", "DROP COLUMN"),
    (re.compile(r"\bTRUNCATE\b", re.I), "drops data", "TRUNCATE"),
    (re.compile(r"\bRENAME\s+(?:COLUMN\b|TO\b)", re.I), "rename in place", "RENAME"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "NOT NULL without a default", "SET NOT NULL"),
)
_ADD_NOT_NULL = re.compile(r"\bADD\s+(?:COLUMN\s+)?[^,;]*?\bNOT\s+NULL\b[^,;]*", re.I)


def _sql(text: str, rel: str, tool: str, first_line: int = 1) -> list[MigrationProblem]:
    # comments out, line numbers kept
    text = re.sub(r"--[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    out: list[MigrationProblem] = []
    for pattern, problem, detail in _SQL_RULES:
        for m in pattern.finditer(text):
            out.append(MigrationProblem(path=rel, line=first_line + text.count("\n", 0, m.start()),
                                        tool=tool, problem=problem, detail=detail))
    for m in _ADD_NOT_NULL.finditer(text):
        if not re.search(r"\bDEFAULT\b", m.group(0), re.I):
            out.append(MigrationProblem(path=rel, line=first_line + text.count("\n", 0, m.start()),
                                        tool=tool, problem="NOT NULL without a default",
                                        detail="ADD COLUMN ... NOT NULL without DEFAULT"))
    return out


#: (tool, where the "up" part ends, [(pattern, problem, detail)])
_Rules = tuple[tuple[re.Pattern[str], str, str], ...]
_TEXT_TOOLS: dict[str, tuple[str, re.Pattern[str], _Rules]] = {
    ".rb": ("Rails", re.compile(r"^\s*def\s+(?:down|self\.down)\b", re.M), (
        (re.compile(r"\b(?:drop_table|remove_column|remove_columns|remove_reference)\b"),
         "drops data", "drop_table/remove_column"),
        (re.compile(r"\b(?:rename_column|rename_table)\b"), "rename in place", "rename_column"),
        (re.compile(r"\badd_column\b[^\n]*null:\s*false(?![^\n]*default:)"),
         "NOT NULL without a default", "add_column ... null: false without default:"),
        (re.compile(r"\braise\s+ActiveRecord::IrreversibleMigration\b"), "irreversible step",
         "ActiveRecord::IrreversibleMigration"))),
    ".php": ("Laravel", re.compile(r"function\s+down\s*\("), (
        (re.compile(r"Schema::(?:drop|dropIfExists)\s*\(|->dropColumn\s*\("), "drops data",
         "Schema::drop / dropColumn"),
        (re.compile(r"Schema::rename\s*\(|->renameColumn\s*\("), "rename in place",
         "renameColumn"))),
    ".js": ("Knex", re.compile(r"exports\.down\b|export\s+(?:async\s+)?function\s+down\b|"
                               r"\bdown\s*[:=]\s*(?:async\s*)?(?:function|\()|"
                               r"^\s*(?:public\s+)?(?:async\s+)?down\s*\(", re.M), (
        (re.compile(r"\.(?:dropTable|dropTableIfExists|dropColumn|dropColumns)\s*\("),
         "drops data", "dropTable/dropColumn"),
        (re.compile(r"\.renameColumn\s*\(|\.renameTable\s*\("), "rename in place",
         "renameColumn"),
        (re.compile(r"\.notNullable\(\)(?![^;\n]*\.defaultTo\()"), "NOT NULL without a default",
         ".notNullable() without .defaultTo()"))),
}
_TEXT_TOOLS[".ts"] = _TEXT_TOOLS[".mjs"] = _TEXT_TOOLS[".cjs"] = _TEXT_TOOLS[".js"]


def _text_tool(text: str, rel: str, ext: str) -> list[MigrationProblem]:
    tool, down, rules = _TEXT_TOOLS[ext]
    cut = down.search(text)
    if tool == "Knex" and cut is None and "up" not in text:
        return []
    up = text[:cut.start()] if cut else text
    out: list[MigrationProblem] = []
    for pattern, problem, detail in rules:
        for m in pattern.finditer(up):
            out.append(MigrationProblem(path=rel, line=up.count("\n", 0, m.start()) + 1,
                                        tool=tool, problem=problem, detail=detail))
    if tool == "Knex":
        # raw SQL in up(): knex.raw(...), TypeORM's queryRunner.query(...)
        out.extend(_sql(up, rel, "JS migration"))
        if cut is None:
            out.append(MigrationProblem(path=rel, line=1, tool=tool, problem="no downgrade",
                                        detail="no down() migration"))
    return out


def analyze(path: Path, rel: str) -> list[MigrationProblem]:
    """The problems of one migration file (an unreadable file has none to report)."""
    try:
        if path.stat().st_size > MAX_MIGRATION_BYTES:
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    ext = path.suffix.lower()
    if ext == ".py":
        return _python(text, rel)
    if ext == ".sql":
        tool = "Prisma" if "prisma" in rel else "Drizzle" if "drizzle" in rel else "SQL"
        return _sql(text, rel, tool)
    if ext in _TEXT_TOOLS:
        return _text_tool(text, rel, ext)
    return []


def _is_migration_dir(path: Path) -> bool:
    name = path.name
    if name == "versions":
        return (path.parent / "env.py").is_file()  # Alembic keeps env.py beside versions/
    return name in ("migrations", "drizzle") or path.as_posix().endswith("db/migrate")


def migration_dirs(project: Path, *, depth: int = MAX_DEPTH) -> list[Path]:
    """Migration folders under ``project``: Alembic ``versions/``, ``migrations/`` (Django apps,
    Prisma, Knex, Laravel), ``drizzle/`` and Rails' ``db/migrate``, at most ``depth`` deep."""
    found: list[Path] = []
    base = len(project.parts)
    for dirpath, dirnames, _ in os.walk(project):
        here = Path(dirpath)
        if here != project and _is_migration_dir(here):
            found.append(here)
            dirnames[:] = []
            continue
        if len(here.parts) - base >= depth:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
    return found


def migration_files(project: Path, dirs: list[str] | None) -> Iterator[tuple[Path, str]]:
    """(path, path relative to ``project``) of every migration file under the migration
    folders (configured, else found under the project)."""
    roots = [project / d for d in dirs] if dirs is not None else migration_dirs(project)
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name == "__init__.py" or path in seen or path.suffix.lower() not in (
                        ".py", ".sql", ".rb", ".php", ".js", ".ts", ".mjs", ".cjs"):
                    continue
                seen.add(path)
                yield path, path.relative_to(project).as_posix()
