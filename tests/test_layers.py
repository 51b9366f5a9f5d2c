"""The house rules the import graph can check: only probes (and the daemons) do I/O.

``checks/`` judges what probes observed and ``report/`` renders a Report, so neither may import
a network, process or database library (STYLE: "only probes do I/O"); the one way into the
monitor's store for a check is ``monitor.store.read_test_alert``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import launchready

PACKAGE = Path(launchready.__file__).parent
FORBIDDEN = {"socket", "subprocess", "sqlite3", "aiohttp", "psycopg", "requests", "httpx",
             "urllib.request", "http.client", "asyncio.subprocess", "smtplib", "playwright"}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (function-local imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def _banned(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


@pytest.mark.parametrize("layer", ["checks", "report"])
def test_layer_does_no_io_of_its_own(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    offenders = {str(p.relative_to(PACKAGE)): sorted(n for n in imported(p) if _banned(n))
                 for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_rule_sees_a_local_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import sqlite3\n    from aiohttp import web\n",
                      encoding="utf-8")
    assert {n for n in imported(sample) if _banned(n)} == {"sqlite3", "aiohttp", "aiohttp.web"}


#: the readers of the project's files: the env, db and perf families reach them only through
#: ``Context.probes.files`` (``probes/files.py``)
READERS = {"launchready.envcontract.envfiles.load_env_file", "launchready.envcontract.scan",
           "launchready.envcontract.scan.scan_tree", "launchready.perf.baseline.load",
           "launchready.envcontract.declarations.read_declarations",
           "launchready.envcontract.declarations.read_env_text"}


@pytest.mark.parametrize("area", ["env", "db", "perf"])
def test_checks_read_project_files_only_through_the_files_probe(area: str) -> None:
    files = sorted((PACKAGE / "checks" / area).rglob("*.py"))
    assert files
    offenders = {str(p.relative_to(PACKAGE)): sorted(imported(p) & READERS) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}
