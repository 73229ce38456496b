"""``roadmaster repair``: keep a damaged data file aside and salvage what can still be
read into a new one.

The damaged file (and its WAL, which holds the latest commits) is copied aside first
and never changed.  The salvage reads a second, working copy: the schema from
``sqlite_master``, then every table in rowid order.  A damaged page stops a read; the
salvage then looks for the next rowid that reads again (a doubling, then a bisecting
search on the table's b-tree) and goes on from there, so one bad page costs the rows
on it, not the rest of the table.  Rows whose job was lost (samples, events, queued
uploads of that job) are dropped rather than left pointing at nothing.  The new file
must pass SQLite's quick check before it takes the data file's place.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from roadmaster.errors import UserError
from roadmaster.storage import tables as app_tables
from roadmaster.storage.engine import DB_FILE_NAME
from roadmaster.storage.errors import DataFileError
from roadmaster.storage.lock import DataDirLock

log = logging.getLogger(__name__)

_BATCH: Final = 500
_MAX_ROWID: Final = (1 << 63) - 1
_SIDE_FILES: Final = ("-wal", "-shm")


@dataclass(slots=True)
class TableSalvage:
    """What came across of one table."""

    name: str
    kept: int = 0
    #: rowid ranges (first, last) that could not be read
    lost: list[tuple[int, int]] = field(default_factory=list)
    #: rows read but refused by the table's constraints (garbled values)
    refused: int = 0
    #: rows dropped because the row they belonged to was lost
    orphans: int = 0
    #: the whole table could not be read
    unreadable: bool = False


@dataclass(slots=True)
class RepairResult:
    damaged_copy: Path
    tables: list[TableSalvage]
    #: indexes or triggers that could not be made again (their SQL, shortened)
    not_rebuilt: list[str] = field(default_factory=list)
    was_damaged: bool = True


def quick_check(db_file: Path) -> str:
    """SQLite's quick check of a file: "ok", or its first complaint."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    text = str(rows[0][0]) if rows else "no answer"
    lines = [line for line in text.splitlines() if not line.startswith("***")]
    return lines[0] if lines else text


def repair(data_dir: Path, *, now: Callable[[], datetime] = datetime.now) -> RepairResult:
    """Copy the damaged data file of ``data_dir`` aside and replace it with what can be
    salvaged.  Takes the data directory's lock (refused while RoadMaster runs).  A file
    that passes the quick check is left alone (``was_damaged`` False)."""
    db_file = data_dir / DB_FILE_NAME
    if not db_file.is_file():
        raise UserError(f"There is no data file to repair in {data_dir}.")
    lock = DataDirLock.acquire(data_dir)
    try:
        stamp = now().strftime("%Y%m%d-%H%M%S")
        aside = data_dir / f"{DB_FILE_NAME}.damaged-{stamp}"
        work = data_dir / f".{DB_FILE_NAME}.repair-{stamp}"
        new = data_dir / f".{DB_FILE_NAME}.new-{stamp}"
        try:
            _copy_with_wal(db_file, work)
            if quick_check(work) == "ok":
                return RepairResult(damaged_copy=db_file, tables=[], was_damaged=False)
            _copy_with_wal(db_file, aside)
            result = RepairResult(damaged_copy=aside, tables=[])
            _salvage(work, new, result)
            check = quick_check(new)
            if check != "ok":  # cannot happen for a file built by SQLite itself
                raise DataFileError(
                    f"The recovered file failed SQLite's check ({check}); {db_file} is "
                    f"unchanged and a copy is kept at {aside}.",
                    reason="corrupt",
                )
            # The old WAL must not be folded into the new file: it is kept aside.
            for suffix in _SIDE_FILES:
                Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            new.replace(db_file)
            return result
        except OSError as exc:
            raise DataFileError(
                f"The repair could not write in {data_dir} ({exc.strerror or exc}); "
                f"{db_file} is unchanged. Free some disk space (the repair needs about "
                "three times the file's size) and try again.",
                reason="full" if exc.errno == 28 else "io",
            ) from exc
        finally:
            for path in (work, new):
                for suffix in ("", *_SIDE_FILES):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    finally:
        lock.release()


