"""Opening the local log for Roadie outside the window (the ``ask`` command).

Roadie reads the job log and writes its conversations into the same data file.
When no other RoadMaster holds the data folder, the file is brought to the current
schema first (as a capture would); when one does, it has done so already.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from roadmaster.errors import UserError
from roadmaster.storage import migrate
from roadmaster.storage.engine import DB_FILE_NAME, make_engine
from roadmaster.storage.errors import AlreadyRunningError
from roadmaster.storage.lock import DataDirLock


def open_log(data_dir: Path) -> Engine | None:
    """A read-write engine on the data folder's file at the current schema, or None
    when nothing has been recorded there yet (Roadie then answers without a log)."""
    db_file = data_dir / DB_FILE_NAME
    if not db_file.is_file():
        return None
    try:
        lock = DataDirLock.acquire(data_dir)
    except AlreadyRunningError:
        lock = None  # the running app upgraded the file when it opened it
    try:
        if lock is not None:
            migrate.upgrade(db_file)
    finally:
        if lock is not None:
            lock.release()
    engine = make_engine(db_file, pool_size=1)
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    if current != migrate.head_revision():
        engine.dispose()
        raise UserError(
            f"The data file {db_file} is at schema {current}, not the one this RoadMaster "
            "uses: close the other RoadMaster (an older version?) and ask again."
        )
    return engine
