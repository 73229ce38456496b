"""Tracker events to rows: what each event writes into the job log, and the outbox
rows that tell the cloud about it, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.engine import Engine

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
from roadmaster.storage import outbox as ob
from roadmaster.storage.fastinsert import FastInsert, FastUpdate
from roadmaster.storage.rows import info_columns, sample_row, stats_columns
from roadmaster.storage.tables import ECONOMICS_COLUMNS, job_events, jobs, samples, session_log
from roadmaster.storage.transaction import Tx, Writer, run_key

_INSERT_EVENT: Final = job_events.insert()
_INSERT_LOG: Final = session_log.insert()
_INSERT_JOB: Final = jobs.insert()
# Which job total an expense adds to (money, whole currency units).
_EXPENSE_TOTAL: Final = {"fine": "fines", "toll": "tolls", "ferry": "transport_cost"}
_EXPENSE_TOTAL_TRAIN: Final = "transport_cost"
_SESSION_KINDS: Final[dict[type[Event], str]] = {
    GamePaused: "game_paused",
    GameResumed: "game_resumed",
    GameStale: "game_stale",
}


class EventWriter:
    """Writes events through a :class:`Writer`'s transactions."""

    def __init__(self, writer: Writer, engine: Engine, payload_builder: ob.PayloadBuilder) -> None:
        self._writer = writer
        self._payload_builder = payload_builder
        self._insert_sample = FastInsert(
            samples, [c.name for c in samples.columns if c.name != "id"], engine.dialect
        )
        # An open job's accumulators, saved once a second: the columns stats_columns gives.
        self._update_progress = FastUpdate(
            jobs,
            [*stats_columns(JobStats()), "updated_at"],
            "id",
            engine.dialect,
            extra="status = 'open'",
        )

    def write(self, tx: Tx, events: Sequence[Event]) -> None:
        """Write ``events`` and their outbox rows in ``tx``."""
        for event in events:
            handler = _HANDLERS.get(type(event))
            if handler is None:
                raise TypeError(f"the store has no rule for {type(event).__name__}")
            handler(self, tx, event)

    def save_progress(self, tx: Tx, job_key: str, info: JobInfo, stats: JobStats) -> None:
        """Save an open job's accumulators (so that a restart resumes with them)."""
        job_id = self._writer.job_id(tx, job_key)
        if job_id is None:
            return
        values = stats_columns(stats)
        values["updated_at"] = tx.now
        values["id"] = job_id
        self._update_progress.execute(tx.conn, values)

    def set_economics(self, tx: Tx, job_key: str, cols: Mapping[str, float | None]) -> None:
        """Set economics columns of one job; KeyError for an unknown job key."""
        job_id = self._writer.job_id(tx, job_key)
        if job_id is None:
            raise KeyError(f"no job with key {job_key!r}")
        tx.conn.execute(jobs.update().where(jobs.c.id == job_id).values(dict(cols)))

    def log(self, tx: Tx, kind: str, event: Event | None, detail: dict[str, Any]) -> None:
        """A ``session_log`` row (connections, pauses, anomalies, the store's own news)."""
        job_key = getattr(event, "job_key", None)
        tx.conn.execute(
            _INSERT_LOG,
            {
                "kind": kind,
                "t_s": None if event is None else event.t_s,
                "game_time_min": None if event is None else event.game_time_min,
                "recorded_at": tx.now,
                "job_id": self._writer.job_id(tx, job_key),
                "detail": detail,
            },
        )

    # --- per event -----------------------------------------------------------------------

    def _enqueue(self, tx: Tx, event: Event, job_id: int | None) -> None:
        kind = ob.kind_of(event)
        if kind is None:
            return
        payload = self._payload_builder(event)
        if payload is not None:
            ob.enqueue(tx.conn, kind, payload, job_id=job_id, now=tx.now)

    def _insert_job(
        self, tx: Tx, job_key: str, info: JobInfo, started_at: datetime, *, run: int = 1
    ) -> int:
        values = info_columns(info)
        stored_key = run_key(job_key, run)
        values.update(job_key=stored_key, status="open", started_at=started_at, updated_at=tx.now)
        key = tx.conn.execute(_INSERT_JOB, values).inserted_primary_key
        assert key is not None
        job_id = int(key[0])
        tx.new_ids[job_key] = job_id
        return job_id

    def _job_started(self, tx: Tx, event: JobStarted) -> None:
        newest = self._writer.newest_run(tx, event.job_key)
        if newest is not None and newest.status == JobStatus.OPEN.value:
            return  # resumed after a restart or a profile reload: the row is there
        # A new job, or one that ended and is driven again (a save loaded after its
        # delivery, the demo restarted): a row of its own, so that nothing of this run
        # is added to the finished one.
        run = 1 if newest is None else newest.runs + 1
        job_id = self._insert_job(tx, event.job_key, event.info, tx.now, run=run)
        if newest is not None:
            self.log(tx, "job_driven_again", event, {"run": run, "earlier": newest.status})
        self._enqueue(tx, event, job_id)

    def _job_ended(
        self,
        tx: Tx,
        event: JobDelivered | JobCancelled | JobAbandoned,
        status: JobStatus,
        results: dict[str, Any],
    ) -> None:
        job_id = self._writer.job_id(tx, event.job_key)
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
            self.log(tx, "job_closed_twice", event, {"status": status.value})
            return
        self._enqueue(tx, event, job_id)

    def _expense(self, tx: Tx, event: Event, kind: str, **values: Any) -> None:
        job_id = self._writer.job_id(tx, getattr(event, "job_key", None))
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

    def _sample(self, tx: Tx, event: Sample) -> None:
        # The hot path (1 Hz): cached job id, prebuilt statements, two inserts.
        job_id = self._writer.job_id(tx, event.job_key)
        self._insert_sample.execute(tx.conn, sample_row(event, job_id, tx.now))
        self._enqueue(tx, event, job_id)


