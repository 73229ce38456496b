"""A single telemetry sample on PostgreSQL in one round trip.

The general path of a write (:meth:`roadmaster.server.app._Server.handle`) is one
transaction of five round trips on PostgreSQL: ``BEGIN``, the key epoch, the rate
counter, the insert, ``COMMIT`` — each also a trip through SQLAlchemy's execution
machinery.  A single sample is the most frequent request a server gets (a client
sends one every few seconds while driving), and its CPU went mostly there.

Here the same steps are one statement, run in autocommit (so the statement is its
own transaction: all or nothing):

* ``ep``/``ok``: the key epoch the caller's cached key belongs to still holds (a key
  added or rotated by another worker changes it; the caller then re-reads the key);
* ``prev``/``hit``: the rate limiter's upsert, word for word the one of
  :mod:`roadmaster.server.limits` (it counts only if the weighted total fits);
* ``ins``: the sample's row, inserted only if ``hit`` returned a row.

The answer is the epoch seen and the counter's values, or no counter when refused
(or when the epoch moved: nothing was written, the caller takes the general path).
Only used where nothing else could answer differently: no idempotency key (no
stored answer to look up or remember), and a job, if any, whose owner this process
already knows is the caller.  Everything else takes the general path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from roadmaster.server import tables as t
from roadmaster.server.limits import Plan
from roadmaster.sync.contract import TelemetryFields


def _insert_sql(fields: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The telemetry part: ``INSERT … SELECT %(c0)s::type, … FROM hit``.  Each value
    is cast to its column's type: a parameter in a SELECT list gets no type from the
    INSERT's target, and a NULL would otherwise be text."""
    columns = ("user_id", "job_id", "recorded_at", "received_at", "game_time", *fields)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    casts = []
    for i, name in enumerate(columns):
        kind = t.telemetry.c[name].type.compile(dialect=dialect)
        casts.append(f"%(c{i})s::{kind}")
    sql = f"INSERT INTO telemetry ({', '.join(columns)}) SELECT {', '.join(casts)} FROM hit"
    return sql, columns


@dataclass(frozen=True, slots=True)
class Outcome:
    epoch: int
    counted: tuple[int, int] | None  # (this window's count, the previous one's); None: refused


class OneSample:
    """The statement for the server's sample columns (``fields``: the sample's own
    fields, in :func:`roadmaster.server.store.insert_samples`'s order)."""

    def __init__(self, fields: Sequence[str]) -> None:
        insert, columns = _insert_sql(fields)
        self._fields: Final = tuple(fields)
        self._width: Final = len(columns)
        # One statement; every data-modifying CTE runs in the statement's snapshot.
        self.sql: Final = f"""
WITH ep AS (SELECT key_epoch FROM server_state WHERE id = 1),
ok AS (SELECT 1 FROM ep WHERE %(epoch)s::bigint IS NULL OR ep.key_epoch = %(epoch)s::bigint),
prev AS (
    SELECT COALESCE(
        (SELECT used FROM rate_counters
         WHERE user_id = %(u)s::uuid AND bucket = %(b)s::text AND slot = %(prev_slot)s::bigint),
        0) AS used
),
hit AS (
    INSERT INTO rate_counters (user_id, bucket, slot, used)
    SELECT %(u)s::uuid, %(b)s::text, %(slot)s::bigint, %(cost)s::integer FROM prev, ok
    WHERE prev.used * %(weight)s::float8 + %(cost)s::integer <= %(limit)s::integer
    ON CONFLICT (user_id, bucket, slot) DO UPDATE
        SET used = rate_counters.used + excluded.used
        WHERE (SELECT used FROM prev) * %(weight)s::float8
              + rate_counters.used + excluded.used <= %(limit)s::integer
    RETURNING used, (SELECT used FROM prev) AS prev_used
),
ins AS ({insert} RETURNING 1)
SELECT (SELECT key_epoch FROM ep), hit.used, hit.prev_used, (SELECT count(*) FROM ins)
FROM (SELECT 1) AS one LEFT JOIN hit ON true
"""

    def run(
        self,
        conn: Connection,
        *,
        user_id: uuid.UUID,
        plan: Plan,
        epoch: int | None,
        sample: TelemetryFields,
        job_id: uuid.UUID | None,
        now: datetime,
    ) -> Outcome:
        """Run the statement on ``conn``, which must be in autocommit (see
        :meth:`roadmaster.server.db.Database.run_statement`)."""
        values = sample.__dict__
        row: list[Any] = [
            user_id,
            job_id,
            sample.recorded_at or now,
            now,
            sample.game_time,
            *(values[f] for f in self._fields),
        ]
        params: dict[str, Any] = {f"c{i}": v for i, v in enumerate(row)}
        params.update(plan.params(user_id))
        params["epoch"] = epoch
        # psycopg prepares a statement on its fifth run on a connection.
        got = conn.exec_driver_sql(self.sql, params).fetchone()
        assert got is not None
        seen, used, prev_used, inserted = got
        if used is None:
            return Outcome(int(seen), None)
        assert inserted == 1  # the same statement counted and wrote
        return Outcome(int(seen), (int(used), int(prev_used)))
