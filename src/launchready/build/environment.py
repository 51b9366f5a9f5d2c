"""The environment a clean build sees: the production env file and a few process basics.

The developer's shell is not passed on (a build that works only because of a variable exported
in someone's ``~/.zshrc`` is what this check is for). The production variables come from the
env contract's reader of env files, so dotenv files and platform JSON exports both work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from launchready.config.models import Config
from launchready.envcontract.envfiles import load_env_file

#: process basics every phase needs (tools, locale, temp folder)
BASICS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "USER", "LOGNAME")
#: package-manager settings the install phase honours (registry, cache, proxy); never passed
#: to the build phase
INSTALL_PREFIXES = ("npm_config_", "NPM_CONFIG_", "YARN_", "PNPM_", "UV_", "PIP_", "POETRY_")
INSTALL_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                 "no_proxy")


def env_file_path(config: Config, override: str | None) -> Path | None:
    """``--env-file``, else ``[build] env_file``, else ``[env] environment_file``."""
    base = config.base_dir
    if override:
        return Path(override).resolve()
    name = (config.build.env_file if config.build else None) or (
        config.env.environment_file if config.env else None)
    return base / name if name else None


def production_environment(config: Config, override: str | None) -> dict[str, str]:
    """Name -> value of the production variables (empty without an env file)."""
    path = env_file_path(config, override)
    if path is None:
        return {}
    snapshot = load_env_file(path)
    return {k: v.raw for k, v in snapshot.values.items() if v is not None}


def phase_environment(production: Mapping[str, str], *, install: bool,
                      environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one phase: basics, production variables, and for the install phase
    the package managers' own settings."""
    source = os.environ if environ is None else environ
    env = {k: source[k] for k in BASICS if k in source}
    env.update({"CI": "1", "TERM": "dumb", "NO_COLOR": "1", "FORCE_COLOR": "0"})
    if install:
        env.update({k: v for k, v in source.items()
                    if k.startswith(INSTALL_PREFIXES) or k in INSTALL_NAMES})
        # the production variables do not reach the install: NODE_ENV=production there would
        # leave out the devDependencies the build needs
        return env
    env["NODE_ENV"] = "production"
    env.update(production)
    return env
