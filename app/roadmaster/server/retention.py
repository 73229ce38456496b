"""What the server deletes by itself, and when: idempotency records after a retention
(48 h by default), telemetry after an optional retention (kept for ever by default),
and rate-limit counters of windows that have passed.

Each server process runs :func:`run_periodically` from its lifespan.  Deletes go in
batches of a few thousand rows, each its own short transaction, so that writers wait
at most one batch (on PostgreSQL they never wait: they insert new rows, the deletes
take old ones).  With several workers each prunes; a batch another worker already
took simply finds nothing.

Old rows are found **by id order**: ids are serial and rows are written at arrival,
so the oldest rows are the lowest ids, and each batch is "the first N ids, of those
the ones older than the cutoff".  That needs no index on the time column (which
would cost every insert), and a pass over a table with nothing to delete reads one
batch of ids.  A row written a moment out of order is taken by the next pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.server import limits as rate
from roadmaster.server import tables as t

log = logging.getLogger(__name__)

IDEMPOTENCY_HOURS: Final = 48.0
PRUNE_EVERY_S: Final = 600.0
BATCH_ROWS: Final = 5000


@dataclass(frozen=True, slots=True)
class Retention:
    """How long the server keeps what; ``telemetry_days`` None keeps telemetry."""

    idempotency_hours: float = IDEMPOTENCY_HOURS
    telemetry_days: float | None = None
    every_s: float = PRUNE_EVERY_S
    batch_rows: int = BATCH_ROWS


@dataclass(slots=True)
class Pruned:
    idempotency_keys: int = 0
    telemetry: int = 0
    rate_counters: int = 0


def delete_oldest(conn: Connection, table: sa.Table, column: str, cutoff: datetime, n: int) -> int:
    """One batch: of the ``n`` lowest ids, delete those whose ``column`` < cutoff."""
    first = sa.select(table.c.id).order_by(table.c.id).limit(n).scalar_subquery()
    result = conn.execute(table.delete().where(table.c.id.in_(first), table.c[column] < cutoff))
    return int(result.rowcount)


Run = Callable[[Callable[[Connection], int]], Awaitable[int]]


async def _drain(
    run: Run, table: sa.Table, column: str, cutoff: datetime, n: int, stop: asyncio.Event
) -> int:
    total = 0
    while True:
        deleted = await run(lambda conn: delete_oldest(conn, table, column, cutoff, n))
        total += deleted
        if deleted < n or stop.is_set():  # done, or shutting down (the rest is next time)
            return total
        await asyncio.sleep(0)  # let waiting requests in between batches


async def prune_once(
    run: Run,
    retention: Retention,
    limits: rate.Limits,
    now_s: float,
    stop: asyncio.Event | None = None,
) -> Pruned:
    """One pass over every table with a retention, as of ``now_s`` (Unix seconds)."""
    now = datetime.fromtimestamp(now_s, UTC)
    n = retention.batch_rows
    stop = stop or asyncio.Event()
    pruned = Pruned()
    cutoff = now - timedelta(hours=retention.idempotency_hours)
    pruned.idempotency_keys = await _drain(run, t.idempotency_keys, "created_at", cutoff, n, stop)
    if retention.telemetry_days is not None:
        cutoff = now - timedelta(days=retention.telemetry_days)
        pruned.telemetry = await _drain(run, t.telemetry, "received_at", cutoff, n, stop)
    pruned.rate_counters = await run(lambda conn: rate.prune(conn, limits, now_s))
    return pruned


class Pruner:
    """The periodic pass of one server process; ``passes`` counts finished passes
    (tests wait on ``done``)."""

    def __init__(
        self, run: Run, retention: Retention, limits: rate.Limits, clock: rate.Clock
    ) -> None:
        self.run = run
        self.retention = retention
        self.limits = limits
        self.clock = clock
        self.passes = 0
        self.last = Pruned()
        self.done = threading.Condition()

    async def once(self, stop: asyncio.Event | None = None) -> Pruned:
        pruned = await prune_once(self.run, self.retention, self.limits, self.clock(), stop)
        with self.done:
            self.passes += 1
            self.last = pruned
            self.done.notify_all()
        if pruned.idempotency_keys or pruned.telemetry:
            log.info(
                "pruned %d idempotency records and %d telemetry samples",
                pruned.idempotency_keys,
                pruned.telemetry,
            )
        return pruned

    async def forever(self, stop: asyncio.Event) -> None:
        """A pass now and every ``every_s`` until ``stop`` is set; a pass under way
        is finished first (its connection goes back to the pool before shutdown)."""
        while not stop.is_set():
            try:
                await self.once(stop)
            except Exception:  # a pass that fails is retried at the next one
                log.exception("pruning failed; trying again in %.0f s", self.retention.every_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retention.every_s)
