"""Configuration: loading, validation, ``${VAR}`` expansion and the expectation language.

The names below load on first use, so importing a light submodule (``config.types``,
``config.limits``) does not build every pydantic model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from launchready.config.loader import load_config, load_config_text
    from launchready.config.models import Config

__all__ = ["Config", "load_config", "load_config_text"]

_LAZY = {"Config": "launchready.config.models", "load_config": "launchready.config.loader",
         "load_config_text": "launchready.config.loader"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
