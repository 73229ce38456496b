"""Bringing a data file to the current schema, at every start.

The migration scripts ship inside the package (``migrations`` is a package), so
this works from an installed app, not only from a checkout.  The whole upgrade
runs in one SQLite transaction: a failure (full disk …) leaves the file as it was.
An existing file is copied aside before its first upgrade to a new revision.

Every writer's open starts with SQLite's ``PRAGMA quick_check``: a damaged file is
refused before anything is written to it (writing on would spread the damage), with
the way to ``roadmaster repair``.  It reads the whole file once: ~0.25 s of CPU for
100,000 jobs (130 MB), paid once per start of a writer, never by the reports.
"""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from roadmaster.storage.engine import make_engine
from roadmaster.storage.errors import DataFileError, damaged, map_sqlite_error

log = logging.getLogger(__name__)


def _config() -> Config:
    config = Config()
    location = resources.files("roadmaster.storage") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    """The newest schema revision this version of RoadMaster knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migration scripts have no head"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision a database is at (None: a new, empty file)."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def check_integrity(conn: Connection, db_file: Path) -> None:
    """Raise the "damaged" :class:`DataFileError` unless SQLite's quick check passes.

    ``quick_check`` verifies every page, record and b-tree of the file (not that
    indexes match their tables, which ``integrity_check`` adds at ten times the cost).
    """
    rows = conn.exec_driver_sql("PRAGMA quick_check(1)").fetchall()
    if rows != [("ok",)]:
        text = str(rows[0][0]) if rows else "no answer"
        lines = [line for line in text.splitlines() if not line.startswith("***")]
        raise damaged(db_file, lines[0] if lines else text)


def _check_known(conn: Connection, db_file: Path, script: ScriptDirectory) -> str | None:
    current = current_revision(conn)
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise DataFileError(
            f"This data file was written by a newer RoadMaster (schema {current}); "
            f"update the app to open {db_file}.",
            reason="newer",
        )
    if current is None:
        tables = set(sa.inspect(conn).get_table_names())
        if tables:
            raise DataFileError(
                f"{db_file} is not a RoadMaster database (it holds other tables). Move it "
                "aside or choose another folder with --data-dir or ROADMASTER_HOME.",
                reason="corrupt",
            )
    return current


def _backup(db_file: Path, current: str) -> Path:
    """A consistent copy of the file (SQLite's backup API: safe with WAL)."""
    target = db_file.with_name(f"{db_file.name}.{current}.bak")
    src = sqlite3.connect(db_file)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade(db_file: Path, *, target: str = "head") -> None:
    """Create or upgrade ``db_file`` to ``target`` (default: the newest revision).

    Raises :class:`DataFileError` for a file from a newer RoadMaster, a foreign or
    damaged file, a full disk or a read-only file.
    """
    config = _config()
    script = ScriptDirectory.from_config(config)
    engine = make_engine(db_file, foreign_keys=False, pool_size=1)
    try:
        with engine.connect() as conn:
            check_integrity(conn, db_file)
            current = _check_known(conn, db_file, script)
            conn.rollback()  # end the read transaction the check began
            wanted = script.get_current_head() if target == "head" else target
            if current == wanted:
                return
            if current is not None:
                log.info("upgrading %s from schema %s to %s", db_file, current, wanted)
                backup = _backup(db_file, current)
                log.info("copied the data file to %s before the upgrade", backup)
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, target)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    except sa.exc.DBAPIError as exc:
        mapped = map_sqlite_error(exc, db_file)
        if mapped is None:
            raise
        raise mapped from exc
    except sqlite3.Error as exc:  # raised by the connect hook or the backup
        mapped = map_sqlite_error(exc, db_file)
        if mapped is None:
            raise
        raise mapped from exc
    finally:
        engine.dispose()
