"""launchready: take a B2B SaaS prototype from "works on my laptop" to "safe to demo".

The stable library API::

    import launchready
    config = launchready.load_config("launchready.toml")
    report = launchready.run_audit(config)       # or: await launchready.arun_audit(config)
    for finding in report.findings: ...
"""

from __future__ import annotations

from launchready._version import __version__
from launchready.config import Config, load_config
from launchready.engine import arun_audit, run_audit
from launchready.model import Finding, Report, Severity

__all__ = ["Config", "Finding", "Report", "Severity", "__version__", "arun_audit",
           "load_config", "run_audit"]