def _copy_with_wal(db_file: Path, target: Path) -> None:
    """Copy the file and its WAL under the new name (SQLite pairs them by name)."""
    shutil.copyfile(db_file, target)
    wal = Path(f"{db_file}-wal")
    if wal.is_file():
        shutil.copyfile(wal, f"{target}-wal")


def _salvage(source: Path, target: Path, result: RepairResult) -> None:
    src = sqlite3.connect(source, isolation_level=None)
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        # Read the schema even where one entry is broken (a table whose pages lie past
        # the end of a cut-short file would otherwise make every query fail).  The
        # working copy is only read, never written.
        src.execute("PRAGMA writable_schema=ON")
        try:
            schema = src.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise DataFileError(
                "Nothing was replaced: the list of tables in the data file is "
                f"unreadable ({exc}), so nothing can be recovered. The damaged file is "
                f"kept at {result.damaged_copy}; "
                "restore a backup, or move it aside to start a new, empty data file.",
                reason="corrupt",
            ) from exc
        tables = [(n, sql) for kind, n, sql in schema if kind == "table"]
        tables = [(n, sql) for n, sql in tables if not n.startswith("sqlite_")]
        dst.execute("PRAGMA foreign_keys=OFF")
        dst.execute("BEGIN")
        for _name, sql in tables:
            dst.execute(sql)
        for name, _sql in tables:
            result.tables.append(_copy_table(src, dst, name))
        _copy_sequence(src, dst)
        for kind, _name, sql in schema:
            if kind in ("index", "trigger"):
                try:
                    dst.execute(sql)
                except sqlite3.DatabaseError:
                    result.not_rebuilt.append(sql[:80])
        dst.execute("COMMIT")
        # Rows read from a damaged page can hold garbage that SQLite stores happily
        # (a date of NUL bytes): each row must read back as the app reads it.
        dst.execute("BEGIN")
        _drop_garbled(dst, target, result)
        _drop_orphans(dst, result)
        _check_version(dst, result)
        dst.execute("COMMIT")
    finally:
        src.close()
        dst.close()


def _drop_garbled(dst: sqlite3.Connection, target: Path, result: RepairResult) -> None:
    """Delete the rows of the app's tables that its own column types cannot read."""
    by_name = {t.name: t for t in result.tables}
    bad: list[tuple[str, int]] = []
    engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(target))
    try:
        with engine.connect() as conn:
            for table in app_tables.metadata.sorted_tables:
                if table.name in by_name:
                    bad += [(table.name, r) for r in _unreadable_rows(dst, conn, table)]
    finally:
        engine.dispose()
    for name, rowid in bad:
        dst.execute(f"DELETE FROM {_quote(name)} WHERE rowid = ?", (rowid,))
        by_name[name].refused += 1
        by_name[name].kept -= 1


def _unreadable_rows(
    dst: sqlite3.Connection, conn: sa.Connection, table: sa.Table
) -> Iterator[int]:
    rowid: sa.ColumnClause[int] = sa.literal_column("rowid")
    typed = sa.select(rowid, *table.columns)
    failures = (ValueError, TypeError, LookupError, sa.exc.StatementError)
    last = -_MAX_ROWID - 1
    while True:
        ids = [
            int(r[0])
            for r in dst.execute(
                f"SELECT rowid FROM {_quote(table.name)} WHERE rowid > ? "
                f"ORDER BY rowid LIMIT {_BATCH}",
                (last,),
            )
        ]
        if not ids:
            return
        last = ids[-1]
        try:
            conn.execute(typed.where(rowid.in_(ids))).all()
            continue
        except failures:
            pass
        for one in ids:
            try:
                conn.execute(typed.where(rowid == one)).all()
            except failures:
                yield one


