"""The one interface every telemetry source implements, and the loop that paces it.

A source hands out whole-map snapshots.  Each snapshot carries the source's own
clock ``t_s`` (seconds): the monotonic clock for a live map, the recorded time
for a replay, the simulated time for the simulator.  Everything downstream
(stale detection, sampling, job figures) uses that clock, never the wall clock,
so a replay at any speed gives the same results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import NamedTuple, Protocol


class Snapshot(NamedTuple):
    data: bytes  # one whole map, normally 32768 bytes
    t_s: float  # the source's own clock, seconds


class SpeedDial:
    """A playback speed another thread may change while :func:`iterate` plays (the
    demo's 1×/10×/60× control).  None: as fast as possible."""

    def __init__(self, speed: float | None = 1.0) -> None:
        self._speed = speed
        self._lock = threading.Lock()
        self.version = 0

    def get(self) -> float | None:
        with self._lock:
            return self._speed

    def set(self, speed: float | None) -> None:
        with self._lock:
            self._speed = speed if speed is None or speed > 0 else None
            self.version += 1


class Source(Protocol):
    """A live source (``recorded = False``) is polled: each ``snapshot()`` returns the
    map as it is now, or None while there is no map (game not running).  A recorded
    source (replay, simulator) advances one snapshot per call and returns None at
    its end."""

    name: str
    recorded: bool

    def snapshot(self) -> Snapshot | None: ...

    def close(self) -> None: ...


def iterate(
    source: Source,
    *,
    poll_interval_s: float = 0.1,
    speed: float | SpeedDial | None = 1.0,
    stop: threading.Event | None = None,
) -> Iterator[Snapshot | None]:
    """Yield snapshots from ``source`` until ``stop`` is set (or a recorded source ends).

    Live sources are polled every ``poll_interval_s`` of wall time and may yield None
    (no map).  Recorded sources are played at ``speed`` times their own clock, or as
    fast as possible when ``speed`` is None.  A :class:`SpeedDial` may change the
    speed while playing: the clock is re-based, so the change takes effect at once.
    """
    stop = stop or threading.Event()
    if not source.recorded:
        next_at = time.monotonic()
        while not stop.is_set():
            yield source.snapshot()
            next_at += poll_interval_s
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (suspended laptop, debugger): don't burst
                next_at = time.monotonic()
                delay = 0.0
            stop.wait(delay)
        return
    dial = speed if isinstance(speed, SpeedDial) else None
    seen = dial.version if dial is not None else 0
    wall0: float | None = None
    src0 = 0.0
    while not stop.is_set():
        snap = source.snapshot()
        if snap is None:
            return
        if dial is not None and dial.version != seen:
            seen, wall0 = dial.version, None  # re-base on the new speed
        rate = dial.get() if dial is not None else speed
        assert not isinstance(rate, SpeedDial)
        if rate is not None:
            now = time.monotonic()
            if wall0 is None:
                wall0, src0 = now, snap.t_s
            delay = wall0 + (snap.t_s - src0) / rate - now
            if delay > 0 and stop.wait(delay):
                return
        yield snap
