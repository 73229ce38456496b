"""Fast bulk loading of finished jobs (demo data, benchmarks, imports).

Why a separate path: ``jobs`` carries ~25 secondary indexes (one per sortable
column plus the covering analytics indexes), and keeping all of them up to date
row by row makes 100,000 jobs cost ~26 s.  :func:`bulk_load` instead, in **one**
transaction: drops the secondary indexes of ``jobs`` and ``job_events`` (their
``CREATE INDEX`` text is read from ``sqlite_master`` first, so exactly what the
schema had is rebuilt), inserts the rows with ``executemany`` in large chunks on
the driver cursor, recreates the indexes (a sort per index, far cheaper than
100,000 random inserts into each) and refreshes the planner statistics
(``ANALYZE``).  A failure anywhere rolls all of it back, indexes included, so the
file is never left without its indexes.

Bulk-loaded jobs get no outbox rows: they are not news for the cloud.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.storage.rows import JOB_DEFAULTS as _DEFAULTS
from roadmaster.storage.rows import REQUIRED_JOB_COLUMNS as _REQUIRED_NAMES
from roadmaster.storage.rows import complete_job_row
from roadmaster.storage.tables import job_events, jobs

if TYPE_CHECKING:
    from roadmaster.storage.store import Store

__all__ = [
    "CHUNK_ROWS",
    "LoadItem",
    "LoadResult",
    "bulk_insert_jobs",
    "bulk_load",
    "complete_job_row",
]

#: Rows per ``executemany``: large enough that the per-call overhead vanishes, small
#: enough that a chunk's parameter tuples stay a few MB.
CHUNK_ROWS: Final = 10_000
#: Below this many new jobs, maintaining the indexes row by row is cheaper than
#: rebuilding them (a rebuild sorts every existing row too).
REBUILD_MIN_ROWS: Final = 5_000
_TABLES: Final = (jobs.name, job_events.name)
#: Page cache during a load (KiB); the default 2 MB makes index builds spill to disk.
LOAD_CACHE_KIB: Final = 256 * 1024


_EVENT_DEFAULTS: Final = {c.name: None for c in job_events.columns if c.name not in ("id",)}


def _checked(row: Mapping[str, Any], job_id: int) -> dict[str, Any]:
    """``row`` with its id and the currency; raises for a missing required column."""
    missing = [name for name in _REQUIRED_NAMES if name not in row]
    if missing:
        raise ValueError(f"a job row needs {', '.join(sorted(missing))}")
    full = {**row, "id": job_id}
    if not row.get("currency"):
        full["currency"] = {"ets2": "EUR", "ats": "USD"}.get(str(row["game"]), "")
    return full


def bulk_insert_jobs(store: Store, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert many finished jobs in one transaction (no outbox rows); see
    :meth:`Store.bulk_insert_jobs`."""
    return store.bulk_insert_jobs(rows)


@dataclass(frozen=True, slots=True)
class LoadItem:
    """One job to load: its ``jobs`` columns (see :func:`complete_job_row`) and its
    ``job_events`` rows (fines, tolls … without ``job_id``, which the load sets)."""

    job: Mapping[str, Any]
    events: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class LoadResult:
    jobs: int
    events: int
    first_id: int | None  # jobs.id of the first job loaded (ids are consecutive)
    rebuilt_indexes: int  # secondary indexes dropped and recreated (0: maintained)


class _Rows:
    """Parameter tuples for one table's INSERT.  Values are converted as Core would
    convert them, but only for the few columns whose type needs it (UTC datetimes,
    JSON)."""

    def __init__(self, table: sa.Table, defaults: Mapping[str, Any], conn: Connection) -> None:
        quote = conn.dialect.identifier_preparer.quote
        self.defaults = dict(defaults)
        names = list(self.defaults)
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        # Positional parameters, picked out of each row in C (named binding costs the
        # driver a string object per value).
        self.pick = operator.itemgetter(*names)
        processors = ((n, table.c[n].type.bind_processor(conn.dialect)) for n in names)
        # Booleans need no conversion: the driver binds True/False as 1/0 already.
        self.converters = [
            (n, p)
            for n, p in processors
            if p is not None and not isinstance(table.c[n].type, sa.Boolean)
        ]
        self.batch: list[tuple[Any, ...]] = []

    def add(self, values: Mapping[str, Any]) -> None:
        row = {**self.defaults, **values}
        for name, convert in self.converters:
            row[name] = convert(row[name])
        self.batch.append(self.pick(row))

    def flush(self, cursor: Any) -> int:
        n = len(self.batch)
        if n:
            cursor.executemany(self.sql, self.batch)
            self.batch = []
        return n


def _secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX …)`` of the explicit indexes of the loaded tables (the
    automatic ones behind UNIQUE and PRIMARY KEY have no SQL and stay)."""
    marks = ", ".join("?" for _ in _TABLES)
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        _TABLES,
    ).all()
    return [(str(name), str(sql)) for name, sql in rows]


def bulk_load(
    store: Store,
    items: Iterable[LoadItem],
    *,
    expected: int | None = None,
    chunk: int = CHUNK_ROWS,
) -> LoadResult:
    """Insert finished jobs and their job events in one transaction, fast (see the
    module docstring).  ``expected`` (the number of items, if known) decides whether
    rebuilding the indexes pays off; without it they are rebuilt.  Returns counts
    and the id of the first job (the others follow consecutively)."""
    job_count = event_count = 0
    with store.writer.transaction() as tx:
        conn = tx.conn
        existing = int(conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one())
        rebuild = expected is None or (expected >= REBUILD_MIN_ROWS and expected * 4 >= existing)
        indexes = _secondary_indexes(conn) if rebuild else []
        quote = conn.dialect.identifier_preparer.quote
        for name, _sql in indexes:
            conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        top = conn.execute(sa.select(sa.func.max(jobs.c.id))).scalar_one_or_none()
        next_id = first_id = int(top or 0) + 1
        job_rows = _Rows(jobs, {"id": None, **_DEFAULTS, "updated_at": tx.now}, conn)
        event_rows = _Rows(job_events, {**_EVENT_DEFAULTS, "recorded_at": tx.now}, conn)
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        # A large page cache for the load: the index builds sort in it instead of
        # spilling to temporary files (restored afterwards: the app's readers and
        # the 1 Hz writer do not need it).
        cache_pages = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
        try:
            for item in items:
                # Explicit ids: the job events of a chunk refer to their job before the
                # chunk's INSERT has run.
                job_rows.add(_checked(item.job, next_id))
                for event in item.events:
                    event_rows.add({**event, "job_id": next_id})
                next_id += 1
                if len(job_rows.batch) >= chunk:
                    job_count += job_rows.flush(cursor)
                    event_count += event_rows.flush(cursor)
            job_count += job_rows.flush(cursor)
            event_count += event_rows.flush(cursor)
            for _name, sql in indexes:
                cursor.execute(sql)
            if indexes:
                # Dropping an index drops its statistics: gather them again at once,
                # so the job log's plans are right (see Store.refresh_statistics).
                for table in _TABLES:
                    cursor.execute(f"ANALYZE {quote(table)}")
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache_pages)}")
            cursor.close()
    if not indexes:
        store.refresh_statistics()
    return LoadResult(
        jobs=job_count,
        events=event_count,
        first_id=first_id if job_count else None,
        rebuilt_indexes=len(indexes),
    )
