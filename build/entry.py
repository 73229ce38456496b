"""The frozen executable's entry point: the same `roadmaster` command as a checkout."""

import sys

from roadmaster.cli import main

if __name__ == "__main__":
    sys.exit(main())
