"""The console script and ``python -m launchready``: Ctrl-C is exit 130, never a traceback.

Kept free of imports of the package's heavy parts, so a Ctrl-C while they load (the first
second of any command) is caught here as well as one during the run.
"""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130


def main() -> int:
    """Run the CLI; on Ctrl-C exit 130 at once, without waiting for scan threads."""
    # pydantic plugins (the "pydantic" entry-point group) would be handed every config value
    # validated, credentials included; none is loaded, which also spares the entry-point scan
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        from launchready.cli import main as cli_main  # noqa: PLC0415 - see the docstring

        code = cli_main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        sys.stderr.write("interrupted\n")
    if code == EXIT_INTERRUPTED:
        # a thread blocked in a scan cannot be cancelled; the partial report is written,
        # so leave now instead of joining it at interpreter exit
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