def check_economics(cols: Mapping[str, object]) -> None:
    """ValueError naming any key of ``cols`` that is not an economics column."""
    unknown = set(cols) - ECONOMICS_COLUMNS
    if unknown:
        raise ValueError(
            f"not economics columns: {sorted(unknown)} (allowed: {sorted(ECONOMICS_COLUMNS)})"
        )


def _delivered(w: EventWriter, tx: Tx, e: JobDelivered) -> None:
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
    w._job_ended(tx, e, JobStatus.DELIVERED, results)


def _cancelled(w: EventWriter, tx: Tx, e: JobCancelled) -> None:
    results = {"penalty": e.penalty, "ended_game_min": e.finished_game_min}
    w._job_ended(tx, e, JobStatus.CANCELLED, results)


def _abandoned(w: EventWriter, tx: Tx, e: JobAbandoned) -> None:
    # No event ended it (cancelled on World of Trucks?): the user decides what it was.
    results = {"end_reason": e.reason, "ended_game_min": e.game_time_min}
    w._job_ended(tx, e, JobStatus.NEEDS_REVIEW, results)


def _transport(w: EventWriter, tx: Tx, e: Transport) -> None:
    w._expense(
        tx,
        e,
        e.kind,
        amount=e.amount,
        source_name=e.source_name,
        target_name=e.target_name,
        source_id=e.source_id,
        target_id=e.target_id,
    )


def _session(w: EventWriter, tx: Tx, e: Event) -> None:
    w.log(tx, _SESSION_KINDS[type(e)], e, {})


def _handlers() -> dict[type[Event], Callable[[EventWriter, Tx, Any], None]]:
    return {
        Sample: EventWriter._sample,
        JobStarted: EventWriter._job_started,
        JobDelivered: _delivered,
        JobCancelled: _cancelled,
        JobAbandoned: _abandoned,
        Fined: lambda w, tx, e: w._expense(tx, e, "fine", amount=e.amount, offence=e.offence),
        TollPaid: lambda w, tx, e: w._expense(tx, e, "toll", amount=e.amount),
        Transport: _transport,
        RefuelStarted: lambda w, tx, e: w._expense(tx, e, "refuel_start", fuel_l=e.fuel_l),
        RefuelPaid: lambda w, tx, e: w._expense(tx, e, "refuel", fuel_l=e.amount_l),
        GameConnected: lambda w, tx, e: w.log(
            tx,
            "game_connected",
            e,
            {"game": e.game.value, "revision": e.revision, "version": e.telemetry_version},
        ),
        GameDisconnected: lambda w, tx, e: w.log(tx, "game_disconnected", e, {"reason": e.reason}),
        GamePaused: _session,
        GameResumed: _session,
        GameStale: _session,
        Anomaly: lambda w, tx, e: w.log(tx, "anomaly", e, {"kind": e.kind, "detail": e.detail}),
    }


_HANDLERS: Final = _handlers()
