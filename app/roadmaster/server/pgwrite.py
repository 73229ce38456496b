"""Telemetry inserts on PostgreSQL straight through psycopg: ``COPY`` for batches,
one prepared ``INSERT`` for a few rows.

SQLAlchemy's per-row parameter processing (and ``model_dump``) cost more than the
insert itself at batch sizes; ``COPY … FROM STDIN`` streams the rows in one round
trip.  Values come from the validated models as they are (aware datetimes, uuids,
floats), so no serializer turns a time into text on the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import psycopg
from sqlalchemy.engine import Connection

from roadmaster.sync.contract import TelemetryFields

COPY_FROM: Final = 8
"""Rows from which COPY beats an INSERT (a COPY costs a little more to set up)."""


def insert_samples(
    conn: Connection,
    user_id: uuid.UUID,
    samples: Sequence[TelemetryFields],
    now: datetime,
    fields: Sequence[str],
) -> None:
    """Insert ``samples`` in order: user, job, recorded_at, received_at, game_time,
    then ``fields`` from each sample."""
    columns = ("user_id", "job_id", "recorded_at", "received_at", "game_time", *fields)
    jobs: dict[str, uuid.UUID] = {}
    rows: list[tuple[Any, ...]] = []
    for s in samples:
        job = None
        if s.job_id is not None:
            job = jobs.get(s.job_id)
            if job is None:
                job = jobs[s.job_id] = uuid.UUID(s.job_id)
        values = s.__dict__
        rows.append(
            (user_id, job, s.recorded_at or now, now, s.game_time, *(values[f] for f in fields))
        )
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    names = ", ".join(columns)
    with raw.cursor() as cur:
        if len(rows) < COPY_FROM:
            marks = ", ".join(["%s"] * len(columns))
            cur.executemany(f"INSERT INTO telemetry ({names}) VALUES ({marks})", rows)
            return
        with cur.copy(f"COPY telemetry ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
