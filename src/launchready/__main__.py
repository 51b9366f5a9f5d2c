"""``python -m launchready``."""

import sys

from launchready.cli import main

sys.exit(main())
