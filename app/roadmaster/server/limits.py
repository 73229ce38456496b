"""Per-user sliding-window rate limits, in memory.

Each (user, bucket) keeps a log of (time, cost) entries of the last window; a
request is allowed when the costs inside the window plus its own stay within the
limit.  The window slides continuously: capacity comes back exactly one window
after it was used, not at the top of the hour.

The state lives in this process.  One server process (the supported deployment,
and the only sensible one on SQLite) enforces the limits exactly; several server
processes behind a balancer would each allow the full limit, so a multi-process
deployment on PostgreSQL needs a shared limiter (e.g. in the database or Redis).

Headers follow the hosted service: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
and ``X-RateLimit-Reset`` (Unix time, seconds, when the oldest entry leaves the
window), plus ``Retry-After`` (seconds) on 429.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

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


class _Window:
    __slots__ = ("entries", "used")

    def __init__(self) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.used = 0


class RateLimiter:
    """Sliding-window limiter; thread-safe."""

    def __init__(self, limits: Limits, clock: Clock = time.time) -> None:
        self.limits = limits
        self.clock = clock
        self._windows: dict[tuple[object, str], _Window] = {}
        self._lock = threading.Lock()

    def _window(self, user: object, bucket: str, now: float) -> _Window:
        window = self._windows.get((user, bucket))
        if window is None:
            window = self._windows[(user, bucket)] = _Window()
        start = now - self.limits.window_s
        entries = window.entries
        while entries and entries[0][0] <= start:
            window.used -= entries.popleft()[1]
        return window

    def _decision(self, window: _Window, limit: int, now: float, cost: int) -> Decision:
        allowed = window.used + cost <= limit
        remaining = max(0, limit - window.used - (cost if allowed else 0))
        oldest = window.entries[0][0] if window.entries else now
        reset = math.ceil(oldest + self.limits.window_s)
        retry = 0
        if not allowed:
            if cost > limit:
                # Can never fit: say "a whole window" (a smaller request would pass).
                retry = math.ceil(self.limits.window_s)
            else:
                # Wait until enough of the oldest entries have left the window.
                need = window.used + cost - limit
                freed = 0
                for at, spent in window.entries:
                    freed += spent
                    if freed >= need:
                        retry = max(1, math.ceil(at + self.limits.window_s - now))
                        break
        return Decision(allowed, limit, remaining, reset, retry)

    def hit(self, user: object, bucket: str, cost: int = 1) -> Decision:
        """Count ``cost`` requests if they fit; a refused request counts nothing."""
        limit = self.limits.limit(bucket)
        with self._lock:
            now = self.clock()
            window = self._window(user, bucket, now)
            decision = self._decision(window, limit, now, cost)
            if decision.allowed and cost:
                window.entries.append((now, cost))
                window.used += cost
            return decision

    def peek(self, user: object, bucket: str) -> Decision:
        """The current state, counting nothing (for replayed answers)."""
        return self.hit(user, bucket, 0)
