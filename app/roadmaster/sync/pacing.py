"""Timing of the sync worker: backoff after failures and pacing under rate limits.

Everything takes the current time as an argument (seconds of a monotonic clock), so
tests drive it with a fake clock and never wait.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter: the n-th consecutive failure waits a random
    time in [d/2, d] with d = base · 2^(n-1), capped.  The jitter keeps many clients
    that lost the same server from coming back in lockstep; the lower half keeps a
    retry from following its failure at once."""

    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        self.failures += 1
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 30))
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


@dataclass(frozen=True, slots=True)
class RateInfo:
    """The ``X-RateLimit-*`` headers of one response (None where absent)."""

    limit: int | None = None
    remaining: int | None = None
    reset_in_s: float | None = None  # seconds from the response until the window frees

    @property
    def known(self) -> bool:
        return self.remaining is not None and self.reset_in_s is not None


@dataclass(slots=True)
class TokenBucket:
    """The local fallback when a server sends no rate headers: ``rate_per_s`` tokens
    a second, at most ``capacity`` saved up.  It starts with a small burst, not a full
    hour: the server's window may still hold what we sent before a restart."""

    rate_per_s: float
    capacity: float
    tokens: float = -1.0
    updated: float | None = None

    def delay(self, cost: float, now: float) -> float:
        self._refill(now)
        need = min(cost, self.capacity) - self.tokens
        return 0.0 if need <= 0 else need / self.rate_per_s

    def take(self, cost: float, now: float) -> None:
        self._refill(now)
        self.tokens -= min(cost, self.capacity)

    def _refill(self, now: float) -> None:
        if self.updated is None:
            self.tokens = self.capacity if self.tokens < 0 else self.tokens
        else:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate_per_s)
        self.updated = now


@dataclass(slots=True)
class Pacer:
    """When the next request of one rate-limit bucket (telemetry, or job calls) may go.

    With the server's headers: spread what ``remaining`` allows over the time to
    ``reset`` (a request every reset/remaining seconds, times its cost), and wait for
    the reset when nothing remains — so a long backlog drains at the allowed pace
    instead of running into 429s.  Without headers: the local token bucket.
    A 429 blocks the bucket until its ``Retry-After``.
    """

    bucket: TokenBucket
    remaining: int | None = None
    reset_at: float | None = None
    last_sent: float | None = None
    blocked_until: float = 0.0

    def delay(self, cost: int, now: float) -> float:
        """Seconds to wait before sending a request of ``cost`` units."""
        wait = max(0.0, self.blocked_until - now)
        if self.remaining is not None and self.reset_at is not None and now < self.reset_at:
            if self.remaining < cost:
                return max(wait, self.reset_at - now)
            interval = (self.reset_at - now) * cost / max(self.remaining, 1)
            since = now - self.last_sent if self.last_sent is not None else interval
            return max(wait, interval - since)
        return max(wait, self.bucket.delay(cost, now))

    def sent(self, cost: int, now: float) -> None:
        self.last_sent = now
        self.bucket.take(cost, now)
        if self.remaining is not None:
            self.remaining = max(0, self.remaining - cost)

    def observe(self, rate: RateInfo, now: float) -> None:
        if rate.known:
            assert rate.remaining is not None and rate.reset_in_s is not None
            self.remaining = rate.remaining
            self.reset_at = now + rate.reset_in_s

    def block(self, seconds: float, now: float) -> None:
        self.blocked_until = max(self.blocked_until, now + seconds)
