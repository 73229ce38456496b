"""The write API of the local database, used by the capture thread.

One :class:`Store` per process and data directory (an OS lock enforces it); its
writes go through one connection that belongs to the capture thread.  Reads
(job log pages, aggregates) use :attr:`Store.engine`'s pool from any thread: WAL
lets them run while the capture thread writes.

``apply`` writes a batch of tracker events and the outbox rows that tell the cloud
about them in one transaction: either all of it is in the file or none of it.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, NoReturn, Self

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from roadmaster.jobs.events import (
    Anomaly,
    Event,
    Fined,
    GameConnected,
    GameDisconnected,
    GamePaused,
    GameResumed,
    GameStale,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobInfo,
    JobStarted,
    JobStats,
    JobStatus,
    RefuelPaid,
    RefuelStarted,
    Sample,
    TollPaid,
    Transport,
)
from roadmaster.storage import migrate, queries
from roadmaster.storage import outbox as ob
from roadmaster.storage.engine import DB_FILE_NAME, WRITER, make_engine
from roadmaster.storage.errors import DataFileError, map_sqlite_error
from roadmaster.storage.fastinsert import FastInsert
from roadmaster.storage.lock import DataDirLock
from roadmaster.storage.rows import (
    complete_job_row,
    info_columns,
    info_from_row,
    sample_row,
    stats_columns,
)
from roadmaster.storage.rows import stats_from_row as _stats_from_row
from roadmaster.storage.tables import (
    ECONOMICS_COLUMNS,
    achievements,
    job_events,
    jobs,
    samples,
    session_log,
    settings,
    utc_now,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_INSERT_EVENT: Final = job_events.insert()
_INSERT_LOG: Final = session_log.insert()
_INSERT_JOB: Final = jobs.insert()
_JOB_ID_BY_KEY: Final = sa.select(jobs.c.id).where(jobs.c.job_key == sa.bindparam("key"))
# Which job total an expense adds to (money, whole currency units).
_EXPENSE_TOTAL: Final = {"fine": "fines", "toll": "tolls", "ferry": "transport_cost"}
_EXPENSE_TOTAL_TRAIN: Final = "transport_cost"
_SESSION_KINDS: Final[dict[type[Event], str]] = {
    GamePaused: "game_paused",
    GameResumed: "game_resumed",
    GameStale: "game_stale",
}


@dataclass(slots=True)
class _Tx:
    """One ``apply`` transaction: its connection, clock reading and the job ids it
    created (cached only once the commit succeeded)."""

    conn: Connection
    now: datetime
    new_ids: dict[str, int] = field(default_factory=dict)


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
        self._clock = clock
        self._payload_builder = payload_builder
        self._conn: Connection | None = engine.connect().execution_options(**WRITER)
        self._job_ids: dict[str, int] = {}  # committed job_key -> jobs.id
        self._insert_sample = FastInsert(
            samples, [c.name for c in samples.columns if c.name != "id"], engine.dialect
        )

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
                _check_economics(cols)
        with self._transaction() as tx:
            for event in events:
                handler = _HANDLERS.get(type(event))
                if handler is None:
                    raise TypeError(f"the store has no rule for {type(event).__name__}")
                handler(self, tx, event)
            if progress is not None:
                self._save_progress(tx, *progress)
            for key, cols in (economics or {}).items():
                self._set_economics(tx, key, cols)

    def set_job_economics(self, job_key: str, **columns: float | None) -> None:
        """Set economics columns of one job (its own transaction)."""
        _check_economics(columns)
        with self._transaction() as tx:
            self._set_economics(tx, job_key, columns)

    def set_job_status(self, job_key: str, status: JobStatus) -> None:
        """Change a job's status, e.g. the user's verdict on a ``needs-review`` job.
        Local only: the outbox already holds what the cloud was told."""
        with self._transaction() as tx:
            tx.conn.execute(
                jobs.update()
                .where(jobs.c.job_key == job_key)
                .values(status=status.value, updated_at=tx.now)
            )

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (settings and achievement progress)."""
        with self._transaction() as tx:
            stmt = sqlite_insert(settings).values(key=key, value=value, updated_at=tx.now)
            tx.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["key"], set_={"value": value, "updated_at": tx.now}
                )
            )

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).first()
        return default if row is None else row[0]

    def unlock_achievement(
        self, achievement_id: str, *, job_key: str | None = None, detail: str | None = None
    ) -> bool:
        """Record an achievement as unlocked now; False if it already was."""
        with self._transaction() as tx:
            stmt = sqlite_insert(achievements).values(
                id=achievement_id,
                unlocked_at=tx.now,
                job_id=self._job_id(tx, job_key),
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
        with self._transaction() as tx:
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
        run (or ``force``); returns whether it ran.

        Why: without statistics SQLite filters by any indexed column first and then
        sorts, so "game = ATS, by distance" sorts 50,000 rows (~50 ms); with them it
        walks the distance index and stops after ~100 rows (~1 ms).  A full ANALYZE
        costs ~0.5 s per 100k jobs, so it runs only when the log grew noticeably.
        """
        with self._transaction() as tx:
            count = int(tx.conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one())
            analysed = _analysed_rows(tx.conn)
            stale = analysed is None or abs(count - analysed) > max(50, analysed // 5)
            if force or stale:
                tx.conn.exec_driver_sql("ANALYZE jobs")
                return True
        return False

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

    def _transaction(self) -> _TxContext:
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return _TxContext(self, self._conn)

    def _raise_mapped(self, exc: sa.exc.DBAPIError | sqlite3.Error) -> NoReturn:
        mapped = map_sqlite_error(exc, self.data_file)
        if mapped is None:
            raise exc
        raise mapped from exc

    def _job_id(self, tx: _Tx, job_key: str | None) -> int | None:
        if job_key is None:
            return None
        job_id = tx.new_ids.get(job_key) or self._job_ids.get(job_key)
        if job_id is None:
            job_id = tx.conn.execute(_JOB_ID_BY_KEY, {"key": job_key}).scalar_one_or_none()
            if job_id is not None:
                self._job_ids[job_key] = job_id  # committed before this transaction
        return job_id

    def _enqueue(self, tx: _Tx, event: Event, job_id: int | None) -> None:
        kind = ob.kind_of(event)
        if kind is None:
            return
        payload = self._payload_builder(event)
        if payload is not None:
            ob.enqueue(tx.conn, kind, payload, job_id=job_id, now=tx.now)

    def _insert_job(self, tx: _Tx, job_key: str, info: JobInfo, started_at: datetime) -> int:
        values = info_columns(info)
        values.update(job_key=job_key, status="open", started_at=started_at, updated_at=tx.now)
        key = tx.conn.execute(_INSERT_JOB, values).inserted_primary_key
        assert key is not None
        job_id = int(key[0])
        tx.new_ids[job_key] = job_id
        return job_id

    def _log(self, tx: _Tx, kind: str, event: Event | None, detail: dict[str, Any]) -> None:
        job_key = getattr(event, "job_key", None)
        tx.conn.execute(
            _INSERT_LOG,
            {
                "kind": kind,
                "t_s": None if event is None else event.t_s,
                "game_time_min": None if event is None else event.game_time_min,
                "recorded_at": tx.now,
                "job_id": self._job_id(tx, job_key),
                "detail": detail,
            },
        )

    def _log_only(self, kind: str, detail: dict[str, Any]) -> None:
        with self._transaction() as tx:
            self._log(tx, kind, None, detail)

    def _job_started(self, tx: _Tx, event: JobStarted) -> None:
        if self._job_id(tx, event.job_key) is not None:
            return  # resumed after a restart or a profile reload: the row is there
        job_id = self._insert_job(tx, event.job_key, event.info, tx.now)
        self._enqueue(tx, event, job_id)

    def _job_ended(
        self,
        tx: _Tx,
        event: JobDelivered | JobCancelled | JobAbandoned,
        status: JobStatus,
        results: dict[str, Any],
    ) -> None:
        job_id = self._job_id(tx, event.job_key)
        if job_id is None:
            # Seen only at its end (the app started after the job did): create it, and
            # tell the cloud about the start first, since the completion refers to it.
            started = tx.now - timedelta(seconds=event.stats.real_s)
            job_id = self._insert_job(tx, event.job_key, event.info, started)
            start = JobStarted(
                t_s=event.t_s,
                game_time_min=event.info.started_game_min,
                job_key=event.job_key,
                info=event.info,
                resumed=True,
            )
            self._enqueue(tx, start, job_id)
        values = stats_columns(event.stats)
        values.update(results, status=status.value, ended_at=tx.now, updated_at=tx.now)
        updated = tx.conn.execute(
            jobs.update().where(jobs.c.id == job_id, jobs.c.status == "open").values(values)
        )
        if updated.rowcount == 0:
            # Closed already (an event replayed after a restart): say so, send nothing.
            self._log(tx, "job_closed_twice", event, {"status": status.value})
            return
        self._enqueue(tx, event, job_id)

    def _save_progress(self, tx: _Tx, job_key: str, info: JobInfo, stats: JobStats) -> None:
        job_id = self._job_id(tx, job_key)
        if job_id is None:
            return
        values = stats_columns(stats)
        values["updated_at"] = tx.now
        tx.conn.execute(
            jobs.update().where(jobs.c.id == job_id, jobs.c.status == "open").values(values)
        )

    def _set_economics(self, tx: _Tx, job_key: str, cols: Mapping[str, float | None]) -> None:
        job_id = self._job_id(tx, job_key)
        if job_id is None:
            raise KeyError(f"no job with key {job_key!r}")
        tx.conn.execute(jobs.update().where(jobs.c.id == job_id).values(dict(cols)))

    def _expense(self, tx: _Tx, event: Event, kind: str, **values: Any) -> None:
        job_id = self._job_id(tx, getattr(event, "job_key", None))
        row = {
            "job_id": job_id,
            "kind": kind,
            "t_s": event.t_s,
            "game_time_min": event.game_time_min,
            "recorded_at": tx.now,
            "amount": None,
            "fuel_l": None,
            "offence": None,
            "source_name": None,
            "target_name": None,
            "source_id": None,
            "target_id": None,
        }
        row.update(values)
        tx.conn.execute(_INSERT_EVENT, row)
        total = _EXPENSE_TOTAL.get(kind, _EXPENSE_TOTAL_TRAIN if kind == "train" else None)
        if job_id is not None and total is not None and values.get("amount"):
            col = jobs.c[total]
            tx.conn.execute(
                jobs.update().where(jobs.c.id == job_id).values({total: col + values["amount"]})
            )

    def _sample(self, tx: _Tx, event: Sample) -> None:
        # The hot path (1 Hz): cached job id, prebuilt statements, two inserts.
        job_id = self._job_id(tx, event.job_key)
        self._insert_sample.execute(tx.conn, sample_row(event, job_id, tx.now))
        self._enqueue(tx, event, job_id)


class _TxContext:
    """``with store._transaction() as tx``: BEGIN … COMMIT on the writer connection;
    SQLite failures become :class:`DataFileError`; job ids are cached on commit."""

    __slots__ = ("_conn", "_store", "_trans", "_tx")

    def __init__(self, store: Store, conn: Connection) -> None:
        self._store = store
        self._conn = conn

    def __enter__(self) -> _Tx:
        try:
            self._trans = self._conn.begin()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            # BEGIN IMMEDIATE runs in an event listener: the driver's error comes raw
            self._store._raise_mapped(exc)
        self._tx = _Tx(self._conn, self._store._clock())
        return self._tx

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is not None:
            self._trans.rollback()
            # FastInsert raises the driver's own errors, Core wraps them: map both.
            if isinstance(ev, sa.exc.DBAPIError | sqlite3.Error):
                self._store._raise_mapped(ev)
            return
        try:
            self._trans.commit()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            # A failed COMMIT (disk full) leaves SQLite's transaction open: end it, so
            # that the next write (after space was freed) starts clean.
            with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                self._trans.rollback()
            self._store._raise_mapped(exc)
        self._store._job_ids.update(self._tx.new_ids)


def _analysed_rows(conn: Connection) -> int | None:
    """The job count the statistics were gathered at (None: never gathered)."""
    exists = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    if exists is None:
        return None
    row = conn.exec_driver_sql(
        "SELECT stat FROM sqlite_stat1 WHERE tbl = 'jobs' AND idx = 'ix_jobs_status'"
    ).first()
    if row is None:
        return None
    return int(str(row[0]).split()[0])


def _check_economics(cols: Mapping[str, object]) -> None:
    unknown = set(cols) - ECONOMICS_COLUMNS
    if unknown:
        raise ValueError(
            f"not economics columns: {sorted(unknown)} (allowed: {sorted(ECONOMICS_COLUMNS)})"
        )


def _delivered(store: Store, tx: _Tx, e: JobDelivered) -> None:
    results = {
        "revenue": e.revenue,
        "xp": e.xp,
        "cargo_damage": e.cargo_damage,
        "reported_distance_km": e.distance_km,
        "delivery_time_min": e.delivery_time_min,
        "ended_game_min": e.finished_game_min,
        "autopark_used": e.autopark_used,
        "autoload_used": e.autoload_used,
        "late": e.late,
    }
    store._job_ended(tx, e, JobStatus.DELIVERED, results)


def _cancelled(store: Store, tx: _Tx, e: JobCancelled) -> None:
    results = {"penalty": e.penalty, "ended_game_min": e.finished_game_min}
    store._job_ended(tx, e, JobStatus.CANCELLED, results)


def _abandoned(store: Store, tx: _Tx, e: JobAbandoned) -> None:
    # No event ended it (cancelled on World of Trucks?): the user decides what it was.
    results = {"end_reason": e.reason, "ended_game_min": e.game_time_min}
    store._job_ended(tx, e, JobStatus.NEEDS_REVIEW, results)


def _transport(store: Store, tx: _Tx, e: Transport) -> None:
    store._expense(
        tx,
        e,
        e.kind,
        amount=e.amount,
        source_name=e.source_name,
        target_name=e.target_name,
        source_id=e.source_id,
        target_id=e.target_id,
    )


def _session(store: Store, tx: _Tx, e: Event) -> None:
    store._log(tx, _SESSION_KINDS[type(e)], e, {})


def _handlers() -> dict[type[Event], Callable[[Store, _Tx, Any], None]]:
    return {
        Sample: Store._sample,
        JobStarted: Store._job_started,
        JobDelivered: _delivered,
        JobCancelled: _cancelled,
        JobAbandoned: _abandoned,
        Fined: lambda s, tx, e: s._expense(tx, e, "fine", amount=e.amount, offence=e.offence),
        TollPaid: lambda s, tx, e: s._expense(tx, e, "toll", amount=e.amount),
        Transport: _transport,
        RefuelStarted: lambda s, tx, e: s._expense(tx, e, "refuel_start", fuel_l=e.fuel_l),
        RefuelPaid: lambda s, tx, e: s._expense(tx, e, "refuel", fuel_l=e.amount_l),
        GameConnected: lambda s, tx, e: s._log(
            tx,
            "game_connected",
            e,
            {"game": e.game.value, "revision": e.revision, "version": e.telemetry_version},
        ),
        GameDisconnected: lambda s, tx, e: s._log(tx, "game_disconnected", e, {"reason": e.reason}),
        GamePaused: _session,
        GameResumed: _session,
        GameStale: _session,
        Anomaly: lambda s, tx, e: s._log(tx, "anomaly", e, {"kind": e.kind, "detail": e.detail}),
    }


_HANDLERS: Final = _handlers()
