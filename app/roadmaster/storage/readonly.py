"""Reading a data directory without taking it over: reports (``jobs``, ``status``)
run beside a capture that holds the lock."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from roadmaster.errors import UserError
from roadmaster.storage import migrate
from roadmaster.storage.engine import DB_FILE_NAME, make_engine


def open_for_reading(data_dir: Path) -> Engine:
    """A read-only engine on the data directory's database, at the current schema.

    Raises a :class:`UserError` when there is no database yet or its schema is not
    the one this version writes (an older file is upgraded by the next capture)."""
    db_file = data_dir / DB_FILE_NAME
    if not db_file.is_file():
        raise UserError(
            f"No RoadMaster data in {data_dir} yet: run `roadmaster headless` (or the app) "
            "to record, or point --data-dir / ROADMASTER_HOME at your data folder."
        )
    engine = make_engine(db_file, read_only=True)
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    if current != migrate.head_revision():
        engine.dispose()
        raise UserError(
            f"The data file {db_file} is at schema {current}, not the one this RoadMaster "
            "reads: start `roadmaster headless` (or the app) once to upgrade it, or update "
            "RoadMaster if the file is newer."
        )
    return engine
