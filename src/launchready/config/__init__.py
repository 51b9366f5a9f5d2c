"""Configuration: loading, validation, ``${VAR}`` expansion and the expectation language."""

from launchready.config.loader import load_config, load_config_text
from launchready.config.models import Config

__all__ = ["Config", "load_config", "load_config_text"]
