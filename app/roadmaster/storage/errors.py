"""Storage's user-fixable errors, and the mapping of SQLite failures onto them.

SQLite reports a full disk, a read-only file or a damaged file as generic
``OperationalError``/``DatabaseError``; Python 3.11 exposes the precise result code
(``sqlite_errorname``), which is what we map on, never the message text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from roadmaster.errors import UserError


class AlreadyRunningError(UserError):
    """Another RoadMaster process holds the data directory."""

    def __init__(self, message: str, *, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class DataFileError(UserError):
    """The database file cannot be used: ``reason`` is one of ``full``,
    ``read-only``, ``corrupt``, ``newer``, ``io``, ``busy``, ``unopenable``."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def repair_hint(db_file: Path) -> str:
    """What to do about a damaged data file (it is never changed until then)."""
    return (
        f"Run `roadmaster repair --data-dir {db_file.parent}` to keep a copy of it and "
        "recover what can still be read into a new file, or restore a backup."
    )


def damaged(db_file: Path, detail: str) -> DataFileError:
    """The error for a data file that SQLite's own check finds damaged."""
    return DataFileError(
        f"{db_file} is damaged (SQLite's check: {detail}); RoadMaster has not written "
        f"to it. {repair_hint(db_file)}",
        reason="corrupt",
    )


def _messages(db_file: Path) -> dict[str, tuple[str, str]]:
    return {
        "SQLITE_FULL": (
            "full",
            f"The disk holding {db_file} is full, so RoadMaster stopped recording. "
            "Free some disk space and start RoadMaster again; everything recorded "
            "before this point is safe.",
        ),
        "SQLITE_READONLY": (
            "read-only",
            f"RoadMaster can't write to {db_file}: the file or its folder is read-only. "
            "Make it writable, or choose another folder with --data-dir or ROADMASTER_HOME.",
        ),
        "SQLITE_NOTADB": (
            "corrupt",
            f"{db_file} is damaged or is not a RoadMaster database. {repair_hint(db_file)}",
        ),
        "SQLITE_CORRUPT": (
            "corrupt",
            f"{db_file} is damaged. {repair_hint(db_file)}",
        ),
        "SQLITE_CANTOPEN": (
            "unopenable",
            f"RoadMaster can't open {db_file}. Check that the folder exists and that you "
            "may write to it, or choose another folder with --data-dir or ROADMASTER_HOME.",
        ),
        "SQLITE_PERM": (
            "read-only",
            f"RoadMaster is not allowed to write to {db_file}. Check the file's "
            "permissions, or choose another folder with --data-dir or ROADMASTER_HOME.",
        ),
        "SQLITE_IOERR": (
            "io",
            f"The disk reported an error while RoadMaster was writing {db_file}. Check "
            "the disk (and free space) and start RoadMaster again; data already saved "
            "is kept.",
        ),
        "SQLITE_BUSY": (
            "busy",
            f"{db_file} is locked by another program (a backup or database tool?). "
            "Close it and start RoadMaster again.",
        ),
    }


def map_sqlite_error(exc: BaseException, db_file: Path) -> DataFileError | None:
    """The :class:`DataFileError` for a SQLite failure the user can fix, or None
    for anything else (a bug: let it propagate as it is)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, sqlite3.Error):
        return None
    name = getattr(orig, "sqlite_errorname", "") or ""
    # Extended codes (SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE …) map by their base.
    table = _messages(db_file)
    for base, (reason, message) in table.items():
        if name == base or name.startswith(base + "_"):
            return DataFileError(message, reason=reason)
    return None