def _check_version(dst: sqlite3.Connection, result: RepairResult) -> None:
    """Without its schema revision the new file could not be opened: refuse."""
    try:
        found = dst.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
    except sqlite3.DatabaseError:
        found = 0
    if not found:
        raise DataFileError(
            "Nothing was replaced: the damage reaches the data file's schema version, "
            f"so what could be read would not open. The damaged file is kept at "
            f"{result.damaged_copy}; restore a backup, or move the data file aside to "
            "start a new, empty one.",
            reason="corrupt",
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_table(src: sqlite3.Connection, dst: sqlite3.Connection, name: str) -> TableSalvage:
    salvage = TableSalvage(name)
    table = _quote(name)
    try:
        columns = [row[1] for row in src.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        salvage.unreadable = True
        return salvage
    names = ", ".join(_quote(c) for c in columns)
    select = f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid"
    insert = (
        f"INSERT OR IGNORE INTO {table} (rowid, {names}) "
        f"VALUES (?, {', '.join('?' for _ in columns)})"
    )

    def readable_after(rowid: int) -> bool:
        try:
            src.execute(select + " LIMIT 1", (rowid,)).fetchall()
        except sqlite3.DatabaseError:
            return False
        return True

    last = -_MAX_ROWID - 1
    while True:
        batch: list[tuple[Any, ...]] = []
        failed = False
        try:
            for row in src.execute(select, (last,)):
                batch.append(row)
                if len(batch) >= _BATCH:
                    last = _insert(dst, insert, batch, salvage)
                    batch = []
        except sqlite3.DatabaseError:
            failed = True
        if batch:
            last = _insert(dst, insert, batch, salvage)
        if not failed:
            return salvage
        resume = _next_readable(last, readable_after)
        if resume is None:
            salvage.lost.append((last + 1, _MAX_ROWID))
            if salvage.kept == 0:
                salvage.unreadable = True
            return salvage
        salvage.lost.append((last + 1, resume))
        last = resume


def _next_readable(last: int, readable_after: Callable[[int], bool]) -> int | None:
    """The smallest rowid after ``last`` from which the table reads again (the rows
    in between are lost), or None when nothing after ``last`` reads."""
    step = 1
    while not readable_after(last + step):
        if last + step >= _MAX_ROWID:
            return None
        step = min(step * 2, _MAX_ROWID - last)
    lo, hi = last, last + step  # reading after lo fails, after hi works
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if readable_after(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _insert(
    dst: sqlite3.Connection, insert: str, batch: list[tuple[Any, ...]], salvage: TableSalvage
) -> int:
    before = dst.total_changes
    dst.executemany(insert, batch)
    added = dst.total_changes - before
    salvage.kept += added
    salvage.refused += len(batch) - added
    return int(batch[-1][0])


def _copy_sequence(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    """AUTOINCREMENT counters, so that no id is handed out twice."""
    try:
        rows = src.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
        exists = dst.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
        ).fetchone()
    except sqlite3.DatabaseError:
        return
    if exists:
        dst.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", rows)


def _drop_orphans(dst: sqlite3.Connection, result: RepairResult) -> None:
    """Rows whose parent row was lost: a link that may be empty (``ON DELETE SET
    NULL``) is emptied, anything else (a job's samples, events, uploads) is dropped."""
    by_name = {t.name: t for t in result.tables}
    for _ in range(10):  # a drop can orphan rows further down; the chains are short
        broken = dst.execute("PRAGMA foreign_key_check").fetchall()
        if not broken:
            return
        for table, rowid, _parent, fkid in broken:
            links = {
                row[0]: (row[3], row[6])  # id -> (from column, on_delete)
                for row in dst.execute(f"PRAGMA foreign_key_list({_quote(table)})")
            }
            column, on_delete = links.get(fkid, ("", ""))
            if column and on_delete.upper() == "SET NULL":
                dst.execute(
                    f"UPDATE {_quote(table)} SET {_quote(column)} = NULL WHERE rowid = ?",
                    (rowid,),
                )
                continue
            dst.execute(f"DELETE FROM {_quote(table)} WHERE rowid = ?", (rowid,))
            if table in by_name:
                by_name[table].orphans += 1
                by_name[table].kept -= 1
