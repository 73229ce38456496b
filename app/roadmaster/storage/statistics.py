"""Planner statistics of the job log: ``ANALYZE jobs`` when the log grew enough.

Why: without statistics SQLite filters by any indexed column first and then sorts,
so "game = ATS, by distance" sorts 50,000 rows (~50 ms); with them it walks the
distance index and stops after ~100 rows (~1 ms).  A full ANALYZE costs ~0.5 s per
100k jobs, so it runs only when the job count moved by a fifth since the last run.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.storage.tables import jobs


def refresh_statistics(conn: Connection, *, force: bool = False) -> bool:
    """Run ``ANALYZE jobs`` on ``conn`` (inside the caller's transaction) if the
    statistics are missing or stale, or ``force``; returns whether it ran."""
    count = int(conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one())
    analysed = analysed_rows(conn)
    stale = analysed is None or abs(count - analysed) > max(50, analysed // 5)
    if force or stale:
        conn.exec_driver_sql("ANALYZE jobs")
        return True
    return False


def analysed_rows(conn: Connection) -> int | None:
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
