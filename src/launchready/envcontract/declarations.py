"""Where a project declares its variables, and what is wrong in how its env files are written.

Declarations are read from every template and committed env file in the project's folders (the
root, each package folder of a monorepo — any direct subfolder with a manifest, and ``apps/*``,
``packages/*``, ``services/*``):

* templates by name: ``.env.example``, ``.env.local.example``, ``.env.sample``,
  ``.env.template``, ``.env.dist``, ``example.env``, ``.env.production.example`` …;
* env files git tracks (a committed ``.env`` with placeholder values is a template in practice;
  untracked ones are the developer's own and declare nothing for the next person);
* commented assignments (``# JACKSON_URL=https://…``): an optional variable, declared.

Names other tools read from the same files (``${STACK_NAME}`` in ``docker-compose.yml``,
``env("DATABASE_URL")`` in ``schema.prisma`` or ``supabase/config.toml``, ``ARG``/``${X}`` in
a ``Dockerfile``) are collected too, so a template key that only a tool uses is not unused.

:func:`lint_dotenv` finds what dotenv-linter users expect reported: duplicate keys (the last one
silently wins), lines no parser reads, invalid names (lower case, characters other than
``A-Z0-9_``, a leading digit), spaces around ``=`` and unquoted values with spaces (``source
.env`` in a shell breaks on both). Nothing here keeps a value.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import Binding, parse_stream

from launchready.envcontract.facts import Skipped
from launchready.envcontract.sourcetree import decode_text
from launchready.probes.git import GitError, run_git

MAX_DECLARATION_BYTES = 1024 * 1024
_TEMPLATE = re.compile(
    r"^(?:\.env(?:\.[\w-]+)*\.(?:example|sample|template|dist|defaults|tpl)"
    r"|\.env\.(?:example|sample|template)(?:\.[\w-]+)+"
    r"|(?:example|sample|template)\.env"
    r"|env\.(?:example|sample|template))$", re.IGNORECASE)
_ENV_FILE = re.compile(r"^(?:\.env(?:\.[\w-]+)*|[\w-]+\.env)$")
_COMMENTED = re.compile(r"^\s*#+\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=")
_VALID_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_MANIFESTS = ("package.json", "pyproject.toml", "requirements.txt", "manage.py", "Pipfile",
              "Gemfile", "composer.json", "go.mod")
_GROUP_DIRS = ("apps", "packages", "services")
_SKIP_DIRS = frozenset({"node_modules", "vendor", "dist", "build", "out", "coverage",
                        "__pycache__", "venv", "site-packages"})
#: files read for names that tools (not the app's code) take from the environment
_TOOL_FILES = re.compile(r"^(?:docker-compose[\w.-]*\.ya?ml|compose[\w.-]*\.ya?ml|"
                         r"Dockerfile[\w.-]*|[\w.-]+\.prisma|fly\.toml|render\.yaml|"
                         r"vercel\.json|netlify\.toml|railway\.(?:json|toml)|Procfile|"
                         r"alembic\.ini|drizzle\.config\.[jt]s|turbo\.json|Makefile|config\.toml)$")
_TOOL_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Z_][A-Z0-9_]*)|"
                       r"""env\(\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*\)|"""
                       r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """One variable a template or committed env file names (never its value)."""

    name: str
    file: str
    line: int
    commented: bool
    #: the file gives it a non-empty value (a default or a placeholder)
    has_value: bool


@dataclass(frozen=True, kw_only=True)
class EnvFileIssue:
    """One ENV009 problem in an env file: where, which kind, which variable (no value)."""

    file: str
    line: int
    kind: str  # duplicate | unparsable | invalid-name | spacing | unquoted-space
    name: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class ProjectDeclarations:
    """Everything the project's own files declare."""

    files: tuple[str, ...]
    declarations: tuple[Declaration, ...]
    tool_names: frozenset[str]
    issues: tuple[EnvFileIssue, ...]
    skipped: tuple[Skipped, ...]

    @property
    def names(self) -> frozenset[str]:
        """Every declared name, commented ones included."""
        return frozenset(d.name for d in self.declarations)


def is_template_name(name: str) -> bool:
    """True for ``.env.example``-style file names (a template, not an environment)."""
    return bool(_TEMPLATE.match(name))


def project_folders(base: Path) -> tuple[Path, ...]:
    """The root and each package folder of a monorepo (subfolders with a manifest)."""
    found = [base]
    try:
        children = sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return tuple(found)
    for child in children:
        if child.name.startswith(".") or child.name in _SKIP_DIRS:
            continue
        if child.name in _GROUP_DIRS:
            try:
                found += sorted(g for g in child.iterdir()
                                if g.is_dir() and not g.is_symlink()
                                and not g.name.startswith("."))
            except OSError:
                continue
        elif any((child / m).is_file() for m in _MANIFESTS) or any(
                is_template_name(f.name) for f in _files(child)):
            found.append(child)
    return tuple(found)


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def tracked_env_files(base: Path) -> frozenset[str] | None:
    """Env files git tracks under ``base`` (POSIX paths relative to it), None without git.

    ``base`` may be a subfolder of the work tree (a config kept in ``apps/web``): git lists
    paths relative to the folder it runs in.
    """
    if not any((p / ".git").exists() for p in (base, *base.parents)):
        return None
    try:
        out = run_git(base, ["ls-files", "-z", "--", ":(glob)**/.env*", ":(glob)**/*.env"],
                      timeout=30)
    except GitError:
        return None
    return frozenset(os.fsdecode(p) for p in out.split(b"\0") if p)


