"""launchready: take a B2B SaaS prototype from "works on my laptop" to "safe to demo".

The stable library API::

    import launchready
    config = launchready.load_config("launchready.toml")
    report = launchready.run_audit(config)       # or: await launchready.arun_audit(config)
    for finding in report.findings: ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from launchready._version import __version__

if TYPE_CHECKING:
    from launchready.config import Config, load_config
    from launchready.engine import arun_audit, run_audit
    from launchready.model import Finding, Report, Severity

__all__ = ["Config", "Finding", "Report", "Severity", "__version__", "arun_audit",
           "load_config", "run_audit"]

# imported on first use: `import launchready.secrets.scanner` (or any other submodule) must not
# pay for the engine, every check family, aiohttp and pydantic
_LAZY = {"Config": "launchready.config", "load_config": "launchready.config",
         "arun_audit": "launchready.engine", "run_audit": "launchready.engine",
         "Finding": "launchready.model", "Report": "launchready.model",
         "Severity": "launchready.model"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'launchready' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
