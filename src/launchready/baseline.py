"""Baselines: a set of finding fingerprints to suppress (hashes only, never values).

A baseline file is ``{"version": 1, "fingerprints": [...]}``. A previous JSON report works
too: its findings' fingerprints are used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from launchready.errors import ConfigError
from launchready.model import Finding
from launchready.probes.files import FINDINGS_BASELINE_LIMIT, UnreadableFile, read_capped


def load_baseline(path: str | Path, *, key: str = "--baseline",
                  missing_ok: bool = False) -> frozenset[str]:
    """Read fingerprints from a baseline file or a previous JSON report.

    ``key`` names where the path came from in errors; with ``missing_ok`` a file that does not
    exist yet is an empty baseline (``--write-baseline`` creates it).
    """
    p = Path(path)
    try:
        raw = read_capped(p, limit=FINDINGS_BASELINE_LIMIT, what=f"baseline file {p}")
    except UnreadableFile as exc:
        if exc.missing and missing_ok:
            return frozenset()
        raise ConfigError(str(exc), key=key, fix="create it with --write-baseline, or drop it"
                          if exc.missing else "point it at a baseline JSON file") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ConfigError(f"baseline file {p} is not valid JSON: {exc}", key=key,
                          fix="regenerate it with --write-baseline") from None
    if isinstance(data, dict) and isinstance(data.get("fingerprints"), list):
        return frozenset(str(x) for x in data["fingerprints"])
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return frozenset(str(f.get("fingerprint")) for f in data["findings"]
                         if isinstance(f, dict) and f.get("fingerprint"))
    raise ConfigError(f"baseline file {p} has neither 'fingerprints' nor 'findings'", key=key,
                      fix="regenerate it with --write-baseline")


def write_baseline(path: str | Path, findings: Iterable[Finding]) -> int:
    """Write the fingerprints of ``findings``; return how many."""
    prints = sorted({f.fingerprint for f in findings})
    Path(path).write_text(json.dumps({"version": 1, "fingerprints": prints}, indent=2) + "\n",
                          encoding="utf-8")
    return len(prints)
