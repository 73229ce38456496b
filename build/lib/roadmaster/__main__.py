import sys

from roadmaster.cli import main

sys.exit(main())
