"""Where a project's config is: ``--config PATH``, else ``./launchready.toml``, else
``[tool.launchready]`` in ``./pyproject.toml``.

Free of the config models, so a command can learn that there is no config file (and run on
the defaults) without loading pydantic.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from launchready.errors import ConfigError
from launchready.probes.files import CONFIG_LIMIT, UnreadableFile, read_capped

DEFAULT_NAME = "launchready.toml"


def find_config(path: str | Path | None, cwd: Path | None = None) -> tuple[Path, bool] | None:
    """The config file to read and whether it is a pyproject.toml; None when there is none.

    An explicit ``path`` must exist. Otherwise ``./launchready.toml``, else
    ``[tool.launchready]`` in ``./pyproject.toml``.
    """
    base = cwd or Path.cwd()
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} does not exist",
                              fix="pass an existing file to --config, or run `launchready init`")
        return p, p.name == "pyproject.toml"
    own = base / DEFAULT_NAME
    if own.is_file():
        return own, False
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(read_capped(pyproject, limit=CONFIG_LIMIT,
                                             what=str(pyproject)).decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, UnreadableFile, RecursionError):
            return None
        if "launchready" in data.get("tool", {}):
            return pyproject, True
    return None
