"""First imports off the main thread, one at a time.

The window defers heavy packages until after its first paint, so the first import of
SQLAlchemy can happen on any of several threads at start-up (the capture thread opening
the log, Roadie's worker checking for a key).  CPython's per-module import locks do not
make two threads' first import of one package with internal import cycles safe: one of
them can get the package half initialised ("partially initialized module
'sqlalchemy.util' has no attribute 'MemoizedSlots'"), which killed the capture thread at
start-up in a soak run.  Code that may be first to import such a package off the main
thread does it under :data:`LOCK`.
"""

from __future__ import annotations

import threading
from typing import Final

LOCK: Final = threading.RLock()
