"""What the endpoints read and write, one function per operation, each run inside
the caller's transaction (:meth:`roadmaster.server.db.Database.run`)."""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from roadmaster.server import pgwrite
from roadmaster.server import tables as t
from roadmaster.server.economics import client_economics, job_figures
from roadmaster.server.keys import same_hash
from roadmaster.sync.contract import JobCancel, JobComplete, JobStart, TelemetryFields, format_utc_z


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer before it is sent: what idempotency stores and replays."""

    status: int
    body: dict[str, Any]


class JobError(Exception):
    """A job reference that fails: carries the answer to send (403/404/400)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body.get("error"))
        self.answer = answer


# --- keys and idempotency --------------------------------------------------------------

_EPOCH = sa.select(t.server_state.c.key_epoch).where(t.server_state.c.id == 1)
_USER_BY_HASH = sa.select(t.users.c.id, t.users.c.api_key_hash).where(
    t.users.c.api_key_hash == sa.bindparam("digest")
)


def key_epoch(conn: Connection) -> int:
    return int(conn.execute(_EPOCH).scalar_one())


def user_by_key_hash(conn: Connection, digest: str) -> uuid.UUID | None:
    row = conn.execute(_USER_BY_HASH, {"digest": digest}).first()
    if row is None or not same_hash(row.api_key_hash, digest):
        return None
    user_id: uuid.UUID = row.id
    return user_id


@dataclass(frozen=True, slots=True)
class FirstAnswer:
    """What an idempotency key answered first, and to which request."""

    endpoint: str
    answer: Answer
    request_hash: str | None  # None on rows stored before hashes were


def idempotent_answer(conn: Connection, user_id: uuid.UUID, key: str) -> FirstAnswer | None:
    """The first answer of an earlier request with this key, if any."""
    keys = t.idempotency_keys
    row = conn.execute(
        sa.select(
            keys.c.endpoint, keys.c.status_code, keys.c.response_body, keys.c.request_hash
        ).where(keys.c.user_id == user_id, keys.c.key == key)
    ).first()
    if row is None:
        return None
    answer = Answer(row.status_code, json.loads(row.response_body))
    return FirstAnswer(row.endpoint, answer, row.request_hash)


def remember_answer(
    conn: Connection,
    user_id: uuid.UUID,
    key: str,
    endpoint: str,
    answer: Answer,
    now: datetime,
    request_hash: str,
) -> None:
    """Store the first answer; raises IntegrityError if a concurrent request with the
    same key got there first (the caller then replays that one)."""
    conn.execute(
        sa.insert(t.idempotency_keys).values(
            user_id=user_id,
            key=key,
            endpoint=endpoint,
            status_code=answer.status,
            response_body=json.dumps(answer.body, separators=(",", ":")),
            created_at=now,
            request_hash=request_hash,
        )
    )


def _values(model: BaseModel, exclude: set[str]) -> dict[str, Any]:
    """A request's field values as validated (datetimes stay datetimes).  Not
    ``model_dump()``: it runs the contract's serializers, which turn timestamps into
    ``…Z`` strings that a datetime column refuses."""
    return {name: getattr(model, name) for name in type(model).model_fields if name not in exclude}


# --- telemetry -------------------------------------------------------------------------

_SAMPLE_EXCLUDE: set[str] = {"api_key", "event_id", "recorded_at", "job_id"}


