"""What the faces read of the local log, named here so that ``ui`` needs no storage
or capture internals: the frozen job row (from :meth:`Runtime.last_finished_job`,
the job log's pages).  Importing this module loads SQLAlchemy: the GUI imports it
lazily or for type checking only."""

from __future__ import annotations

from roadmaster.storage.queries import JobRow

__all__ = ["JobRow"]
