"""The outbox: what the cloud must learn, written in the same transaction as the
local change it describes (DESIGN.md), in global order (``outbox.id``).

This module enqueues (inside the caller's transaction) and counts; the sync worker
claims, acknowledges, retries and dead-letters through the functions at the end.
States: ``ready`` → ``in_flight`` (claimed by the one sync worker of the data
directory) → ``done`` (acknowledged) or back to ``ready`` (retry later), or ``dead``
(the server will never accept it as it is: kept with its payload and the server's
reason until ``retry_dead``).  Every state change is a short transaction of its
own, so the sync thread never holds SQLite's write lock for long beside capture.

Payloads are stored in the game's units (the event's own fields): the sync worker
builds the contract's request from them at send time, so a unit or contract fix
applies to rows queued before the fix.  :data:`PayloadBuilder` lets a caller store
something else.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from roadmaster.jobs.events import (
    Event,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    Sample,
)
from roadmaster.storage.fastinsert import FastInsert
from roadmaster.storage.rows import sample_measures
from roadmaster.storage.tables import jobs, outbox

OutboxKind = Literal["job_start", "job_complete", "job_cancel", "telemetry"]

#: Builds the stored payload for an event, or None to enqueue nothing for it.
PayloadBuilder = Callable[[Event], dict[str, Any] | None]

_COLUMNS: Final = ("kind", "job_id", "event_id", "payload", "state", "attempts", "created_at")
# One compiled insert per dialect (the JSON serializer is the engine's).
_fast_inserts: weakref.WeakKeyDictionary[Dialect, FastInsert] = weakref.WeakKeyDictionary()


def kind_of(event: Event) -> OutboxKind | None:
    """The outbox kind an event produces (None: the cloud does not hear of it).

    An abandoned job goes out as a cancel: the hosted contract has no cancel, so
    such a job is simply never completed there; the reference server records it.
    """
    if isinstance(event, Sample):
        return "telemetry"
    if isinstance(event, JobStarted):
        return "job_start"
    if isinstance(event, JobDelivered):
        return "job_complete"
    if isinstance(event, JobCancelled | JobAbandoned):
        return "job_cancel"
    return None


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def game_unit_payload(event: Event) -> dict[str, Any] | None:
    """The default payload: the event's fields as JSON values, in game units, plus
    ``"event"`` (the event's class name).  Samples take a flat fast path (1 Hz)."""
    if isinstance(event, Sample):
        w = event.wear
        return {
            "event": "Sample",
            "t_s": event.t_s,
            "game_time_min": event.game_time_min,
            "job_key": event.job_key,
            "wear": {
                "engine": w.engine,
                "transmission": w.transmission,
                "cabin": w.cabin,
                "chassis": w.chassis,
                "wheels": w.wheels,
                "trailer": w.trailer,
            },
            **sample_measures(event),
        }
    plain = _plain(event)
    assert isinstance(plain, dict)
    return {"event": type(event).__name__, **plain}


def enqueue(
    conn: Connection,
    kind: OutboxKind,
    payload: dict[str, Any],
    *,
    job_id: int | None,
    now: datetime,
) -> None:
    """Queue one row for the cloud.  Runs in ``conn``'s current transaction: the row
    commits (or rolls back) together with the change it describes."""
    fast = _fast_inserts.get(conn.dialect)
    if fast is None:
        fast = _fast_inserts[conn.dialect] = FastInsert(outbox, _COLUMNS, conn.dialect)
    fast.execute(
        conn,
        {
            "kind": kind,
            "job_id": job_id,
            "event_id": uuid.uuid4().hex,
            "payload": payload,
            "state": "ready",
            "attempts": 0,
            "created_at": now,
        },
    )


def _rows(source: Engine | Connection, stmt: sa.Select[Any]) -> list[Any]:
    """``stmt``'s rows, on ``source`` itself or on a connection of that engine."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            return list(conn.execute(stmt).all())
    return list(source.execute(stmt).all())


def _count(source: Engine | Connection, *states: str) -> int:
    stmt = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.state.in_(states))
    return int(_rows(source, stmt)[0][0])


_COUNT_BY_STATE: Final = (
    sa.select(outbox.c.state, sa.func.count())
    .where(outbox.c.state.in_(("ready", "in_flight", "dead")))
    .group_by(outbox.c.state)
)


def counts(source: Engine | Connection) -> tuple[int, int]:
    """(waiting, parked): :func:`pending_count` and :func:`dead_count` in one query
    (the status bar asks every few seconds)."""
    by_state = {state: int(n) for state, n in _rows(source, _COUNT_BY_STATE)}
    return by_state.get("ready", 0) + by_state.get("in_flight", 0), by_state.get("dead", 0)


def pending_count(source: Engine | Connection) -> int:
    """Rows the cloud has not acknowledged yet (ready or in flight)."""
    return _count(source, "ready", "in_flight")


def dead_count(source: Engine | Connection) -> int:
    """Rows parked for good (the server will never accept them as they are)."""
    return _count(source, "dead")


# --- claiming and acknowledging (the sync worker) ----------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxRow:
    """One claimed row, with what the worker needs to send it."""

    id: int
    kind: OutboxKind
    job_id: int | None  # local jobs.id
    event_id: str  # idempotency key
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    server_job_id: str | None  # jobs.server_id, once the job's start was acknowledged
    job_started_at: datetime | None  # jobs.started_at (the job's real start time)


@dataclasses.dataclass(frozen=True, slots=True)
class DeadRow:
    """A dead-lettered row as ``status`` shows it."""

    id: int
    kind: OutboxKind
    job_id: int | None
    attempts: int
    created_at: datetime
    reason: str


_CLAIM_COLUMNS: Final = (
    outbox.c.id,
    outbox.c.kind,
    outbox.c.job_id,
    outbox.c.event_id,
    outbox.c.payload,
    outbox.c.attempts,
    outbox.c.created_at,
    outbox.c.next_attempt_at,
    jobs.c.server_id,
    jobs.c.started_at,
)


def requeue_in_flight(conn: Connection) -> int:
    """Return rows left in flight (a crash or kill mid-request) to ready; call once
    before the worker starts.  Returns how many.  Such a row may have reached the
    server: the idempotency key (``event_id``) makes the resend harmless where the
    server supports it."""
    with conn.begin():
        result = conn.execute(
            outbox.update().where(outbox.c.state == "in_flight").values(state="ready")
        )
    return int(result.rowcount)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)


def claim_batch(conn: Connection, *, now: datetime, limit: int) -> list[OutboxRow]:
    """Claim up to ``limit`` ready rows that are due, in global order, and mark them
    in flight.

    Rows are scheduled independently except where one depends on another: a row set
    aside until later (``next_attempt_at`` after ``now``) is skipped and the rows
    behind it go on, but a job's samples and end wait while the job's start is set
    aside (they need the id the server gives it).  Nothing waits on a completion.
    A start that is due is claimed with, and ahead of, its dependants (it has the
    lower id)."""
    # Read, then write in a transaction of its own that starts with the write: a
    # deferred SQLite transaction that reads first cannot take the write lock once the
    # capture thread has committed meanwhile (SQLITE_BUSY without waiting).  Only one
    # worker claims per data directory, so nothing changes the rows in between.
    with conn.begin():
        # Jobs whose start is set aside (or still claimed): few, found in one pass
        # over the ready rows, so the claim itself stays the plain ordered scan.
        held = conn.execute(
            sa.select(outbox.c.job_id).where(
                outbox.c.state.in_(("ready", "in_flight")),
                outbox.c.kind == "job_start",
                sa.or_(outbox.c.state == "in_flight", outbox.c.next_attempt_at > now),
            )
        ).scalars()
        held_jobs = [j for j in held if j is not None]
        where = [outbox.c.state == "ready", _due(now)]
        if held_jobs:
            waits_for_start = sa.and_(
                outbox.c.job_id.in_(held_jobs),
                outbox.c.kind != "job_start",
                jobs.c.server_id.is_(None),
            )
            where.append(sa.not_(waits_for_start))
        stmt = (
            sa.select(*_CLAIM_COLUMNS)
            .select_from(outbox.outerjoin(jobs, jobs.c.id == outbox.c.job_id))
            .where(*where)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        rows = [_row(r) for r in conn.execute(stmt)]
    if rows:
        with conn.begin():
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_([row.id for row in rows]), outbox.c.state == "ready")
                .values(state="in_flight")
            )
    return rows


def next_attempt_due(conn: Connection) -> datetime | None:
    """When the earliest row set aside until later may be tried (None: nothing ready
    is set aside)."""
    value = conn.execute(
        sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
            outbox.c.state == "ready", outbox.c.next_attempt_at.is_not(None)
        )
    ).scalar_one_or_none()
    return None if value is None else _utc(value)


def _utc(value: Any) -> datetime:
    # Defensive: min() keeps the column's type, but a driver may hand back text.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _ids(ids: Sequence[int]) -> list[int]:
    return list(ids)


def _attempted(
    ids: Sequence[int], *, state: str, next_attempt_at: datetime | None, error: str | None
) -> sa.Update:
    """One more attempt counted on rows ``ids``: their new state, when to try them
    next, and the error (or note) kept in ``last_error``."""
    return (
        outbox.update()
        .where(outbox.c.id.in_(_ids(ids)))
        .values(
            state=state,
            attempts=outbox.c.attempts + 1,
            next_attempt_at=next_attempt_at,
            last_error=error,
        )
    )


def mark_done(
    conn: Connection,
    ids: Sequence[int],
    *,
    note: str | None = None,
    server_job: tuple[int, str] | None = None,
) -> None:
    """Acknowledge rows.  ``server_job`` (local jobs.id, server id) stores the id the
    server gave a started job, in the same transaction, so that the mapping and the
    acknowledgement are never out of step.  ``note`` stays in ``last_error`` (e.g.
    "not sent: the server has no cancel endpoint")."""
    if not ids and server_job is None:
        return
    with conn.begin():
        if server_job is not None:
            conn.execute(
                jobs.update().where(jobs.c.id == server_job[0]).values(server_id=server_job[1])
            )
        if ids:
            conn.execute(_attempted(ids, state="done", next_attempt_at=None, error=note))


def mark_retry(
    conn: Connection,
    ids: Sequence[int],
    *,
    error: str,
    next_attempt_at: datetime | None,
    keep_claimed: bool = False,
) -> None:
    """Count a failed attempt and keep its error.  The rows go back to ready, or stay
    in flight with ``keep_claimed`` (the worker will resend exactly this request: its
    answer was lost, so the server may hold it, and only the same request with the
    same idempotency key is a safe retry)."""
    if not ids:
        return
    with conn.begin():
        state = "in_flight" if keep_claimed else "ready"
        conn.execute(_attempted(ids, state=state, next_attempt_at=next_attempt_at, error=error))


def claimed_rows(conn: Connection) -> list[OutboxRow]:
    """Rows left in flight (by a crash, a kill, or a stop during a retry), in order.
    The worker resends them first, grouped as before, so that a request whose answer
    was lost is repeated exactly (same rows, same idempotency key)."""
    stmt = (
        sa.select(*_CLAIM_COLUMNS)
        .select_from(outbox.outerjoin(jobs, jobs.c.id == outbox.c.job_id))
        .where(outbox.c.state == "in_flight")
        .order_by(outbox.c.id)
    )
    with conn.begin():
        return [_row(r) for r in conn.execute(stmt)]


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        id=r.id,
        kind=r.kind,
        job_id=r.job_id,
        event_id=r.event_id,
        payload=r.payload,
        attempts=r.attempts,
        created_at=r.created_at,
        server_job_id=r.server_id,
        job_started_at=r.started_at,
    )


def release(conn: Connection, ids: Sequence[int]) -> None:
    """Return claimed rows that were not tried (the worker stopped, or an earlier row
    failed) to ready, unchanged."""
    if not ids:
        return
    with conn.begin():
        conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(_ids(ids)), outbox.c.state == "in_flight")
            .values(state="ready")
        )


def mark_dead(conn: Connection, ids: Sequence[int], *, reason: str) -> None:
    """Park rows the server will never accept as they are, with its reason; they
    keep their payload and leave the queue (nothing behind them waits)."""
    if not ids:
        return
    with conn.begin():
        conn.execute(_attempted(ids, state="dead", next_attempt_at=None, error=reason))


def retry_dead(conn: Connection) -> int:
    """Put every dead row back in the queue (after a fix); returns how many.  They
    keep their ids, so they go out before anything queued after them."""
    with conn.begin():
        result = conn.execute(
            outbox.update()
            .where(outbox.c.state == "dead")
            .values(state="ready", attempts=0, next_attempt_at=None)
        )
    return int(result.rowcount)


#: Ends the reason of a row parked after repeated server errors (not refused as
#: invalid): such rows are tried again on their own once a day.
PARKED_MARK: Final = "parked after"
_NOUNS: Final = {
    "job_complete": ("delivery", "deliveries"),
    "job_start": ("job start", "job starts"),
    "job_cancel": ("cancellation", "cancellations"),
    "telemetry": ("sample", "samples"),
}


def parked_reason(reason: str, attempts: int) -> str:
    """The reason stored for a row parked after ``attempts`` server errors."""
    return f"{reason} ({PARKED_MARK} {attempts} tries)"


def retry_parked(conn: Connection) -> int:
    """Queue the rows parked after server errors again (not those refused as invalid:
    they need a fix first); returns how many."""
    with conn.begin():
        result = conn.execute(
            outbox.update()
            .where(outbox.c.state == "dead", outbox.c.last_error.contains(PARKED_MARK))
            .values(state="ready", attempts=0, next_attempt_at=None)
        )
    return int(result.rowcount)


def dead_summary(source: Engine | Connection) -> str | None:
    """One line about the parked rows for a person, e.g. "1 delivery not accepted by
    the server: Failed to complete job" (the newest reason); None when there are none."""

    def build(conn: Connection) -> str | None:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(outbox.c.kind, sa.func.count())
                .where(outbox.c.state == "dead")
                .group_by(outbox.c.kind)
            ).all()
        )
        if not counts:
            return None
        # The server's words: a row parked because its job's start was ("not sent:
        # ...") says nothing of its own.
        newest = conn.execute(
            sa.select(outbox.c.last_error)
            .where(outbox.c.state == "dead")
            .order_by(outbox.c.last_error.startswith("not sent:"), outbox.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        parts = []
        for kind in ("job_complete", "job_start", "job_cancel", "telemetry"):
            n = int(counts.get(kind, 0))
            if n:
                one, many = _NOUNS[kind]
                parts.append(f"{n:,} {one if n == 1 else many}")
        what = parts[-1] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{what} not accepted by the server: {server_words(newest or '')}"

    if isinstance(source, Engine):
        with source.connect() as conn:
            return build(conn)
    return build(source)


_STATUS_PREFIX: Final = re.compile(r"^HTTP \d{3}: ")
_PARKED_SUFFIX: Final = re.compile(r" \(" + PARKED_MARK + r" \d+ tries\)$")


def server_words(reason: str) -> str:
    """A stored reason without the status prefix and the parking note."""
    return _PARKED_SUFFIX.sub("", _STATUS_PREFIX.sub("", reason)) or "no reason given"


def job_start_state(conn: Connection, job_id: int) -> tuple[str | None, str | None]:
    """The state of a job's start row and its last error (None: no start row)."""
    row = conn.execute(
        sa.select(outbox.c.state, outbox.c.last_error)
        .where(outbox.c.job_id == job_id, outbox.c.kind == "job_start")
        .order_by(outbox.c.id.desc())
        .limit(1)
    ).first()
    return (None, None) if row is None else (str(row[0]), row[1])


def dead_rows(source: Engine | Connection, *, limit: int = 20) -> list[DeadRow]:
    """The newest dead rows with the server's reasons (``status``, the UI)."""
    stmt = (
        sa.select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.job_id,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.last_error,
        )
        .where(outbox.c.state == "dead")
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )

    def build(conn: Connection) -> list[DeadRow]:
        return [
            DeadRow(r.id, r.kind, r.job_id, r.attempts, r.created_at, r.last_error or "")
            for r in conn.execute(stmt)
        ]

    if isinstance(source, Engine):
        with source.connect() as conn:
            return build(conn)
    return build(source)


def prune_done(conn: Connection, *, before: datetime, limit: int = 10_000) -> int:
    """Delete acknowledged rows created before ``before`` (at most ``limit``, so the
    write lock is held briefly); the local tables keep the data itself."""
    with conn.begin():
        victims = (
            sa.select(outbox.c.id)
            .where(outbox.c.state == "done", outbox.c.created_at < before)
            .order_by(outbox.c.id)
            .limit(limit)
            .scalar_subquery()
        )
        result = conn.execute(outbox.delete().where(outbox.c.id.in_(victims)))
    return int(result.rowcount)
