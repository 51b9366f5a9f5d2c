"""``python -m launchready``."""

import sys

from launchready._entry import main

sys.exit(main())
