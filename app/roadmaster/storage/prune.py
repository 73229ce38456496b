"""Making the local log smaller: old samples thinned to one a minute, delivered sync
rows dropped, and the file compacted when that freed much.

What stays whole: every job row (its figures — distance, fuel, economics — are
stored on the job, not recomputed from samples), job events, the session log,
achievements, and every sync row not yet delivered (a queued sample carries its
own payload, so thinning the samples table never changes what is sent).

Thinning keeps, per job (and for samples outside jobs), the first sample of each
minute of ``recorded_at``.  Running it again keeps the same samples, so it can be
repeated (or cut short by Ctrl+C: each batch is its own transaction).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from roadmaster.storage import outbox as ob
from roadmaster.storage.tables import samples

BATCH: Final = 5000
DONE_OUTBOX_DAYS: Final = 7
VACUUM_MIN_FREE_BYTES: Final = 32 * 1024 * 1024
VACUUM_MIN_FREE_SHARE: Final = 0.2


@dataclass(slots=True)
class PruneReport:
    samples_old: int = 0  # samples older than the cutoff, before thinning
    samples_deleted: int = 0
    outbox_deleted: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    vacuumed: bool = False


def _stored(moment: datetime) -> str:
    # The samples' recorded_at text (SQLAlchemy's SQLite DateTime, naive UTC), so a
    # text comparison selects by time.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def thin_samples(
    engine: Engine, *, before: datetime, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Keep the first sample of each minute (per job) among those recorded before
    ``before``; return (old samples seen, samples deleted)."""
    query = sa.text(
        "SELECT id, job_id, substr(recorded_at, 1, 16) FROM samples "
        "WHERE id > :after AND recorded_at < :cutoff ORDER BY id LIMIT :n"
    )
    delete = samples.delete().where(samples.c.id.in_(sa.bindparam("ids", expanding=True)))
    kept: dict[int | None, str] = {}  # job → minute of its last kept sample
    doomed: list[int] = []
    seen = deleted = 0
    after = 0

    def flush() -> None:
        nonlocal deleted
        with engine.begin() as conn:
            deleted += int(conn.execute(delete, {"ids": doomed}).rowcount)
        doomed.clear()
        if progress is not None:
            progress(deleted)

    # Pages of ids in id (= time) order; deletes in batches, each its own short
    # transaction, so a running app waits at most one batch.
    cutoff = _stored(before)
    while True:
        with engine.connect() as conn:
            page = conn.execute(query, {"after": after, "cutoff": cutoff, "n": 10 * BATCH}).all()
        if not page:
            break
        for sample_id, job_id, minute in page:
            seen += 1
            if kept.get(job_id) == minute:
                doomed.append(sample_id)
                if len(doomed) >= BATCH:
                    flush()
            else:
                kept[job_id] = minute
        after = page[-1][0]
    if doomed:
        flush()
    return seen, deleted


def prune_outbox(engine: Engine, *, before: datetime) -> int:
    """Delivered sync rows created before ``before``, in batches."""
    total = 0
    while True:
        with engine.connect() as conn:
            n = ob.prune_done(conn, before=before, limit=BATCH)
        total += n
        if n < BATCH:
            return total


def file_bytes(db_file: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += os.path.getsize(f"{db_file}{suffix}")
    return total


def vacuum_if_worth_it(engine: Engine) -> bool:
    """VACUUM when the free pages are many (≥ 32 MiB, or ≥ 20 % of the file)."""
    with engine.connect() as conn:
        page = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
        free = int(conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()) * page
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one()) * page
    if free < VACUUM_MIN_FREE_BYTES and free < VACUUM_MIN_FREE_SHARE * pages:
        return False
    # Outside any transaction (SQLAlchemy would begin one): the driver connection
    # is in autocommit mode.
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("VACUUM")
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    return True


def prune(
    engine: Engine,
    db_file: Path,
    *,
    samples_before: datetime | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> PruneReport:
    report = PruneReport(bytes_before=file_bytes(db_file))
    if samples_before is not None:
        report.samples_old, report.samples_deleted = thin_samples(
            engine, before=samples_before, progress=progress
        )
    report.outbox_deleted = prune_outbox(engine, before=now - timedelta(days=DONE_OUTBOX_DAYS))
    report.vacuumed = vacuum_if_worth_it(engine)
    report.bytes_after = file_bytes(db_file)
    return report
