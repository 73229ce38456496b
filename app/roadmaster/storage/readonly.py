"""Reading a data directory without taking it over: reports (``jobs``, ``status``)
run beside a capture that holds the lock.

:func:`reading` is the way in: every SQLite failure while the report opens or reads
the file (damage, a disk error, a journal deleted under a running capture) becomes
one :class:`~roadmaster.storage.errors.DataFileError` line, never a traceback.
Reports do not run SQLite's whole-file check (writers do, at open): they change
nothing, and a damaged page they happen to read is reported the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from roadmaster.errors import UserError
from roadmaster.storage import migrate
from roadmaster.storage.engine import DB_FILE_NAME, make_engine
from roadmaster.storage.errors import DataFileError, map_sqlite_error


@contextmanager
def reading(data_dir: Path) -> Iterator[Engine]:
    """A read-only engine (see :func:`open_for_reading`), disposed of at the end;
    SQLite failures inside the block are raised as :class:`DataFileError`."""
    db_file = data_dir / DB_FILE_NAME
    try:
        engine = open_for_reading(data_dir)
        try:
            yield engine
        finally:
            engine.dispose()
    except (sa.exc.DBAPIError, sqlite3.Error) as exc:
        raise read_error(exc, db_file) from exc


def read_error(exc: BaseException, db_file: Path) -> BaseException:
    """What to tell the user about a SQLite failure while reading ``db_file``
    (``exc`` itself when it is not one the user can act on)."""
    mapped = map_sqlite_error(exc, db_file)
    if mapped is None:
        return exc
    if mapped.reason == "io":
        return DataFileError(
            f"RoadMaster can't read {db_file}: the disk reported an error. If RoadMaster "
            f"is running, its journal {db_file.name}-wal may have been deleted or moved: "
            "stop that RoadMaster (it completes the file as it stops) and try again; "
            "otherwise check the disk.",
            reason="io",
        )
    return mapped


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
    try:
        with engine.connect() as conn:
            current = migrate.current_revision(conn)
    except BaseException:
        engine.dispose()
        raise
    if current is None:
        engine.dispose()
        raise UserError(
            f"The data file {db_file} holds no RoadMaster data yet: run `roadmaster "
            "headless` (or the app) to record, or point --data-dir / ROADMASTER_HOME at "
            "your data folder."
        )
    if current != migrate.head_revision():
        engine.dispose()
        raise UserError(
            f"The data file {db_file} is at schema {current}, not the one this RoadMaster "
            "reads: start `roadmaster headless` (or the app) once to upgrade it, or update "
            "RoadMaster if the file is newer."
        )
    return engine
