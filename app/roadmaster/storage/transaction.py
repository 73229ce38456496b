"""The writer connection of one store: transactions and the job-id cache.

Every write of the capture thread goes through :meth:`Writer.transaction`: BEGIN …
COMMIT on the one writer connection, SQLite failures mapped to
:class:`~roadmaster.storage.errors.DataFileError`, and the job ids a transaction
created cached only once it committed.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final, NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from roadmaster.storage.engine import WRITER
from roadmaster.storage.errors import map_sqlite_error
from roadmaster.storage.tables import jobs

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# A job key names a job as the game describes it (tracker.job_key).  The same job driven
# again after it ended (a save loaded, the demo restarted) is another row, stored under
# "<key>#2", "<key>#3"…: a key means its newest run.  "#" < "$", so the range is the key's
# runs and an index range scan.
_JOB_RUNS: Final = sa.or_(
    jobs.c.job_key == sa.bindparam("key"),
    sa.and_(jobs.c.job_key >= sa.bindparam("lo"), jobs.c.job_key < sa.bindparam("hi")),
)
_NEWEST_RUN: Final = (
    sa.select(jobs.c.id, jobs.c.status, sa.func.count().over().label("runs"))
    .where(_JOB_RUNS)
    .order_by(jobs.c.id.desc())
    .limit(1)
)


def run_key(job_key: str, run: int) -> str:
    """The stored key of a job's ``run``-th run (the first is the key itself)."""
    return job_key if run <= 1 else f"{job_key}#{run}"


def _runs_of(job_key: str) -> dict[str, str]:
    return {"key": job_key, "lo": job_key + "#", "hi": job_key + "$"}


@dataclass(frozen=True, slots=True)
class Run:
    job_id: int
    status: str
    runs: int  # how many rows the key has


@dataclass(slots=True)
class Tx:
    """One transaction: its connection, clock reading and the job ids it created
    (cached only once the commit succeeded)."""

    conn: Connection
    now: datetime
    new_ids: dict[str, int] = field(default_factory=dict)


class Writer:
    """The one writer connection of a store (the capture thread's)."""

    def __init__(self, engine: Engine, data_file: Path, clock: Clock) -> None:
        self._data_file = data_file
        self._clock = clock
        self._conn: Connection | None = engine.connect().execution_options(**WRITER)
        self._job_ids: dict[str, int] = {}  # committed job_key -> jobs.id

    @property
    def connection(self) -> Connection:
        """The raw writer connection (for tests that need to break it on purpose)."""
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return self._conn

    def transaction(self) -> _TxContext:
        """``with writer.transaction() as tx``: one BEGIN … COMMIT."""
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return _TxContext(self, self._conn)

    def job_id(self, tx: Tx, job_key: str | None) -> int | None:
        """``jobs.id`` of a job key (created in ``tx`` or committed before), or None."""
        if job_key is None:
            return None
        job_id = tx.new_ids.get(job_key) or self._job_ids.get(job_key)
        if job_id is None:
            newest = self.newest_run(tx, job_key)
            if newest is not None:
                job_id = newest.job_id
                self._job_ids[job_key] = job_id  # committed before this transaction
        return job_id

    def newest_run(self, tx: Tx, job_key: str) -> Run | None:
        """The newest stored run of a job key, its status, and how many runs it has."""
        row = tx.conn.execute(_NEWEST_RUN, _runs_of(job_key)).first()
        return None if row is None else Run(int(row.id), str(row.status), int(row.runs))

    def raise_mapped(self, exc: sa.exc.DBAPIError | sqlite3.Error) -> NoReturn:
        mapped = map_sqlite_error(exc, self._data_file)
        if mapped is None:
            raise exc
        raise mapped from exc

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
            # Outside any transaction (a checkpoint inside one cannot finish).
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).close()
        except sqlite3.Error:
            log.warning("WAL checkpoint failed at close; the next start completes it")
        finally:
            conn.close()

    @property
    def closed(self) -> bool:
        return self._conn is None


class _TxContext:
    """BEGIN … COMMIT on the writer connection; SQLite failures become
    :class:`DataFileError`; job ids are cached on commit."""

    __slots__ = ("_conn", "_trans", "_tx", "_writer")

    def __init__(self, writer: Writer, conn: Connection) -> None:
        self._writer = writer
        self._conn = conn

    def __enter__(self) -> Tx:
        try:
            self._trans = self._conn.begin()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            # BEGIN IMMEDIATE runs in an event listener: the driver's error comes raw
            self._writer.raise_mapped(exc)
        self._tx = Tx(self._conn, self._writer._clock())
        return self._tx

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is not None:
            self._trans.rollback()
            # FastInsert raises the driver's own errors, Core wraps them: map both.
            if isinstance(ev, sa.exc.DBAPIError | sqlite3.Error):
                self._writer.raise_mapped(ev)
            return
        try:
            self._trans.commit()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            # A failed COMMIT (disk full) leaves SQLite's transaction open: end it, so
            # that the next write (after space was freed) starts clean.
            with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                self._trans.rollback()
            self._writer.raise_mapped(exc)
        self._writer._job_ids.update(self._tx.new_ids)
