"""Per-user rate limits held in the database, so that every server process (every
``serve --workers`` worker, every machine behind a balancer) enforces one limit.

The window is an **approximated sliding window** (two fixed windows, weighted):
time is cut into fixed windows of ``window_s`` (an hour) aligned on the Unix epoch,
and each (user, bucket, window) has one counter row, ``rate_counters``.  A request
at fraction ``f`` of the current window sees

    used = previous window's count × (1 − f) + current window's count

and is allowed when ``used + cost <= limit``.  Capacity therefore comes back
gradually as the previous window's share fades, as with a true sliding window, at
a cost of one row per user and bucket and window instead of one per request.  It
assumes the previous window's requests were spread evenly; a burst at its very end
is remembered as spread, so a rolling hour can hold somewhat more than the limit
(never more than twice).  A refused request counts nothing.

One round trip decides and counts: an ``INSERT … SELECT … ON CONFLICT DO UPDATE …
WHERE … RETURNING`` that inserts or increments the current window's row only if
the total stays within the limit (PostgreSQL and SQLite both have the syntax).  On
PostgreSQL the row lock that the upsert takes serialises concurrent requests of one
user, so N workers never let more than the limit through.

**Clock steps:** windows are keyed by the wall clock (``time.time``; tests inject
their own), shared by every worker on a machine and kept within milliseconds across
machines by NTP.  A backwards step lands in an older window, whose counter is gone
(or fresh), so nobody is locked out; a forwards step only starts a new window early.
The windows the clock left behind — older than the previous one, or ahead of the
current one after a backwards step — are deleted by :func:`prune`.  ``Retry-After``
is never more than two windows.

Headers follow the hosted service: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
and ``X-RateLimit-Reset`` (Unix time, seconds: when one more request fits if none
remains, else the end of the current window), plus ``Retry-After`` (seconds) on 429.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from roadmaster.server import tables as t
from roadmaster.sync.contract import JOBS_PER_HOUR, TELEMETRY_PER_HOUR

Clock = Callable[[], float]
"""Seconds since the Unix epoch (``time.time``); tests inject their own."""

TELEMETRY: Final = "telemetry"
JOBS: Final = "jobs"


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests per window for each bucket; job start/complete/cancel share ``jobs``."""

    telemetry_per_hour: int = TELEMETRY_PER_HOUR
    jobs_per_hour: int = JOBS_PER_HOUR
    window_s: float = 3600.0

    def limit(self, bucket: str) -> int:
        return self.telemetry_per_hour if bucket == TELEMETRY else self.jobs_per_hour


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch_s: int
    retry_after_s: int  # 0 when allowed

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch_s),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    """A request about to be counted: its bucket and cost, the limit, and the window."""

    bucket: str
    cost: int
    limit: int
    now: float
    slot: int
    weight: float  # of the previous window's count

    def params(self, user: uuid.UUID) -> dict[str, object]:
        """The parameters of the counting upsert."""
        return {
            "u": user,
            "b": self.bucket,
            "slot": self.slot,
            "prev_slot": self.slot - 1,
            "cost": self.cost,
            "weight": self.weight,
            "limit": self.limit,
        }


_U = sa.bindparam("u", type_=sa.Uuid())

# Insert or increment the current window's row, only if the weighted total fits;
# no row back means refused (and nothing changed).  The SELECT's WHERE also settles
# SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity.
_HIT = sa.text(
    """
    WITH prev AS (
        SELECT COALESCE(
            (SELECT used FROM rate_counters
             WHERE user_id = :u AND bucket = :b AND slot = :prev_slot), 0) AS used
    )
    INSERT INTO rate_counters (user_id, bucket, slot, used)
    SELECT :u, :b, :slot, :cost FROM prev WHERE prev.used * :weight + :cost <= :limit
    ON CONFLICT (user_id, bucket, slot) DO UPDATE
        SET used = rate_counters.used + excluded.used
        WHERE (SELECT used FROM prev) * :weight + rate_counters.used + excluded.used <= :limit
    RETURNING used, (SELECT used FROM prev) AS prev_used
    """
).bindparams(_U)

_STATE = sa.text(
    """
    SELECT slot, used FROM rate_counters
    WHERE user_id = :u AND bucket = :b AND slot IN (:slot, :prev_slot)
    """
).bindparams(_U)


