"""The project's own files, as the checks read them: env files and templates, the source tree,
the database's slow-query log and the perf baseline.

``Context.probes.files`` is the door through which the env, db and perf families read a file of
the checkout, so a test can hand in another reader and those families hold no file I/O of
their own. The readers live beside the formats they parse (``envcontract``, ``perf.baseline``,
``probes.db``); this class gathers them. Every method is synchronous (files, not sockets): a
family calls them from its worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # the readers pull in tree-sitter grammars and python-dotenv: a run without env checks
    # must not pay for them
    from launchready.envcontract.declarations import ProjectDeclarations
    from launchready.envcontract.facts import EnvSnapshot, Skipped, SourceScan
    from launchready.perf.baseline import Baseline
    from launchready.probes.db import StatementStat


class ProjectFiles:
    """Reads of the checkout's files; stateless, one per run."""

    def env_file(self, path: Path, label: str | None = None) -> EnvSnapshot:
        """A dotenv file or platform JSON export; ProbeError when it cannot be read."""
        from launchready.envcontract.envfiles import load_env_file  # noqa: PLC0415 - see above

        return load_env_file(path, label)

    def env_text(self, path: Path) -> str | Skipped:
        """The text of an env file, or why it was not read."""
        from launchready.envcontract.declarations import read_env_text  # noqa: PLC0415

        return read_env_text(path)

    def declarations(self, base: Path, extra: Iterable[Path] = ()) -> ProjectDeclarations:
        """The variables the project's templates (``.env.example`` …) declare."""
        from launchready.envcontract.declarations import read_declarations  # noqa: PLC0415

        return read_declarations(base, extra)

    def source_scan(self, roots: Sequence[Path], base: Path | None = None) -> SourceScan:
        """What the Python and JS/TS source under ``roots`` reads and calls (never run)."""
        from launchready.envcontract.scan import scan_tree  # noqa: PLC0415

        return scan_tree(roots, base)

    def pg_log(self, path: str) -> tuple[tuple[StatementStat, ...], str | None]:
        """Statement durations of a PostgreSQL log (``log_min_duration_statement``), read line
        by line, and why the log could not be read (None when it could)."""
        from launchready.probes.db import parse_pg_log  # noqa: PLC0415

        try:
            with Path(path).open(encoding="utf-8", errors="replace") as fh:
                return parse_pg_log(fh), None
        except OSError as exc:
            return (), f"cannot read {path}: {exc.strerror}"

    def perf_baseline(self, path: str) -> Baseline:
        """A perf baseline file; BaselineError when it cannot be used."""
        from launchready.perf.baseline import load  # noqa: PLC0415

        return load(path)
