"""Run the Python and JS/TS scanners over the project's source roots."""

from __future__ import annotations

import dataclasses
import functools
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

from launchready.envcontract.facts import EnvRead, FileScan, HttpCall, Skipped, SourceScan
from launchready.envcontract.jsscan import JsSyntaxError, scan_js
from launchready.envcontract.pyscan import scan_python
from launchready.envcontract.runtime import call_runtime
from launchready.envcontract.sourcetree import Language, SourceFile, walk_sources


@functools.cache
def _vite_app(folder: Path) -> bool:
    """True when the nearest package.json above ``folder`` makes a Vite browser app."""
    for parent in (folder, *folder.parents):
        manifest = parent / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8", errors="replace"))
            except (OSError, ValueError):
                return False
            deps: set[str] = set()
            for key in ("dependencies", "devDependencies"):
                section = data.get(key) if isinstance(data, dict) else None
                if isinstance(section, dict):
                    deps.update(section)
            return "vite" in deps and not deps & {"next", "nuxt", "@sveltejs/kit",
                                                  "@remix-run/react", "astro"}
    return False


def _with_runtime(result: FileScan, source: SourceFile, folder: Path) -> FileScan:
    """The file's JS calls, each marked with where it runs (see :mod:`.runtime`)."""
    vite = _vite_app(folder)

    def mark(calls: tuple[HttpCall, ...]) -> tuple[HttpCall, ...]:
        # a call the scanner already knows runs in the browser (a relative URL) stays there
        return tuple(c if c.runtime == "browser" else dataclasses.replace(c, runtime=call_runtime(
            source.rel, source.text, c.scope, vite_app=vite)) for c in calls)

    return dataclasses.replace(result, calls=mark(result.calls),
                               axios_calls=mark(result.axios_calls))


def scan_file(source: SourceFile) -> FileScan | Skipped:
    """Scan one file; a file that does not parse is a skipped item, never an exception."""
    if source.language is Language.PYTHON:
        try:
            with warnings.catch_warnings():
                # invalid escape sequences and the like are the app's business, not ours
                warnings.simplefilter("ignore")
                return scan_python(source.text, source.rel)
        except SyntaxError as exc:
            return Skipped(item=source.rel, reason=f"Python syntax error at line "
                                                   f"{exc.lineno or 1}; not scanned")
        except (RecursionError, MemoryError, ValueError):
            return Skipped(item=source.rel, reason="too deeply nested to parse; not scanned")
    try:
        return scan_js(source.text, source.rel, source.language)
    except JsSyntaxError as exc:
        return Skipped(item=source.rel, reason=f"{source.language.value} {exc}; not scanned")


def scan_tree(roots: Sequence[Path], base: Path | None = None) -> SourceScan:
    """Env reads and timeout-less calls in every source file under ``roots``.

    Paths in the result are relative to ``base`` (default: the first root), POSIX style, so
    they are stable across machines and usable as SARIF locations.
    """
    anchor = (base or (roots[0] if roots else Path("."))).resolve()
    reads: list[EnvRead] = []
    calls: list[HttpCall] = []
    axios_calls: list[HttpCall] = []
    skipped: list[Skipped] = []
    axios_default = False
    files = 0
    for root in roots:
        resolved = root.resolve()
        if not resolved.exists():
            skipped.append(Skipped(item=str(root), reason="source path does not exist"))
            continue
        try:
            prefix = resolved.relative_to(anchor).as_posix()
        except ValueError:
            prefix = resolved.as_posix()
        if resolved.is_file():
            prefix = str(Path(prefix).parent) if prefix not in ("", ".") else ""
        prefix = "" if prefix in ("", ".") else f"{prefix}/"
        for item in walk_sources(resolved, prefix):
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            result = scan_file(item)
            if isinstance(result, Skipped):
                skipped.append(result)
                continue
            if item.language is not Language.PYTHON:
                local = item.rel[len(prefix):] if prefix and item.rel.startswith(prefix) \
                    else item.rel
                result = _with_runtime(result, item, (resolved / local).parent
                                       if resolved.is_dir() else resolved.parent)
            files += 1
            skipped.extend(Skipped(item=f"{item.rel}:{line}",
                                   reason="syntax newer than this Python's parser (read with "
                                          "tree-sitter-python); this statement not scanned")
                           for line in result.unread_lines)
            reads.extend(result.reads)
            calls.extend(result.calls)
            axios_calls.extend(result.axios_calls)
            axios_default = axios_default or result.sets_axios_default_timeout
    if not axios_default:
        # axios.defaults.timeout applies to every call and instance in the process
        calls.extend(axios_calls)
    calls.sort(key=lambda c: (c.path, c.line, c.column))
    return SourceScan(roots=tuple(str(r) for r in roots), files_scanned=files,
                      reads=tuple(reads), calls=tuple(calls), skipped=tuple(skipped))
