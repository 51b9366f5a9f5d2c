"""The defaults a run without a config file stands on, shared with the config models.

A command that finds no config file (``launchready secrets PATH``) runs without building the
models at all; the few settings it needs come from here, where the models take them too.
"""

from __future__ import annotations

#: ``[app] name``: the report's title
APP_NAME = "My App"
#: ``[network] timeout``: seconds for one network operation
NETWORK_TIMEOUT_S = 10.0
