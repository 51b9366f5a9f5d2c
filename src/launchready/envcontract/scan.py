"""Run the Python and JS/TS scanners over the project's source roots."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from launchready.envcontract.facts import EnvRead, FileScan, HttpCall, Skipped, SourceScan
from launchready.envcontract.jsscan import JsSyntaxError, scan_js
from launchready.envcontract.pyscan import scan_python
from launchready.envcontract.sourcetree import Language, SourceFile, walk_sources


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
            files += 1
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
