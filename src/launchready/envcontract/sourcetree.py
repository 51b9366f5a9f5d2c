"""Which files of a project are its own source code, and which are skipped and why.

Walked: ``.py``, ``.js``/``.mjs``/``.cjs``/``.jsx``, ``.ts``/``.mts``/``.cts``/``.tsx``.
Left out without a note (they are not the app's code): dependency and build directories
(``node_modules``, ``.venv``, ``dist``, ``.next`` ..., and any directory holding a
``pyvenv.cfg``), hidden directories, type declarations
(``.d.ts``), minified bundles (``.min.js``) and tests (``tests/``, ``__tests__/``, ``test_*.py``,
``*.test.ts``, ``*.spec.js``, ``conftest.py``), whose env reads and HTTP calls are not the
deployed app's. Listed as skipped: symlinks (never followed, so a link to ``/dev/random`` or a
parent directory cannot hang the scan), files over :data:`MAX_SOURCE_BYTES`, binary files
and text that is neither UTF-8 nor UTF-16 with a byte-order mark.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from launchready.envcontract.facts import Skipped

MAX_SOURCE_BYTES = 1024 * 1024

SKIP_DIRS = frozenset({
    "node_modules", "bower_components", "vendor", "venv", "site-packages", "__pycache__",
    "dist", "build", "out", "coverage", "target", "tests", "test", "__tests__", "__mocks__",
    "e2e", "cypress", "storybook-static", "migrations",
})


class Language(enum.StrEnum):
    """Source languages the scanners understand."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"


_BY_SUFFIX = {
    ".py": Language.PYTHON,
    ".js": Language.JAVASCRIPT, ".mjs": Language.JAVASCRIPT, ".cjs": Language.JAVASCRIPT,
    ".jsx": Language.JAVASCRIPT,
    ".ts": Language.TYPESCRIPT, ".mts": Language.TYPESCRIPT, ".cts": Language.TYPESCRIPT,
    ".tsx": Language.TSX,
}


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    """A readable source file: its path for reports (relative, POSIX) and its text."""

    rel: str
    language: Language
    text: str


def _is_test_or_generated(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith((".d.ts", ".d.mts", ".d.cts", ".min.js", ".bundle.js")):
        return True
    if lowered == "conftest.py" or lowered.startswith("test_") or lowered.endswith("_test.py"):
        return True
    stem = lowered.rsplit(".", 1)[0]
    # test-runner configs read the test run's variables, not the deployed app's
    return stem.endswith((".test", ".spec", ".stories")) or stem in (
        "playwright.config", "vitest.config", "jest.config", "cypress.config", "karma.conf")


def language_of(name: str) -> Language | None:
    """The scanner language for a file name, or None when it is not scanned."""
    if _is_test_or_generated(name):
        return None
    return _BY_SUFFIX.get(os.path.splitext(name)[1].lower())


def _relative(path: Path, root: Path, prefix: str) -> str:
    rel = path.relative_to(root).as_posix()
    return f"{prefix}{rel}" if prefix else rel


def read_source(path: Path, rel: str) -> str | Skipped:
    """The file's text, or why it was skipped."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            return Skipped(item=rel, reason=f"too large ({size} bytes, limit "
                                            f"{MAX_SOURCE_BYTES}); not scanned")
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(item=rel, reason=f"unreadable ({exc.strerror}); not scanned")
    text = decode_text(data)
    if text is None:
        return Skipped(item=rel, reason="binary, or text in an encoding other than UTF-8/"
                                        "UTF-16; not scanned")
    return text


def decode_text(data: bytes) -> str | None:
    """``data`` as text: UTF-8 (with or without BOM) or UTF-16 with a BOM; None if binary.

    Editors on Windows save UTF-16 with a byte-order mark; its NUL bytes are not a sign of a
    binary file there.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return None if "\x00" in text else text
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def walk_sources(root: Path, prefix: str = "") -> Iterator[SourceFile | Skipped]:
    """Every source file under ``root`` (sorted, deterministic), or a skipped item."""
    if root.is_file():
        language = language_of(root.name)
        if language is not None:
            text = read_source(root, root.name)
            yield text if isinstance(text, Skipped) else SourceFile(
                rel=f"{prefix}{root.name}", language=language, text=text)
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            if d.startswith(".") or d in SKIP_DIRS or (base / d / "pyvenv.cfg").exists():
                continue
            if (base / d).is_symlink():
                yield Skipped(item=_relative(base / d, root, prefix) + "/",
                              reason="symlinked directory; not followed")
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            language = language_of(name)
            if language is None:
                continue
            path = base / name
            rel = _relative(path, root, prefix)
            if path.is_symlink():
                yield Skipped(item=rel, reason="symlink; not followed")
                continue
            text = read_source(path, rel)
            if isinstance(text, Skipped):
                yield text
            else:
                yield SourceFile(rel=rel, language=language, text=text)
