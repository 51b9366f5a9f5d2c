"""``python -m launchready``."""

import sys

from launchready._entry import main

# guarded: the worker processes of a large secret scan start by importing the main module
if __name__ == "__main__":
    sys.exit(main())
