"""Relative paths in a config file mean "next to the config file", decided once, at load.

``resolve_paths`` rewrites the keys that name a file the tool opens (CA bundle, baselines,
SQLite stores, the database log) to absolute paths, so the monitor, the audit and every
command open the same file whatever the working directory. Scan roots (``[secrets] paths``,
``[env] source_paths`` …) keep their relative spelling, because reports show paths relative
to them; they are read against ``Config.base_dir``, the same folder.
Paths given on the command line stay relative to the working directory, as in any tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from launchready.config.models import Config

SQLITE = "sqlite:///"


def _file(value: str | None, folder: Path) -> str | None:
    if not value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)


def _sqlite(url: str, folder: Path) -> str:
    if not url.startswith(SQLITE) or url == SQLITE + ":memory:":
        return url
    return SQLITE + str(_file(url.removeprefix(SQLITE), folder))


def resolve_paths(config: Config, folder: Path) -> Config:
    """``config`` with every file-valued key made absolute against ``folder``."""
    update: dict[str, Any] = {"folder": folder}
    net = config.network
    if net.ca_bundle:
        update["network"] = net.model_copy(update={"ca_bundle": _file(net.ca_bundle, folder)})
    if config.secrets is not None and config.secrets.baseline:
        update["secrets"] = config.secrets.model_copy(
            update={"baseline": _file(config.secrets.baseline, folder)})
    if config.perf is not None:
        update["perf"] = config.perf.model_copy(update={
            "baseline": _file(config.perf.baseline, folder),
            "save_baseline": _file(config.perf.save_baseline, folder)})
    if config.monitor is not None:
        update["monitor"] = config.monitor.model_copy(
            update={"database": _sqlite(config.monitor.database, folder)})
    if config.database is not None:
        db = config.database
        update["database"] = db.model_copy(update={
            "url": SecretStr(_sqlite(db.url.get_secret_value(), folder)),
            "log_file": _file(db.log_file, folder)})
    return config.model_copy(update=update)
