"""The SQLite engine: WAL journal, synchronous=NORMAL, foreign keys, busy timeout.

Why these settings: WAL lets the UI's pool tasks read while the capture thread
writes; synchronous=NORMAL in WAL mode skips the fsync per commit (a power cut may
lose the last commits, never corrupt the file), which is what makes a 1 Hz sample
commit cost microseconds, not milliseconds.

Transactions: Python's ``sqlite3`` module opens transactions implicitly and not
before DDL, which breaks atomic migrations.  We switch that off
(``isolation_level=None``) and emit ``BEGIN`` ourselves when SQLAlchemy begins,
so a ``with conn.begin():`` block is exactly one SQLite transaction.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

DB_FILE_NAME: Final = "roadmaster.db"
# Execution options of a connection that writes: its transactions take the write lock
# when they begin (waiting up to the busy timeout for another writer to finish).
WRITER: Final = {"begin": "IMMEDIATE"}
BUSY_TIMEOUT_MS: Final = 5000


def _json_dumps(value: object) -> str:
    # Compact and ASCII-safe: payloads are stored and sent many times.
    return json.dumps(value, separators=(",", ":"))


def make_engine(
    db_file: Path, *, read_only: bool = False, foreign_keys: bool = True, pool_size: int = 4
) -> Engine:
    """An engine on ``db_file`` with the project's pragmas on every connection.

    ``read_only`` opens with ``mode=ro`` (reports next to a running app; never
    creates the file).  ``foreign_keys=False`` is for migrations only: SQLite
    rebuilds a table to alter it, and with enforcement on, dropping the old copy
    would cascade into its children.
    """

    def connect() -> sqlite3.Connection:
        mode = "ro" if read_only else "rwc"
        uri = f"file:{quote(str(db_file.resolve()))}?mode={mode}"
        return sqlite3.connect(
            uri,
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            # One writer thread owns its connection, but it may be opened elsewhere;
            # pool connections are used by one thread at a time.
            check_same_thread=False,
            isolation_level=None,
        )

    engine = sa.create_engine(
        "sqlite+pysqlite://",
        creator=connect,
        # The URL names no file (``creator`` opens it), so say which pool a file needs.
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=4,
        json_serializer=_json_dumps,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        cur = dbapi_conn.cursor()
        try:
            if not read_only:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: this runs once per transaction, at 1 Hz or more.
        # Writers begin IMMEDIATE (see WRITER): a deferred transaction that reads and
        # then writes fails at once with SQLITE_BUSY when another connection (the sync
        # thread, the capture) committed in between; the busy timeout cannot help it.
        mode = conn.get_execution_options().get("begin", "")
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]

    return engine
