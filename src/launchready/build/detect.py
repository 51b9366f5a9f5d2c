"""Which install and build commands a project uses, read from its manifest and lockfile.

Nothing here runs the project: ``package.json`` and ``pyproject.toml`` are parsed as data.
``[build] command``/``install``/``output`` override what is detected.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from launchready.config.models import BuildConfig

#: (dependency, framework, default build command, public output directory)
JS_FRAMEWORKS: tuple[tuple[str, str, str, str], ...] = (
    ("next", "Next.js", "next build", ".next/static"),
    ("nuxt", "Nuxt", "nuxt build", ".output/public"),
    ("@sveltejs/kit", "SvelteKit", "vite build", ".svelte-kit/output/client"),
    ("astro", "Astro", "astro build", "dist"),
    ("@remix-run/dev", "Remix", "remix vite:build", "build/client"),
    ("@angular/cli", "Angular", "ng build", "dist"),
    ("react-scripts", "Create React App", "react-scripts build", "build"),
    ("vite", "Vite", "vite build", "dist"),
    ("esbuild", "esbuild", "", "dist"),
)

#: lockfile -> (package manager, install command, how it runs a script)
JS_LOCKFILES: tuple[tuple[str, str, str, str], ...] = (
    ("pnpm-lock.yaml", "pnpm", "pnpm install --frozen-lockfile", "pnpm run"),
    ("yarn.lock", "yarn", "yarn install --immutable", "yarn run"),
    ("bun.lockb", "bun", "bun install --frozen-lockfile", "bun run"),
    ("bun.lock", "bun", "bun install --frozen-lockfile", "bun run"),
    ("package-lock.json", "npm", "npm ci --no-audit --no-fund", "npm run"),
    ("npm-shrinkwrap.json", "npm", "npm ci --no-audit --no-fund", "npm run"),
)


#: how many folders above the project a workspace root's lockfile is looked for
MAX_WORKSPACE_DEPTH = 3


@dataclass(frozen=True, kw_only=True)
class BuildPlan:
    """What a clean build runs, in the project folder of the checkout."""

    framework: str
    install: str | None
    command: str
    output: str | None
    notes: tuple[str, ...] = ()
    #: where the install runs, relative to the project (``../..`` for a workspace root)
    install_dir: str = "."


def _read_json(path: Path) -> dict[str, object]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _lockfile(project: Path) -> tuple[str, tuple[str, str, str, str]] | None:
    """The lockfile of ``project``, or of the workspace root above it (a monorepo installs at
    its top), as (folder relative to ``project``, its JS_LOCKFILES row); None without one."""
    here, up = project, "."
    for _ in range(MAX_WORKSPACE_DEPTH + 1):
        for row in JS_LOCKFILES:
            if (here / row[0]).is_file():
                return up, row
        if (here / ".git").exists() or here.parent == here:
            return None  # the top of the repository: no workspace above it
        here, up = here.parent, "../" if up == "." else up + "../"
    return None


def _js_plan(project: Path) -> BuildPlan | None:
    pkg = _read_json(project / "package.json")
    if not pkg and not (project / "package.json").is_file():
        return None
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        section = pkg.get(key)
        if isinstance(section, dict):
            deps |= set(section)
    manager, install, run = "npm", "npm install --no-audit --no-fund", "npm run"
    notes: list[str] = []
    install_dir = "."
    found = _lockfile(project)
    if found is None:
        notes.append("no lockfile: dependencies are resolved afresh on every install")
    else:
        where, (_, manager, install, run) = found
        install_dir = where
        if manager == "yarn" and not (project / where / ".yarnrc.yml").is_file():
            install = "yarn install --frozen-lockfile"  # yarn 1 spells it this way
    framework, default_cmd, output = "Node.js", "", None
    for dep, name, cmd, out in JS_FRAMEWORKS:
        if dep in deps:
            framework, default_cmd, output = name, cmd, out
            break
    scripts = pkg.get("scripts")
    if isinstance(scripts, dict) and isinstance(scripts.get("build"), str):
        command = f"{run} build"
    elif default_cmd:
        command = f"{'npx --no-install' if manager == 'npm' else manager + ' exec'} {default_cmd}"
    else:
        return None
    return BuildPlan(framework=framework, install=install, command=command, output=output,
                     notes=tuple(notes), install_dir=install_dir.rstrip("/") or ".")


def _python_plan(project: Path) -> BuildPlan | None:
    path = project / "pyproject.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    system = doc.get("build-system")
    backend = system.get("build-backend") if isinstance(system, dict) else None
    if not isinstance(backend, str):
        return None
    if (project / "uv.lock").is_file():
        install = "uv sync --frozen"
    elif (project / "poetry.lock").is_file():
        install = "poetry install --no-interaction"
    elif (project / "requirements.txt").is_file():
        install = "python3 -m pip install --no-input -r requirements.txt"
    else:
        install = None
    return BuildPlan(framework=f"Python package ({backend.split('.')[0]})", install=install,
                     command="python3 -m pip wheel --no-deps -w dist .", output=None)


def detect_plan(project: Path, conf: BuildConfig | None) -> BuildPlan | None:
    """The plan for ``project`` (None when nothing builds and no command is configured)."""
    found = _js_plan(project) or _python_plan(project)
    if conf is None or not (conf.command or conf.install or conf.output):
        return found
    if conf.command is None and found is None:
        return None
    return BuildPlan(
        framework=found.framework if found and not conf.command else "configured command",
        install=conf.install if conf.install is not None else (found.install if found else None),
        command=conf.command or (found.command if found else ""),
        output=conf.output if conf.output is not None else (found.output if found else None),
        notes=found.notes if found else (),
        install_dir=found.install_dir if found and conf.install is None else ".")