class RateLimiter:
    """The limiter; each call runs one statement in the caller's transaction."""

    def __init__(self, limits: Limits, clock: Clock = time.time) -> None:
        self.limits = limits
        self.clock = clock

    def _where(self, now: float) -> tuple[int, float]:
        """(current window number, weight of the previous window's count)."""
        window = self.limits.window_s
        slot = math.floor(now / window)
        weight = 1.0 - (now - slot * window) / window
        return slot, min(1.0, max(0.0, weight))

    def plan(self, bucket: str, cost: int) -> Plan:
        """Where a request of ``cost`` lands now: for :meth:`hit`, or for a statement
        that embeds the same upsert (:mod:`roadmaster.server.pgone`)."""
        now = self.clock()
        slot, weight = self._where(now)
        return Plan(bucket, cost, self.limits.limit(bucket), now, slot, weight)

    def hit(self, conn: Connection, user: uuid.UUID, bucket: str, cost: int = 1) -> Decision:
        """Count ``cost`` requests if they fit; a refused request counts nothing."""
        if cost <= 0:
            return self.peek(conn, user, bucket)
        plan = self.plan(bucket, cost)
        row = conn.execute(_HIT, plan.params(user)).first()
        if row is None:
            return self.refused(conn, user, plan)
        return self.counted(plan, row.used, row.prev_used)

    def counted(self, plan: Plan, used: int, prev_used: int) -> Decision:
        """The decision for ``plan`` once the upsert counted it, given the counts it
        returned."""
        p = plan
        return self._decision(True, p.limit, p.now, p.slot, p.weight, used, prev_used, p.cost)

    def refused(self, conn: Connection, user: uuid.UUID, plan: Plan) -> Decision:
        """The decision for ``plan`` when the upsert refused it (reads the counts)."""
        p = plan
        current, previous = self._state(conn, user, p.bucket, p.slot)
        return self._decision(False, p.limit, p.now, p.slot, p.weight, current, previous, p.cost)

    def peek(self, conn: Connection, user: uuid.UUID, bucket: str) -> Decision:
        """The current state, counting nothing (for replayed and refused answers)."""
        limit = self.limits.limit(bucket)
        now = self.clock()
        slot, weight = self._where(now)
        current, previous = self._state(conn, user, bucket, slot)
        return self._decision(True, limit, now, slot, weight, current, previous, 0)

    @staticmethod
    def _state(conn: Connection, user: uuid.UUID, bucket: str, slot: int) -> tuple[int, int]:
        rows = conn.execute(_STATE, {"u": user, "b": bucket, "slot": slot, "prev_slot": slot - 1})
        found = {int(r.slot): int(r.used) for r in rows}
        return found.get(slot, 0), found.get(slot - 1, 0)

    def _decision(
        self,
        allowed: bool,
        limit: int,
        now: float,
        slot: int,
        weight: float,
        current: int,
        previous: int,
        cost: int,
    ) -> Decision:
        window = self.limits.window_s
        end = (slot + 1) * window
        used = previous * weight + current
        remaining = max(0, math.floor(limit - used + 1e-9))
        retry = 0
        if not allowed:
            retry = self._retry_after(limit, now, end, current, previous, cost)
        if remaining == 0:
            reset = now + (retry or self._retry_after(limit, now, end, current, previous, 1))
        else:
            reset = end
        return Decision(allowed, limit, remaining, math.ceil(reset), retry)

    def _retry_after(
        self, limit: int, now: float, end: float, current: int, previous: int, cost: int
    ) -> int:
        """Seconds until ``cost`` fits if nothing else is counted meanwhile (≤ 2 windows)."""
        window = self.limits.window_s
        if cost > limit:
            return math.ceil(window)  # can never fit: a smaller request would
        if current + cost <= limit:
            # Fits in this window once enough of the previous window's share fades.
            if previous <= 0:
                return 1
            fraction = 1.0 - (limit - current - cost) / previous
            at = end - window + fraction * window
        else:
            # Next window: this window's count becomes the fading one.
            fraction = 1.0 - (limit - cost) / current
            at = end + fraction * window
        return max(1, math.ceil(at - now))


def prune(conn: Connection, limits: Limits, now: float) -> int:
    """Delete counters of windows no request can see any more: older than the
    previous window, or ahead of the current one (left by a backwards clock step)."""
    slot = math.floor(now / limits.window_s)
    counters = t.rate_counters
    result = conn.execute(
        counters.delete().where(sa.or_(counters.c.slot < slot - 1, counters.c.slot > slot))
    )
    return int(result.rowcount)