def job_owners(conn: Connection, job_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    ids = list(set(job_ids))
    rows = conn.execute(sa.select(t.jobs.c.id, t.jobs.c.user_id).where(t.jobs.c.id.in_(ids)))
    return {row.id: row.user_id for row in rows}


def check_jobs(
    owners: dict[uuid.UUID, uuid.UUID], wanted: Iterable[uuid.UUID], user: uuid.UUID
) -> None:
    """404 for a job nobody has, 403 for another user's (404 wins: it is checked first
    over the whole set, so the answer does not depend on the order of samples)."""
    wanted = set(wanted)
    if any(job not in owners for job in wanted):
        raise JobError(Answer(404, {"error": "Job not found"}))
    if any(owners[job] != user for job in wanted):
        raise JobError(Answer(403, {"error": "Unauthorized"}))


# Column order of the SQLite insert: the four the server computes, game_time (which
# needs converting), then the sample's other fields as they are.
SAMPLE_FIELDS = tuple(
    name
    for name in TelemetryFields.model_fields
    if name not in _SAMPLE_EXCLUDE and name != "game_time"
)
_SAMPLE_VALUES = operator.itemgetter(*SAMPLE_FIELDS)
_SQLITE_COLUMNS = ("user_id", "job_id", "recorded_at", "received_at", "game_time", *SAMPLE_FIELDS)
_SQLITE_ROW = f"({', '.join('?' * len(_SQLITE_COLUMNS))})"
_SQLITE_INSERT = f"INSERT INTO telemetry ({', '.join(_SQLITE_COLUMNS)}) VALUES "
# Rows a multi-row INSERT carries: one statement step per 100 rows instead of one
# per row takes ~25% off a 1,000-row insert; more rows a statement gain nothing.
_SQLITE_ROWS_PER_STATEMENT = 100


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format (naive UTC), so reads agree.  The
    # same text as strftime("%Y-%m-%d %H:%M:%S.%f") for two thirds of its cost (a
    # batch of distinct times pays it per sample); strftime stays for years before
    # 1000, which it does not pad to four digits.
    utc = moment.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


def _remember(times: dict[datetime, str], moment: datetime) -> str:
    text = times[moment] = _sqlite_time(moment)
    return text


def _sqlite_insert(raw: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(_SQLITE_COLUMNS)
    per_statement = max(1, min(_SQLITE_ROWS_PER_STATEMENT, limit))
    whole = len(rows) - len(rows) % per_statement
    cursor = raw.cursor()
    try:
        if whole:
            many = _SQLITE_INSERT + ", ".join([_SQLITE_ROW] * per_statement)
            for start in range(0, whole, per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(many, list(itertools.chain.from_iterable(chunk)))
        if whole < len(rows):
            cursor.executemany(_SQLITE_INSERT + _SQLITE_ROW, rows[whole:])
    finally:
        cursor.close()


def insert_samples(
    conn: Connection, user_id: uuid.UUID, samples: Sequence[TelemetryFields], now: datetime
) -> None:
    """Insert samples, in order.  On SQLite straight through the driver: at batch
    sizes SQLAlchemy's per-row parameter processing costs ~10x the insert."""
    if conn.dialect.name == "sqlite":
        user = user_id.hex  # sa.Uuid's SQLite form: 32 hex digits
        received = _sqlite_time(now)
        # A batch's samples mostly share their job, and catch-up batches repeat
        # few distinct times: convert each distinct value once.  (The cache used to
        # be filled with setdefault(key, convert(key)), which converts every time.)
        times: dict[datetime, str] = {}
        jobs: dict[str, str] = {}
        rows_sqlite: list[tuple[Any, ...]] = []
        for s in samples:
            job, recorded_at, game_time = s.job_id, s.recorded_at, s.game_time
            job_hex = None
            if job is not None:
                job_hex = jobs.get(job)
                if job_hex is None:
                    job_hex = jobs[job] = uuid.UUID(job).hex
            recorded = received
            if recorded_at is not None:
                recorded = times.get(recorded_at) or _remember(times, recorded_at)
            game = None
            if game_time is not None:
                game = times.get(game_time) or _remember(times, game_time)
            # A model's __dict__ holds every field, defaults included.
            values = _SAMPLE_VALUES(s.__dict__)
            rows_sqlite.append((user, job_hex, recorded, received, game, *values))
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        _sqlite_insert(raw, rows_sqlite)
        return
    if conn.dialect.name == "postgresql":
        pgwrite.insert_samples(conn, user_id, samples, now, SAMPLE_FIELDS)
        return
    rows = []
    for sample in samples:
        row = _values(sample, _SAMPLE_EXCLUDE)
        row["user_id"] = user_id
        row["job_id"] = uuid.UUID(sample.job_id) if sample.job_id is not None else None
        row["recorded_at"] = sample.recorded_at or now
        row["received_at"] = now
        rows.append(row)
    conn.execute(sa.insert(t.telemetry), rows)


# --- jobs ------------------------------------------------------------------------------


def job_json(row: dict[str, Any]) -> dict[str, Any]:
    """A jobs row as the API shows it: uuids as strings, times as ``…Z``."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, uuid.UUID):
            out[name] = str(value)
        elif isinstance(value, datetime):
            out[name] = format_utc_z(value)
        else:
            out[name] = value
    return out


def start_job(conn: Connection, user_id: uuid.UUID, body: JobStart, now: datetime) -> Answer:
    row: dict[str, Any] = {column.name: None for column in t.jobs.columns}
    row.update(_values(body, {"api_key", "event_id", "started_at"}))
    row.update(
        id=uuid.uuid4(),
        user_id=user_id,
        status="in_progress",
        started_at=body.started_at or now,
        created_at=now,
    )
    conn.execute(sa.insert(t.jobs).values(row))
    return Answer(200, {"job": job_json(row)})


def _owned_job(conn: Connection, user_id: uuid.UUID, job_id: str) -> Any:
    # FOR UPDATE on PostgreSQL: two concurrent completions of one job serialise here.
    row = conn.execute(
        sa.select(t.jobs).where(t.jobs.c.id == uuid.UUID(job_id)).with_for_update()
    ).first()
    if row is None:
        raise JobError(Answer(404, {"error": "Job not found"}))
    if row.user_id != user_id:
        raise JobError(Answer(403, {"error": "Unauthorized"}))
    return row


def _already_ended(status: str) -> JobError:
    return JobError(
        Answer(400, {"error": "Validation failed", "details": {"job_id": f"Job already {status}"}})
    )


def complete_job(conn: Connection, user_id: uuid.UUID, body: JobComplete, now: datetime) -> Answer:
    """Complete a job and compute its dashboard figures.  Completing a job that is
    already completed changes nothing and succeeds (the first completion stands);
    completing a cancelled job is refused, unless it was cancelled as *abandoned*
    (it ended with no game event): the player may still say it was delivered."""
    job = _owned_job(conn, user_id, body.job_id)
    if job.status == "completed":
        return Answer(200, {"success": True})
    if job.status == "cancelled" and not job.abandoned:
        raise _already_ended("cancelled")
    figures = job_figures(
        income=job.income,
        distance_mi=job.distance,
        fuel_consumed_gal=body.fuel_consumed,
        damage_taken=body.damage_taken,
        avg_speed_mph=body.avg_speed,
        delivered_late=body.delivered_late,
        settled=client_economics(body.fuel_cost, body.damage_cost, body.profit, body.safety_score),
    )
    conn.execute(
        sa.update(t.jobs)
        .where(t.jobs.c.id == job.id)
        .values(
            status="completed",
            completed_at=body.completed_at or now,
            cancelled_at=None,
            abandoned=None,
            cargo_damage=body.cargo_damage,
            delivered_late=body.delivered_late,
            fuel_consumed=body.fuel_consumed,
            damage_taken=body.damage_taken,
            avg_speed=body.avg_speed,
            avg_rpm=body.avg_rpm,
            fuel_cost=figures.fuel_cost,
            damage_cost=figures.damage_cost,
            profit=figures.profit,
            profit_per_mile=figures.profit_per_mile,
            fuel_economy=figures.fuel_economy,
            safety_score=figures.safety_score,
        )
    )
    if job.destination_company:
        _count_company(conn, user_id, job.destination_company, body)
    _unlock_achievements(conn, user_id, body, now)
    return Answer(200, {"success": True})


def cancel_job(conn: Connection, user_id: uuid.UUID, body: JobCancel, now: datetime) -> Answer:
    """Cancel a job.  Its profit is what it cost: −(penalty + fuel + damage); it gets
    no fuel economy or safety score (nothing was delivered).  Cancelling twice
    succeeds and changes nothing; cancelling a completed job is refused."""
    job = _owned_job(conn, user_id, body.job_id)
    if job.status == "cancelled":
        return Answer(200, {"success": True})
    if job.status == "completed":
        raise _already_ended("completed")
    penalty = body.penalty or 0
    settled = client_economics(body.fuel_cost, body.damage_cost, body.profit, None)
    if settled is not None:
        fuel_cost, damage_cost, profit = settled.fuel_cost, settled.damage_cost, settled.profit
    else:
        fuel_cost = (body.fuel_consumed or 0.0) * 4.05
        damage_cost = (body.damage_taken or 0.0) * 10_000.0
        profit = -(penalty + fuel_cost + damage_cost)
    conn.execute(
        sa.update(t.jobs)
        .where(t.jobs.c.id == job.id)
        .values(
            status="cancelled",
            cancelled_at=body.cancelled_at or now,
            cargo_damage=body.cargo_damage,
            fuel_consumed=body.fuel_consumed,
            damage_taken=body.damage_taken,
            avg_speed=body.avg_speed,
            avg_rpm=body.avg_rpm,
            penalty=penalty,
            abandoned=bool(body.abandoned),
            fuel_cost=fuel_cost,
            damage_cost=damage_cost,
            profit=profit,
            profit_per_mile=profit / job.distance,
        )
    )
    return Answer(200, {"success": True})


def _upsert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT that has ``on_conflict_do_update``/``_do_nothing``."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


def _count_company(conn: Connection, user_id: uuid.UUID, company: str, body: JobComplete) -> None:
    """One atomic upsert: concurrent completions to one company (even its first) each
    count once.  (Read-then-write lost updates and collided on the first row.)"""
    stats = t.company_stats
    damage = body.damage_taken or 0.0
    on_time = 0 if body.delivered_late else 1
    insert = _upsert(conn, stats).values(
        user_id=user_id,
        company_name=company,
        jobs_completed=1,
        jobs_on_time=on_time,
        total_damage=damage,
        avg_damage=damage,
    )
    # In SET, the table's columns are the row as it was; ``excluded`` the new values.
    new = insert.excluded
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[stats.c.user_id, stats.c.company_name],
            set_={
                "jobs_completed": stats.c.jobs_completed + 1,
                "jobs_on_time": stats.c.jobs_on_time + new.jobs_on_time,
                "total_damage": stats.c.total_damage + new.total_damage,
                "avg_damage": (stats.c.total_damage + new.total_damage)
                / (stats.c.jobs_completed + 1),
            },
        )
    )


def _unlock_achievements(
    conn: Connection, user_id: uuid.UUID, body: JobComplete, now: datetime
) -> None:
    """The seeded achievements, re-evaluated after each completion (jobs are limited
    to 100 an hour, so a few aggregate queries per completion cost nothing)."""
    jobs = t.jobs
    done = (jobs.c.user_id == user_id) & (jobs.c.status == "completed")
    count, miles, profit = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(jobs.c.distance), 0),
            sa.func.coalesce(sa.func.sum(jobs.c.profit), 0.0),
        ).where(done)
    ).one()
    mpg = conn.execute(
        sa.select(sa.func.avg(jobs.c.fuel_economy)).where(done, jobs.c.fuel_economy.is_not(None))
    ).scalar()
    last_ten = (
        conn.execute(
            sa.select(jobs.c.delivered_late)
            .where(done)
            .order_by(jobs.c.completed_at.desc())
            .limit(10)
        )
        .scalars()
        .all()
    )
    earned = {
        "first_job": count >= 1,
        "hundred_jobs": count >= 100,
        "thousand_miles": miles >= 1000,
        "profitable_hauler": profit >= 10_000,
        "fuel_efficient": mpg is not None and mpg >= 8.0,
        "perfect_delivery": len(last_ten) == 10 and not any(last_ten),
        "no_damage": body.cargo_damage == 0 and not body.damage_taken,
    }
    have = set(
        conn.execute(
            sa.select(t.user_achievements.c.achievement_key).where(
                t.user_achievements.c.user_id == user_id
            )
        ).scalars()
    )
    new = [key for key, ok in earned.items() if ok and key not in have]
    if new:
        # A concurrent completion (another job) may unlock the same one first.
        conn.execute(
            _upsert(conn, t.user_achievements).on_conflict_do_nothing(),
            [{"user_id": user_id, "achievement_key": key, "unlocked_at": now} for key in new],
        )
