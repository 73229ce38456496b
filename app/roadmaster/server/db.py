"""Database access of the reference server: engines, migrations, one write path.

SQLite (the default, ``sqlite:///path/server.db``): WAL journal and
synchronous=NORMAL (a commit costs no fsync; a power cut may lose the last
commits, never corrupt the file), foreign keys on, and **one** connection that
every request uses in turn.  SQLite allows one writer at a time anyway; one
connection used from the event loop's thread avoids lock waits and thread hops,
and a WAL commit without fsync takes microseconds, so it does not stall the loop.
``BEGIN IMMEDIATE`` takes the write lock up front, so a concurrent writer in
another process (``roadmaster serve user add``) waits for the busy timeout
instead of failing a read-to-write upgrade.

PostgreSQL (``postgresql+psycopg://…``): a connection pool, and each request's
transaction runs in a worker thread so that the event loop never waits on a
network round trip.

Schema: :func:`upgrade` runs the server's own Alembic scripts (shipped in the
package as :mod:`roadmaster.server.migrations`) in one transaction, at every start.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from roadmaster.errors import UserError

T = TypeVar("T")

BUSY_TIMEOUT_MS: Final = 5000
PING_AFTER_IDLE_S: Final = 5.0
POOL_SIZE: Final = 8
"""PostgreSQL connections a server process keeps, and at most as many requests'
database work at once: more threads than connections would make the pool open
overflow connections and close them again (a new PostgreSQL backend each time)."""
VERSION_TABLE: Final = "server_alembic_version"


class ServerDatabaseError(UserError):
    """The server's database URL cannot be used."""


def is_sqlite(url: str) -> bool:
    return sa.engine.make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = POOL_SIZE) -> Engine:
    """An engine for ``url`` with the server's settings (see the module docstring)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = sa.create_engine(parsed, pool_size=pool_size, max_overflow=4)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        _create_private(Path(parsed.database).expanduser())
    engine = sa.create_engine(
        parsed,
        # We emit BEGIN ourselves (below): pysqlite's implicit transactions skip DDL,
        # which would make migrations non-atomic.
        connect_args={"isolation_level": None, "check_same_thread": False},
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        max_overflow=2,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle for a while.

    ``pool_pre_ping`` pings on every checkout: a round trip per transaction, a fifth
    of a busy server's CPU.  A connection in steady use has just proved itself; one
    that sat idle may have been cut (a database restart, a firewall's idle timeout),
    and a failed ping makes the pool replace it before the request uses it."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("SELECT 1")
            finally:
                cur.close()
            # The ping began a transaction: end it, or the connection could not be
            # put in autocommit (Database.run_statement) — nor start a clean one.
            dbapi_conn.rollback()
        except Exception as exc:  # any driver error: this connection is no good
            raise sa.exc.DisconnectionError(str(exc)) from exc


def _create_private(path: Path) -> None:
    """Create the database file owner-only (0600) if it does not exist: it holds every
    user's data and key hashes.  SQLite gives its -wal and -shm files the database
    file's mode.  An existing file keeps the mode its owner gave it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # not ours to create (read-only folder...): SQLite's open says why
    os.close(fd)


def _config() -> Config:
    config = Config()
    location = resources.files("roadmaster.server") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the server's migration scripts have no head"
    return head


def upgrade(engine: Engine) -> None:
    """Create or upgrade the server schema to the newest revision, atomically."""
    config = _config()
    script = ScriptDirectory.from_config(config)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            current = context.get_current_heads()
            known = {rev.revision for rev in script.walk_revisions()}
            if any(rev not in known for rev in current):
                raise ServerDatabaseError(
                    f"The server database is at schema {current[0]}, newer than this "
                    "RoadMaster knows; update RoadMaster or use another --db."
                )
            conn.rollback()
            if tuple(current) == (script.get_current_head(),):
                return
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
    except sa.exc.OperationalError as exc:
        raise ServerDatabaseError(
            f"Can't open the server database {engine.url.render_as_string()}: {exc.orig}"
        ) from exc


class Database:
    """Runs one transaction at a time for the request handlers.

    ``await db.run(fn)`` calls ``fn(conn)`` inside a transaction and commits (or
    rolls back on an exception).  On SQLite the call happens inline on the one
    connection; on PostgreSQL in a worker thread with a pooled connection.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        upgrade(self.engine)
        self._lock = threading.Lock()
        self._conn: Connection | None = self.engine.connect() if self.sqlite else None
        self._threads: anyio.CapacityLimiter | None = None  # made in the event loop

    def _in_thread(self) -> anyio.CapacityLimiter:
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(POOL_SIZE)
        return self._threads

    def run_sync(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is not None:
            with self._lock:
                conn = self._conn
                try:
                    with conn.begin():
                        return fn(conn)
                except BaseException:
                    if conn.in_transaction():  # a failure inside begin() itself
                        conn.rollback()
                    raise
        with self.engine.begin() as conn:
            return fn(conn)

    async def run(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is not None:
            return self.run_sync(fn)
        return await anyio.to_thread.run_sync(self.run_sync, fn, limiter=self._in_thread())

    def _single_statement(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return fn(conn.execution_options(isolation_level="AUTOCOMMIT"))

    async def run_statement(self, fn: Callable[[Connection], T]) -> T:
        """PostgreSQL only: ``fn(conn)`` on a connection in autocommit, for one
        statement that is its own transaction (no ``BEGIN``/``COMMIT`` trips)."""
        assert self._conn is None, "SQLite runs every request on its one connection"
        return await anyio.to_thread.run_sync(self._single_statement, fn, limiter=self._in_thread())

    def data_version(self) -> int | None:
        """SQLite's ``PRAGMA data_version``: changes when *another* connection (another
        process) has committed.  None on PostgreSQL."""
        if self._conn is None:
            return None
        with self._lock:
            raw = self._conn.connection.dbapi_connection
            assert raw is not None
            cur = raw.cursor()
            try:
                cur.execute("PRAGMA data_version")
                row = cur.fetchone()
            finally:
                cur.close()
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.engine.dispose()
