"""What ``launchready init`` can tell about a project from its files alone.

The framework of the root and of each package folder of a monorepo (``backend/``,
``frontend/``, ``apps/*``, ``packages/*`` — from ``package.json`` dependencies, Python
requirement files, ``manage.py``, ``Gemfile``, ``composer.json``), the env files, every
template that declares variables (:mod:`launchready.envcontract.declarations`) and the public
prefixes their variables use, the variables the code requires by itself (read without a
fallback), the build output folders and the git remote. Files are only read, never executed;
the git remote comes from ``.git/config`` (the only git process is the hardened ``ls-files``
of :mod:`launchready.probes.git`, so a hostile ``core.fsmonitor`` or hook cannot fire) and
loses any credentials in its URL.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from launchready.envcontract.declarations import project_folders, read_declarations
from launchready.envcontract.facts import ReadKind
from launchready.envcontract.platforms import provided_by
from launchready.envcontract.scan import scan_tree

#: the config's default public prefixes (kept in the order SPEC §3 lists them)
ALL_PREFIXES = ("NEXT_PUBLIC_", "VITE_", "REACT_APP_", "PUBLIC_", "NUXT_PUBLIC_",
                "EXPO_PUBLIC_", "GATSBY_")
_MAX_READ = 512 * 1024
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


@dataclass(frozen=True, kw_only=True)
class Framework:
    """A framework: how it is recognised and where its build output goes."""

    name: str
    kind: str  # "js" or "python", "ruby", "php"
    build_dirs: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


#: JavaScript frameworks by package, most specific first (Nuxt, SvelteKit and Astro use Vite)
JS_FRAMEWORKS: tuple[tuple[str, Framework], ...] = (
    ("next", Framework(name="Next.js", kind="js", build_dirs=(".next/static",),
                       prefixes=("NEXT_PUBLIC_",))),
    ("nuxt", Framework(name="Nuxt", kind="js", build_dirs=(".output/public",),
                       prefixes=("NUXT_PUBLIC_",))),
    ("@sveltejs/kit", Framework(name="SvelteKit", kind="js",
                                build_dirs=(".svelte-kit/output/client", "build"),
                                prefixes=("PUBLIC_",))),
    ("astro", Framework(name="Astro", kind="js", build_dirs=("dist",), prefixes=("PUBLIC_",))),
    ("@remix-run/react", Framework(name="Remix", kind="js",
                                   build_dirs=("build/client", "public/build"))),
    ("gatsby", Framework(name="Gatsby", kind="js", build_dirs=("public",),
                         prefixes=("GATSBY_",))),
    ("expo", Framework(name="Expo", kind="js", build_dirs=("dist",),
                       prefixes=("EXPO_PUBLIC_",))),
    ("react-scripts", Framework(name="Create React App", kind="js", build_dirs=("build",),
                                prefixes=("REACT_APP_",))),
    ("@angular/core", Framework(name="Angular", kind="js", build_dirs=("dist",))),
    ("vite", Framework(name="Vite", kind="js", build_dirs=("dist",), prefixes=("VITE_",))),
)
#: Python frameworks by distribution name
PY_FRAMEWORKS: tuple[tuple[str, Framework], ...] = (
    ("django", Framework(name="Django", kind="python", build_dirs=("staticfiles",))),
    ("fastapi", Framework(name="FastAPI", kind="python")),
    ("flask", Framework(name="Flask", kind="python")),
    ("starlette", Framework(name="Starlette", kind="python")),
    ("aiohttp", Framework(name="aiohttp", kind="python")),
)
RAILS = Framework(name="Rails", kind="ruby", build_dirs=("public/assets", "public/packs"))
LARAVEL = Framework(name="Laravel", kind="php", build_dirs=("public/build",))


@dataclass(frozen=True, kw_only=True)
class PackageFacts:
    """One package folder of a monorepo and its framework."""

    folder: str  # relative, POSIX ("backend", "apps/web")
    framework: Framework
    evidence: str


@dataclass(frozen=True, kw_only=True)
class ProjectFacts:
    """Everything detected in one project folder."""

    root: Path
    name: str
    framework: Framework | None
    framework_evidence: str
    env_files: tuple[str, ...]
    production_env: str | None
    preview_env: str | None
    #: every template and committed env file that declares variables (relative paths)
    templates: tuple[str, ...]
    declared: tuple[str, ...]
    #: variables the code reads without a fallback (required by the code itself)
    code_required: tuple[str, ...]
    packages: tuple[PackageFacts, ...]
    public_prefixes: tuple[str, ...]
    build_dirs: tuple[str, ...]
    git_remote: str | None
    has_git: bool


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(_MAX_READ).decode("utf-8", "replace")
    except OSError:
        return ""


def _package_json(root: Path) -> tuple[str | None, set[str]]:
    text = _read(root / "package.json")
    if not text:
        return None, set()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None, set()
    if not isinstance(data, dict):
        return None, set()
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        section = data.get(key)
        if isinstance(section, dict):
            deps.update(str(k) for k in section)
    name = data.get("name")
    return (name if isinstance(name, str) else None), deps


def _python_requirements(root: Path) -> tuple[str | None, set[str], str]:
    names: set[str] = set()
    sources: list[str] = []
    for req in sorted(root.glob("requirements*.txt")):
        sources.append(req.name)
        for line in _read(req).splitlines():
            match = re.match(r"\s*([A-Za-z0-9_.\-]+)", line)
            if match and not line.lstrip().startswith(("#", "-")):
                names.add(match.group(1).lower().replace("_", "-"))
    project_name = None
    pyproject = _read(root / "pyproject.toml")
    if pyproject:
        try:
            data = tomllib.loads(pyproject)
        except tomllib.TOMLDecodeError:
            data = {}
        project = data.get("project", {})
        if isinstance(project, dict):
            project_name = project.get("name") if isinstance(project.get("name"), str) else None
            for dep in project.get("dependencies", []) or []:
                match = re.match(r"\s*([A-Za-z0-9_.\-]+)", str(dep))
                if match:
                    names.add(match.group(1).lower().replace("_", "-"))
            sources.append("pyproject.toml")
    pipfile = _read(root / "Pipfile")
    if pipfile:
        sources.append("Pipfile")
        names.update(m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.\-]+)\s*=",
                                                            pipfile, re.MULTILINE))
    return project_name, names, ", ".join(sources)


def detect_framework(root: Path) -> tuple[Framework | None, str, str | None]:
    """The framework, the evidence for it, and the project's own name if a manifest has one."""
    js_name, deps = _package_json(root)
    for package, framework in JS_FRAMEWORKS:
        if package in deps:
            return framework, f"package.json depends on {package}", js_name
    py_name, requirements, sources = _python_requirements(root)
    if (root / "manage.py").is_file():
        return PY_FRAMEWORKS[0][1], "manage.py", py_name
    for package, framework in PY_FRAMEWORKS:
        if package in requirements:
            return framework, f"{sources} lists {package}", py_name
    if re.search(r"""^\s*gem\s+["']rails["']""", _read(root / "Gemfile"), re.MULTILINE):
        return RAILS, "Gemfile has gem 'rails'", None
    if (root / "artisan").is_file() or "laravel/framework" in _read(root / "composer.json"):
        return LARAVEL, "composer.json requires laravel/framework", None
    return None, "no known framework manifest", js_name or py_name