def read_env_text(path: Path) -> str | Skipped:
    """An env file's text (UTF-8, UTF-8 with BOM or UTF-16), or why it was not read."""
    try:
        size = path.stat().st_size
        if size > MAX_DECLARATION_BYTES:
            return Skipped(item=path.name, reason=f"too large ({size} bytes); not read")
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(item=path.name, reason=f"unreadable ({exc.strerror})")
    text = decode_text(data)
    return Skipped(item=path.name, reason="binary or not text; not read") if text is None \
        else text


def _start(binding: Binding) -> tuple[int, str]:
    """The line number and text where a statement starts (python-dotenv counts the blank lines
    before it as part of it)."""
    raw = binding.original.string
    stripped = raw.lstrip("\r\n\t ")
    skipped = raw[:len(raw) - len(stripped)].count("\n")
    return binding.original.line + skipped, stripped.split("\n", 1)[0]


def declarations_in(text: str, file: str) -> Iterator[Declaration]:
    """Declared names in one dotenv text, commented assignments included.

    Read with python-dotenv's statement parser, so the lines of a multi-line quoted value (a
    PEM key) are never taken for assignments.
    """
    for binding in parse_stream(io.StringIO(text)):
        number, first = _start(binding)
        if binding.key is not None:
            yield Declaration(name=binding.key, file=file, line=number,
                              commented=False, has_value=bool((binding.value or "").strip()))
            continue
        commented = _COMMENTED.match(first)
        if commented:
            yield Declaration(name=commented.group(1), file=file, line=number,
                              commented=True, has_value=bool(first.split("=", 1)[1].strip()))


def lint_dotenv(text: str, file: str) -> tuple[EnvFileIssue, ...]:
    """ENV009 problems in one dotenv text (see the module docstring)."""
    issues: list[EnvFileIssue] = []
    first_seen: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        number, first = _start(binding)
        if binding.error:
            issues.append(EnvFileIssue(
                file=file, line=number, kind="unparsable", name="",
                detail="no dotenv parser reads this line (an unclosed quote also swallows "
                       "the lines after it)"))
            continue
        name = binding.key
        if name is None:
            continue
        if name in first_seen:
            issues.append(EnvFileIssue(
                file=file, line=number, kind="duplicate", name=name,
                detail=f"{name} is set on line {first_seen[name]} and again on line {number}; "
                       f"the last one silently wins"))
        else:
            first_seen[name] = number
        if not _VALID_NAME.match(name):
            issues.append(EnvFileIssue(
                file=file, line=number, kind="invalid-name", name=name,
                detail=f"{name} is not a portable variable name (upper-case letters, digits "
                       f"and _ only, not starting with a digit)"))
        before, _, after = first.partition("=")
        if before != before.rstrip() or after[:1] in (" ", "\t"):
            issues.append(EnvFileIssue(
                file=file, line=number, kind="spacing", name=name,
                detail="spaces around '=': shells and docker --env-file read the name or the "
                       "value differently"))
            continue
        value = after.split(" #", 1)[0].strip()
        if value and value[0] not in "\"'`" and re.search(r"\s", value):
            issues.append(EnvFileIssue(
                file=file, line=number, kind="unquoted-space", name=name,
                detail="the value has a space but no quotes: `source` in a shell cuts it "
                       "there"))
    return tuple(issues)


def _tool_names(folders: Iterable[Path]) -> set[str]:
    names: set[str] = set()
    for folder in folders:
        for path in _files(folder):
            if not _TOOL_FILES.match(path.name):
                continue
            text = read_env_text(path)
            if isinstance(text, Skipped):
                continue
            for match in _TOOL_REF.finditer(text):
                names.add(next(g for g in match.groups() if g))
        for tool_dir in ("prisma", "supabase"):
            if (folder / tool_dir).is_dir():
                names |= _tool_names([folder / tool_dir])
    return names


def read_declarations(base: Path, extra: Iterable[Path] = ()) -> ProjectDeclarations:
    """Templates, committed env files and tool references in ``base``'s project folders.

    ``extra`` adds folders (source roots outside ``base``'s package folders).
    """
    folders = list(dict.fromkeys((*project_folders(base), *extra)))
    tracked = tracked_env_files(base)
    files: list[str] = []
    declarations: list[Declaration] = []
    issues: list[EnvFileIssue] = []
    skipped: list[Skipped] = []
    for folder in folders:
        for path in _files(folder):
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                rel = path.as_posix()
            if not (is_template_name(path.name) or (
                    tracked is not None and rel in tracked and _ENV_FILE.match(path.name))):
                continue
            text = read_env_text(path)
            if isinstance(text, Skipped):
                skipped.append(Skipped(item=rel, reason=text.reason))
                continue
            if text.lstrip()[:1] in ("{", "["):
                continue  # a JSON export is an environment, not a template
            files.append(rel)
            declarations.extend(declarations_in(text, rel))
            issues.extend(lint_dotenv(text, rel))
    return ProjectDeclarations(files=tuple(files), declarations=tuple(declarations),
                               tool_names=frozenset(_tool_names(folders)),
                               issues=tuple(issues), skipped=tuple(skipped))
