"""The write API of the local database, used by the capture thread.

One :class:`Store` per process and data directory (an OS lock enforces it); its
writes go through one connection that belongs to the capture thread.  Reads
(job log pages, aggregates) use :attr:`Store.engine`'s pool from any thread: WAL
lets them run while the capture thread writes.

``apply`` writes a batch of tracker events and the outbox rows that tell the cloud
about them in one transaction: either all of it is in the file or none of it.

The parts live beside it: :mod:`~roadmaster.storage.transaction` (the writer
connection), :mod:`~roadmaster.storage.event_writer` (what each event writes),
:mod:`~roadmaster.storage.keyvalue` (the settings table) and
:mod:`~roadmaster.storage.statistics` (planner statistics).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from roadmaster.jobs.events import Event, JobInfo, JobStats, JobStatus
from roadmaster.storage import keyvalue, migrate, queries, statistics
from roadmaster.storage import outbox as ob
from roadmaster.storage.engine import DB_FILE_NAME, make_engine
from roadmaster.storage.errors import DataFileError, map_sqlite_error
from roadmaster.storage.event_writer import EventWriter, check_economics
from roadmaster.storage.lock import DataDirLock
from roadmaster.storage.rows import complete_job_row, info_from_row
from roadmaster.storage.rows import stats_from_row as _stats_from_row
from roadmaster.storage.tables import achievements, jobs, samples, utc_now
from roadmaster.storage.transaction import Clock, Writer

log = logging.getLogger(__name__)

_INSERT_JOB: Final = jobs.insert()


class Store:
    """The open database of one data directory.  Use :meth:`open`."""

    def __init__(
        self,
        *,
        data_dir: Path,
        engine: Engine,
        lock: DataDirLock,
        clock: Clock = utc_now,
        payload_builder: ob.PayloadBuilder = ob.game_unit_payload,
    ) -> None:
        self.data_dir = data_dir
        self._engine = engine
        self._lock = lock
        self.writer = Writer(engine, data_dir / DB_FILE_NAME, clock)
        self._events = EventWriter(self.writer, engine, payload_builder)

    # --- lifecycle ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        clock: Clock = utc_now,
        payload_builder: ob.PayloadBuilder = ob.game_unit_payload,
    ) -> Store:
        """Lock ``data_dir``, create or upgrade its database, and return the store.

        Raises :class:`~roadmaster.storage.errors.AlreadyRunningError` when another
        process holds the directory, :class:`~roadmaster.storage.errors.DataFileError`
        for a read-only, damaged, full or newer data file.
        """
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataFileError(
                f"RoadMaster can't create its data folder {data_dir} ({exc.strerror}). "
                "Choose another folder with --data-dir or ROADMASTER_HOME.",
                reason="read-only",
            ) from exc
        lock = DataDirLock.acquire(data_dir)
        if lock.took_over_pid is not None:
            log.info("took over the lock of process %s, which had ended", lock.took_over_pid)
        db_file = data_dir / DB_FILE_NAME
        engine: Engine | None = None
        try:
            migrate.upgrade(db_file)
            engine = make_engine(db_file)
            store = cls(
                data_dir=data_dir,
                engine=engine,
                lock=lock,
                clock=clock,
                payload_builder=payload_builder,
            )
            # A real write at once: a read-only file fails here, not at the first job.
            store._log_only("store_opened", {"pid_took_over": lock.took_over_pid})
            store.refresh_statistics()
        except BaseException as exc:
            if engine is not None:
                engine.dispose()
            lock.release()
            mapped = map_sqlite_error(exc, db_file)
            if mapped is not None:
                raise mapped from exc
            raise
        return store

    def close(self) -> None:
        """Checkpoint the WAL into the main file, close, and release the lock
        (idempotent)."""
        if self.writer.closed:
            return
        try:
            self.writer.close()
        finally:
            self._engine.dispose()
            self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def data_file(self) -> Path:
        return self.data_dir / DB_FILE_NAME

    @property
    def engine(self) -> Engine:
        """The engine for reads (thread-safe pool; each task takes its own connection)."""
        return self._engine

    # --- writing -----------------------------------------------------------------------

    def apply(
        self,
        events: Sequence[Event],
        *,
        economics: Mapping[str, Mapping[str, float | None]] | None = None,
        progress: tuple[str, JobInfo, JobStats] | None = None,
    ) -> None:
        """Write ``events`` and their outbox rows in one transaction.

        ``economics`` sets economics columns (``fuel_cost``, ``damage_cost``,
        ``profit``, ``safety_score``) of jobs by job key, e.g. for a job delivered in
        this batch.  ``progress`` is the tracker's ``open_job`` (key, info, stats):
        its accumulators are saved so that a restart resumes the job with them.
        """
        if economics:
            for cols in economics.values():
                check_economics(cols)
        with self.writer.transaction() as tx:
            self._events.write(tx, events)
            if progress is not None:
                self._events.save_progress(tx, *progress)
            for key, cols in (economics or {}).items():
                self._events.set_economics(tx, key, cols)

    def set_job_economics(self, job_key: str, **columns: float | None) -> None:
        """Set economics columns of one job (its own transaction)."""
        check_economics(columns)
        with self.writer.transaction() as tx:
            self._events.set_economics(tx, job_key, columns)

    def set_job_status(self, job_key: str, status: JobStatus) -> None:
        """Change a job's status, e.g. the user's verdict on a ``needs-review`` job.
        Local only: the outbox already holds what the cloud was told."""
        with self.writer.transaction() as tx:
            tx.conn.execute(
                jobs.update()
                .where(jobs.c.job_key == job_key)
                .values(status=status.value, updated_at=tx.now)
            )

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (settings and achievement progress)."""
        with self.writer.transaction() as tx:
            keyvalue.put_value(tx.conn, key, value, tx.now)

    def get_setting(self, key: str, default: Any = None) -> Any:
        return keyvalue.get_value(self._engine, key, default)

    def unlock_achievement(
        self, achievement_id: str, *, job_key: str | None = None, detail: str | None = None
    ) -> bool:
        """Record an achievement as unlocked now; False if it already was."""
        with self.writer.transaction() as tx:
            stmt = sqlite_insert(achievements).values(
                id=achievement_id,
                unlocked_at=tx.now,
                job_id=self.writer.job_id(tx, job_key),
                detail=detail,
            )
            result = tx.conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
            return bool(result.rowcount)

    def unlocked_achievements(self) -> dict[str, datetime]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(achievements.c.id, achievements.c.unlocked_at))
            return {row.id: row.unlocked_at for row in rows}

    def bulk_insert_jobs(self, rows: Iterable[Mapping[str, Any]], *, chunk: int = 5000) -> int:
        """Insert finished jobs fast (demo data, imports): Core executemany, no outbox
        rows (they are not news for the cloud).  Each row maps column names to values;
        columns left out take their defaults.  Returns the number inserted."""
        count = 0
        batch: list[dict[str, Any]] = []
        with self.writer.transaction() as tx:
            for row in rows:
                batch.append(complete_job_row(row, tx.now))
                if len(batch) >= chunk:
                    tx.conn.execute(_INSERT_JOB, batch)
                    count += len(batch)
                    batch = []
            if batch:
                tx.conn.execute(_INSERT_JOB, batch)
                count += len(batch)
        self.refresh_statistics()
        return count

    def refresh_statistics(self, *, force: bool = False) -> bool:
        """Re-run ``ANALYZE jobs`` when the job count moved by a fifth since the last
        run (or ``force``); returns whether it ran (see :mod:`.statistics`)."""
        with self.writer.transaction() as tx:
            return statistics.refresh_statistics(tx.conn, force=force)

    # --- reading (small things; the job log lives in queries.py) ------------------------

    def open_job(self) -> tuple[str, JobInfo, JobStats] | None:
        """The job still open in the database (key, info, saved accumulators), so a
        restarted tracker can resume it; the newest one if there were several."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(jobs).where(jobs.c.status == "open").order_by(jobs.c.id.desc())
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return row["job_key"], info_from_row(row), _stats_from_row(row)

    def status_counts(self) -> dict[str, int]:
        """Jobs per status."""
        return queries.status_counts(self._engine)

    def sample_count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(samples)).scalar_one())

    def outbox_pending(self) -> int:
        return ob.pending_count(self._engine)

    # --- internals -----------------------------------------------------------------------

    def _log_only(self, kind: str, detail: dict[str, Any]) -> None:
        with self.writer.transaction() as tx:
            self._events.log(tx, kind, None, detail)