def env_keys(path: Path) -> tuple[str, ...]:
    """Variable names assigned in a dotenv file (values are never read into the result)."""
    names = [m.group(1) for line in _read(path).splitlines() if (m := _ENV_LINE.match(line))]
    return tuple(dict.fromkeys(names))


def _env_files(root: Path) -> tuple[str, ...]:
    found = [p.name for p in root.iterdir() if p.is_file() and (
        p.name.startswith(".env") or p.name.endswith(".env"))] if root.is_dir() else []
    return tuple(sorted(found))


def redact_remote(url: str) -> str:
    """A git remote without credentials (``https://TOKEN@github.com/...`` loses the token)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git") and parts.hostname and (
            parts.username or parts.password):
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        if parts.scheme == "ssh" and parts.username and not parts.password:
            netloc = f"{parts.username}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return url


def git_remote(root: Path) -> str | None:
    """The ``origin`` remote (else the first) from ``.git/config``, without credentials."""
    text = _read(root / ".git" / "config")
    if not text:
        return None
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    remotes = [s for s in parser.sections() if s.startswith("remote ")]
    remotes.sort(key=lambda s: s != 'remote "origin"')
    for section in remotes:
        url = parser.get(section, "url", fallback=None)
        if url:
            return redact_remote(url.strip())
    return None


def detect_project(root: Path) -> ProjectFacts:
    """Detect what ``init`` can fill in for the project in ``root``."""
    framework, evidence, manifest_name = detect_framework(root)
    packages: list[PackageFacts] = []
    for folder in project_folders(root)[1:]:
        found, why, _ = detect_framework(folder)
        if found is not None:
            packages.append(PackageFacts(folder=folder.relative_to(root).as_posix(),
                                         framework=found, evidence=why))
    if framework is None and packages:
        framework = packages[0].framework
        evidence = ", ".join(f"{p.folder}/: {p.framework.name}" for p in packages)
    files = _env_files(root)
    declarations = read_declarations(root)
    # a committed .env.production holds public defaults (a template), not production's secrets
    production = next((f for f in (".env.production", ".env.prod")
                       if f in files and f not in declarations.files), None)
    preview = next((f for f in (".env.preview", ".env.staging")
                    if f in files and f not in declarations.files), None)
    declared = tuple(dict.fromkeys(d.name for d in declarations.declarations))
    scan = scan_tree([root], root)
    code_required = tuple(sorted({r.name for r in scan.reads if r.kind is ReadKind.REQUIRED
                                  and provided_by(r.name) is None}))
    names: list[str] = [*declared, *(r.name for r in scan.reads)]
    for env in files:
        names += env_keys(root / env)
    used = [p for p in ALL_PREFIXES if any(n.startswith(p) for n in names)]
    for fw in ([framework] if framework else []) + [p.framework for p in packages]:
        used = list(fw.prefixes) + used
    prefixes = tuple(dict.fromkeys(used or ALL_PREFIXES[:6]))
    builds = list(framework.build_dirs if framework and not packages else ())
    for package in packages:
        builds += [f"{package.folder}/{d}" for d in package.framework.build_dirs]
    return ProjectFacts(
        root=root, name=manifest_name or root.resolve().name, framework=framework,
        framework_evidence=evidence, env_files=files, production_env=production,
        preview_env=preview, templates=declarations.files, declared=declared,
        code_required=code_required, packages=tuple(packages), public_prefixes=prefixes,
        build_dirs=tuple(dict.fromkeys(builds)), git_remote=git_remote(root),
        has_git=(root / ".git").exists())
