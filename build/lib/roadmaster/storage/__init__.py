"""Local storage: the SQLite file, its schema and migrations, the write API used by
the capture thread, the job log queries and the cloud outbox."""

from roadmaster.storage.errors import AlreadyRunningError, DataFileError
from roadmaster.storage.store import Store

__all__ = ["AlreadyRunningError", "DataFileError", "Store"]
