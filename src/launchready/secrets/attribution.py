"""Attribution: which environment variable holds a leaked value, matched by salted hash.

The env file and the process environment are reduced to ``{hash(value): NAME}`` once; a secret
found in a bundle or a log is then named ("the value of STRIPE_SECRET_KEY is in app.js")
without any value being compared or kept in clear beyond this module's reading of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from launchready.probes.files import ENV_FILE_LIMIT, UnreadableFile, read_capped
from launchready.secrets.redact import value_hash

MIN_VALUE_LEN = 8


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines of a dotenv file (``export``, quotes and comments handled)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key.strip()] = value
    return out


def build_index(environ: Mapping[str, str], env_files: Iterable[Path] = ()) -> dict[str, str]:
    """``{value_hash: variable name}`` from env files (first) and the process environment."""
    index: dict[str, str] = {}
    for path in env_files:
        try:
            text = read_capped(path, limit=ENV_FILE_LIMIT, what=str(path)).decode(
                "utf-8", "replace")
        except UnreadableFile:
            continue
        for key, value in parse_env_file(text).items():
            if len(value) >= MIN_VALUE_LEN:
                index.setdefault(value_hash(value), key)
    for key, value in environ.items():
        if len(value) >= MIN_VALUE_LEN:
            index.setdefault(value_hash(value), key)
    return index


def env_files_near(root: Path, extra: Iterable[str] = ()) -> list[Path]:
    """The ``.env*`` files at ``root`` plus any named explicitly."""
    found = [root / e for e in extra]
    if root.is_dir():
        found += sorted(p for p in root.glob(".env*") if p.is_file())
    return found
