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


def load_baseline(path: str | Path) -> frozenset[str]:
    """Read fingerprints from a baseline file or a previous JSON report."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"baseline file {p} does not exist",
                          fix="create it with --write-baseline, or drop --baseline") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"baseline file {p} is not valid JSON: {exc}",
                          fix="regenerate it with --write-baseline") from None
    if isinstance(data, dict) and isinstance(data.get("fingerprints"), list):
        return frozenset(str(x) for x in data["fingerprints"])
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return frozenset(str(f.get("fingerprint")) for f in data["findings"]
                         if isinstance(f, dict) and f.get("fingerprint"))
    raise ConfigError(f"baseline file {p} has neither 'fingerprints' nor 'findings'",
                      fix="regenerate it with --write-baseline")


def write_baseline(path: str | Path, findings: Iterable[Finding]) -> int:
    """Write the fingerprints of ``findings``; return how many."""
    prints = sorted({f.fingerprint for f in findings})
    Path(path).write_text(json.dumps({"version": 1, "fingerprints": prints}, indent=2) + "\n",
                          encoding="utf-8")
    return len(prints)
